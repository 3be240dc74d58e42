"""Template helpers of the GDPR checklist (all prefixed ``gdprcheck_``)."""

from __future__ import annotations

import re
from typing import Any

import ckan.plugins.toolkit as tk

from ckanext.gdprcheck import detectors, holds, status

__all__ = [
    "gdprcheck_detector_label",
    "gdprcheck_held_for_me",
    "gdprcheck_holds",
    "gdprcheck_scan",
    "gdprcheck_scan_message",
    "gdprcheck_status",
    "gdprcheck_status_label",
]


def gdprcheck_status(pkg: dict[str, Any]) -> dict[str, Any]:
    """The status of the dataset dict the page already holds (no second package_show),
    its reasons in the page's language."""
    result = status.for_viewer(
        pkg, tk.current_user.name if tk.current_user.is_authenticated else None
    )
    result["reasons"] = [status.readable_reason(r) for r in result["reasons"]]
    return result


def gdprcheck_status_label(value: str) -> str:
    return {
        "complete": tk._("GDPR checklist complete"),
        "incomplete": tk._("GDPR checklist incomplete"),
        "blocked": tk._("GDPR checklist blocked"),
        "not_declared": tk._("Personal data not declared by the source"),
    }.get(value, value)


def gdprcheck_detector_label(detector: str) -> str:
    """What a detector finds, in the page's language ("CPR numbers", "CPR-numre")."""
    return tk._(detectors.LABELS[detector]) if detector in detectors.LABELS else detector


def gdprcheck_scan_message(message: str | None) -> str:
    """Why a file was not scanned, in the page's language. The worker stores its message
    in English (it has no reader's language); the known ones are translated here."""
    if not message:
        return ""
    known = (
        (r"not a CSV, TSV, XLSX or JSON file", tk._("not a CSV, TSV, XLSX or JSON file")),
        (r"binary file", tk._("binary file")),
        (
            r"not a readable XLSX file \((?P<error>\w+)\)",
            tk._("not a readable XLSX file ({error})"),
        ),
        (r"could not read the file \((?P<error>\w+)\)", tk._("could not read the file ({error})")),
        (
            r"the file's address is not fetched from: (?P<reason>.*)",
            tk._("the file's address is not fetched from: {reason}"),
        ),
    )
    for pattern, text in known:
        found = re.fullmatch(pattern, message, re.DOTALL)
        if found:
            return text.format(**found.groupdict())
    return tk._(message)


def gdprcheck_scan(resource_id: str) -> dict[str, Any] | None:
    """The scan of a resource, for its editors (None for everyone else)."""
    try:
        return tk.get_action("gdprcheck_scan_show")(
            {"user": tk.current_user.name if tk.current_user.is_authenticated else ""},
            {"id": resource_id},
        )
    except (tk.ObjectNotFound, tk.NotAuthorized):
        return None


def _me() -> str:
    return tk.current_user.name if tk.current_user.is_authenticated else ""


def gdprcheck_holds(pkg: dict[str, Any]) -> dict[str, Any]:
    """A dataset's holds for the page: the active ones (for everyone: that the dataset is
    held for review, and why), the audit trail for its editors, and whether the viewer
    may release a hold (sysadmins)."""
    held = holds.held_resources(pkg.get("id"))
    out: dict[str, Any] = {"held": held, "trail": None, "can_release": False}
    if not pkg.get("id"):
        return out
    try:
        out["trail"] = tk.get_action("gdprcheck_hold_list")({"user": _me()}, {"id": pkg["id"]})
    except (tk.NotAuthorized, tk.ObjectNotFound):
        return out
    out["can_release"] = bool(tk.current_user.is_authenticated and tk.current_user.sysadmin)
    return out


def gdprcheck_held_for_me() -> list[dict[str, Any]]:
    """Active holds on the datasets the current user may edit (dashboard notice)."""
    return holds.held_for_user(_me() or None)
