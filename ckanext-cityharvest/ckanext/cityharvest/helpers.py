"""Template helpers of the harvest provenance (all prefixed ``cityharvest_``)."""

from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk

__all__ = ["cityharvest_records", "cityharvest_summary"]


def _context() -> dict[str, Any]:
    return {"user": tk.current_user.name if tk.current_user.is_authenticated else ""}


def cityharvest_records(pkg: dict[str, Any]) -> list[dict[str, Any]]:
    """The sources a dataset was harvested from, the importing one first (empty for a
    dataset of this portal)."""
    if not pkg.get("cityharvest_source"):
        return []
    try:
        return tk.get_action("cityharvest_record_list")(_context(), {"id": pkg["id"]})
    except (tk.ObjectNotFound, tk.NotAuthorized):
        return []


def cityharvest_summary() -> list[dict[str, Any]]:
    return tk.get_action("cityharvest_source_summary")(_context(), {})
