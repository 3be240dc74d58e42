"""A buyer narrows the search to an area by drawing it on the map (ckanext-spatial's
widget, the suite's bounding-box index), on the portal's own blank tiles."""

from __future__ import annotations

import json
import math
import re
from typing import Any

import pytest
from ckan.tests import helpers
from playwright.sync_api import Page, expect

from tests.browser import support
from tests.browser.support import LivePortal

pytestmark = [pytest.mark.browser, pytest.mark.module_plugins]


def _box(minx: float, miny: float, maxx: float, maxy: float) -> str:
    ring = [[minx, miny], [maxx, miny], [maxx, maxy], [minx, maxy], [minx, miny]]
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


def _mercator(lat: float) -> float:
    return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def _drag(page: Page, start: tuple[float, float], end: tuple[float, float]) -> None:
    page.mouse.move(*start)
    page.mouse.down()
    page.mouse.move((start[0] + end[0]) / 2, (start[1] + end[1]) / 2, steps=4)
    page.mouse.move(*end, steps=4)
    page.mouse.up()


@pytest.fixture(scope="module")
def placed(live_portal: LivePortal) -> dict[str, dict[str, Any]]:
    editor = support.person("editor")
    org = support.organization("Region Hovedstaden", admins=[editor])
    found = {}
    for key, title, box in (
        ("copenhagen", "Støjmålinger i København", (12.45, 55.61, 12.65, 55.73)),
        ("aarhus", "Støjmålinger i Aarhus", (10.05, 56.10, 10.25, 56.22)),
    ):
        found[key] = support.act(
            editor,
            "package_create",
            name=f"noise-{key}",
            title=title,
            owner_org=org["id"],
            access_tier="open",
            license_id="cc-zero",
            spatial=_box(*box),
        )
    return found


@pytest.mark.parametrize(("prefix", "found"), [("", "found"), ("/da_DK", "fundet")])
def test_drawing_an_area_keeps_the_datasets_there(
    page: Page, live_portal: LivePortal, placed: dict[str, dict[str, Any]], prefix: str, found: str
) -> None:
    tiles: list[str] = []
    page.on("request", lambda request: tiles.append(request.url) if "tile" in request.url else None)
    page.goto(f"{prefix}/dataset/")
    expect(page.get_by_role("heading", name=re.compile(rf"^2 \S+ {found}"))).to_be_visible()

    page.locator("a.leaflet-control-custom-button").click()
    drawing = page.locator("#draw-map-container")
    expect(drawing).to_be_visible()
    # A first rectangle shows where the map's pixels lie on the earth (the form's ext_bbox
    # field takes its bounds); the second is drawn around Copenhagen from that.
    box = drawing.bounding_box()
    assert box is not None
    x1, y1 = box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.3
    x2, y2 = box["x"] + box["width"] * 0.7, box["y"] + box["height"] * 0.7
    _drag(page, (x1, y1), (x2, y2))
    minx, miny, maxx, maxy = (float(v) for v in page.locator("#ext_bbox").input_value().split(","))

    def pixel(lon: float, lat: float) -> tuple[float, float]:
        x = x1 + (lon - minx) / (maxx - minx) * (x2 - x1)
        y = y1 + (_mercator(maxy) - _mercator(lat)) / (_mercator(maxy) - _mercator(miny)) * (
            y2 - y1
        )
        return x, y

    page.locator(".modal a.leaflet-draw-draw-rectangle").click()
    _drag(page, pixel(12.2, 55.9), pixel(12.9, 55.4))
    minx, miny, maxx, maxy = (float(v) for v in page.locator("#ext_bbox").input_value().split(","))
    assert minx < 12.45 and maxx > 12.65 and miny < 55.61 and maxy > 55.73 and maxx < 13.5
    page.locator(".modal .btn-primary").click()

    expect(page).to_have_url(re.compile(r"ext_bbox=[-0-9.%C,]+"))
    expect(page.get_by_role("heading", name=re.compile(rf"^1 \S+ {found}"))).to_be_visible()
    expect(page.get_by_role("link", name=placed["copenhagen"]["title"])).to_be_visible()
    expect(page.get_by_role("link", name=placed["aarhus"]["title"])).to_have_count(0)
    # Every tile came from the portal itself.
    assert tiles and all(url.startswith(live_portal.url) for url in tiles), tiles
    support.assert_accessible(page)


def test_an_uploaded_geojson_file_is_previewed_on_a_map(
    page: Page, live_portal: LivePortal, placed: dict[str, dict[str, Any]]
) -> None:
    """ckanext-geoview's geojson_view, made by default for the upload, draws its features
    on the portal's own base map."""
    editor_name = placed["copenhagen"]["creator_user_id"]
    editor = helpers.call_action("user_show", id=editor_name)
    stations = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": name},
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
            }
            for name, lon, lat in (
                ("H.C. Andersens Boulevard", 12.5663, 55.6746),
                ("Jagtvej", 12.5560, 55.6950),
                ("Øster Søgade", 12.5768, 55.6890),
            )
        ],
    }
    resource = support.upload(
        editor,
        placed["copenhagen"],
        "stations.geojson",
        json.dumps(stations).encode(),
        name="Målestationer",
        format="GeoJSON",
    )
    views = helpers.call_action("resource_view_list", id=resource["id"])
    assert [v["view_type"] for v in views] == ["geojson_view"]
    tiles: list[str] = []
    page.on("request", lambda request: tiles.append(request.url) if "tile" in request.url else None)
    page.goto(f"/dataset/{placed['copenhagen']['name']}/resource/{resource['id']}")
    preview = page.frame_locator("iframe").first
    expect(preview.locator(".leaflet-marker-icon, path.leaflet-interactive")).to_have_count(3)
    assert tiles and all(url.startswith(live_portal.url) for url in tiles), tiles
    support.assert_accessible(page)
