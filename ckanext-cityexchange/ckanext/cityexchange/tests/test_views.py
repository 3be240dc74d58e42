"""The portal-wide request rules answer in the visitor's language and never with a 500."""

from __future__ import annotations

from typing import Any

import pytest
from ckan.tests import factories, helpers


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


@pytest.mark.usefixtures("clean_db")
def test_dashboard_filter_of_an_unknown_type_is_a_400(app: Any) -> None:
    user = factories.UserWithToken()
    auth = {"Authorization": user["token"]}
    app.get("/dashboard/", query_string={"type": "Bar"}, headers=auth, status=400)
    # the page itself is untouched
    app.get("/dashboard/", headers=auth, status=200)


@pytest.mark.usefixtures("clean_db")
def test_chart_routes_need_a_resource_with_a_table(app: Any) -> None:
    sysadmin = factories.SysadminWithToken()
    auth = {"Authorization": sysadmin["token"]}
    dataset = factories.Dataset(owner_org=factories.Organization()["id"], access_tier="open")
    bare = factories.Resource(package_id=dataset["id"], url="http://example.com/a.csv")
    table = factories.Resource(package_id=dataset["id"], url="http://example.com/b.csv")
    helpers.call_action(
        "datastore_create",
        context={"user": sysadmin["name"]},
        resource_id=table["id"],
        force=True,
        fields=[{"id": "district", "type": "text"}, {"id": "cyclists", "type": "int"}],
        records=[{"district": "Amager", "cyclists": 2290}],
    )
    chart = {"engine": "plotly", "type": "Bar", "x": "district", "y": "cyclists"}
    # core ckanext-charts reads the table unchecked: without one it was a server error
    answer = app.get(f"/da_DK/api/utils/charts/{bare['id']}/clear-chart", headers=auth, status=404)
    assert "Denne ressource har ingen tabel at lave diagram af" in answer.body
    app.get(
        f"/api/utils/charts/{table['id']}/update-chart", query_string=chart, headers=auth,
        status=400,
    )  # fmt: skip
    app.get("/api/utils/charts/get-values", query_string={"column": "x"}, status=400)
    # with its table, the same routes draw: the chart's data names the row
    drawn = app.get(
        f"/api/utils/charts/{table['id']}/update-chart",
        query_string=dict(chart, resource_id=table["id"]),
        headers=auth,
        status=200,
    )
    assert "Amager" in drawn.body
