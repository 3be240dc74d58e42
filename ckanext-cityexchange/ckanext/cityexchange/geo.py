"""GeoJSON geometries as the suite stores them (the ``spatial`` field, which
ckanext-spatial indexes). Pure rules, no CKAN import."""

from __future__ import annotations

import json
from typing import Any

GEOMETRY_TYPES = (
    "Point",
    "MultiPoint",
    "LineString",
    "MultiLineString",
    "Polygon",
    "MultiPolygon",
    "GeometryCollection",
)
MAX_CHARS = 200_000


def is_geometry(value: Any) -> bool:
    """A GeoJSON geometry object: a known type with coordinates (or geometries)."""
    if not isinstance(value, dict) or value.get("type") not in GEOMETRY_TYPES:
        return False
    if value["type"] == "GeometryCollection":
        parts = value.get("geometries")
        return isinstance(parts, list) and bool(parts) and all(is_geometry(p) for p in parts)
    return isinstance(value.get("coordinates"), list) and bool(value["coordinates"])


def geometry(value: Any) -> str | None:
    """The geometry as compact GeoJSON text, or None when it is none (not JSON, not a
    geometry, or larger than ``MAX_CHARS``)."""
    if isinstance(value, str):
        if len(value) > MAX_CHARS:
            return None
        try:
            value = json.loads(value)
        except (ValueError, RecursionError):
            return None
    try:
        if not is_geometry(value):
            return None
    except RecursionError:  # a collection nested beyond reason
        return None
    text = json.dumps(value, separators=(",", ":"))
    return text if len(text) <= MAX_CHARS else None
