"""The guarded HTTP session for requests to publisher-set URLs, with the portal's
allow-list (``ckanext.cityexchange.outbound_allow``). The rules are in :mod:`.net`."""

from __future__ import annotations

import ckan.plugins.toolkit as tk

from ckanext.cityexchange.net import AllowList, GuardedSession, Refused, parse_allow

__all__ = ["ALLOW_KEY", "Refused", "allow_list", "session"]

ALLOW_KEY = "ckanext.cityexchange.outbound_allow"


def allow_list() -> AllowList:
    """The configured allow-list (read on each call, so a test's ``ckan_config`` counts)."""
    return parse_allow(tk.config.get(ALLOW_KEY) or "")


def session() -> GuardedSession:
    """A new guarded session: use it for every request to a URL a user or a harvest
    source wrote. Raises :class:`Refused` (a ``requests.RequestException``) on a
    refused URL, before any connection to it."""
    return GuardedSession(allow_list())
