"""The buyers' facets that belong to no one extension: how often the data is updated and
where it is about (fields of the suite's schema, filled by publishers and by harvests)."""

from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk

# Facet field -> its title; the values of update_frequency are the schema's choices.
FACETS = {"update_frequency": "Update frequency", "spatial_coverage": "Geographic coverage"}
FREQUENCIES = {
    "realtime": "Real-time",
    "hourly": "Hourly",
    "daily": "Daily",
    "weekly": "Weekly",
    "monthly": "Monthly",
    "quarterly": "Quarterly",
    "yearly": "Yearly",
    "historic": "Historic (not updated)",
}


def add(facets_dict: dict[str, Any]) -> dict[str, Any]:
    for field, title in FACETS.items():
        facets_dict[field] = tk._(title)
    return facets_dict


def label(search_results: dict[str, Any]) -> dict[str, Any]:
    facets = search_results.get("search_facets") or {}
    for item in (facets.get("update_frequency") or {}).get("items", []):
        item["display_name"] = tk._(FREQUENCIES.get(item["name"], item["name"]))
    # Licence titles are the register's English ones; CKAN translates them with gettext.
    for item in (facets.get("license_id") or {}).get("items", []):
        item["display_name"] = tk._(item["display_name"])
    return search_results
