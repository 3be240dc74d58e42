"""Several sources at once: faults at a source (a dataset that never answers, a broken
JSON body, a broken listing), the same datasets reached through two CKAN sources and a
DCAT catalog, hand-over when one source withdraws, and who may see and do what.
The CKAN answers come from the real stock peer; the faults from a proxy in front of it."""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ckan.plugins.toolkit as tk
import pytest
import sqlalchemy as sa
from ckan import model, plugins
from ckan.tests import factories, helpers

from ckanext.cityexchange import compat
from ckanext.cityharvest.model import Record
from ckanext.cityharvest.tests.peer import ROOT, Peer, reset_peer
from ckanext.cityharvest.tests.servers import FaultyProxy, StaticFiles
from ckanext.cityharvest.tests.test_harvest import harvested, run_source

sys.path.insert(0, str(ROOT / "test-data" / "opendata"))
import dcat as dcat_files

pytestmark = pytest.mark.module_plugins


@dataclass
class World:
    peer: Peer
    proxy: FaultyProxy
    files: StaticFiles
    folder: Path
    sysadmin: dict[str, Any]


def _site() -> dict[str, Any]:
    return {"user": helpers.call_action("get_site_user")["name"], "ignore_auth": False}


def load(*sources: dict[str, Any]) -> dict[str, Any]:
    return helpers.call_action("cityharvest_source_load", context=_site(), sources=list(sources))


@pytest.fixture(scope="module")
def world(reset_portal_db: Any, reset_index: Any, tmp_path_factory: Any) -> Iterator[World]:
    plugins.load_all()
    reset_portal_db()
    reset_index()
    peer = reset_peer()
    folder = tmp_path_factory.mktemp("dcat")
    proxy, files = FaultyProxy(peer.url), StaticFiles(folder)
    try:
        yield World(peer, proxy, files, folder, factories.Sysadmin())
    finally:
        proxy.close()
        files.close()
        compat.unload_plugins()


def test_a_timeout_and_invalid_json_are_reported_and_the_rest_imported(world: World) -> None:
    odense = world.peer.of("odense")
    hanging, garbled = odense[3], odense[7]
    world.proxy.hang.add(hanging["id"])
    world.proxy.garble.add(garbled["id"])
    load(
        {
            "name": "odense",
            "title": "Odense via proxy",
            "url": world.proxy.url,
            "type": "ckan",
            "config": {"include_organizations": ["odense"], "timeout": 1},
        }
    )

    result = run_source("odense")

    here = harvested("Odense via proxy")
    assert set(here) == {d["id"] for d in odense} - {hanging["id"], garbled["id"]}
    assert result["stats"]["added"] == len(odense) - 2 and result["stats"]["errored"] == 2
    (summary,) = [
        s
        for s in helpers.call_action("cityharvest_source_summary", context=_site())
        if s["name"] == "odense"
    ]
    messages = {e["guid"]: e["message"] for e in summary["last_run"]["errors"]}
    assert "no answer within 1 s" in messages[hanging["id"]]
    assert "not valid JSON" in messages[garbled["id"]]
    assert all(e["stage"] == "Fetch" for e in summary["last_run"]["errors"])

    # A listing that breaks half-way withdraws nothing.
    world.proxy.garble_listing = True
    broken = run_source("odense")
    assert broken["gather_errors"] and "not valid JSON" in broken["gather_errors"][0]
    assert set(harvested("Odense via proxy")) == set(here)

    # Once the source answers again, the two missing datasets arrive.
    world.proxy.garble_listing = False
    world.proxy.hang.clear()
    world.proxy.garble.clear()
    healed = run_source("odense")
    assert healed["stats"]["added"] == 2 and healed["stats"].get("errored", 0) == 0
    assert set(harvested("Odense via proxy")) == {d["id"] for d in odense}


def test_an_unreachable_source_is_a_gather_error_not_a_crash(world: World) -> None:
    load({"name": "nowhere", "title": "Nowhere", "url": "http://127.0.0.1:9", "type": "ckan"})
    result = run_source("nowhere")
    assert result["status"] == "Finished" and result["objects"] == 0
    assert "could not connect" in result["gather_errors"][0]


def _write_dcat(
    world: World,
    datasets: list[dict[str, Any]],
    extra: int,
    name: str = "catalog.ttl",
    modified: str = "2026-01-01T00:00:00",
) -> str:
    graph = dcat_files.graph(datasets + dcat_files.extra_datasets(extra), world.files.url, modified)
    fmt = "json-ld" if name.endswith(".jsonld") else "turtle"
    (world.folder / name).write_text(graph.serialize(format=fmt), encoding="utf-8")
    return f"{world.files.url}/{name}"


def test_two_sources_and_a_dcat_catalog_sharing_datasets_make_no_duplicates(world: World) -> None:
    peer = world.peer
    load(
        {
            "name": "west",
            "title": "Vestdanmark",
            "url": peer.url,
            "type": "ckan",
            "config": {"include_organizations": ["odense", "aarhus"]},
        }
    )
    west = run_source("west")
    odense, aarhus = {d["id"] for d in peer.of("odense")}, {d["id"] for d in peer.of("aarhus")}
    assert west["stats"]["added"] == len(aarhus)  # Odense's came from the first source
    assert west["stats"]["not modified"] == len(odense)

    url = _write_dcat(world, peer.of("aarhus") + peer.of("vejle"), extra=5, name="catalog.jsonld")
    load(
        {
            "name": "region",
            "title": "Regionens DCAT",
            "url": url,
            "type": "dcat",
            "config": {
                "rdf_format": "json-ld",
                "organizations": {
                    "Aarhus Kommune": "aarhus",
                    "Vejle Kommune": "vejle",
                    "Region Midtjylland": "region-midtjylland",
                },
            },
        }
    )
    region = run_source("region")
    vejle = {d["id"] for d in peer.of("vejle")}
    assert region["stats"]["added"] == len(vejle) + 5
    assert region["stats"]["not modified"] == len(aarhus)

    here = harvested()
    expected = odense | aarhus | vejle
    assert expected <= set(here) and len(here) == len(expected) + 5
    titles = [p.title for p in here.values()]
    assert len(titles) == len(set(titles))
    # One importing source per dataset; the others are recorded beside it.
    owners = model.Session.query(Record.identity).filter(Record.owner.is_(True)).all()
    assert len(owners) == len({o for (o,) in owners})
    shared = next(iter(aarhus))
    records = helpers.call_action("cityharvest_record_list", id=shared)
    assert [r["source_title"] for r in records] == ["Vestdanmark", "Regionens DCAT"]
    assert records[0]["owner"] is True and records[1]["owner"] is False


def test_a_dcat_dataset_in_the_suite_schema(world: World) -> None:
    extra = dcat_files.extra_datasets(1)[0]
    local = helpers.call_action("package_show", id=extra["id"])
    assert local["organization"]["name"] == "region-midtjylland"
    assert local["license_id"] == "cc-zero"
    assert {t["name"] for t in local["tags"]} == {"trafik", "busser", "kollektiv trafik rejser"}
    assert local["update_frequency"] == "weekly"
    assert local["resources"][0]["url"] == extra["resources"][0]["url"]
    assert local["resources"][0]["format"] == "GeoJSON"
    assert local["cityharvest_source"] == "Regionens DCAT"
    assert local["cityharvest_remote_url"].endswith(f"/dataset/{extra['name']}")


def test_a_dcat_catalog_is_followed_too(world: World) -> None:
    peer = world.peer
    datasets = peer.of("aarhus") + peer.of("vejle")
    url = _write_dcat(world, datasets, extra=4, name="catalog.jsonld")  # busruter 4 removed
    result = run_source("region")
    assert result["stats"]["deleted"] == 1 and result["stats"].get("updated", 0) == 0
    gone = dcat_files.extra_datasets(5)[4]
    assert model.Package.get(gone["id"]).state == "deleted"

    changed = dict(datasets[0], title="Ændret titel i kataloget", modified="2026-02-01T00:00:00")
    vejle_changed = next(d for d in datasets if d["owner_org"] == "vejle")
    vejle_changed = dict(vejle_changed, title="Vejle, ændret", modified="2026-02-01T00:00:00")
    rest = [d for d in datasets if d["id"] not in (changed["id"], vejle_changed["id"])]
    _write_dcat(world, [changed, vejle_changed, *rest], extra=4, name="catalog.jsonld")
    assert url.endswith("catalog.jsonld")
    again = run_source("region")
    # Aarhus' dataset is imported by "west": the catalog's change is recorded, not applied.
    assert again["stats"]["updated"] == 1 and again["stats"]["not modified"] == 1
    assert helpers.call_action("package_show", id=vejle_changed["id"])["title"] == "Vejle, ændret"
    assert helpers.call_action("package_show", id=changed["id"])["title"] == datasets[0]["title"]


def test_a_source_that_lets_go_hands_its_datasets_to_another(world: World) -> None:
    peer = world.peer
    aarhus = {d["id"] for d in peer.of("aarhus")}
    load(
        {
            "name": "west",
            "title": "Vestdanmark",
            "url": peer.url,
            "type": "ckan",
            "config": {"include_organizations": ["odense"]},
        }
    )
    result = run_source("west")
    assert result["stats"]["deleted"] == len(aarhus)
    for package_id in aarhus:
        assert model.Package.get(package_id).state == "active"
        (owner,) = (
            model.Session.query(Record)
            .filter(Record.package_id == package_id, Record.owner.is_(True))
            .all()
        )
        assert owner.source_id == helpers.call_action("harvest_source_show", id="region")["id"]
    # The heir imports them at its next run, under its own name.
    run_source("region")
    shared = next(iter(aarhus))
    assert helpers.call_action("package_show", id=shared)["cityharvest_source"] == "Regionens DCAT"


def test_a_broken_catalog_reports_an_error_and_withdraws_nothing(world: World) -> None:
    before = set(harvested("Regionens DCAT"))
    (world.folder / "catalog.jsonld").write_text('{"@context": {"dcat": ', encoding="utf-8")
    result = run_source("region")
    assert result["gather_errors"]
    assert set(harvested("Regionens DCAT")) == before


@pytest.mark.parametrize(
    "action",
    [
        "cityharvest_source_load",
        "cityharvest_source_run",
        "cityharvest_dataset_import",
        "cityharvest_dataset_withdraw",
    ],
)
@pytest.mark.parametrize("persona", ["anonymous", "user", "org_admin"])
def test_only_sysadmins_manage_harvesting(world: World, action: str, persona: str) -> None:
    if persona == "anonymous":
        user = ""
    elif persona == "user":
        user = factories.User()["name"]
    else:
        user = factories.User()["name"]
        factories.Organization(users=[{"name": user, "capacity": "admin"}])
    with pytest.raises(tk.NotAuthorized):
        helpers.call_auth(
            action,
            {"user": user, "model": model},
            id="odense",
            source_id="x",
            remote_id="y",
            remote={},
            sources=[],
        )


def test_the_status_page_shows_runs_to_all_and_errors_to_admins(world: World, app: Any) -> None:
    world.proxy.hang.add(world.peer.of("odense")[0]["id"])
    helpers.call_action("dataset_purge", id=world.peer.of("odense")[0]["id"])
    run_source("odense")
    world.proxy.hang.clear()
    anonymous = app.get("/harvest-status")
    assert anonymous.status_code == 200
    body = anonymous.body
    assert "Odense via proxy" in body and "Regionens DCAT" in body and "Last run" in body
    assert "no answer within" not in body
    admin = app.get(
        "/harvest-status",
        headers={
            "Authorization": helpers.call_action(
                "api_token_create",
                context={"user": world.sysadmin["name"]},
                user=world.sysadmin["name"],
                name="t",
            )["token"]
        },
    )
    assert "no answer within 1 s" in admin.body
    summary = helpers.call_action(
        "cityharvest_source_summary", context={"user": "", "ignore_auth": False}
    )
    assert all(s["last_run"] is None or s["last_run"]["errors"] is None for s in summary)


def test_a_harvested_dataset_page_names_its_sources(world: World, app: Any) -> None:
    shared = world.peer.of("aarhus")[0]
    page = app.get(f"/dataset/{shared['name']}")
    assert page.status_code == 200
    assert "Harvested from" in page.body and "Regionens DCAT" in page.body
    assert f"/dataset/{shared['name']}" in page.body


def test_provenance_cannot_be_written_by_editors(world: World) -> None:
    editor = factories.User()
    org = factories.Organization(users=[{"name": editor["name"], "capacity": "editor"}])
    context = {"user": editor["name"], "ignore_auth": False}
    created = helpers.call_action(
        "package_create",
        context=context,
        name="egne-data",
        title="Egne data",
        owner_org=org["id"],
        access_tier="open",
        cityharvest_source="opendata.dk",
        cityharvest_remote_url="https://www.opendata.dk/dataset/x",
    )
    assert "cityharvest_source" not in created and "cityharvest_remote_url" not in created
    # An edit of a harvested dataset that leaves provenance out keeps it.
    odense = world.peer.of("odense")[1]
    dataset = helpers.call_action("package_show", id=odense["id"])
    kept = {k: v for k, v in dataset.items() if not k.startswith("cityharvest_")}
    updated = helpers.call_action(
        "package_update", context={"user": world.sysadmin["name"]}, **kept
    )
    assert updated["cityharvest_source"] == "Odense via proxy"
    assert json.dumps(updated).count("cityharvest_remote_id") == 1


@pytest.mark.ckan_config("ckanext.gdprcheck.harvest_sample_bytes", 1048576)
def test_personal_data_in_a_harvested_file_is_shown_to_the_operator(world: World, app: Any) -> None:
    """ckanext-gdprcheck samples the harvested CSV in CKAN's worker; the status page lists
    what it found for sysadmins only. The source's dataset stays published as it is."""
    import subprocess
    from pathlib import Path

    (world.folder / "borgere.csv").write_text(
        "navn,email,telefon\n"
        + "".join(f"Person {i},person{i}@example.dk,+45 2{i:07d}\n" for i in range(20)),
        encoding="utf-8",
    )
    dataset = dict(
        dcat_files.extra_datasets(1)[0],
        id="3f0c9a52-7d41-4e55-9a1e-5b0f4c2d8e71",
        name="borgerliste-til-test",
        title="Borgerliste",
    )
    dataset["resources"] = [
        {"name": "Borgere", "format": "CSV", "url": f"{world.files.url}/borgere.csv"}
    ]
    url = _write_dcat(world, [dataset], extra=0, name="borgere.jsonld")
    load(
        {
            "name": "borger",
            "title": "Borgerkilden",
            "url": url,
            "type": "dcat",
            "config": {
                "rdf_format": "json-ld",
                "organizations": {"Region Midtjylland": "region-midtjylland"},
            },
        }
    )
    assert run_source("borger")["stats"]["added"] == 1
    ckan = Path(sys.executable).parent / "ckan"
    worker = subprocess.run(
        [str(ckan), "-c", tk.config["__file__"], "jobs", "worker", "--burst"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert worker.returncode == 0 and "gdprcheck sample" in worker.stderr, worker.stderr[-2000:]

    token = helpers.call_action(
        "api_token_create",
        context={"user": world.sysadmin["name"]},
        user=world.sysadmin["name"],
        name="t",
    )["token"]
    operator = app.get("/harvest-status", headers={"Authorization": token}).body
    assert "Personal data found in samples of harvested files" in operator
    section = operator[operator.index('id="source-borger"') :]
    assert "Borgerliste" in section and "E-mail addresses" in section
    anonymous = app.get("/harvest-status").body
    assert "Borgerkilden" in anonymous and "Personal data found" not in anonymous
    [mine] = [
        s
        for s in helpers.call_action("cityharvest_source_summary", context={"user": ""})
        if s["name"] == "borger"
    ]
    assert mine["personal_data"] is None  # not the operator
    local = helpers.call_action("package_show", id=dataset["id"])
    assert local["resources"][0]["url"].endswith("/borgere.csv")  # nothing withheld


# DCAT-AP-DK's official example, and the same dataset as a portal that declares personal
# data would publish it (DCAT-AP-DK's category, W3C DPV's legal basis, purpose and
# controller) under a licence this portal does not know.
OFFICIAL_EXAMPLE = ROOT / "test-data" / "dcat-ap-dk" / "extended-example1.ttl"
DECLARED = """
@prefix dpv: <https://w3id.org/dpv#> .
ex:dataset-002
  a dcat:Dataset ;
  dct:title "Parkeringstilladelser"@da ;
  dct:description "Tilladelser pr. adresse"@da ;
  dct:publisher ex:agent-001 ;
  dct:license <https://kommune.example.dk/egen-licens> ;
  <https://data.gov.dk/model/core/dcat-dk/personalDataCategory>
    <https://data.gov.dk/concept/core/personaldata-type/GeneralPersonalData> ;
  dpv:hasLegalBasis <https://w3id.org/dpv/legal/eu/gdpr#A6-1-e> ;
  dpv:hasPurpose "Parkeringskontrol" ;
  dpv:hasDataController [ a dpv:DataController ; foaf:name "Københavns Kommune" ] ;
  dcat:distribution ex:dataset-002-csv .
ex:dataset-002-csv
  a dcat:Distribution ;
  dcat:accessURL <http://www.example.org/files/002.csv> ;
  dct:license <https://kommune.example.dk/egen-licens> ;
  dct:format <http://publications.europa.eu/resource/authority/file-type/CSV> .
ex:catalog dcat:dataset ex:dataset-002 .
"""


def _record(source_name: str, remote_id: str) -> Record:
    source = helpers.call_action("harvest_source_show", id=source_name)
    record = model.Session.get(Record, (source["id"], remote_id))
    assert record is not None, remote_id
    return record


def test_the_official_dcat_ap_dk_example_is_harvested_with_its_facts(
    world: World, app: Any
) -> None:
    text = OFFICIAL_EXAMPLE.read_text(encoding="utf-8")
    (world.folder / "dk-example.ttl").write_text(text + DECLARED, encoding="utf-8")
    load(
        {
            "name": "digst-eksempel",
            "title": "DCAT-AP-DK-eksemplet",
            "url": f"{world.files.url}/dk-example.ttl",
            "type": "dcat",
            "config": {"rdf_format": "turtle"},
        }
    )
    result = run_source("digst-eksempel")
    assert result["counts"]["added"] == 2 and result["counts"]["errors"] == 0, result

    example = _record("digst-eksempel", "https://dcat.example.org/dataset-001")
    local = helpers.call_action("package_show", id=example.package_id)
    assert local["title"] == "Datasæt 001"
    assert local["license_id"] == "cc-zero"
    assert local["update_frequency"] == "yearly"
    assert (local["maintainer"], local["maintainer_email"]) == (
        "Kontaktpunktnavn",
        "kontakt@digst.dk",
    )
    assert local["organization"]["title"] == "Organisation 001"  # the publisher
    assert local["spatial_uri"] == "http://publications.europa.eu/resource/authority/country/DNK"
    assert local["spatial_coverage"] == "Danmark"
    assert local["language"] == ["da"]
    assert [g["name"] for g in local["groups"]] == ["government-public-sector"]
    # The example declares nothing about personal data, and says so everywhere.
    assert not local.get("gdpr_personal_data") and local["gdpr_declared_by"] == "source"
    status = helpers.call_action("gdprcheck_status_show", id=local["id"])
    assert status["status"] == "not_declared"
    found = helpers.call_action(
        "package_search",
        fq="gdprcheck_status:not_declared",
        rows=1000,
        **{"facet.field": '["gdprcheck_status"]'},
    )
    assert local["id"] in {d["id"] for d in found["results"]}
    facet = {i["name"]: i for i in found["search_facets"]["gdprcheck_status"]["items"]}
    assert facet["not_declared"]["display_name"] == "Personal data not declared by the source"
    page = app.get(f"/dataset/{local['name']}").body
    assert "not declared by the source portal" in page and "No personal data" not in page
    # The buyers' facets: how often and where.
    faceted = helpers.call_action(
        "package_search",
        fq=f'id:"{local["id"]}"',
        **{"facet.field": '["update_frequency", "spatial_coverage", "groups"]'},
    )
    items = {
        field: {(i["name"], i["display_name"]) for i in faceted["search_facets"][field]["items"]}
        for field in ("update_frequency", "spatial_coverage", "groups")
    }
    assert items["update_frequency"] == {("yearly", "Yearly")}
    assert items["spatial_coverage"] == {("Danmark", "Danmark")}
    assert {name for name, _ in items["groups"]} == {"government-public-sector"}
    assert "Update frequency" in app.get("/dataset/").body

    declared = _record("digst-eksempel", "https://dcat.example.org/dataset-002")
    local = helpers.call_action("package_show", id=declared.package_id)
    assert {k: local.get(k) for k in ("gdpr_personal_data", "gdpr_category")} == {
        "gdpr_personal_data": "personal",
        "gdpr_category": "General",
    }
    assert local["gdpr_legal_basis"] == "6.1.e"
    assert local["gdpr_purpose"] == "Parkeringskontrol"
    assert local["gdpr_controller"] == "Københavns Kommune"
    assert not local["private"]  # published by its source: the gate is for this portal's own
    # A licence this portal does not know: "not specified" here, and named for the operator.
    assert local["license_id"] == "notspecified"
    assert declared.unmapped_licence == "https://kommune.example.dk/egen-licens"
    (summary,) = [
        s
        for s in helpers.call_action("cityharvest_source_summary", context=_site())
        if s["name"] == "digst-eksempel"
    ]
    assert summary["unmapped_licences"] == [
        {
            "licence": "https://kommune.example.dk/egen-licens",
            "count": 1,
            "datasets": [{"name": local["name"], "title": "Parkeringstilladelser"}],
        }
    ]
    status_page = app.get("/harvest-status").body
    assert "https://kommune.example.dk/egen-licens" in status_page
    # After a mapping change, a refresh imports what did not change at the source.
    assert run_source("digst-eksempel")["counts"]["unchanged"] == 2
    refreshed = run_source("digst-eksempel", refresh=True)
    assert refreshed["counts"]["updated"] == 2 and refreshed["counts"]["unchanged"] == 0


def test_an_editor_cannot_pass_their_own_dataset_off_as_declared_by_a_source(
    world: World,
) -> None:
    org = factories.Organization()
    editor = factories.User()
    helpers.call_action(
        "organization_member_create",
        context={"user": world.sysadmin["name"]},
        id=org["id"],
        username=editor["name"],
        role="editor",
    )
    with pytest.raises(tk.ValidationError) as error:
        helpers.call_action(
            "package_create",
            context={"user": editor["name"]},
            name="egen-persondata",
            title="Egne persondata",
            owner_org=org["id"],
            access_tier="open",
            gdpr_declared_by="source",
        )
    assert "gdpr_declared_by" in error.value.error_dict


def test_two_portals_republishing_without_identifiers_import_each_dataset_once(
    world: World, app: Any, cli: Any
) -> None:
    """A second stock CKAN republishes 25 of the first one's datasets under its own ids,
    with no identifier (as Danish portals do), one dataset with the same title and other
    files, and one with a similar title. Each shared dataset is imported once; the
    similar one stays a dataset of its own; the uncertain pair is listed, and merged only
    when the operator says so."""
    from ckan.cli.cli import ckan

    from ckanext.cityharvest.model import Match

    second = reset_peer("CDX_PEER2_INFO")
    shared, (uncertain, different) = second.datasets[:25], second.datasets[25:]
    load(
        {
            "name": "kommuner-a",
            "title": "Kommunernes portal",
            "url": world.peer.url,
            "type": "ckan",
            "config": {"include_organizations": ["aalborg", "frederiksberg"]},
        },
        {"name": "kommuner-b", "title": "Genudgiveren", "url": second.url, "type": "ckan"},
    )
    first = run_source("kommuner-a")
    # Frederiksberg's holds the catalog's one broken dataset.
    assert first["counts"]["added"] > 25 and first["counts"]["errors"] == 1
    again = run_source("kommuner-b")
    assert again["counts"] == {
        "added": 2,
        "updated": 0,
        "withdrawn": 0,
        "unchanged": 0,
        "shared": 25,
        "errors": 0,
    }, again
    for twin in shared:
        original = next(d for d in world.peer.datasets if d["name"] == twin["name"])
        assert twin["id"] != original["id"]
        record = model.Session.get(Record, (_source_id("kommuner-b"), twin["id"]))
        assert record is not None and not record.owner and record.package_id == original["id"]
        assert model.Package.get(twin["id"]) is None  # not imported a second time
        assert {
            r["source_title"]
            for r in helpers.call_action("cityharvest_record_list", id=original["id"])
        } == {"Kommunernes portal", "Genudgiveren"}
    own = harvested("Genudgiveren")
    assert {p.title for p in own.values()} == {uncertain["title"], different["title"]}
    # The similar title with other files: a dataset of its own, and no pair to decide on.
    kept_apart = model.Session.get(Record, (_source_id("kommuner-b"), different["id"]))
    assert kept_apart.owner and model.Package.get(kept_apart.package_id).title == different["title"]
    pairs = helpers.call_action("cityharvest_match_list", context=_site())
    assert not [p for p in pairs if p["dataset"]["id"] == kept_apart.package_id]
    # Same publisher and title, other files: imported, and listed for the operator.
    listed = model.Session.get(Record, (_source_id("kommuner-b"), uncertain["id"]))
    assert listed.owner
    original = next(d for d in world.peer.datasets if d["name"] == uncertain["name"])
    (pair,) = [
        p
        for p in pairs
        if p["dataset"]["id"] == listed.package_id and p["candidate"]["id"] == original["id"]
    ]
    operator = {"Authorization": _token(world.sysadmin["name"])}
    page = app.get("/harvest-status", headers=operator).body
    assert "Possible duplicates" in page and pair["dataset"]["title"] in page
    assert "Possible duplicates" not in app.get("/harvest-status").body
    # A run again finds the same pair, and lists it once.
    run_source("kommuner-b")
    assert model.Session.query(Match).filter_by(package_id=listed.package_id).count() >= 1
    assert (
        len(
            [
                p
                for p in helpers.call_action("cityharvest_match_list", context=_site())
                if p["id"] == pair["id"]
            ]
        )
        == 1
    )

    # The operator merges the pair from the status page: the copy's old address leads to
    # the dataset kept, which both sources now reach.
    old_name = pair["dataset"]["name"]
    response = app.post(
        f"/harvest-status/pair/{pair['id']}",
        data={"decision": "merge"},
        headers=operator,
        follow_redirects=False,
    )
    assert response.status_code == 302
    model.Session.remove()
    assert model.Package.get(listed.package_id).state == "deleted"
    moved = app.get(f"/dataset/{old_name}", follow_redirects=False)
    assert moved.status_code == 301 and moved.location.endswith(f"/dataset/{original['name']}")
    assert app.get(f"/dataset/{original['name']}").status_code == 200
    after = run_source("kommuner-b")
    assert after["counts"]["added"] == 0 and after["counts"]["errors"] == 0
    record = model.Session.get(Record, (_source_id("kommuner-b"), uncertain["id"]))
    assert not record.owner and record.package_id == original["id"]

    # Duplicates imported before copies were recognised: merged by the command, and the
    # old address still leads to the dataset.
    twin = shared[0]
    record = model.Session.get(Record, (_source_id("kommuner-b"), twin["id"]))
    duplicate = helpers.call_action(
        "package_create",
        context=_site(),
        name=twin["name"] + "-2",
        title=twin["title"],
        owner_org=model.Package.get(record.package_id).owner_org,
        access_tier="open",
        gdpr_personal_data="none",
        resources=[{"url": r["url"], "name": r["name"]} for r in twin["resources"]],
    )
    record.owner, record.package_id, record.identity = True, duplicate["id"], twin["id"]
    record.publisher_key, record.title_key, record.urls = "", "", []
    model.Session.commit()
    dry = cli.invoke(ckan, ["cityharvest", "merge-duplicates", "--dry-run"])
    assert f"would merge {twin['name']}-2 into {twin['name']}" in dry.output, dry.output
    assert model.Package.get(duplicate["id"]).state == "active"
    done = cli.invoke(ckan, ["cityharvest", "merge-duplicates"])
    assert done.exit_code == 0 and f"merged {twin['name']}-2 into {twin['name']}" in done.output
    model.Session.remove()
    assert model.Package.get(duplicate["id"]).state == "deleted"
    moved = app.get(f"/dataset/{twin['name']}-2", follow_redirects=False)
    assert moved.status_code == 301 and moved.location.endswith(f"/dataset/{twin['name']}")
    again = cli.invoke(ckan, ["cityharvest", "merge-duplicates"])
    assert "0 merged" in again.output


def _source_id(name: str) -> str:
    return helpers.call_action("harvest_source_show", id=name)["id"]


def _token(user: str) -> str:
    return helpers.call_action("api_token_create", context={"user": user}, user=user, name="t")[
        "token"
    ]


def test_a_paged_dcat_feed_is_gathered_page_by_page(world: World) -> None:
    """A Hydra-paged catalog of 6 pages: each page's datasets are stored as harvest
    objects before the next page is asked for (only ids and stamps are kept in memory),
    a broken page stops the listing without withdrawing anything, and the next run
    picks up the rest."""
    from ckanext.harvest.model import HarvestObject

    datasets = []
    for number, base in enumerate(dcat_files.extra_datasets(60)):
        name = f"sidetal-{number:03d}"
        datasets.append(
            dict(
                base,
                id=str(uuid.uuid5(uuid.NAMESPACE_URL, name)),
                name=name,
                title=f"Sidedelt datasæt {number}",
            )
        )
    pages = dcat_files.paged(datasets, world.files.url, size=10, stem="sider")
    for filename, graph in pages:
        (world.folder / filename).write_text(graph.serialize(format="turtle"), encoding="utf-8")
    stored_before: dict[str, int] = {}

    def probe(path: str) -> None:
        if path.startswith("/sider-"):
            with model.meta.engine.connect() as connection:  # another connection: committed rows
                stored_before[path] = connection.execute(
                    sa.select(sa.func.count())
                    .select_from(HarvestObject.__table__)
                    .where(HarvestObject.__table__.c.guid.in_([d["id"] for d in datasets]))
                ).scalar_one()

    load(
        {
            "name": "sidedelt",
            "title": "Sidedelt katalog",
            "url": f"{world.files.url}/sider-1.ttl",
            "type": "dcat",
            "config": {"rdf_format": "turtle"},
        }
    )
    broken = world.folder / "sider-4.ttl"
    good = broken.read_text(encoding="utf-8")
    broken.write_text("@prefix dcat: <http://www.w3.org/ns/dcat#> . this is not turtle", "utf-8")
    world.files.on_request = probe
    try:
        first = run_source("sidedelt")
        assert first["counts"]["added"] == 30 and first["counts"]["withdrawn"] == 0
        assert any("sider-4.ttl" in e for e in first["gather_errors"])
        # Pages 1-3 were stored as they came: 0, 10, 20 objects before pages 1, 2, 3 (4).
        assert [stored_before[f"/sider-{n}.ttl"] for n in (1, 2, 3, 4)] == [0, 10, 20, 30]
        broken.write_text(good, encoding="utf-8")
        stored_before.clear()
        second = run_source("sidedelt")
    finally:
        world.files.on_request = None
    assert second["counts"] == {
        "added": 30,
        "updated": 0,
        "withdrawn": 0,
        "unchanged": 30,
        "shared": 0,
        "errors": 0,
    }
    assert [stored_before[f"/sider-{n}.ttl"] for n in (4, 5, 6)] == [30, 40, 50]
    assert {d["id"] for d in datasets} <= set(harvested("Sidedelt katalog"))


def test_a_harvested_geometry_is_kept_and_a_bad_one_refused(world: World) -> None:
    """ckanext-spatial's ``spatial`` extra at a source becomes the dataset's geometry here
    (for map search); the schema refuses anything that is not a GeoJSON geometry."""
    polygon = {
        "type": "Polygon",
        "coordinates": [[[10.1, 56.1], [10.3, 56.1], [10.1, 56.2], [10.1, 56.1]]],
    }
    dataset = dict(dcat_files.extra_datasets(1)[0], name="geometri", id=str(uuid.uuid4()))
    remote = dict(dataset, extras=[{"key": "spatial", "value": json.dumps(polygon, indent=1)}])
    load(
        {
            "name": "geo-kilde",
            "title": "Geokilden",
            "url": world.peer.url,
            "type": "ckan",
            "config": {"timeout": 9},
        }
    )
    result = helpers.call_action(
        "cityharvest_dataset_import",
        context=_site(),
        source_id=_source_id("geo-kilde"),
        remote=remote,
    )
    local = helpers.call_action("package_show", id=result["package_id"])
    assert json.loads(local["spatial"]) == polygon and " " not in local["spatial"]
    for bad in ('{"type": "Polygon"}', "Aarhus", '{"type": "Feature"}'):
        with pytest.raises(tk.ValidationError) as error:
            helpers.call_action("package_patch", context=_site(), id=local["id"], spatial=bad)
        assert "spatial" in error.value.error_dict


@pytest.mark.ckan_config("ckanext.gdprcheck.gate", "enforce")
def test_an_editor_who_changes_a_harvested_dataset_publishes_it_here(world: World) -> None:
    """A harvested dataset whose source declared nothing stays public as the source's;
    once an editor of its organisation changes it here (a field, a file), it is theirs:
    "declared by the publisher", and the gate wants the checklist."""
    dataset = dict(dcat_files.extra_datasets(1)[0], name="redigeret", id=str(uuid.uuid4()))
    # ckanext-harvest allows one source per URL and configuration.
    load(
        {
            "name": "redigering",
            "title": "Redigering",
            "url": world.peer.url,
            "type": "ckan",
            "config": {"timeout": 7},
        }
    )
    result = helpers.call_action(
        "cityharvest_dataset_import",
        context=_site(),
        source_id=_source_id("redigering"),
        remote=dataset,
    )
    local = helpers.call_action("package_show", id=result["package_id"])
    assert local["gdpr_declared_by"] == "source" and not local["private"]
    editor = factories.User()
    helpers.call_action(
        "organization_member_create",
        context={"user": world.sysadmin["name"]},
        id=local["owner_org"],
        username=editor["name"],
        role="editor",
    )
    for change in (
        lambda: helpers.call_action(
            "package_patch", context={"user": editor["name"]}, id=local["id"], notes="Ændret"
        ),
        lambda: helpers.call_action(
            "resource_create",
            context={"user": editor["name"]},
            package_id=local["id"],
            url="https://example.dk/borgere.csv",
            name="Borgere",
        ),
    ):
        with pytest.raises(tk.ValidationError) as error:
            change()
        assert "gdpr_personal_data" in error.value.error_dict
    assert helpers.call_action("package_show", id=local["id"])["gdpr_declared_by"] == "source"
    helpers.call_action(
        "package_patch",
        context={"user": editor["name"]},
        id=local["id"],
        notes="Ændret",
        gdpr_personal_data="none",
    )
    assert helpers.call_action("package_show", id=local["id"])["gdpr_declared_by"] == "publisher"
