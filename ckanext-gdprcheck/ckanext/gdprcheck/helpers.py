"""Template helpers of the GDPR checklist (all prefixed ``gdprcheck_``)."""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk

from ckanext.gdprcheck import status

__all__ = ["gdprcheck_status", "gdprcheck_status_label", "gdprcheck_scan"]


def gdprcheck_status(pkg: dict[str, Any]) -> dict[str, Any]:
    """The status of the dataset dict the page already holds (no second package_show)."""
    return status.for_viewer(pkg, tk.current_user.name if tk.current_user.is_authenticated else None)


def gdprcheck_status_label(value: str) -> str:
    return {"complete": tk._("GDPR checklist complete"), "incomplete": tk._("GDPR checklist incomplete"),
            "blocked": tk._("GDPR checklist blocked")}.get(value, value)


def gdprcheck_scan(resource_id: str) -> dict[str, Any] | None:
    """The scan of a resource, for its editors (None for everyone else)."""
    try:
        return tk.get_action("gdprcheck_scan_show")(
            {"user": tk.current_user.name if tk.current_user.is_authenticated else ""}, {"id": resource_id})
    except (tk.ObjectNotFound, tk.NotAuthorized):
        return None
