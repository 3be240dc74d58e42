"""Which files ckanext-xloader may load into the DataStore: uploads, never links (the
loader fetches a link itself, following redirects, without the portal's outbound checks)."""

from __future__ import annotations

import io

import pytest
from ckan.tests import factories, helpers
from ckan.tests.pytest_ckan.fixtures import FakeFileStorage

from ckanext.cityexchange.tests import queued


@pytest.mark.usefixtures("clean_db")
def test_uploads_are_loaded_and_links_are_not() -> None:
    sysadmin = factories.Sysadmin()
    site = {"user": sysadmin["name"]}
    dataset = factories.Dataset(owner_org=factories.Organization()["id"], access_tier="open")
    link = helpers.call_action(
        "resource_create",
        context=site,
        package_id=dataset["id"],
        url="http://127.0.0.1:8983/solr/admin/cores?wt=csv",
        format="CSV",
    )
    upload = helpers.call_action(
        "resource_create",
        context=site,
        package_id=dataset["id"],
        format="CSV",
        upload=FakeFileStorage(io.BytesIO(b"a,b\n1,2\n"), "counts.csv"),
    )
    titles = {queued.xloader_title(dataset["id"], r["id"]) for r in (link, upload)}
    try:
        # created: the upload is queued for loading (by ckanext-xloader's own hook), the link not
        assert [j.meta["title"] for j in queued.jobs_titled(titles)] == [
            queued.xloader_title(dataset["id"], upload["id"])
        ]
        # asked for by hand: refused for the link
        assert helpers.call_action("xloader_submit", context=site, resource_id=link["id"]) is False
        assert len(queued.jobs_titled(titles)) == 1
    finally:
        queued.forget(titles)
