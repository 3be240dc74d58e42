"""The harvest status page (every source's last run, counts and errors; for sysadmins
the pairs to decide on), the operator's decision on a pair, and the way from a merged
dataset's old name to the dataset kept."""

from __future__ import annotations

import re
from typing import Any

import ckan.plugins.toolkit as tk
from ckan import model
from flask import Blueprint, redirect, request

from ckanext.cityharvest.model import Alias

__all__ = ["cityharvest"]

cityharvest = Blueprint("cityharvest", __name__)

# /dataset/<name> and what lies below it, with an optional language prefix (/da/…).
_DATASET_PATH = re.compile(r"^(/[a-zA-Z_]{2,5})?/dataset/([^/]+)(/.*)?$")


def _context() -> dict[str, Any]:
    return {"user": tk.current_user.name if tk.current_user.is_authenticated else ""}


@cityharvest.route("/harvest-status")
def status() -> str:
    context = _context()
    sources = tk.get_action("cityharvest_source_summary")(context, {})
    try:
        matches = tk.get_action("cityharvest_match_list")(dict(context), {})
    except tk.NotAuthorized:
        matches = None
    return tk.render("cityharvest/status.html", {"sources": sources, "matches": matches})


@cityharvest.route("/harvest-status/pair/<id>", methods=["POST"])
def decide(id: str) -> Any:
    try:
        tk.get_action("cityharvest_match_decide")(
            _context(), {"id": id, "decision": request.form.get("decision", "")}
        )
    except tk.NotAuthorized:
        return tk.abort(403, tk._("Only sysadmins decide on possible duplicates"))
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("No such pair"))
    except tk.ValidationError as error:
        for messages in error.error_dict.values():
            for message in messages if isinstance(messages, list) else [messages]:
                tk.h.flash_error(str(message))
    return tk.redirect_to("cityharvest.status", _anchor="possible-duplicates")


@cityharvest.before_app_request
def merged_dataset() -> Any:
    """A dataset merged into another is in the trash; its old name (or id) leads to the
    dataset kept, for links and bookmarks made before the merge."""
    if request.method not in ("GET", "HEAD"):
        return None
    found = _DATASET_PATH.match(request.path)
    if found is None:
        return None
    alias = model.Session.get(Alias, found.group(2))
    if alias is None:
        return None
    live = model.Package.get(found.group(2))
    if live is not None and live.state == "active":
        return None  # restored, or the name taken again: the live dataset wins
    kept = model.Package.get(alias.package_id)
    if kept is None or kept.state != "active":
        return None
    # The dataset page moved for good; what lay below it (a resource) has no twin.
    return redirect(
        f"{found.group(1) or ''}/dataset/{kept.name}", code=302 if found.group(3) else 301
    )
