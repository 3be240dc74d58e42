"""The checklist status of a dataset dict, with the scanner's findings, wired to CKAN."""
from __future__ import annotations

from typing import Any, Iterable, Mapping, Optional

import ckan.model as model
import ckan.plugins.toolkit as tk

from ckanext.gdprcheck import checklist
from ckanext.gdprcheck.model import Scan


def min_cell_count() -> int:
    return tk.config.get("ckanext.gdprcheck.min_cell_count")


def detected(package_id: Optional[str]) -> list[str]:
    """High-confidence detectors the scanner found in any of the dataset's files."""
    if not package_id:
        return []
    found: set[str] = set()
    for (names,) in model.Session.query(Scan.detected).filter(Scan.package_id == package_id):
        found.update(names or [])
    return sorted(found)


def answers_of(pkg: Mapping[str, Any]) -> dict[str, Any]:
    return {name: pkg.get(name) for name in checklist.FIELDS}


def evaluate(pkg: Mapping[str, Any], scan_findings: Optional[Iterable[str]] = None) -> checklist.Status:
    return checklist.evaluate(
        answers_of(pkg), access_tier=pkg.get("access_tier"), min_cell_count=min_cell_count(),
        scan_findings=detected(pkg.get("id")) if scan_findings is None else scan_findings)
