"""The exchange's theme: a home page with live figures of the catalog as the visitor may
see it, and the links the suite's plugins add to the header and the footer."""

from __future__ import annotations

from typing import Any

import pytest
from bs4 import BeautifulSoup
from ckan.tests import factories, helpers

pytestmark = [pytest.mark.usefixtures("clean_db", "clean_index")]


def _figures(html: str) -> dict[str, int]:
    soup = BeautifulSoup(html, "html.parser")
    return {
        div.dt.get_text(strip=True): int(div.dd.get_text(strip=True))
        for div in soup.select(".cdx-figures > div")
    }


def test_the_home_page_counts_what_the_visitor_may_see(app: Any) -> None:
    seller = factories.User()
    org = factories.Organization(users=[{"name": seller["name"], "capacity": "admin"}])
    other = factories.Organization()
    context = {"user": seller["name"]}
    offer = {"id": "a", "amount": 100, "currency": "DKK", "licence": "internal-use"}
    for n in range(3):
        helpers.call_action(
            "package_create", context=context, name=f"open-{n}", owner_org=org["id"]
        )
    helpers.call_action(
        "package_create",
        context=context,
        name="priced",
        owner_org=org["id"],
        access_tier="priced",
        offers=[offer],
    )
    helpers.call_action(
        "package_create",
        context=context,
        name="asked",
        owner_org=other["id"],
        access_tier="on_request",
    )
    helpers.call_action(
        "package_create", context=context, name="hidden", owner_org=org["id"], private=True
    )
    html = app.get("/").get_data(as_text=True)
    assert _figures(html) == {
        "Open datasets": 3,
        "Commercial offers": 2,
        "Publishers": 2,
        "Harvested portals": 0,
    }
    lists = BeautifulSoup(html, "html.parser").select(".cdx-lists a")
    shown = {a["href"].rsplit("/", 1)[-1] for a in lists if "/dataset/" in a["href"]}
    assert {"priced", "asked", "open-2"} <= shown and "hidden" not in shown


def test_header_and_footer_links_from_the_suites_plugins(app: Any) -> None:
    visitor = BeautifulSoup(app.get("/").get_data(as_text=True), "html.parser")
    assert not visitor.select('header a[href="/pricing/my-data"]')
    assert visitor.select('footer a[href="/harvest-status"]')
    user = factories.UserWithToken()
    page = BeautifulSoup(
        app.get("/", headers={"Authorization": user["token"]}).get_data(as_text=True),
        "html.parser",
    )
    hrefs = {a["href"] for a in page.select("header nav a")}
    assert {"/pricing/my-data", "/pricing/orders", "/dealroom"} <= hrefs
