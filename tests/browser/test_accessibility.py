"""The main pages pass axe-core's accessibility rules: any violation of serious or
critical impact fails the page, naming the rule, what it asks for and the elements that
break it. Each page is checked as the person who uses it sees it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import Page

from tests.browser import support
from tests.browser.support import LivePortal

pytestmark = [pytest.mark.browser, pytest.mark.module_plugins]

CSV = b"id,value\n1,42\n"


@dataclass(frozen=True)
class Catalog:
    commercial: dict[str, Any]
    open: dict[str, Any]
    room: dict[str, Any]
    seller: dict[str, Any]
    buyer: dict[str, Any]


@pytest.fixture(scope="module")
def catalog(live_portal: LivePortal) -> Catalog:
    seller, editor, buyer = (support.person(role) for role in ("seller", "editor", "buyer"))
    company = support.organization("Mobilitetsdata ApS", admins=[seller])
    municipality = support.organization("Københavns Kommune", admins=[editor])
    commercial = support.act(
        seller,
        "package_create",
        name="footfall",
        title="Footfall in Indre By",
        notes="People per hour in 100 m squares.",
        owner_org=company["id"],
        access_tier="priced",
        offers=[
            {
                "id": "standard",
                "kind": "one_off",
                "amount": 450000,
                "currency": "DKK",
                "vat_included": False,
                "licence": "internal-use",
            }
        ],
    )
    support.upload(seller, commercial, "sample.csv", CSV, name="Sample", access="sample")
    support.upload(seller, commercial, "full.csv", CSV, name="Full data", access="locked")
    on_request = support.act(
        seller,
        "package_create",
        name="bike-trips",
        title="Bike-share trips",
        owner_org=company["id"],
        access_tier="on_request",
    )
    open_data = support.act(
        editor,
        "package_create",
        name="street-trees",
        title="Street trees",
        notes="Every street tree with its species and height.",
        owner_org=municipality["id"],
        access_tier="open",
        license_id="cc-zero",
    )
    support.upload(editor, open_data, "trees.csv", CSV, name="Trees", format="CSV")
    room = support.act(
        buyer,
        "dealroom_create",
        package_id=on_request["id"],
        deal_type="sale",
        use_case="Plan new bike lanes from where trips start and end.",
    )
    return Catalog(commercial, open_data, room, seller, buyer)


@dataclass(frozen=True)
class Audit:
    path: str  # with {placeholders} read from the catalog
    persona: str | None = None  # who is logged in: a Catalog attribute

    def url(self, catalog: Catalog) -> str:
        return self.path.format(
            commercial=catalog.commercial["name"],
            open=catalog.open["name"],
            room=catalog.room["id"],
        )


PAGES = {
    "home": Audit("/"),
    "search": Audit("/dataset/"),
    "commercial dataset": Audit("/dataset/{commercial}"),
    "open dataset": Audit("/dataset/{open}"),
    "dataset form": Audit("/dataset/new", persona="seller"),
    "deal room": Audit("/dealroom/{room}", persona="buyer"),
    "login": Audit("/user/login"),
}


@pytest.mark.parametrize("name", list(PAGES))
def test_the_page_has_no_serious_accessibility_violation(
    page: Page, catalog: Catalog, name: str
) -> None:
    audit = PAGES[name]
    if audit.persona:
        support.log_in(page, getattr(catalog, audit.persona))
    response = page.goto(audit.url(catalog))
    assert response is not None and response.ok, f"{name}: {response and response.status}"
    support.assert_accessible(page)


def test_the_check_names_what_breaks_a_rule(page: Page) -> None:
    """The check itself fails, with the rule and the element, on a page that breaks it."""
    page.set_content(
        "<!doctype html><html lang='en'><title>Broken</title>"
        "<main><h1>Broken</h1><img id='chart' src='data:,'></main></html>"
    )
    with pytest.raises(AssertionError) as failure:
        support.assert_accessible(page)
    assert "image-alt (critical)" in str(failure.value) and '["#chart"]' in str(failure.value)
