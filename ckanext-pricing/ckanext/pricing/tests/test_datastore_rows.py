"""A file's rows leave the DataStore when it becomes locked without its seller choosing to
load it; a sample's and an opted-in file's stay."""

from __future__ import annotations

import ckan.plugins.toolkit as tk
import pytest
from ckan.tests import factories, helpers

from ckanext.cityexchange.tests import queued

OFFER = {
    "id": "standard",
    "kind": "one_off",
    "amount": 10000,
    "currency": "DKK",
    "vat_included": True,
    "licence": "internal-use",
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
    drops = {f"pricing drop rows {rid}" for rid in ids.values()}
    queued.forget(drops)
    # the seller marks the sample and chooses to load one file, then prices the dataset
    # without touching its resources (CKAN 2.12 hands the hooks none of them): the files
    # without an access value are locked
    helpers.call_action("resource_patch", context=ctx, id=ids["sample"], access="sample")
    helpers.call_action("resource_patch", context=ctx, id=ids["chosen"], datastore_load="true")
    helpers.call_action(
        "resource_patch", context=ctx, id=ids["full"], datastore_load=""
    )  # as a form sends it
    queued.forget(drops)
    helpers.call_action(
        "package_patch", context=ctx, id=dataset["id"], access_tier="priced", offers=[OFFER]
    )
    try:
        assert [j.meta["title"] for j in queued.jobs_titled(drops)] == [
            f"pricing drop rows {ids['full']}"
        ]
        assert queued.perform(drops) == 1
    finally:
        queued.forget(drops)
    site = {"ignore_auth": True, "user": ""}
    with pytest.raises(tk.ObjectNotFound):
        helpers.call_action("datastore_info", context=site, id=ids["full"])
    # the probe reaches the DataStore: the others are still there
    for name in ("sample", "chosen"):
        assert helpers.call_action("datastore_info", context=site, id=ids[name])["fields"]
