"""The portal-wide request rules answer in the visitor's language and never with a 500."""

from __future__ import annotations

from typing import Any

import pytest
from ckan.tests import factories


@pytest.mark.usefixtures("clean_db")
def test_bulk_page_of_a_group_is_a_404_in_danish(app: Any) -> None:
    sysadmin = factories.SysadminWithToken()
    group = factories.Group()
    organization = factories.Organization()
    auth = {"Authorization": sysadmin["token"]}
    # Core raises a bare exception here (a 500) for a group that is not an organization.
    response = app.get(f"/da_DK/group/bulk_process/{group['name']}", headers=auth, status=404)
    assert "Massehandlinger gælder kun for organisationer" in response.body
    # The organization's bulk page is untouched.
    page = app.get(f"/organization/bulk_process/{organization['name']}", headers=auth)
    assert page.status_code == 200, page.body[-3000:]


@pytest.mark.usefixtures("clean_db")
def test_hostile_input_is_refused_in_danish(app: Any) -> None:
    response = app.get("/da_DK/dataset/", query_string={"q": "a\x00b"}, status=400)
    assert "Forespørgslen blev afvist" in response.body
    assert "indeholder et NUL-tegn" in response.body
    answer = app.post(
        "/api/3/action/package_search",
        json={"q": "x" * 200_001},
        headers={"Accept-Language": "da"},
        status=400,
    )
    assert answer.json["success"] is False
    assert "q" in answer.json["error"]
