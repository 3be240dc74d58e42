"""Validators of the suite's schema fields that belong to no one extension."""

from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk

from ckanext.cityexchange import geo

__all__ = ["cityexchange_geojson"]


def cityexchange_geojson(value: Any) -> Any:
    """A GeoJSON geometry (``geo.geometry``), stored compact; empty stays empty."""
    if value in (None, "") or value is tk.missing:
        return value
    found = geo.geometry(value)
    if found is None:
        raise tk.Invalid(tk._("Must be a GeoJSON geometry (Point, Polygon, …) of at most 200 kB"))
    return found
