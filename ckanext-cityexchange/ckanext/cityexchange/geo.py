"""GeoJSON geometries as the suite stores them (the ``spatial`` field, which
ckanext-spatial indexes). Pure rules, no CKAN import."""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
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


def _geometry_object(value: Any) -> Any:
    """The geometry as a parsed GeoJSON object, or None when it is none (not JSON, not a
    geometry, or text longer than ``MAX_CHARS``)."""
    if isinstance(value, str):
        if len(value) > MAX_CHARS:
            return None
        try:
            value = json.loads(value)
        except (ValueError, RecursionError):
            return None
    try:
        return value if is_geometry(value) else None
    except RecursionError:  # a collection nested beyond reason
        return None


def geometry(value: Any) -> str | None:
    """The geometry as compact GeoJSON text, or None when it is none (not JSON, not a
    geometry, or larger than ``MAX_CHARS``)."""
    found = _geometry_object(value)
    if found is None:
        return None
    text = json.dumps(found, separators=(",", ":"))
    return text if len(text) <= MAX_CHARS else None


# Half the side of the box a point (or a line along a meridian or parallel) is searched
# as: about 11 m north-south.
POINT_MARGIN_DEGREES = 0.0001


def _positions(value: Any) -> list[tuple[float, float]]:
    """Every position of a geometry's coordinates, as (lon, lat)."""
    if isinstance(value, dict):
        if value.get("type") == "GeometryCollection":
            return [p for part in value.get("geometries") or [] for p in _positions(part)]
        return _positions(value.get("coordinates"))
    if isinstance(value, list):
        if len(value) >= 2 and all(isinstance(c, (int, float)) for c in value[:2]):
            return [(float(value[0]), float(value[1]))]
        return [p for item in value for p in _positions(item)]
    return []


def _bounds(positions: list[tuple[float, float]]) -> tuple[float, float, float, float]:
    """(min lon, min lat, max lon, max lat) of some positions."""
    lons, lats = [p[0] for p in positions], [p[1] for p in positions]
    return min(lons), min(lats), max(lons), max(lats)


def _box(minx: float, miny: float, maxx: float, maxy: float) -> str:
    """A bounding box as compact GeoJSON Polygon text."""
    ring = [[minx, miny], [maxx, miny], [maxx, maxy], [minx, maxy], [minx, miny]]
    return json.dumps({"type": "Polygon", "coordinates": [ring]}, separators=(",", ":"))


def searchable_extent(value: Any) -> str | None:
    """The geometry as the map search indexes it, when it differs: ckanext-spatial's
    bounding-box search measures how much of the drawn area a dataset's box covers, so a
    box without area (a point, a line along a meridian or a parallel) is never found.
    Such a geometry is searched as its box widened by ``POINT_MARGIN_DEGREES`` where it
    has no extent; any other geometry (or none) gives None: index it as it is."""
    found = _geometry_object(value)
    positions = _positions(found) if found is not None else []
    if not positions:
        return None
    minx, miny, maxx, maxy = _bounds(positions)
    if maxx > minx and maxy > miny:
        return None
    if maxx == minx:
        minx, maxx = minx - POINT_MARGIN_DEGREES, maxx + POINT_MARGIN_DEGREES
    if maxy == miny:
        miny, maxy = miny - POINT_MARGIN_DEGREES, maxy + POINT_MARGIN_DEGREES
    return _box(minx, miny, maxx, maxy)


# The largest GeoJSON file whose extent is read (bytes).
MAX_EXTENT_BYTES = 50_000_000


def extent_of_geojson(data: bytes | str) -> str | None:
    """The bounding box of a GeoJSON file (a geometry, a Feature or a FeatureCollection)
    as a Polygon, to fill a dataset's ``spatial`` field; None when the file is not
    GeoJSON, too large, has no positions or lies outside longitude/latitude (a file in
    a projected system such as UTM is not guessed at)."""
    if len(data) > MAX_EXTENT_BYTES:
        return None
    try:
        document = json.loads(data)
    except (ValueError, RecursionError):
        return None
    try:
        positions = _positions_of_document(document)
    except RecursionError:
        return None
    if not positions:
        return None
    minx, miny, maxx, maxy = _bounds(positions)
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        return None
    if (minx, miny) == (maxx, maxy):
        return json.dumps({"type": "Point", "coordinates": [minx, miny]}, separators=(",", ":"))
    return _box(minx, miny, maxx, maxy)


def _positions_of_document(document: Any) -> list[tuple[float, float]]:
    if not isinstance(document, dict):
        return []
    if document.get("type") == "FeatureCollection":
        features = document.get("features")
        if not isinstance(features, list):
            return []
        return [p for feature in features for p in _positions_of_document(feature)]
    if document.get("type") == "Feature":
        return _positions_of_document(document.get("geometry"))
    if document.get("type") in GEOMETRY_TYPES:
        return _positions(document)
    return []


# --- Places named in the geographic coverage ------------------------------------------------
#
# A dataset without a geometry is placed on the map by the Danish municipality or region
# its geographic coverage names ("Københavns Kommune", "Region Midtjylland", "Aarhus og
# Skanderborg"): the bounding box of each, from the DAGI boundaries (data/places-dk.json,
# built by scripts/build_places.py). Every name must be known; nothing is guessed.

_PLACES_FILE = Path(__file__).parent / "data" / "places-dk.json"
_SEPARATORS = re.compile(r"\s*(?:[,;/+&]|\bog\b|\band\b)\s*", re.IGNORECASE)
_NOISE = re.compile(r"\b(?:kommuner?|municipality|municipalities|kommune)\b", re.IGNORECASE)
_COUNTRY = {"danmark", "denmark", "hele danmark", "hele landet", "dk"}


def _place_key(name: str) -> str:
    """How a place name is compared: lower case, hyphens as spaces, "aa" as "å"."""
    key = re.sub(r"[\s-]+", " ", name.strip().lower()).replace("aa", "å")
    return key.strip(" .")


@functools.cache
def _gazetteer() -> dict[str, tuple[float, float, float, float]]:
    data = json.loads(_PLACES_FILE.read_text(encoding="utf-8"))
    places: dict[str, tuple[float, float, float, float]] = {}
    for name, box in {**data["municipalities"], **data["regions"]}.items():
        places[_place_key(name)] = tuple(box)
    for name, box in data["regions"].items():
        places.setdefault(_place_key(name.removeprefix("Region ")), tuple(box))
    regions = list(data["regions"].values())
    country = (
        min(b[0] for b in regions),
        min(b[1] for b in regions),
        max(b[2] for b in regions),
        max(b[3] for b in regions),
    )
    for name in _COUNTRY:
        places[name] = country
    return places


def _place_box(part: str) -> tuple[float, float, float, float] | None:
    key = _place_key(_NOISE.sub(" ", part))
    places = _gazetteer()
    if key in places:
        return places[key]
    if key.endswith("s") and key[:-1] in places:  # genitive: "Københavns Kommune"
        return places[key[:-1]]
    return places.get(key + "s")  # a name that is a genitive itself: "Vesthimmerlands"


def place_extent(coverage: Any) -> str | None:
    """The bounding box (GeoJSON Polygon text) of the places a geographic coverage names,
    or None when it names none or one that is not known."""
    if not isinstance(coverage, str) or not coverage.strip() or len(coverage) > 500:
        return None
    parts = [p for p in _SEPARATORS.split(coverage) if p and p.strip()]
    boxes = [_place_box(part) for part in parts]
    if not boxes or any(b is None for b in boxes):
        return None
    known = [b for b in boxes if b is not None]
    return _box(
        min(b[0] for b in known),
        min(b[1] for b in known),
        max(b[2] for b in known),
        max(b[3] for b in known),
    )
