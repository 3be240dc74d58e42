"""Security headers and the session rule, as plain functions (no CKAN import).

The hooks in :mod:`ckanext.cityexchange.views` call these with the configuration and the
request's data.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Protocol

NONCE_PLACEHOLDER = "{nonce}"


def new_nonce() -> str:
    """A fresh CSP nonce: 128 random bits, URL-safe base64."""
    return secrets.token_urlsafe(16)


def render_policy(policy: str, nonce: str) -> str:
    """The configured policy with every ``{nonce}`` replaced by this response's nonce,
    its whitespace (the ini file may wrap it over lines) folded to single spaces."""
    return " ".join(policy.replace(NONCE_PLACEHOLDER, nonce).split())


def directives(policy: str) -> dict[str, list[str]]:
    """``{"script-src": ["'self'", ...], ...}``: the policy's directives, by name."""
    out: dict[str, list[str]] = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            out.setdefault(words[0].lower(), words[1:])
    return out


def security_headers(
    *, policy: str, nonce: str, report_only: bool, frame_options: str, referrer_policy: str
) -> dict[str, str]:
    """Every header the portal adds to a response; empty settings add none."""
    headers = {"X-Content-Type-Options": "nosniff"}
    if referrer_policy:
        headers["Referrer-Policy"] = referrer_policy
    if frame_options:
        headers["X-Frame-Options"] = frame_options
    if policy.strip():
        name = "Content-Security-Policy-Report-Only" if report_only else "Content-Security-Policy"
        headers[name] = render_policy(policy, nonce)
    return headers


class _Headers(Protocol):
    """What add_missing needs of a response's headers (a dict or werkzeug's Headers)."""

    def __contains__(self, name: str, /) -> bool: ...

    def __setitem__(self, name: str, value: str, /) -> None: ...


def add_missing(target: _Headers, headers: Mapping[str, str]) -> None:
    """Set each header the response does not set itself (a view may set a stricter one)."""
    for name, value in headers.items():
        if name not in target:
            target[name] = value
