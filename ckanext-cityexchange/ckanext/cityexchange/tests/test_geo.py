"""The geometry rules on plain data."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ckanext.cityexchange import geo

pytestmark = pytest.mark.pure

POLYGON = {
    "type": "Polygon",
    "coordinates": [[[12.5, 55.6], [12.6, 55.6], [12.6, 55.7], [12.5, 55.6]]],
}


@pytest.mark.parametrize(
    "value,expected",
    [
        (POLYGON, True),
        ({"type": "Point", "coordinates": [12.5, 55.6]}, True),
        ({"type": "GeometryCollection", "geometries": [POLYGON]}, True),
        ({"type": "GeometryCollection", "geometries": []}, False),
        ({"type": "Polygon", "coordinates": []}, False),
        ({"type": "Feature", "geometry": POLYGON}, False),
        ({"type": "Circle", "coordinates": [1, 2]}, False),
        ("not a dict", False),
        (None, False),
    ],
)
def test_what_counts_as_a_geometry(value: object, expected: bool) -> None:
    assert geo.is_geometry(value) is expected


def test_geometry_text_is_compact_and_bounded() -> None:
    assert geo.geometry(json.dumps(POLYGON, indent=2)) == json.dumps(POLYGON, separators=(",", ":"))
    assert geo.geometry("{not json") is None
    huge = {"type": "MultiPoint", "coordinates": [[1.0, 2.0]] * 30_000}
    assert geo.geometry(huge) is None and geo.geometry(json.dumps(huge)) is None


@given(
    st.recursive(
        st.none() | st.booleans() | st.floats() | st.text(max_size=5),
        lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=12), c, max_size=3),
        max_leaves=12,
    )
)
def test_anything_is_a_geometry_or_none(value: object) -> None:
    found = geo.geometry(value)
    assert found is None or geo.is_geometry(json.loads(found))


def test_deeply_nested_input_is_no_geometry_and_no_crash() -> None:
    deep = "[" * 100_000 + "]" * 100_000
    assert geo.geometry('{"type": "Point", "coordinates": ' + deep + "}") is None
    nested: dict = {"type": "GeometryCollection", "geometries": []}
    for _ in range(5_000):
        nested = {"type": "GeometryCollection", "geometries": [nested]}
    assert geo.geometry(nested) is None


def test_a_geometry_without_area_is_searched_as_a_small_box() -> None:
    box = json.loads(geo.searchable_extent({"type": "Point", "coordinates": [10.39, 55.4]}) or "")
    ((minx, miny), _, (maxx, maxy), _, _) = box["coordinates"][0]
    assert minx < 10.39 < maxx and miny < 55.4 < maxy
    assert maxx - minx == pytest.approx(2 * geo.POINT_MARGIN_DEGREES)
    # A line along a meridian is widened east-west only.
    line = {"type": "LineString", "coordinates": [[12.0, 55.0], [12.0, 56.0]]}
    ring = json.loads(geo.searchable_extent(line) or "")["coordinates"][0]
    assert {p[1] for p in ring} == {55.0, 56.0}
    # A geometry with area, or no geometry at all, is indexed as it is.
    area = {"type": "Polygon", "coordinates": [[[12, 55], [13, 55], [13, 56], [12, 55]]]}
    assert geo.searchable_extent(area) is None
    assert geo.searchable_extent("not json") is None
    assert geo.searchable_extent(None) is None


def test_the_extent_of_a_geojson_file() -> None:
    collection = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "geometry": {"type": "Point", "coordinates": [9.5, 55.7]}},
            {
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": [[9.6, 55.6], [9.7, 55.8]]},
            },
            {"type": "Feature", "geometry": None},
        ],
    }
    ring = json.loads(geo.extent_of_geojson(json.dumps(collection)) or "")["coordinates"][0]
    assert ring[0] == [9.5, 55.6] and ring[2] == [9.7, 55.8]
    assert (
        json.loads(geo.extent_of_geojson('{"type": "Point", "coordinates": [9.5, 55.7]}') or "")[
            "type"
        ]
        == "Point"
    )
    # Projected coordinates (UTM zone 32, metres), no positions, not JSON: no extent.
    assert geo.extent_of_geojson('{"type": "Point", "coordinates": [721000, 6176000]}') is None
    assert geo.extent_of_geojson('{"type": "FeatureCollection", "features": []}') is None
    assert geo.extent_of_geojson(b"navn,x,y\n") is None
    assert geo.extent_of_geojson("[" * 100000) is None


@given(
    st.recursive(
        st.none() | st.floats() | st.text(max_size=3),
        lambda c: (
            st.lists(c)
            | st.dictionaries(st.sampled_from(["type", "coordinates", "features", "geometry"]), c)
        ),
        max_leaves=20,
    )
)
def test_any_json_gives_an_extent_or_none(document: Any) -> None:
    found = geo.extent_of_geojson(json.dumps(document))
    assert found is None or json.loads(found)["type"] in ("Point", "Polygon")


@pytest.mark.parametrize(
    ("coverage", "box"),
    [
        ("Københavns Kommune", (12.453, 55.6131, 12.7339, 55.7315)),
        ("København", (12.453, 55.6131, 12.7339, 55.7315)),
        ("Århus Kommune", (9.9486, 55.9957, 10.3892, 56.3295)),
        ("Aarhus og Skanderborg kommuner", (9.6331, 55.9542, 10.3892, 56.3295)),
        ("Region Hovedstaden", (11.6943, 54.9874, 15.1932, 56.1999)),
        ("hovedstaden", (11.6943, 54.9874, 15.1932, 56.1999)),
        ("Lyngby-Taarbæk Kommune", (12.4133, 55.7596, 12.596, 55.8096)),
        ("Danmark", (8.0753, 54.5591, 15.1932, 57.7517)),
    ],
)
def test_a_coverage_naming_danish_places_has_their_box(
    coverage: str, box: tuple[float, ...]
) -> None:
    extent = geo.place_extent(coverage)
    assert extent is not None
    ring = json.loads(extent)["coordinates"][0]
    assert (ring[0][0], ring[0][1], ring[2][0], ring[2][1]) == box


@pytest.mark.parametrize(
    "coverage", ["", "Nørrebro", "København og Gotham", "x" * 600, None, 42, "Kommune"]
)
def test_a_coverage_naming_an_unknown_place_has_no_box(coverage: object) -> None:
    assert geo.place_extent(coverage) is None


def test_every_place_of_the_gazetteer_lies_in_denmark() -> None:
    for name in ("Bornholm", "Christiansø", "Læsø", "Tønder", "Frederikshavn"):
        ring = json.loads(geo.place_extent(name) or "{}")["coordinates"][0]
        assert 8.0 <= ring[0][0] < ring[2][0] <= 15.2 and 54.5 <= ring[0][1] < ring[2][1] <= 57.8
