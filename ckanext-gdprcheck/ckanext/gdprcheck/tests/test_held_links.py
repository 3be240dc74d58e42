"""Held links after publishing: a hold made by a dataset update is followed up in the
worker once the update has committed (editors told, the link's address scrubbed from the
stored activities), and a held link refuses the buyer's signed proxy link, the DataStore
dump and the download. Files are served by a real HTTP server on 127.0.0.1; the worker is
CKAN's own, in its own process."""

from __future__ import annotations

import uuid
from typing import Any

import ckan.lib.jobs as ckan_jobs
import pytest
from ckan import model
from ckan.tests import factories, helpers
from rq.registry import FinishedJobRegistry

from ckanext.gdprcheck.model import Hold
from ckanext.gdprcheck.tests.test_harvest_samples import files  # noqa: F401 (pytest fixtures)
from ckanext.gdprcheck.tests.test_quarantine import run_worker


@pytest.mark.usefixtures("clean_db", "clean_index")
def test_a_hold_made_by_an_update_is_followed_up_after_its_commit_and_scrubs_the_link(
    app: Any, files: str
) -> None:
    """A private dataset whose linked file holds personal data is made public: the update
    holds the file; once it has committed, the worker tells the editors and takes the
    link's address out of every stored version of the dataset."""
    from ckanext.activity.model import Activity
    from ckanext.gdprcheck.tests.test_quarantine import finished as finished_jobs

    for queue in ckan_jobs.get_all_queues():
        queue.empty()
        FinishedJobRegistry(queue=queue).cleanup(-1)
    editor = factories.User(email="editor@example.dk")
    org = factories.Organization(users=[{"name": editor["name"], "capacity": "editor"}])
    url = f"{files}/people.csv"
    ds = helpers.call_action(
        "package_create",
        context={"user": editor["name"]},
        owner_org=org["id"],
        name=f"borgere-{uuid.uuid4().hex[:6]}",
        private=True,
        gdpr_personal_data="none",
        gdpr_category="NonPersonal",
        resources=[{"name": "Borgere", "format": "CSV", "url": url}],
    )
    run_worker()  # the scan: personal data, but the dataset is private, so nothing is held
    assert model.Session.query(Hold).count() == 0
    versions = model.Session.query(Activity).filter(Activity.object_id == ds["id"])
    assert any(url in str(a.data) for a in versions), "the probe: stored versions show the link"

    helpers.call_action(
        "package_patch", context={"user": editor["name"]}, id=ds["id"], private=False
    )
    [hold] = model.Session.query(Hold).filter(Hold.package_id == ds["id"]).all()
    log = run_worker()
    assert f"gdprcheck holding {ds['id']}" in log and f"gdprcheck hold notice {hold.id}" in log
    [notice] = [n for n in finished_jobs("gdprcheck hold notice") if n.args == [hold.id]]
    told = notice.return_value()
    assert editor["name"] in told["sent"] + told["failed"]
    model.Session.expire_all()
    versions = model.Session.query(Activity).filter(Activity.object_id == ds["id"]).all()
    assert len(versions) >= 2 and not any(url in str(a.data) for a in versions)
    assert url not in app.get(f"/dataset/activity/{ds['name']}").get_data(as_text=True)


@pytest.mark.usefixtures("clean_db", "clean_index")
def test_a_held_link_refuses_the_buyers_signed_link_and_the_dump(app: Any, files: str) -> None:
    """A priced dataset's locked link, bought, then found to hold personal data: the
    buyer's signed proxy link and the DataStore dump refuse with the reason; the seller's
    editors still get it."""
    for queue in ckan_jobs.get_all_queues():
        queue.empty()
    seller, buyer = factories.User(), factories.User()
    org = factories.Organization(users=[{"name": seller["name"], "capacity": "admin"}])
    ds = helpers.call_action(
        "package_create",
        context={"user": seller["name"]},
        owner_org=org["id"],
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
        resources=[
            {"name": "Borgere", "format": "CSV", "url": f"{files}/people.csv", "access": "locked"}
        ],
    )
    res = ds["resources"][0]
    helpers.call_action(
        "pricing_entitlement_grant",
        context={"user": seller["name"]},
        package_id=ds["id"],
        holder_type="user",
        holder=buyer["name"],
    )
    token = {
        "Authorization": helpers.call_action(
            "api_token_create", context={"user": buyer["name"]}, user=buyer["name"], name="t"
        )["token"]
    }
    signed = helpers.call_action("package_show", context={"user": buyer["name"]}, id=ds["id"])[
        "resources"
    ][0]["url"]
    assert "/pricing/fetch/" in signed
    path = signed[signed.index("/pricing/fetch/") :]
    before = app.get(path, headers=token)
    assert before.status_code == 200 and "person1@example.dk" in before.get_data(
        as_text=True
    )  # the probe

    run_worker()  # the scan of the link finds CPR numbers and e-mail addresses: held
    assert (
        model.Session.query(Hold)
        .filter(Hold.resource_id == res["id"], Hold.released_at.is_(None))
        .count()
        == 1
    )
    for url in (
        path,
        f"/datastore/dump/{res['id']}",
        f"/dataset/{ds['id']}/resource/{res['id']}/download/people.csv",
    ):
        refused = app.get(url, headers=token, follow_redirects=False)
        body = refused.get_data(as_text=True)
        assert refused.status_code == 403 and "held for review" in body.lower(), url
        assert "example.dk" not in body and f"{files}/people.csv" not in body
