"""Harvesting a real, stock CKAN portal (the peer, 240 datasets across seven
Danish municipalities and a region, 20 of them private): first run, provenance and
mapping, the source facet, a run without changes, and a run after changes at the
source. The tests share one harvest and run in order."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from ckan import model, plugins
from ckan.tests import factories, helpers

from ckanext.cityexchange import compat
from ckanext.cityharvest.tests.peer import Peer, reset_peer

pytestmark = pytest.mark.module_plugins
SOURCE_TITLE = "Kommunernes portal"


@dataclass
class Harvest:
    peer: Peer
    source: dict[str, Any]
    first: dict[str, Any]


def _site() -> dict[str, Any]:
    return {"user": helpers.call_action("get_site_user")["name"], "ignore_auth": False}


def run_source(name: str, **data: Any) -> dict[str, Any]:
    result = helpers.call_action("cityharvest_source_run", context=_site(), id=name, **data)
    model.Session.remove()
    return result


def harvested(source_title: str | None = None) -> dict[str, model.Package]:
    """Active datasets here that came from a harvest source, by id."""
    ids = compat.package_ids_with_extra(
        "cityharvest_source", [source_title] if source_title else None
    )
    query = model.Session.query(model.Package).filter(
        model.Package.id.in_(ids), model.Package.state == "active"
    )
    return {p.id: p for p in query}


@pytest.fixture(scope="module")
def harvest(reset_portal_db: Any, reset_index: Any) -> Iterator[Harvest]:
    plugins.load_all()
    reset_portal_db()
    reset_index()
    peer = reset_peer()
    loaded = helpers.call_action(
        "cityharvest_source_load",
        context=_site(),
        sources=[
            {
                "name": "kommuner",
                "title": SOURCE_TITLE,
                "url": peer.url,
                "type": "ckan",
                "frequency": "DAILY",
            }
        ],
    )
    assert loaded["created"] == ["kommuner"]
    source = helpers.call_action("harvest_source_show", id="kommuner")
    first = run_source("kommuner")  # 219 objects: imported by two worker processes
    yield Harvest(peer, source, first)
    compat.unload_plugins()


def test_first_harvest_imports_exactly_the_public_datasets(harvest: Harvest) -> None:
    expected = {d["id"] for d in harvest.peer.public} - {harvest.peer.broken["id"]}
    private = {d["id"] for d in harvest.peer.datasets if d["private"]}
    here = harvested(SOURCE_TITLE)
    assert len(harvest.peer.datasets) == 240 and len(private) == 20
    assert set(here) == expected
    assert not {
        pid
        for (pid,) in model.Session.query(model.Package.id).filter(model.Package.id.in_(private))
    }
    stats = harvest.first["stats"]
    assert stats["added"] == len(expected) == 219
    assert stats["errored"] == 1
    assert harvest.first["status"] == "Finished"
    assert harvest.first["counts"] == {
        "added": 219,
        "updated": 0,
        "withdrawn": 0,
        "unchanged": 0,
        "shared": 0,
        "errors": 1,
    }


def test_every_harvested_dataset_carries_its_provenance_in_search(harvest: Harvest) -> None:
    found = helpers.call_action(
        "package_search", fq=f'cityharvest_source:"{SOURCE_TITLE}"', rows=1000
    )
    assert found["count"] == len(harvested(SOURCE_TITLE)) == 219
    for dataset in found["results"]:
        extras = {e["key"]: e["value"] for e in dataset.get("extras") or []}
        assert extras.get("harvest_source_id") == harvest.source["id"], dataset["name"]
        assert dataset["cityharvest_source_url"] == harvest.peer.url


def test_a_broken_dataset_is_reported_by_name_and_field(harvest: Harvest) -> None:
    summary = helpers.call_action("cityharvest_source_summary", context=_site())
    (source,) = [s for s in summary if s["name"] == "kommuner"]
    assert source["datasets"] == 219
    (error,) = source["last_run"]["errors"]
    assert error["stage"] == "Import"
    assert harvest.peer.broken["title"] in error["message"]
    assert "resources" in error["message"] and "javascript" in error["message"]


def test_a_harvested_dataset_in_the_suite_schema(harvest: Harvest) -> None:
    remote = next(d for d in harvest.peer.of("kobenhavn") if d["license_id"] == "cc-by-4.0")
    local = helpers.call_action("package_show", id=remote["id"])
    assert local["title"] == remote["title"] and local["name"] == remote["name"]
    assert local["access_tier"] == "open" and local["private"] is False
    assert local["organization"]["name"] == "kobenhavn"
    assert local["organization"]["title"] == "Københavns Kommune"
    # Danish letters kept (stock ckanext-harvest's tag cleaning drops them).
    assert {t["name"] for t in local["tags"]} == {t["name"] for t in remote["tags"]}
    assert "Københavns Kommune" in {t["name"] for t in local["tags"]}
    assert local["license_id"] == "cc-by"
    assert [r["url"] for r in local["resources"]] == [r["url"] for r in remote["resources"]]
    assert [r["id"] for r in local["resources"]] == [r["id"] for r in remote["resources"]]
    assert local["cityharvest_source"] == SOURCE_TITLE
    assert local["cityharvest_source_url"] == harvest.peer.url
    assert local["cityharvest_remote_id"] == remote["id"]
    assert local["cityharvest_remote_url"] == f"{harvest.peer.url}/dataset/{remote['name']}"
    harvested_at = datetime.datetime.fromisoformat(local["cityharvest_harvested"])
    assert abs(
        datetime.datetime.now(datetime.UTC).replace(tzinfo=None) - harvested_at
    ) < datetime.timedelta(hours=1)
    # The peer's datasets say nothing about personal data: "not declared by the source",
    # never "no personal data".
    assert local["gdpr_declared_by"] == "source" and not local.get("gdpr_personal_data")
    status = helpers.call_action("gdprcheck_status_show", id=local["id"])
    assert status["status"] == "not_declared" and status["declared_by"] == "source"
    frequency = {
        "daily": "daily",
        "weekly": "weekly",
        "monthly": "monthly",
        "annual": "yearly",
        "continuous": "realtime",
        "irreg": "historic",
    }[remote["extras"][0]["value"]]
    assert local["update_frequency"] == frequency


@pytest.mark.parametrize(
    "remote_licence,local_licence",
    [
        ("cc-by-4.0", "cc-by"),
        ("CC-BY-4.0", "cc-by"),
        ("cc-zero", "cc-zero"),
        ("odc-odbl", "odc-odbl"),
        ("notspecified", "notspecified"),
        # The portal's register (config/licenses.json) holds the Danish licences.
        ("Vilkår for brug af Danske Offentlige Data", "dk-public-data-terms"),
    ],
)
def test_licences_are_mapped_to_the_portals_ids(
    harvest: Harvest, remote_licence: str, local_licence: str
) -> None:
    remote = next(
        d
        for d in harvest.peer.public
        if d["license_id"] == remote_licence and d["id"] != harvest.peer.broken["id"]
    )
    assert helpers.call_action("package_show", id=remote["id"])["license_id"] == local_licence


def test_remote_organisations_are_created_once_with_their_titles(harvest: Harvest) -> None:
    orgs = {
        o["name"]: o["title"] for o in helpers.call_action("organization_list", all_fields=True)
    }
    assert orgs["aarhus"] == "Aarhus Kommune" and orgs["region-midtjylland"] == "Region Midtjylland"
    assert len([n for n in orgs if n.startswith("kobenhavn")]) == 1


def test_source_facet_with_local_and_harvested_datasets_in_one_list(harvest: Harvest) -> None:
    org = factories.Organization()
    local = helpers.call_action(
        "package_create",
        context={"user": factories.Sysadmin()["name"]},
        name="lokale-trafiktaellinger",
        title="Trafiktællinger fra egne sensorer",
        owner_org=org["id"],
        access_tier="open",
    )
    result = helpers.call_action(
        "package_search",
        q="Trafiktællinger",
        rows=1000,
        **{"facet.field": '["cityharvest_source"]'},
    )
    facet = {i["name"]: i for i in result["search_facets"]["cityharvest_source"]["items"]}
    ids = {d["id"] for d in result["results"]}
    assert local["id"] in ids
    remote_hits = {d["id"] for d in harvest.peer.public if "Trafiktællinger" in d["title"]} - {
        harvest.peer.broken["id"]
    }
    assert remote_hits and remote_hits <= ids
    assert facet[SOURCE_TITLE]["count"] == len(remote_hits)
    assert facet["local"]["count"] == 1 and facet["local"]["display_name"] == "This portal"
    only_local = helpers.call_action(
        "package_search", q="Trafiktællinger", fq='cityharvest_source:"local"'
    )
    assert [d["id"] for d in only_local["results"]] == [local["id"]]


def test_a_run_without_changes_at_the_source_changes_nothing(harvest: Harvest) -> None:
    before = {pid: p.metadata_modified for pid, p in harvested(SOURCE_TITLE).items()}
    again = run_source("kommuner")
    assert (
        again["stats"].get("added", 0)
        == again["stats"].get("updated", 0)
        == again["stats"].get("deleted", 0)
        == 0
    )
    assert again["objects"] == 1  # only the broken dataset, tried again
    after = {pid: p.metadata_modified for pid, p in harvested(SOURCE_TITLE).items()}
    assert after == before
    # The counts tell the truth: 219 left alone (they got no harvest object), 1 error.
    assert again["counts"] == {
        "added": 0,
        "updated": 0,
        "withdrawn": 0,
        "unchanged": 219,
        "shared": 0,
        "errors": 1,
    }
    (summary,) = [
        s
        for s in helpers.call_action("cityharvest_source_summary", context=_site())
        if s["name"] == "kommuner"
    ]
    assert summary["last_run"]["counts"] == again["counts"]


def test_changes_at_the_source_are_followed_and_the_rest_left_alone(harvest: Harvest) -> None:
    peer = harvest.peer
    public = [d for d in peer.public if d["id"] != peer.broken["id"]]
    modified, deleted, privatised = public[10:13], public[20:22], public[30:32]
    for d in modified:
        peer.api.action.package_patch(
            id=d["id"], title=d["title"] + " (rettet)", tags=d["tags"] + [{"name": "ændret"}]
        )
    for d in deleted:
        peer.api.action.package_delete(id=d["id"])
    for d in privatised:
        peer.api.action.package_patch(id=d["id"], private=True)
    touched = {d["id"] for d in modified + deleted + privatised}
    before = {
        pid: p.metadata_modified for pid, p in harvested(SOURCE_TITLE).items() if pid not in touched
    }

    result = run_source("kommuner")

    assert result["stats"]["updated"] == 3 and result["stats"]["deleted"] == 4
    assert result["stats"].get("added", 0) == 0
    for d in modified:
        local = helpers.call_action("package_show", id=d["id"])
        assert local["title"] == d["title"] + " (rettet)"
        assert "ændret" in {t["name"] for t in local["tags"]}
    for d in deleted + privatised:
        assert model.Package.get(d["id"]).state == "deleted"
        assert not helpers.call_action("package_search", fq=f'id:"{d["id"]}"')["results"]
    after = {
        pid: p.metadata_modified for pid, p in harvested(SOURCE_TITLE).items() if pid not in touched
    }
    assert after == before

    # Published again at the source: back here, same dataset.
    peer.api.action.package_patch(id=privatised[0]["id"], private=False)
    back = run_source("kommuner")
    assert back["stats"]["deleted"] == 0
    assert model.Package.get(privatised[0]["id"]).state == "active"
    assert len(harvested(SOURCE_TITLE)) == 219 - 4 + 1


def test_the_cli_loads_the_sources_file_and_shows_progress(
    harvest: Harvest, cli: Any, tmp_path: Any
) -> None:
    from ckan.cli.cli import ckan

    sources = tmp_path / "sources.yaml"
    sources.write_text(
        f"""
sources:
  - name: kommuner
    title: {SOURCE_TITLE}
    url: {harvest.peer.url}
    type: ckan
    frequency: WEEKLY
""",
        encoding="utf-8",
    )
    loaded = cli.invoke(ckan, ["cityharvest", "load", str(sources)])
    assert loaded.exit_code == 0, loaded.output
    assert "updated   kommuner" in loaded.output
    assert helpers.call_action("harvest_source_show", id="kommuner")["frequency"] == "WEEKLY"
    again = cli.invoke(ckan, ["cityharvest", "load", str(sources)])
    assert "unchanged kommuner" in again.output

    ran = cli.invoke(ckan, ["cityharvest", "run", "kommuner"])
    assert "listing the source's datasets" in ran.output
    assert "0 added, 0 updated, 0 withdrawn" in ran.output and "1 errors" in ran.output
    assert f"{len(harvested(SOURCE_TITLE))} unchanged, 0 shared" in ran.output
    assert ran.exit_code == 1  # the broken dataset is still broken

    status = cli.invoke(ckan, ["cityharvest", "status"])
    assert "kommuner (cityharvest_ckan, WEEKLY)" in status.output and "javascript" in status.output


@pytest.mark.parametrize(
    "text,message",
    [
        ("sources: [{name: 'Bad Name', url: 'http://x'}]", "name: use lowercase"),
        ("sources: [{name: ok, url: 'ftp://x'}]", "url must start with"),
        ("sources: [{name: ok, url: 'http://x', type: sparql}]", "type must be ckan or dcat"),
        ("sources: [{name: ok, url: 'http://x', frequency: HOURLY}]", "frequency must be one of"),
        (
            "sources: [{name: ok, url: 'http://x'}, {name: ok, url: 'http://y'}]",
            "names must be unique",
        ),
        ("sources: {name: ok}", "A list of sources is required"),
        ("sources: [ {name: ok", "is not valid YAML"),
    ],
)
def test_a_bad_sources_file_is_refused_with_the_reason(
    harvest: Harvest, cli: Any, tmp_path: Any, text: str, message: str
) -> None:
    from ckan.cli.cli import ckan

    path = tmp_path / "sources.yaml"
    path.write_text(text)
    result = cli.invoke(ckan, ["cityharvest", "load", str(path)])
    assert result.exit_code == 1
    assert message in result.output


def test_a_source_config_with_unknown_options_is_refused(harvest: Harvest) -> None:
    with pytest.raises(Exception) as error:
        helpers.call_action(
            "cityharvest_source_load",
            context=_site(),
            sources=[{"name": "odd", "url": harvest.peer.url, "config": {"api_key": "x"}}],
        )
    assert "unknown option 'api_key'" in str(error.value)


def _activities(package_id: str) -> list[dict[str, Any]]:
    """A dataset's activities, the harvester's included (CKAN hides the site user's
    from activity lists unless asked)."""
    return helpers.call_action(
        "package_activity_list",
        context=_site(),
        id=package_id,
        limit=100,
        include_hidden_activity=True,
    )


def _queued_objects() -> set[str]:
    """The harvest objects waiting in the fetch queue (Redis) for a consumer."""
    import json

    from ckanext.harvest.queue import get_connection, get_fetch_routing_key

    return {
        json.loads(message)["harvest_object_id"]
        for message in get_connection().lrange(get_fetch_routing_key(), 0, -1)
    }


def test_the_periodic_trigger_during_a_command_line_run_imports_nothing_twice(
    harvest: Harvest,
) -> None:
    """ckanext-harvest's periodic ``harvester run`` resubmits every WAITING harvest object
    to the fetch queue. Fired in the middle of a command-line run, it must hand none of
    the run's objects to a consumer: each changed dataset is imported once, with one
    activity."""
    from ckanext.harvest.model import HarvestJob, HarvestObject
    from ckanext.harvest.queue import get_connection, get_fetch_routing_key

    peer = harvest.peer
    public = [d for d in peer.public if d["id"] != peer.broken["id"]]
    changed = [d for d in public[40:70] if model.Package.get(d["id"]).state == "active"]
    for d in changed:
        peer.api.action.package_patch(id=d["id"], notes=d["notes"] + " Opdateret.")
    redis = get_connection()
    redis.delete(get_fetch_routing_key())
    before = {d["id"]: len(_activities(d["id"])) for d in changed}
    queued_mid_run: list[set[str]] = []
    job_ids: list[str] = []

    def progress(stage: str, done: int, total: int) -> None:
        if stage == "import" and done == 10:
            job_ids.append(
                model.Session.query(HarvestJob.id).filter(HarvestJob.status == "Running").scalar()
            )
            helpers.call_action("harvest_jobs_run", context=_site())  # the periodic trigger
            queued_mid_run.append(_queued_objects())

    result = helpers.call_action(
        "cityharvest_source_run",
        context=dict(_site(), **{"cityharvest.progress": progress}),
        id="kommuner",
        workers=1,
    )
    model.Session.remove()
    assert job_ids and queued_mid_run, "the trigger fired during the run"
    run_objects = {
        oid for (oid,) in model.Session.query(HarvestObject.id).filter_by(harvest_job_id=job_ids[0])
    }
    assert len(run_objects) == len(changed) + 1  # the changed ones and the broken one
    assert not queued_mid_run[0] & run_objects
    assert not _queued_objects() & run_objects
    assert result["counts"]["updated"] == len(changed) and result["counts"]["errors"] == 1
    for d in changed:
        activities = _activities(d["id"])
        assert len(activities) == before[d["id"]] + 1, d["name"]
        assert activities[0]["activity_type"] == "changed package"

    # The probe can see what it looks for: a WAITING object is resubmitted by the trigger.
    waiting = HarvestObject(guid="probe", job=HarvestJob.get(job_ids[0]), state="WAITING")
    waiting.save()
    try:
        helpers.call_action("harvest_jobs_run", context=_site())
        assert waiting.id in _queued_objects()
    finally:
        redis.delete(get_fetch_routing_key())
        model.Session.delete(waiting)
        model.Session.commit()


def test_the_same_version_imported_twice_changes_nothing(harvest: Harvest) -> None:
    """A second worker given the same object (or an overlapping run) finds this version
    here already: no update, no activity."""
    from ckanext.cityharvest.model import Record

    record = model.Session.query(Record).filter(Record.owner.is_(True)).first()
    remote = harvest.peer.api.action.package_show(id=record.remote_id)
    count = len(_activities(record.package_id))
    modified = model.Package.get(record.package_id).metadata_modified
    result = helpers.call_action(
        "cityharvest_dataset_import",
        context=_site(),
        source_id=record.source_id,
        remote=remote,
        stamp=record.stamp,
    )
    assert result == {"result": "unchanged", "package_id": record.package_id}
    model.Session.remove()
    assert model.Package.get(record.package_id).metadata_modified == modified
    assert len(_activities(record.package_id)) == count >= 1


def test_of_two_runs_of_one_source_only_the_older_gathers(harvest: Harvest) -> None:
    """ckanext-harvest checks for a running job and creates one in two steps; should
    two jobs of one source exist at once, the newer stops before listing anything."""
    import datetime as dt

    from ckanext.harvest import queue
    from ckanext.harvest.model import HarvestGatherError, HarvestJob, HarvestSource

    source = HarvestSource.get(harvest.source["id"])
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    older = HarvestJob(source=source, status="Running", created=now - dt.timedelta(minutes=1))
    newer = HarvestJob(source=source, status="Running", created=now)
    older.save()
    newer.save()
    harvester = queue.get_harvester(source.type)
    try:
        assert harvester.gather_stage(newer) == []
        (error,) = model.Session.query(HarvestGatherError).filter_by(harvest_job_id=newer.id)
        assert "Another run of this source" in error.message and older.id in error.message
        # The older one is first in line: it lists the source (and finds nothing new).
        assert isinstance(harvester.gather_stage(older), list)
        assert (
            not model.Session.query(HarvestGatherError).filter_by(harvest_job_id=older.id).count()
        )
    finally:
        from ckanext.harvest.model import HarvestObject

        model.Session.query(HarvestObject).filter(
            HarvestObject.harvest_job_id.in_([older.id, newer.id])
        ).update({"state": "ERROR"})  # nothing left WAITING for a consumer
        for job in (older, newer):
            job.status = "Finished"
            job.save()
