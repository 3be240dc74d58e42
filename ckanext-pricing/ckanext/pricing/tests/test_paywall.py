"""The leak matrix: every surface through which data leaves the portal, asked by every
kind of user who is not entitled. The secret marker in each locked resource's URL and
data must appear in no response body and no response header.

Then the positive side: entitled buyers and the seller's people get the data.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

import ckan.plugins.toolkit as tk
import pytest
from ckan.lib import search

from ckanext.pricing.tests.conftest import World

pytestmark = pytest.mark.module_plugins

NOT_ENTITLED = ["anonymous", "outsider", "rival", "expired", "revoked"]


def _headers(world: World, persona: str) -> dict[str, str]:
    return {} if persona == "anonymous" else {"Authorization": world.tokens[persona]}


def _api(app: Any, headers: dict[str, str], action: str, **params: Any) -> Any:
    return app.post(f"/api/3/action/{action}", json=params, headers=headers)


def _surfaces(world: World) -> Iterable[tuple[str, Callable[[Any, dict[str, str]], Any]]]:
    ds, secret = world.dataset, world.secret
    act_ids = [a["id"] for a in world.activities]
    locked = world.locked

    yield "package_show", lambda app, h: _api(app, h, "package_show", id=ds["id"])
    yield (
        "package_show default schema",
        lambda app, h: _api(app, h, "package_show", id=ds["id"], use_default_schema=True),
    )
    yield (
        "package_show by name, no cache",
        lambda app, h: _api(
            app, h, "package_show", name_or_id=ds["name"], include_plugin_data=True
        ),
    )
    for res in locked:
        yield (
            f"resource_show {res['name']}",
            (lambda rid: lambda app, h: _api(app, h, "resource_show", id=rid))(res["id"]),
        )
    yield "package_search", lambda app, h: _api(app, h, "package_search", q="*:*", rows=100)
    yield (
        "package_search fl",
        lambda app, h: _api(
            app,
            h,
            "package_search",
            q="*:*",
            fl="id,res_url,urls,data_dict,validated_data_dict,text,extras_*,res_extras_*,*",
        ),
    )
    yield (
        "package_search q on res_url",
        lambda app, h: _api(app, h, "package_search", q=f"res_url:*{secret}*"),
    )
    yield "package_search q on text", lambda app, h: _api(app, h, "package_search", q=secret)
    yield (
        "package_search facet on res_url",
        lambda app, h: _api(
            app,
            h,
            "package_search",
            q="*:*",
            **{"facet.field": ["res_url", "urls", "text"]},
            **{"facet.limit": -1},
        ),
    )
    yield "package_search fq", lambda app, h: _api(app, h, "package_search", fq=f"urls:*{secret}*")
    yield (
        "current_package_list_with_resources",
        lambda app, h: _api(app, h, "current_package_list_with_resources", limit=100),
    )
    yield (
        "resource_search by url",
        lambda app, h: _api(app, h, "resource_search", query=f"url:{secret}"),
    )
    yield (
        "resource_search by name",
        lambda app, h: _api(app, h, "resource_search", query="name:Full"),
    )
    yield (
        "resource_view_list",
        lambda app, h: _api(app, h, "resource_view_list", id=world.link["id"]),
    )
    yield (
        "resource_view_show",
        lambda app, h: _api(app, h, "resource_view_show", id=world.view["id"]),
    )
    yield (
        "datastore_search",
        lambda app, h: _api(app, h, "datastore_search", resource_id=world.datastore["id"]),
    )
    yield "datastore_info", lambda app, h: _api(app, h, "datastore_info", id=world.datastore["id"])
    yield (
        "datastore_search_sql",
        lambda app, h: _api(
            app, h, "datastore_search_sql", sql=f'SELECT * FROM "{world.datastore["id"]}"'
        ),
    )
    yield (
        "datastore dump",
        lambda app, h: app.get(
            f"/datastore/dump/{world.datastore['id']}", headers=h, follow_redirects=False
        ),
    )
    for res in locked:
        yield (
            f"download {res['name']}",
            (
                lambda rid: (
                    lambda app, h: app.get(
                        f"/dataset/{ds['id']}/resource/{rid}/download",
                        headers=h,
                        follow_redirects=False,
                    )
                )
            )(res["id"]),
        )
        yield (
            f"download {res['name']} (followed)",
            (
                lambda rid: (
                    lambda app, h: app.get(
                        f"/dataset/{ds['id']}/resource/{rid}/download", headers=h
                    )
                )
            )(res["id"]),
        )
    yield (
        "download upload by filename",
        lambda app, h: app.get(
            f"/dataset/{ds['id']}/resource/{world.upload['id']}/download/{secret}-full.csv",
            headers=h,
        ),
    )
    yield (
        "signed link without signature",
        lambda app, h: app.get(
            f"/pricing/fetch/{world.link['id']}?u=x&e=9999999999&s=forged", headers=h
        ),
    )
    yield (
        "placeholder page",
        lambda app, h: app.get(f"/pricing/locked/{world.link['id']}", headers=h),
    )
    yield "package_activity_list", lambda app, h: _api(app, h, "package_activity_list", id=ds["id"])
    yield (
        "organization_activity_list",
        lambda app, h: _api(app, h, "organization_activity_list", id=world.org["id"]),
    )
    yield (
        "group_activity_list",
        lambda app, h: _api(app, h, "group_activity_list", id=world.group["id"]),
    )
    yield (
        "user_activity_list (seller)",
        lambda app, h: _api(app, h, "user_activity_list", id=world.users["seller_admin"]["name"]),
    )
    yield (
        "recently_changed_packages_activity_list",
        lambda app, h: _api(app, h, "recently_changed_packages_activity_list"),
    )
    yield "dashboard_activity_list", lambda app, h: _api(app, h, "dashboard_activity_list")
    for act_id in act_ids:
        yield (
            f"activity_show {act_id}",
            (lambda a: lambda app, h: _api(app, h, "activity_show", id=a, include_data=True))(
                act_id
            ),
        )
        yield (
            f"activity_data_show {act_id}",
            (lambda a: lambda app, h: _api(app, h, "activity_data_show", id=a))(act_id),
        )
        yield (
            f"activity_data_show package {act_id}",
            (
                lambda a: (
                    lambda app, h: _api(app, h, "activity_data_show", id=a, object_type="package")
                )
            )(act_id),
        )
        yield (
            f"activity_diff {act_id}",
            (
                lambda a: (
                    lambda app, h: _api(
                        app, h, "activity_diff", id=a, object_type="package", diff_type="html"
                    )
                )
            )(act_id),
        )
        yield (
            f"page: changes {act_id}",
            (lambda a: lambda app, h: app.get(f"/dataset/changes/{a}", headers=h))(act_id),
        )
        yield (
            f"page: dataset history {act_id}",
            (lambda a: lambda app, h: app.get(f"/dataset/{ds['name']}?activity_id={a}", headers=h))(
                act_id
            ),
        )
    yield "page: dataset", lambda app, h: app.get(f"/dataset/{ds['name']}", headers=h)
    for res in locked:
        yield (
            f"page: resource {res['name']}",
            (
                lambda rid: (
                    lambda app, h: app.get(f"/dataset/{ds['name']}/resource/{rid}", headers=h)
                )
            )(res["id"]),
        )
    yield (
        "page: resource view",
        lambda app, h: app.get(
            f"/dataset/{ds['name']}/resource/{world.link['id']}/view/{world.view['id']}", headers=h
        ),
    )
    yield (
        "page: dataset activity",
        lambda app, h: app.get(f"/dataset/activity/{ds['name']}", headers=h),
    )
    yield (
        "page: organisation",
        lambda app, h: app.get(f"/organization/{world.org['name']}", headers=h),
    )
    yield (
        "page: organisation activity",
        lambda app, h: app.get(f"/organization/activity/{world.org['name']}", headers=h),
    )
    yield "page: group", lambda app, h: app.get(f"/group/{world.group['name']}", headers=h)
    yield "page: search", lambda app, h: app.get("/dataset/", headers=h)
    # The page echoes its query: probe with a wildcard on all but the marker's last characters.
    yield (
        "page: search for the secret",
        lambda app, h: app.get(f"/dataset/?q={secret[:-3]}*", headers=h),
    )
    yield "page: dashboard", lambda app, h: app.get("/dashboard/", headers=h)
    for fmt in ("rdf", "ttl", "jsonld", "xml", "n3"):
        yield (
            f"dcat dataset .{fmt}",
            (lambda f: lambda app, h: app.get(f"/dataset/{ds['name']}.{f}", headers=h))(fmt),
        )
        yield (
            f"dcat catalog .{fmt}",
            (lambda f: lambda app, h: app.get(f"/catalog.{f}", headers=h))(fmt),
        )
    yield "dcat.json", lambda app, h: app.get("/dcat.json", headers=h)


def _leaks(response: Any, secret: str) -> list[str]:
    where = []
    if secret in response.get_data(as_text=True):
        where.append("body")
    for name, value in response.headers.items():
        if secret in value:
            where.append(f"header {name}")
    return where


def _assert_no_leak(app: Any, world: World, persona: str) -> int:
    headers = _headers(world, persona)
    leaks, errors, count = [], [], 0
    for label, call in _surfaces(world):
        response = call(app, headers)
        count += 1
        if response.status_code >= 500:
            errors.append(f"{label}: HTTP {response.status_code}")
        found = _leaks(response, world.secret)
        if found:
            leaks.append(f"{label}: {', '.join(found)} (HTTP {response.status_code})")
    assert leaks == [], f"{persona} received locked data"
    assert errors == []
    return count


@pytest.mark.ckan_config("ckan.auth.public_activity_stream_detail", True)
@pytest.mark.ckan_config("ckan.auth.public_user_details", True)
@pytest.mark.parametrize("persona", NOT_ENTITLED)
def test_no_surface_leaks_locked_data(app: Any, world: World, persona: str) -> None:
    """Worst case: activity details and user pages public to everyone."""
    assert _assert_no_leak(app, world, persona) > 60


@pytest.mark.parametrize("persona", ["anonymous", "outsider"])
def test_no_surface_leaks_with_the_portal_defaults(app: Any, world: World, persona: str) -> None:
    _assert_no_leak(app, world, persona)


def test_the_index_never_holds_a_locked_url(world: World) -> None:
    """Ask Solr directly, bypassing CKAN's permission filters."""
    conn = search.make_connection()
    found = conn.search(
        q=f'text:"{world.secret}" OR res_url:*{world.secret}* OR urls:*{world.secret}*', fl="*"
    )
    assert found.hits == 0
    docs = conn.search(q=f'id:"{world.dataset["id"]}"', fl="*").docs
    assert docs and world.secret not in json.dumps(docs, default=str)


# --- the positive side ------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["buyer", "org_buyer"])
def test_entitled_buyers_get_the_data_but_never_the_upstream_url(
    app: Any, world: World, persona: str
) -> None:
    h = _headers(world, persona)
    shown = _api(app, h, "package_show", id=world.dataset["id"]).json["result"]
    urls = {r["id"]: r["url"] for r in shown["resources"]}
    assert world.secret not in urls[world.link["id"]]  # a signed link, not the upstream URL
    assert "/pricing/fetch/" in urls[world.link["id"]]

    # the linked resource, through the signed link, from the seller's server
    fetched = app.get(urls[world.link["id"]].replace(tk.config["ckan.site_url"], ""))
    assert fetched.status_code == 200 and f"{world.secret}-link-data" in fetched.get_data(
        as_text=True
    )
    # the download route hands out the signed link, never a redirect upstream
    redirect = app.get(
        f"/dataset/{world.dataset['id']}/resource/{world.link['id']}/download",
        headers=h,
        follow_redirects=False,
    )
    assert redirect.status_code == 302 and "/pricing/fetch/" in redirect.headers["Location"]
    # the uploaded file
    got = app.get(
        f"/dataset/{world.dataset['id']}/resource/{world.upload['id']}/download", headers=h
    )
    assert got.status_code == 200 and f"{world.secret}-file-data" in got.get_data(as_text=True)
    # the DataStore rows
    rows = _api(app, h, "datastore_search", resource_id=world.datastore["id"]).json["result"][
        "records"
    ]
    assert [r["value"] for r in rows] == [f"{world.secret}-row"]


@pytest.mark.ckan_config("ckan.auth.public_activity_stream_detail", True)
@pytest.mark.parametrize("persona", ["buyer", "org_buyer"])
def test_entitled_buyers_never_see_the_upstream_url(app: Any, world: World, persona: str) -> None:
    upstream_url = world.link["url"]
    h = _headers(world, persona)
    leaks = [
        label
        for label, call in _surfaces(world)
        if not label.startswith(("download", "signed link", "placeholder"))
        and upstream_url in call(app, h).get_data(as_text=True)
    ]
    assert leaks == []


@pytest.mark.parametrize("persona", ["seller_admin", "seller_editor", "seller_member", "sysadmin"])
def test_the_seller_side_sees_and_gets_everything(app: Any, world: World, persona: str) -> None:
    h = _headers(world, persona)
    shown = _api(app, h, "package_show", id=world.dataset["id"]).json["result"]
    urls = {r["id"]: r["url"] for r in shown["resources"]}
    assert urls[world.link["id"]] == world.link["url"]
    assert world.secret in urls[world.upload["id"]]
    got = app.get(
        f"/dataset/{world.dataset['id']}/resource/{world.upload['id']}/download", headers=h
    )
    assert f"{world.secret}-file-data" in got.get_data(as_text=True)
    rows = _api(app, h, "datastore_search", resource_id=world.datastore["id"]).json["result"][
        "records"
    ]
    assert len(rows) == 1


def test_buyer_downloads_are_logged_for_the_seller(app: Any, world: World) -> None:
    h = _headers(world, "buyer")
    app.get(f"/dataset/{world.dataset['id']}/resource/{world.upload['id']}/download", headers=h)
    log = _api(
        app,
        _headers(world, "seller_editor"),
        "pricing_download_list",
        package_id=world.dataset["id"],
    ).json["result"]
    assert any(
        e["user"] == world.users["buyer"]["name"] and e["resource_id"] == world.upload["id"]
        for e in log
    )
    assert _api(app, h, "pricing_download_list", package_id=world.dataset["id"]).status_code == 403


def test_locked_resources_show_their_metadata_and_a_purchase_link(app: Any, world: World) -> None:
    shown = _api(app, {}, "package_show", id=world.dataset["id"]).json["result"]
    link = next(r for r in shown["resources"] if r["id"] == world.link["id"])
    assert link["name"] == "Full data (link)" and link["format"] == "CSV"
    assert link["url"].endswith(f"/pricing/locked/{world.link['id']}") and link["pricing_locked"]
    sample = next(r for r in shown["resources"] if r["id"] == world.sample["id"])
    assert sample["url"] == world.sample["url"]
    page = app.get(f"/dataset/{world.dataset['name']}").get_data(as_text=True)
    assert "pricing-box" in page and "Locked" in page and "Free sample" in page
