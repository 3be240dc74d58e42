"""Map search (ckanext-spatial, backend solr-bbox, fields in solr/conf/schema.xml): a
search limited to a drawn area keeps the datasets whose geometry meets it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from ckan import plugins
from ckan.tests import factories, helpers

from ckanext.cityexchange.tests import queued

pytestmark = pytest.mark.module_plugins


def _box(minx: float, miny: float, maxx: float, maxy: float) -> str:
    ring = [[minx, miny], [maxx, miny], [maxx, maxy], [minx, maxy], [minx, miny]]
    return json.dumps({"type": "Polygon", "coordinates": [ring]})


# Areas as (min lon, min lat, max lon, max lat)
COPENHAGEN = (12.45, 55.61, 12.65, 55.73)
AARHUS = (10.05, 56.10, 10.25, 56.22)
ODENSE_POINT = json.dumps({"type": "Point", "coordinates": [10.39, 55.40]})
DENMARK = "8.0,54.5,15.2,57.8"


@pytest.fixture(scope="module")
def world(reset_portal_db: Any, reset_index: Any) -> Iterator[dict[str, str]]:
    plugins.load_all()
    reset_portal_db()
    reset_index()
    org = factories.Organization()
    names = {
        "copenhagen": factories.Dataset(
            owner_org=org["id"], title="Luftkvalitet i København", spatial=_box(*COPENHAGEN)
        )["name"],
        "aarhus": factories.Dataset(
            owner_org=org["id"], title="Luftkvalitet i Aarhus", spatial=_box(*AARHUS)
        )["name"],
        "odense": factories.Dataset(
            owner_org=org["id"], title="Cykelstier i Odense", spatial=ODENSE_POINT
        )["name"],
        "nowhere": factories.Dataset(owner_org=org["id"], title="Luftkvalitet uden sted")["name"],
    }
    yield names


def _found(**params: Any) -> set[str]:
    result = helpers.call_action("package_search", context={"user": ""}, rows=50, **params)
    return {d["name"] for d in result["results"]}


@pytest.mark.parametrize(
    ("bbox", "expected"),
    [
        ("12.5,55.65,12.6,55.7", {"copenhagen"}),  # inside Copenhagen's area
        ("12.0,55.0,13.0,56.0", {"copenhagen"}),  # around it
        ("10.0,56.0,10.3,56.3", {"aarhus"}),
        ("10.3,55.3,10.5,55.5", {"odense"}),  # a point inside
        (DENMARK, {"copenhagen", "aarhus", "odense"}),
        ("-10,40,-5,45", set()),  # elsewhere
    ],
)
def test_an_area_finds_the_datasets_whose_geometry_meets_it(
    world: dict[str, str], bbox: str, expected: set[str]
) -> None:
    assert _found(extras={"ext_bbox": bbox}) == {world[k] for k in expected}
    # Without the area, everything (the filter is what narrows it).
    assert len(_found()) == 4


def test_an_area_combines_with_words(world: dict[str, str]) -> None:
    assert _found(q="luftkvalitet", extras={"ext_bbox": DENMARK}) == {
        world["copenhagen"],
        world["aarhus"],
    }
    assert _found(q="luft", extras={"ext_bbox": "12.0,55.0,13.0,56.0"}) == {world["copenhagen"]}


@pytest.mark.parametrize("bbox", ["a,b,c,d", "1,2,3", "12.5,55.6,12.6", "", "999,999,1000,1000,1"])
def test_a_bad_area_is_a_client_error_never_a_500(
    world: dict[str, str], app: Any, bbox: str
) -> None:
    response = app.get("/dataset/", query_string={"ext_bbox": bbox})
    assert response.status_code in (200, 400)
    api = app.get("/api/3/action/package_search", query_string={"ext_bbox": bbox})
    assert api.status_code in (200, 400, 409)


def test_the_search_page_has_the_map_on_its_own_tiles(world: dict[str, str], app: Any) -> None:
    page = app.get("/dataset/").get_data(as_text=True)
    assert 'data-module="spatial-query"' in page and "/cityexchange/map-tile.png" in page
    page = app.get("/da_DK/dataset/").get_data(as_text=True)
    assert "Filtrér efter sted" in page
    assert app.get("/cityexchange/map-tile.png").status_code == 200


PLAYGROUNDS = json.dumps(
    {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"navn": "Byparken"},
                "geometry": {"type": "Point", "coordinates": [9.52, 55.70]},
            },
            {
                "type": "Feature",
                "properties": {"navn": "Nørreskoven"},
                "geometry": {"type": "Point", "coordinates": [9.56, 55.72]},
            },
        ],
    }
)
OFFER = {
    "id": "standard",
    "kind": "one_off",
    "amount": 125000,
    "currency": "DKK",
    "vat_included": True,
    "licence": "internal-use",
}


def test_an_open_geojson_file_places_its_dataset_on_the_map_a_locked_one_never(
    world: dict[str, str], create_with_upload: Any
) -> None:
    seller = factories.User()
    org = factories.Organization(users=[{"name": seller["name"], "capacity": "admin"}])
    context = {"user": seller["name"]}
    open_data = helpers.call_action(
        "package_create",
        context=dict(context),
        name="legepladser-vejle",
        title="Legepladser i Vejle",
        owner_org=org["id"],
        access_tier="open",
    )
    priced = helpers.call_action(
        "package_create",
        context=dict(context),
        name="legepladser-vejle-pris",
        title="Legepladser i Vejle (priced)",
        owner_org=org["id"],
        access_tier="open",
    )
    priced = helpers.call_action(
        "package_patch",
        context=dict(context),
        id=priced["id"],
        access_tier="priced",
        offers=[OFFER],
    )
    uploaded = []
    for dataset, access in ((open_data, ""), (priced, "locked")):
        resource = create_with_upload(
            PLAYGROUNDS,
            "legepladser.geojson",
            package_id=dataset["id"],
            url="legepladser.geojson",
            format="GeoJSON",
            access=access,
            context=dict(context),
        )
        uploaded.append(resource["id"])
    assert queued.perform({f"cityexchange spatial {rid}" for rid in uploaded}) == 2

    shown = helpers.call_action("package_show", context=dict(context), id=open_data["id"])
    assert json.loads(shown["spatial"])["type"] == "Polygon"
    assert open_data["name"] in _found(extras={"ext_bbox": "9.4,55.6,9.7,55.8"})
    # The locked file's extent is not the portal's to publish.
    assert not helpers.call_action("package_show", context=dict(context), id=priced["id"]).get(
        "spatial"
    )
    assert priced["name"] not in _found(extras={"ext_bbox": "9.4,55.6,9.7,55.8"})


def test_a_dataset_without_a_geometry_is_found_where_its_coverage_names(
    world: dict[str, str],
) -> None:
    org = factories.Organization()
    named = {
        "skanderborg": factories.Dataset(
            owner_org=org["id"], title="Badevand", spatial_coverage="Skanderborg Kommune"
        ),
        "region": factories.Dataset(
            owner_org=org["id"], title="Sygehuse", spatial_coverage="Region Nordjylland"
        ),
        "unknown": factories.Dataset(
            owner_org=org["id"], title="Byliv", spatial_coverage="Nørrebro"
        ),
        "own geometry": factories.Dataset(
            owner_org=org["id"],
            title="Havnebade",
            spatial_coverage="Skanderborg Kommune",
            spatial=_box(*COPENHAGEN),  # its own geometry wins
        ),
    }
    try:
        names = {k: d["name"] for k, d in named.items()}
        west_of_aarhus = _found(extras={"ext_bbox": "9.65,55.96,9.8,56.05"})
        assert west_of_aarhus & set(names.values()) == {names["skanderborg"]}
        assert names["region"] in _found(extras={"ext_bbox": "9.5,57.2,10.0,57.5"})
        assert names["own geometry"] in _found(extras={"ext_bbox": "12.5,55.65,12.6,55.7"})
        found_anywhere = _found(extras={"ext_bbox": DENMARK})
        assert names["unknown"] not in found_anywhere
        # the dataset itself is unchanged: the box is the index's alone
        shown = helpers.call_action("package_show", id=names["skanderborg"])
        assert not shown.get("spatial")
    finally:
        sysadmin = factories.Sysadmin()
        for dataset in named.values():
            helpers.call_action(
                "package_delete", context={"user": sysadmin["name"]}, id=dataset["id"]
            )
