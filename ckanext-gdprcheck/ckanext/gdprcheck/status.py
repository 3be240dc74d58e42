"""The checklist status of a dataset dict, with the scanner's findings, wired to CKAN."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import ckan.plugins.toolkit as tk
from ckan import model

from ckanext.gdprcheck import checklist, detectors
from ckanext.gdprcheck.model import Scan


def min_cell_count() -> int:
    return tk.config.get("ckanext.gdprcheck.min_cell_count")


def detected(package_id: str | None) -> list[str]:
    """High-confidence detectors the scanner found in any of the dataset's files."""
    if not package_id:
        return []
    found: set[str] = set()
    for (names,) in model.Session.query(Scan.detected).filter(Scan.package_id == package_id):
        found.update(names or [])
    return sorted(found)


def answers_of(pkg: Mapping[str, Any]) -> dict[str, Any]:
    return {name: pkg.get(name) for name in checklist.FIELDS}


def evaluate(
    pkg: Mapping[str, Any], scan_findings: Iterable[str] | None = None
) -> checklist.Status:
    return checklist.evaluate(
        answers_of(pkg),
        access_tier=pkg.get("access_tier"),
        min_cell_count=min_cell_count(),
        scan_findings=detected(pkg.get("id")) if scan_findings is None else scan_findings,
    )


_SCAN_REASON = "The personal-data scan found"
_SCAN_FOUND = re.compile(
    r"The personal-data scan found (?P<found>.+) in the files: check them, or change the "
    r"answer about personal data"
)


def for_viewer(pkg: Mapping[str, Any], user_name: str | None) -> dict[str, Any]:
    """The status as a dict for one viewer: what the scanner found is named only to the
    dataset's editors; others read that something must be checked."""
    result = evaluate(pkg).as_dict()
    try:
        tk.check_access("package_update", {"user": user_name or ""}, {"id": pkg["id"]})
    except tk.NotAuthorized:
        result["reasons"] = [
            tk._("The personal-data scan found something the publisher must check")
            if r.startswith(_SCAN_REASON)
            else r
            for r in result["reasons"]
        ]
    result["package_id"] = pkg["id"]
    result["declared_by"] = pkg.get("gdpr_declared_by") or "publisher"
    return result


def readable_reason(reason: str) -> str:
    """A reason of the status for a page, in the page's language. The rules name what the
    scan found by the detectors' ids ("cpr, email"), as the API gives it; a page names
    it as people read it ("CPR numbers, E-mail addresses")."""
    found = _SCAN_FOUND.fullmatch(reason)
    if found is None:
        return tk._(reason)
    labels = ", ".join(
        tk._(detectors.LABELS.get(name, name)) for name in found.group("found").split(", ")
    )
    return tk._(
        "The personal-data scan found {found} in the files: check them, or change the answer "
        "about personal data"
    ).format(found=labels)
