"""A file's rows leave the DataStore when it becomes locked without its seller choosing to
load it; a sample's and an opted-in file's stay."""

from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
import pytest
from ckan.lib import jobs as ckan_jobs
from ckan.tests import factories, helpers

OFFER = {
    "id": "standard",
    "kind": "one_off",
    "amount": 10000,
    "currency": "DKK",
    "vat_included": True,
    "licence": "internal-use",
}


def _drops() -> dict[str, Any]:
    return {
        (job.meta.get("title") or "").rsplit(" ", 1)[-1]: job
        for job in ckan_jobs.get_queue().jobs
        if (job.meta.get("title") or "").startswith("pricing drop rows ")
    }


@pytest.mark.usefixtures("clean_db")
def test_rows_leave_the_datastore_when_their_file_becomes_locked() -> None:
    seller = factories.User()
    org = factories.Organization(users=[{"name": seller["name"], "capacity": "admin"}])
    ctx = {"user": seller["name"]}
    dataset = helpers.call_action(
        "package_create",
        context=ctx,
        name="counts-for-sale",
        owner_org=org["id"],
        access_tier="open",
        resources=[
            {"name": name, "url": f"http://example.com/{name}.csv", "format": "CSV"}
            for name in ("full", "sample", "chosen")
        ],
    )
    ids = {r["name"]: r["id"] for r in dataset["resources"]}
    for rid in ids.values():
        helpers.call_action(
            "datastore_create",
            context=ctx,
            resource_id=rid,
            force=True,
            fields=[{"id": "n", "type": "int"}],
            records=[{"n": 1}],
        )
    for job in _drops().values():
        job.delete()
    dataset = helpers.call_action("package_show", context=ctx, id=dataset["id"])
    helpers.call_action(
        "package_patch",
        context=ctx,
        id=dataset["id"],
        access_tier="priced",
        offers=[OFFER],
        resources=[
            dict(dataset["resources"][0], access="locked"),
            dict(dataset["resources"][1], access="sample"),
            dict(dataset["resources"][2], access="locked", datastore_load="true"),
        ],
    )
    queued = _drops()
    try:
        assert set(queued) & set(ids.values()) == {ids["full"]}
        queued[ids["full"]].perform()
    finally:
        for job in queued.values():
            job.delete()
    site = {"ignore_auth": True, "user": ""}
    with pytest.raises(tk.ObjectNotFound):
        helpers.call_action("datastore_info", context=site, id=ids["full"])
    # the probe reaches the DataStore: the others are still there
    for name in ("sample", "chosen"):
        assert helpers.call_action("datastore_info", context=site, id=ids[name])["fields"]
