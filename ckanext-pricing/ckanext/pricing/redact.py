"""Taking locked data out of dicts. Pure functions, no CKAN import.

A redacted resource keeps its name, description, format and size; its ``url`` becomes a
purchase link (the *placeholder*) that is recognisable, so that it is never written back
over the real value (see :func:`is_substitute`).
"""

from __future__ import annotations

import copy
import html
import re
from collections.abc import Callable, Collection, Mapping
from typing import Any

from ckanext.pricing.rules import Access, is_locked

PLACEHOLDER_PATH = "/pricing/locked/"
SIGNED_PATH = "/pricing/fetch/"
# A "URL" shorter than this is replaced only where it stands (a resource's url field),
# never as a substring of other text: replacing "x" everywhere would garble the record.
MIN_SECRET_LENGTH = 8


def placeholder_url(site_url: str, resource_id: str) -> str:
    return f"{site_url.rstrip('/')}{PLACEHOLDER_PATH}{resource_id}"


def is_substitute(url: Any, resource_id: str | None) -> bool:
    """True for a URL that this plugin put in place of a real one, for this resource."""
    if not isinstance(url, str) or not resource_id:
        return False
    return (f"{PLACEHOLDER_PATH}{resource_id}" in url) or (f"{SIGNED_PATH}{resource_id}" in url)


def scrub(value: Any, replacements: Mapping[str, str]) -> Any:
    """Replace every secret string, wherever it occurs, in any nested structure.

    Also replaces the HTML-escaped form, for rendered diffs.
    """
    if not replacements:
        return value
    pairs = sorted(replacements.items(), key=lambda kv: -len(kv[0]))
    escaped = [(html.escape(s), html.escape(r)) for s, r in pairs if html.escape(s) != s]

    def fix(text: str) -> str:
        for secret, repl in pairs:
            if secret in text:
                text = text.replace(secret, repl)
        for secret, repl in escaped:
            if secret in text:
                text = text.replace(secret, repl)
        return text

    def walk(obj: Any) -> Any:
        if isinstance(obj, str):
            return fix(obj)
        if isinstance(obj, dict):
            return {k: walk(v) for k, v in obj.items()}
        if isinstance(obj, list):
            return [walk(v) for v in obj]
        if isinstance(obj, tuple):
            return tuple(walk(v) for v in obj)
        return obj

    return walk(value)


def scrub_signed_links(text: str, site_url: str, resource_ids: Collection[str]) -> str:
    """Replace a buyer's signed links to these resources, in any text (raw or with its
    ``&`` escaped), by the resources' purchase links."""
    base = re.escape(site_url.rstrip("/") + SIGNED_PATH)
    for rid in resource_ids:
        pattern = re.compile(base + re.escape(rid) + r"(?:\?[^\s\"'<>\\]*)?")
        text = pattern.sub(placeholder_url(site_url, rid), text)
    return text


def redact_resources(
    resources: list[dict[str, Any]],
    levels: Mapping[str, Access],
    *,
    placeholder: Callable[[str], str],
    signed: Callable[[dict[str, Any]], str],
) -> dict[str, str]:
    """Rewrite, in place, the URL of each locked resource for the viewer's access level.

    ``levels`` maps resource id to the viewer's access. Returns the secret → replacement
    map that callers apply to the rest of the response with :func:`scrub`.
    """
    replacements: dict[str, str] = {}
    for res in resources:
        rid = res.get("id") or ""
        level = levels.get(rid, Access.PUBLIC)
        if level in (Access.PUBLIC, Access.MANAGE):
            continue
        real = res.get("url")
        if level is Access.ENTITLED:
            new = (
                res["url"]
                if res.get("url_type") == "upload" and not is_substitute(real, rid)
                else signed(res)
            )
        else:
            new = placeholder(rid)
        if isinstance(real, str) and real and real != new and not is_substitute(real, rid):
            replacements[real] = new
        res["url"] = new
        res["pricing_locked"] = level is Access.LOCKED
        res["pricing_withheld"] = level is Access.HELD
    return replacements


def redact_stored(
    data: Mapping[str, Any],
    locked_ids: Collection[str],
    secrets: Mapping[str, str],
    placeholder: Callable[[str], str],
) -> dict[str, Any]:
    """An activity's stored data as it may be kept: a copy in which no locked URL remains.

    ``data`` is what the activity plugin stores (``{"package": <dataset dict>, ...}`` for
    dataset activities, a resource view's dict for view activities). Every resource of a
    dataset snapshot that is locked, now (``locked_ids``) or in the snapshot itself, gets
    its placeholder as URL, whatever URL it had then; every real URL, the current ones
    (``secrets``: URL -> placeholder) and those the snapshot held, is replaced wherever
    else it occurs.
    """
    out: dict[str, Any] = copy.deepcopy(dict(data))
    found = {s: r for s, r in secrets.items() if len(s) >= MIN_SECRET_LENGTH}
    snapshot = out.get("package")
    if isinstance(snapshot, dict):
        tier = snapshot.get("access_tier")
        for res in snapshot.get("resources") or []:
            if not isinstance(res, dict) or not isinstance(res.get("id"), str):
                continue
            rid = res["id"]
            if rid not in locked_ids and not is_locked(tier, res):
                continue
            url, substitute = res.get("url"), placeholder(rid)
            if (
                isinstance(url, str)
                and len(url) >= MIN_SECRET_LENGTH
                and not is_substitute(url, rid)
            ):
                found.setdefault(url, substitute)
            res["url"] = substitute
    scrubbed: dict[str, Any] = scrub(out, found)
    return scrubbed
