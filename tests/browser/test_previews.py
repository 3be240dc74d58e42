"""Previews that sell: an uploaded CSV loaded into the DataStore by ckanext-xloader in the
worker (its job run here as the worker runs it, fetching the file from the live portal
with the worker's token), shown as a table (datatables_view) and a chart (ckanext-charts);
a locked CSV kept out of the DataStore unless its seller opts in, and then its rows
reach buyers only, through every route that reads them."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import ckan.plugins.toolkit as tk
import pytest
import requests
from ckan.tests import helpers
from playwright.sync_api import Page, expect

from ckanext.cityexchange.tests import queued
from tests.browser import support
from tests.browser.support import LivePortal

pytestmark = [pytest.mark.browser, pytest.mark.module_plugins]

COUNTS = "district,cyclists\nNørrebro,4120\nVesterbro,3310\nAmager,2290\n"


@dataclass
class Shop:
    secret: str
    seller: dict[str, Any]
    buyer: dict[str, Any]
    outsider: dict[str, Any]
    sysadmin: dict[str, Any]
    tokens: dict[str, str]
    priced: dict[str, Any]
    sample: dict[str, Any]
    locked: dict[str, Any]
    opted_in: dict[str, Any]
    sample_chart: dict[str, Any]
    locked_chart: dict[str, Any]


def _chart(user: dict[str, Any], resource: dict[str, Any], x: str, y: str) -> dict[str, Any]:
    return support.act(
        user,
        "resource_view_create",
        resource_id=resource["id"],
        view_type="charts_view",
        title="Cyclists per district",
        engine="plotly",
        type="Bar",
        x=x,
        y=y,
    )


@pytest.fixture(scope="module")
def shop(live_portal: LivePortal) -> Iterator[Shop]:
    secret = "zq" + secrets.token_hex(8)
    sysadmin = helpers.call_action("get_site_user", context={"ignore_auth": True})
    token = helpers.call_action(
        "api_token_create", context={"user": sysadmin["name"]}, user=sysadmin["name"], name="t"
    )["token"]
    seller, buyer, outsider = (support.person(r) for r in ("seller", "buyer", "outsider"))
    org = support.organization("Cykeldata ApS", admins=[seller])
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(tk.config, "ckanext.xloader.api_token", token)
        priced = support.act(
            seller,
            "package_create",
            name=f"cyclists-{secret[-6:]}",
            title="Cykeltællinger pr. bydel",
            owner_org=org["id"],
            access_tier="priced",
            license_id="other-closed",
            offers=[
                {
                    "id": "standard",
                    "kind": "one_off",
                    "amount": 50000,
                    "currency": "DKK",
                    "vat_included": True,
                    "licence": "internal-use",
                }
            ],
        )
        sample = support.upload(
            seller, priced, "sample.csv", COUNTS.encode(), name="Sample", format="CSV",
            access="sample",
        )  # fmt: skip
        full = f"district,cyclists\n{secret}-Nørrebro,9999\n".encode()
        locked = support.upload(
            seller, priced, "full.csv", full, name="Full counts", format="CSV", access="locked"
        )
        opted_in = support.upload(
            seller, priced, "table.csv", full, name="Full counts (table for buyers)",
            format="CSV", access="locked", datastore_load="true",
        )  # fmt: skip
        loads = {queued.xloader_title(priced["id"], r["id"]) for r in (sample, locked, opted_in)}
        loaded = queued.perform(loads)
        assert loaded == 2, loaded  # the sample and the opted-in file; the locked one never queued
        support.act(
            seller, "pricing_entitlement_grant", package_id=priced["id"], holder=buyer["name"]
        )
        people = {"seller": seller, "buyer": buyer, "outsider": outsider, "sysadmin": sysadmin}
        yield Shop(
            secret=secret,
            seller=seller,
            buyer=buyer,
            outsider=outsider,
            sysadmin=sysadmin,
            tokens={
                name: helpers.call_action(
                    "api_token_create", context={"user": u["name"]}, user=u["name"], name="t"
                )["token"]
                for name, u in people.items()
            },
            priced=priced,
            sample=sample,
            locked=locked,
            opted_in=opted_in,
            sample_chart=_chart(seller, sample, "district", "cyclists"),
            locked_chart=_chart(seller, opted_in, "district", "cyclists"),
        )


@pytest.mark.parametrize(("prefix", "table_label"), [("", "Table"), ("/da_DK", "Tabel")])
def test_a_sample_csv_shows_a_table_and_a_chart(
    page: Page, live_portal: LivePortal, shop: Shop, prefix: str, table_label: str
) -> None:
    sample = shop.sample
    views = helpers.call_action("resource_view_list", id=sample["id"])
    assert {v["view_type"] for v in views} == {"datatables_view", "charts_view"}
    base = f"{prefix}/dataset/{shop.priced['name']}/resource/{sample['id']}"

    table = next(v for v in views if v["view_type"] == "datatables_view")
    page.goto(f"{base}?view_id={table['id']}")
    rows = page.frame_locator("iframe").first.locator("table.dataTable tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text("Nørrebro")
    expect(rows.first).to_contain_text("4120")

    page.goto(f"{base}?view_id={shop.sample_chart['id']}")
    bars = page.locator(".js-plotly-plot .bars path, .js-plotly-plot g.point path")
    expect(bars).to_have_count(3)
    expect(page.locator(".js-plotly-plot").get_by_text("Vesterbro")).to_be_visible()
    support.assert_accessible(page)


def test_a_locked_csv_is_never_in_the_datastore(shop: Shop) -> None:
    site = {"ignore_auth": True, "user": shop.sysadmin["name"]}
    with pytest.raises(tk.ObjectNotFound):
        helpers.call_action("datastore_info", context=site, id=shop.locked["id"])
    shown = helpers.call_action("resource_show", context=site, id=shop.locked["id"])
    assert not shown.get("datastore_active")
    # Asked again by its seller: refused, and nothing is queued
    assert support.act(shop.seller, "xloader_submit", resource_id=shop.locked["id"]) is False
    assert queued.jobs_titled({queued.xloader_title(shop.priced["id"], shop.locked["id"])}) == []
    # the probe reaches the DataStore: the opted-in file with the same rows is there
    info = helpers.call_action("datastore_info", context=site, id=shop.opted_in["id"])
    assert [f["id"] for f in info["fields"]] == ["district", "cyclists"]


def _surfaces(portal: LivePortal, shop: Shop) -> dict[str, tuple[str, str, dict[str, Any]]]:
    """Every way to the opted-in locked file's rows: (method, URL, parameters)."""
    rid, pkg = shop.opted_in["id"], shop.priced["name"]
    chart = {"engine": "plotly", "type": "Bar", "x": "district", "y": "cyclists"}
    view = dict(chart, view_type="charts_view", id=shop.locked_chart["id"], resource_id=rid)
    return {
        "datastore_search": ("GET", portal("/api/action/datastore_search"), {"resource_id": rid}),
        "datastore_dump": ("GET", portal(f"/datastore/dump/{rid}"), {}),
        "view page": ("GET", portal(f"/dataset/{pkg}/resource/{rid}/view/{shop.locked_chart['id']}"), {}),
        "view given in the query": (
            "GET", portal(f"/dataset/{pkg}/resource/{rid}/view"), {"resource_view": json.dumps(view)}
        ),
        "chart route": (
            "GET", portal(f"/api/utils/charts/{rid}/update-chart"),
            dict(chart, resource_id=rid, resource_view_id=shop.locked_chart["id"]),
        ),
        "column values": (
            "GET", portal("/api/utils/charts/get-values"), {"resource_id": rid, "column": "district"}
        ),
        "chart form": (
            "GET", portal("/api/utils/charts/update-form"), dict(chart, resource_id=rid)
        ),
    }  # fmt: skip


def _get(shop: Shop, persona: str, method: str, url: str, params: dict[str, Any]) -> str:
    headers = {"Authorization": shop.tokens[persona]} if persona in shop.tokens else {}
    answer = requests.request(method, url, params=params, headers=headers, timeout=60)
    assert answer.status_code < 500, (persona, url, answer.status_code)
    return answer.text + json.dumps(dict(answer.headers))


@pytest.mark.parametrize("persona", ["anonymous", "outsider"])
def test_opted_in_locked_rows_reach_no_one_but_buyers(
    live_portal: LivePortal, shop: Shop, persona: str
) -> None:
    for name, (method, url, params) in _surfaces(live_portal, shop).items():
        # the probe reaches the rows: the buyer and the seller get them by the same call
        if name not in ("chart form",):
            for entitled in ("buyer", "seller"):
                assert shop.secret in _get(shop, entitled, method, url, params), (entitled, name)
        assert shop.secret not in _get(shop, persona, method, url, params), (persona, name)


def test_the_locked_page_explains_and_offers(live_portal: LivePortal, shop: Shop) -> None:
    rid = shop.opted_in["id"]
    answer = requests.get(
        live_portal(f"/api/utils/charts/{rid}/update-chart"),
        params={
            "engine": "plotly",
            "type": "Bar",
            "x": "district",
            "y": "cyclists",
            "resource_id": rid,
        },
        timeout=60,
    )
    assert answer.status_code == 402
    assert re.search(r"locked", answer.text, re.I)
