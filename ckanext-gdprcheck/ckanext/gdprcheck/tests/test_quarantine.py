"""Quarantine through the real worker: a scan that contradicts the checklist of a public
or for-sale dataset withholds the file at once, from everyone but the publisher's editors
and sysadmins (paying buyers included); the dataset is marked, sales pause, the editors
are told; a corrected checklist, a replaced file or a sysadmin's reason releases it, and
every hold and release stays in the audit trail. Nothing is mocked: PostgreSQL, Solr,
Redis, the CKAN worker (``ckan jobs worker --burst``) and stripe-mock are real.
"""

from __future__ import annotations

import datetime as dt
import io
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import ckan.lib.jobs as ckan_jobs
import ckan.plugins.toolkit as tk
import pytest
from bs4 import BeautifulSoup
from ckan import model
from ckan.tests import factories, helpers
from ckan.tests.pytest_ckan.fixtures import FakeFileStorage
from rq.registry import FinishedJobRegistry

from ckanext.gdprcheck import holds
from ckanext.gdprcheck.model import Hold, Scan

PERSONAL = "navn,email,cpr,adresse\n" + "".join(
    f'Person {i},person{i}@example.dk,01019{i % 10}1234,"Vesterbrogade {i}, 1620 København"\n'
    for i in range(30)
)
CLEAN = "kommune,antal\nAarhus,12\nOdense,7\n"


def run_worker() -> str:
    """Run every queued job in CKAN's own worker, in its own process, until the queue is
    empty; its log (stderr) is returned for the asserts."""
    ckan = Path(sys.executable).parent / "ckan"
    done = subprocess.run(
        [str(ckan), "-c", tk.config["__file__"], "jobs", "worker", "--burst"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    model.Session.expire_all()
    return done.stderr


def finished(title_prefix: str) -> list[Any]:
    """Jobs the worker finished whose title starts with ``title_prefix``."""
    queue = ckan_jobs.get_queue()
    registry = FinishedJobRegistry(queue=queue)
    found = []
    for job_id in registry.get_job_ids():
        job = queue.fetch_job(job_id)
        if job is not None and (job.meta.get("title") or "").startswith(title_prefix):
            found.append(job)
    return found


def _token(user: dict[str, Any]) -> dict[str, str]:
    return {
        "Authorization": helpers.call_action(
            "api_token_create", context={"user": user["name"]}, user=user["name"], name="t"
        )["token"]
    }


@pytest.fixture
def portal(clean_db: Any, clean_index: Any) -> dict[str, Any]:
    for queue in ckan_jobs.get_all_queues():
        queue.empty()
        FinishedJobRegistry(queue=queue).cleanup(-1)  # forget jobs of earlier tests
    editor, admin, buyer, stranger = (
        factories.User(email=f"{n}@example.dk") for n in ("editor", "admin", "buyer", "stranger")
    )
    org = factories.Organization(
        users=[
            {"name": editor["name"], "capacity": "editor"},
            {"name": admin["name"], "capacity": "admin"},
        ]
    )
    return {
        "org": org,
        "editor": editor,
        "admin": admin,
        "buyer": buyer,
        "stranger": stranger,
        "sysadmin": factories.Sysadmin(),
    }


def _download(
    app: Any, ds: dict[str, Any], res: dict[str, Any], user: dict[str, Any] | None
) -> Any:
    return app.get(
        f"/dataset/{ds['name']}/resource/{res['id']}/download/data.csv",
        headers=_token(user) if user else {},
        follow_redirects=False,
    )


def _upload(ctx: dict[str, Any], ds: dict[str, Any], text: str, **extra: Any) -> dict[str, Any]:
    return helpers.call_action(
        "resource_create",
        context=ctx,
        package_id=ds["id"],
        name="Borgere",
        format="CSV",
        upload=FakeFileStorage(io.BytesIO(text.encode()), "data.csv"),
        **extra,
    )


# Every upload is left to the worker here (as a file over 20 MB would be).
@pytest.mark.ckan_config("ckanext.gdprcheck.scan_in_request_max_bytes", 0)
def test_the_editors_sequence_ends_with_the_file_held_and_a_replacement_releases_it(
    app: Any, portal: dict[str, Any]
) -> None:
    # She answers "no personal data", uploads a CSV with CPR numbers and e-mails, publishes.
    ds = helpers.call_action(
        "package_create",
        context={"user": portal["editor"]["name"]},
        owner_org=portal["org"]["id"],
        name=f"borgere-{uuid.uuid4().hex[:6]}",
        gdpr_personal_data="none",
        gdpr_category="NonPersonal",
    )
    res = _upload({"user": portal["editor"]["name"]}, ds, PERSONAL)
    assert ds["private"] is False
    assert model.Session.get(Scan, res["id"]) is None
    assert "Being scanned" in _download(app, ds, res, None).get_data(as_text=True)

    log = run_worker()
    assert f"gdprcheck scan {res['id']}" in log, "the worker ran the scan job"
    scan = model.Session.get(Scan, res["id"])
    assert scan is not None and scan.state == "done" and {"cpr", "email"} <= set(scan.detected)
    hold = model.Session.query(Hold).filter(Hold.resource_id == res["id"]).one()
    assert hold.released_at is None and {"cpr", "email"} <= set(hold.detected)

    # Withheld from everyone but the publisher's editors and sysadmins, with a page that says why.
    for persona in (None, "stranger", "buyer"):
        refused = _download(app, ds, res, portal[persona] if persona else None)
        assert refused.status_code == 403, persona
        page = refused.get_data(as_text=True)
        assert "held for review" in page.lower() and "Vesterbrogade" not in page
    for persona in ("editor", "admin", "sysadmin"):
        allowed = _download(app, ds, res, portal[persona])
        assert allowed.status_code == 200 and "Vesterbrogade" in allowed.get_data(as_text=True), (
            persona
        )
    # DataStore rows ask the same decision.
    with pytest.raises(tk.NotAuthorized) as datastore:
        helpers.call_auth(
            "datastore_search", {"user": portal["stranger"]["name"]}, resource_id=res["id"]
        )
    assert "held for review" in str(datastore.value).lower()
    helpers.call_auth("datastore_search", {"user": portal["editor"]["name"]}, resource_id=res["id"])
    checked = helpers.call_action(
        "pricing_entitlement_check",
        context={"user": portal["buyer"]["name"]},
        resource_id=res["id"],
    )
    assert checked == {"resource_id": res["id"], "access": "held", "entitled": False}

    # The URL left the index; the dataset is marked in search and on its page.
    indexed = helpers.call_action("package_search", fq=f"id:{ds['id']}")["results"][0]
    real_url = model.Resource.get(res["id"]).url
    assert indexed["resources"][0]["url"].endswith(f"/pricing/locked/{res['id']}")
    assert helpers.call_action("package_search", q=f'res_url:"{real_url}"')["count"] == 0
    assert helpers.call_action("package_search", fq="gdprcheck_review:held")["count"] == 1
    listing = app.get("/dataset/").get_data(as_text=True)
    assert "gdprcheck-held-badge" in listing
    anon_page = app.get(f"/dataset/{ds['name']}").get_data(as_text=True)
    assert "gdprcheck-held" in anon_page and "Held for review" in anon_page
    assert "Tilbageholdt til gennemgang" in app.get(f"/da_DK/dataset/{ds['name']}").get_data(
        as_text=True
    )

    # The editors were told: an e-mail job ran in the worker, and their dashboard says so.
    notices = finished(f"gdprcheck hold notice {hold.id}")
    assert len(notices) == 1, "the scan job queued one notice, which the worker ran"
    assert set(notices[0].return_value()["sent"] + notices[0].return_value()["failed"]) == {
        portal["editor"]["name"],
        portal["admin"]["name"],
    }
    dashboard = app.get("/dashboard/", headers=_token(portal["editor"])).get_data(as_text=True)
    assert "gdprcheck-dashboard-notice" in dashboard and ds["title"] in dashboard
    stranger_dashboard = app.get("/dashboard/", headers=_token(portal["stranger"])).get_data(
        as_text=True
    )
    assert "gdprcheck-dashboard-notice" not in stranger_dashboard

    # Another file added and edited (CKAN 2.12 gives an update's hooks only the resources
    # it changed): the held file stays held.
    other = helpers.call_action(
        "resource_create",
        context={"user": portal["editor"]["name"]},
        package_id=ds["id"],
        name="Noter",
        url="https://example.org/noter.txt",
    )
    helpers.call_action(
        "resource_patch", context={"user": portal["editor"]["name"]}, id=other["id"], name="N"
    )
    model.Session.expire_all()
    assert model.Session.get(Hold, hold.id).released_at is None
    assert _download(app, ds, res, None).status_code == 403

    # Replacing the file: the new upload is scanned by the worker and, clean, releases the hold.
    helpers.call_action(
        "resource_patch",
        context={"user": portal["editor"]["name"]},
        id=res["id"],
        upload=FakeFileStorage(io.BytesIO(CLEAN.encode()), "data.csv"),
    )
    run_worker()
    released = model.Session.get(Hold, hold.id)
    assert released.released_at is not None and released.release_kind == "replaced"
    again = _download(app, ds, res, None)
    assert again.status_code == 200 and "Aarhus" in again.get_data(as_text=True)
    assert helpers.call_action("package_search", fq="gdprcheck_review:held")["count"] == 0
    trail = helpers.call_action(
        "gdprcheck_hold_list", context={"user": portal["editor"]["name"]}, id=ds["id"]
    )
    assert [(t["id"], t["active"], t["release_kind"]) for t in trail] == [
        (hold.id, False, "replaced")
    ]
    with pytest.raises(tk.NotAuthorized):
        helpers.call_auth("gdprcheck_hold_list", {"user": portal["stranger"]["name"]}, id=ds["id"])


def test_a_corrected_checklist_releases_the_hold_and_nothing_is_deleted(
    app: Any, portal: dict[str, Any]
) -> None:
    ds = helpers.call_action(
        "package_create",
        context={"user": portal["editor"]["name"]},
        owner_org=portal["org"]["id"],
        name=f"borgere-{uuid.uuid4().hex[:6]}",
        gdpr_personal_data="none",
    )
    res = _upload({"user": portal["editor"]["name"]}, ds, PERSONAL)
    run_worker()
    assert _download(app, ds, res, None).status_code == 403
    # A private dataset that is not for sale is not held; correcting the answer releases it.
    helpers.call_action(
        "package_patch",
        context={"user": portal["editor"]["name"]},
        id=ds["id"],
        gdpr_personal_data="personal",
        gdpr_category="CivilRegistrationNumber",
        gdpr_legal_basis="6.1.e",
        gdpr_purpose="Service planning",
        gdpr_controller="Aarhus Kommune",
        gdpr_dpia="done",
        private=True,
    )
    model.Session.expire_all()
    hold = model.Session.query(Hold).filter(Hold.resource_id == res["id"]).one()
    assert hold.release_kind == "corrected" and hold.released_at is not None
    assert model.Resource.get(res["id"]).state == "active"
    body = _download(app, ds, res, portal["editor"]).get_data(as_text=True)
    assert "Vesterbrogade" in body, "the file is still there, untouched"
    assert model.Session.query(Hold).count() == 1, "the audit trail keeps the hold"


def test_a_priced_dataset_pauses_sales_withholds_from_buyers_and_extends_them(
    app: Any, portal: dict[str, Any], ckan_config: Any
) -> None:
    ds = helpers.call_action(
        "package_create",
        context={"user": portal["admin"]["name"]},
        owner_org=portal["org"]["id"],
        name=f"shop-{uuid.uuid4().hex[:6]}",
        gdpr_personal_data="none",
        access_tier="priced",
        offers=[
            {
                "id": "standard",
                "kind": "one_off",
                "amount": 125000,
                "currency": "DKK",
                "vat_included": True,
                "licence": "internal-use",
            }
        ],
    )
    res = _upload(
        {"user": portal["admin"]["name"]}, ds, CLEAN, access="locked"
    )  # scanned in the request
    until = dt.datetime.now(dt.UTC).replace(tzinfo=None).replace(microsecond=0) + dt.timedelta(
        days=30
    )
    grant = helpers.call_action(
        "pricing_entitlement_grant",
        context={"user": portal["admin"]["name"]},
        package_id=ds["id"],
        holder_type="user",
        holder=portal["buyer"]["name"],
        valid_until=until.isoformat(),
    )
    assert _download(app, ds, res, portal["buyer"]).status_code == 200
    pending = helpers.call_action(
        "pricing_checkout_create",
        context={"user": portal["stranger"]["name"]},
        package_id=ds["id"],
        offer_id="standard",
    )
    assert pending["state"] == "pending"

    # The seller replaces the file with one holding personal data; the worker scans it.
    ckan_config["ckanext.gdprcheck.scan_in_request_max_bytes"] = 0
    helpers.call_action(
        "resource_patch",
        context={"user": portal["admin"]["name"]},
        id=res["id"],
        upload=FakeFileStorage(io.BytesIO(PERSONAL.encode()), "data.csv"),
    )
    run_worker()
    hold = model.Session.query(Hold).filter(Hold.resource_id == res["id"]).one()
    # The paying buyer is refused too, with the reason.
    refused = _download(app, ds, res, portal["buyer"])
    assert (
        refused.status_code == 403 and "held for review" in refused.get_data(as_text=True).lower()
    )
    # Buy is refused, through the action and the button.
    with pytest.raises(tk.ValidationError) as paused:
        helpers.call_action(
            "pricing_checkout_create",
            context={"user": portal["stranger"]["name"]},
            package_id=ds["id"],
            offer_id="standard",
        )
    assert "paused" in str(paused.value.error_dict["package_id"])
    page = app.get(f"/dataset/{ds['name']}", headers=_token(portal["stranger"])).get_data(
        as_text=True
    )
    assert (
        "pricing-sales-paused" in page
        and BeautifulSoup(page, "html.parser").find("form", {"class": "pricing-buy"}) is None
    )
    # The open checkout of the dataset was closed (at stripe-mock) when the hold began.
    closed = helpers.call_action(
        "pricing_order_show", context={"user": portal["stranger"]["name"]}, id=pending["order_id"]
    )
    assert closed["state"] == "failed" and "paused" in closed["note"]

    # A sysadmin releases it with a reason, through the button on the dataset page.
    sysadmin_headers = _token(portal["sysadmin"])
    form = BeautifulSoup(
        app.get(f"/dataset/{ds['name']}", headers=sysadmin_headers).get_data(as_text=True),
        "html.parser",
    ).find("form", {"class": "gdprcheck-release"})
    assert form is not None and form.find("input", {"name": "hold_id"})["value"] == hold.id
    with pytest.raises(tk.NotAuthorized):
        helpers.call_auth(
            "gdprcheck_hold_release", {"user": portal["admin"]["name"]}, id=hold.id, reason="x"
        )
    response = app.post(
        form["action"],
        headers=sysadmin_headers,
        follow_redirects=False,
        data={
            "_csrf_token": form.find("input", {"name": "_csrf_token"})["value"],
            "hold_id": hold.id,
            "reason": "Test numbers issued by the CPR office, not real people",
        },
    )
    assert response.status_code == 302
    model.Session.expire_all()
    hold = model.Session.get(Hold, hold.id)
    assert hold.release_kind == "sysadmin" and "CPR office" in hold.release_reason
    assert hold.entitlements_extended == 1
    extended = next(
        e
        for e in helpers.call_action(
            "pricing_entitlement_list",
            context={"user": portal["admin"]["name"]},
            package_id=ds["id"],
        )
        if e["id"] == grant["id"]
    )
    length = hold.released_at - hold.held_at
    assert dt.datetime.fromisoformat(extended["valid_until"]) == until + length
    assert _download(app, ds, res, portal["buyer"]).status_code == 200
    helpers.call_action(
        "pricing_checkout_create",
        context={"user": portal["stranger"]["name"]},
        package_id=ds["id"],
        offer_id="standard",
    )  # sales resume
    # The same scan does not hold the same file again after a sysadmin's release.
    helpers.call_action(
        "package_patch", context={"user": portal["admin"]["name"]}, id=ds["id"], title="Renamed"
    )
    assert model.Session.query(Hold).filter(Hold.released_at.is_(None)).count() == 0


def test_the_decision_fails_closed_when_holds_cannot_be_read(
    app: Any, portal: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    ds = helpers.call_action(
        "package_create",
        context={"user": portal["editor"]["name"]},
        owner_org=portal["org"]["id"],
        name=f"open-{uuid.uuid4().hex[:6]}",
        gdpr_personal_data="none",
    )
    res = _upload({"user": portal["editor"]["name"]}, ds, CLEAN)
    assert _download(app, ds, res, None).status_code == 200

    def broken(package_id: Any) -> dict[str, str]:
        raise RuntimeError("the hold table cannot be read")

    monkeypatch.setattr(holds, "held_resources", broken)
    refused = _download(app, ds, res, None)
    assert refused.status_code == 403 and "could not check" in refused.get_data(as_text=True)
    assert _download(app, ds, res, portal["editor"]).status_code == 200


def test_scan_before_exposure_small_uploads_in_the_request_large_ones_wait_for_the_worker(
    app: Any, portal: dict[str, Any], ckan_config: Any
) -> None:
    editor = {"user": portal["editor"]["name"]}
    ds = helpers.call_action(
        "package_create",
        context=editor,
        owner_org=portal["org"]["id"],
        name=f"open-{uuid.uuid4().hex[:6]}",
        gdpr_personal_data="none",
    )
    assert tk.config.get("ckanext.gdprcheck.scan_in_request_max_bytes") == 20 * 1024 * 1024
    # Small: scanned in the request that uploads it, available (or held) at once, no worker.
    clean = _upload({"user": portal["editor"]["name"]}, ds, CLEAN)
    assert model.Session.get(Scan, clean["id"]).state == "done"
    assert _download(app, ds, clean, None).status_code == 200
    personal = _upload({"user": portal["editor"]["name"]}, ds, PERSONAL)
    assert (
        model.Session.query(Hold).filter(Hold.resource_id == personal["id"]).one().released_at
        is None
    )
    assert _download(app, ds, personal, None).status_code == 403

    # Large (here: over 10 bytes): "scanning", not downloadable, until the worker scanned it.
    ckan_config["ckanext.gdprcheck.scan_in_request_max_bytes"] = 10
    large = _upload({"user": portal["editor"]["name"]}, ds, CLEAN)
    assert model.Session.get(Scan, large["id"]) is None
    waiting = _download(app, ds, large, None)
    assert waiting.status_code == 403 and "Being scanned for personal data" in waiting.get_data(
        as_text=True
    )
    assert _download(app, ds, large, portal["editor"]).status_code == 200
    shown = helpers.call_action("resource_show", context={"user": ""}, id=large["id"])
    assert shown["url"].endswith(f"/pricing/locked/{large['id']}") and shown["pricing_held"]
    run_worker()
    assert model.Session.get(Scan, large["id"]).state == "done"
    assert _download(app, ds, large, None).status_code == 200

    # Links: shown at once by default; withheld until scanned with link_policy = scan_first.
    link = helpers.call_action(
        "resource_create",
        context=editor,
        package_id=ds["id"],
        name="link",
        format="CSV",
        url="http://127.0.0.1:9/linked.csv",
    )
    assert (
        helpers.call_action("resource_show", id=link["id"])["url"]
        == "http://127.0.0.1:9/linked.csv"
    )
    ckan_config["ckanext.gdprcheck.link_policy"] = "scan_first"
    assert helpers.call_action("resource_show", context={"user": ""}, id=link["id"])[
        "url"
    ].endswith(f"/pricing/locked/{link['id']}")
    run_worker()  # the scan ends (here in an error: nothing answers on port 9): the link is shown
    assert (
        helpers.call_action("resource_show", context={"user": ""}, id=link["id"])["url"]
        == "http://127.0.0.1:9/linked.csv"
    )
