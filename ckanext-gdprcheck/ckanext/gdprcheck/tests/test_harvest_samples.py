"""Harvested files: the worker scans the first megabytes of each CSV and JSON file; what
it finds goes to the operator (``gdprcheck_sample_list``, the harvest status page, an
e-mail to the sysadmins), never to the gate: nothing is held, the source's checklist
stands. The files are served by a real HTTP server on 127.0.0.1 (allowed in the test
configuration); the worker is CKAN's own, in its own process."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import ckan.lib.jobs as ckan_jobs
import ckan.plugins.toolkit as tk
import pytest
from ckan import model
from ckan.tests import factories, helpers
from rq.registry import FinishedJobRegistry

from ckanext.gdprcheck.model import Hold, Sample, Scan
from ckanext.gdprcheck.tests.files import file, serve
from ckanext.gdprcheck.tests.test_quarantine import PERSONAL, finished, run_worker

FILES = {
    "/people.csv": PERSONAL.encode(),
    "/clean.json": b'[{"kommune": "Aarhus", "antal": 12}, {"kommune": "Odense", "antal": 7}]',
    # an e-mail address only after the first 4 KB: past the sample
    "/long.csv": ("kommune,antal\n" + "Aarhus,12\n" * 1000 + "x,anna@example.dk\n").encode(),
}


@pytest.fixture(scope="module")
def files() -> Iterator[str]:
    with serve({path: file(body) for path, body in FILES.items()}) as base:
        yield base


def _harvested(sysadmin: dict[str, Any], base: str, *paths: str) -> dict[str, Any]:
    """A dataset as cityharvest stores it: open, checklist declared by the source."""
    org = factories.Organization()
    return helpers.call_action(
        "package_create",
        context={"user": sysadmin["name"]},
        owner_org=org["id"],
        name=f"harvested-{uuid.uuid4().hex[:8]}",
        gdpr_personal_data="none",
        gdpr_category="NonPersonal",
        gdpr_declared_by="source",
        resources=[
            {"name": p.strip("/"), "url": base + p, "format": p.rsplit(".", 1)[1].upper()}
            for p in paths
        ],
    )


@pytest.mark.usefixtures("clean_db", "clean_index")
@pytest.mark.ckan_config("ckanext.gdprcheck.harvest_sample_bytes", 4096)
def test_samples_of_harvested_files_go_to_the_operator_and_hold_nothing(
    app: Any, files: str
) -> None:
    for queue in ckan_jobs.get_all_queues():
        queue.empty()
        FinishedJobRegistry(queue=queue).cleanup(-1)
    sysadmin = factories.Sysadmin(email="operator@example.dk")
    ds = _harvested(sysadmin, files, "/people.csv", "/clean.json", "/long.csv")
    people, clean, long = ds["resources"]

    log = run_worker()
    for res in (people, clean, long):
        assert f"gdprcheck sample {res['id']}" in log, "the worker ran the sample job"
    samples = {
        s.resource_id: s for s in model.Session.query(Sample).filter(Sample.package_id == ds["id"])
    }
    assert {"cpr", "email"} <= set(samples[people["id"]].detected)
    assert samples[clean["id"]].state == "done" and samples[clean["id"]].detected == []
    # only the sample was read: the e-mail address after it is not found, and that is said
    assert samples[long["id"]].truncated
    assert samples[long["id"]].bytes_scanned == 4096  # the limit set when the job was queued
    assert samples[long["id"]].detected == []

    # The operator was told once, by e-mail (sent or failed: no mail server in tests).
    [notice] = [j for j in finished("gdprcheck sample") if j.args == [people["id"]]]
    told = notice.return_value()["notified"]
    assert sysadmin["name"] in told["sent"] + told["failed"]

    # Nothing is held and the gate is not involved: the source's checklist stands.
    assert model.Session.query(Hold).filter(Hold.package_id == ds["id"]).count() == 0
    assert model.Session.query(Scan).filter(Scan.package_id == ds["id"]).count() == 0
    page = app.get(f"/dataset/{ds['name']}/resource/{people['id']}").get_data(as_text=True)
    assert f"{files}/people.csv" in page and "Held for review" not in page

    # The findings, for the operator only, with labels in the caller's language.
    listed = helpers.call_action("gdprcheck_sample_list", context={"user": sysadmin["name"]})
    assert [s["resource_id"] for s in listed] == [people["id"]]
    assert {"CPR numbers", "E-mail addresses"} <= {f["label"] for f in listed[0]["findings"]}
    examples = [e for f in listed[0]["findings"] for e in f["examples"]]
    assert examples and not any(e in PERSONAL for e in examples), examples  # masked, never raw
    with pytest.raises(tk.NotAuthorized):
        helpers.call_action(
            "gdprcheck_sample_list",
            context={"user": factories.User()["name"], "ignore_auth": False},
        )
    response = app.post(
        "/api/3/action/gdprcheck_sample_list",
        json={"limit": "x" * 50},
        headers={
            "Authorization": helpers.call_action(
                "api_token_create",
                context={"user": sysadmin["name"]},
                user=sysadmin["name"],
                name="t",
            )["token"]
        },
    )
    assert response.status_code == 409 and "limit" in response.get_json()["error"]

    # The same file is not sampled again until it changes.
    for queue in ckan_jobs.get_all_queues():
        FinishedJobRegistry(queue=queue).cleanup(-1)
    helpers.call_action(
        "package_patch", context={"user": sysadmin["name"]}, id=ds["id"], notes="Updated"
    )
    assert "gdprcheck sample" not in run_worker()


@pytest.mark.usefixtures("clean_db", "clean_index")
@pytest.mark.ckan_config("ckanext.gdprcheck.harvest_sample_bytes", 0)
def test_no_samples_when_switched_off(files: str) -> None:
    for queue in ckan_jobs.get_all_queues():
        queue.empty()
    _harvested(factories.Sysadmin(), files, "/people.csv")
    assert "gdprcheck sample" not in run_worker()
