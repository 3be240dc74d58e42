"""A deal in a deal room, both parties in their own browsers: the buyer asks for data
that is sold on request, the seller offers, the buyer counters, the seller accepts, the
buyer pays by card and then downloads the locked file, byte for byte. Until the payment
is confirmed (by a signed Stripe event, as in test_buyer), the file is not delivered."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser import support
from tests.browser.support import LivePortal

pytestmark = [pytest.mark.browser, pytest.mark.module_plugins]

FULL = b"trip_id,start_zone,end_zone,minutes\n1,K12,N03,14\n2,N03,V07,22\n"
SAMPLE = b"trip_id,start_zone,end_zone,minutes\n1,K12,N03,15\n"


@dataclass(frozen=True)
class Market:
    seller: dict[str, Any]
    dataset: dict[str, Any]
    locked: dict[str, Any]

    @property
    def download_path(self) -> str:
        return f"/dataset/{self.dataset['id']}/resource/{self.locked['id']}/download/trips.csv"


@pytest.fixture(scope="module")
def market(live_portal: LivePortal) -> Market:
    seller = support.person("seller")
    org = support.organization("Mobilitetsdata ApS", admins=[seller])
    dataset = support.act(
        seller,
        "package_create",
        name="bike-trips",
        title="Bike-share trips",
        notes="Every trip with its start and end zone and its duration.",
        owner_org=org["id"],
        access_tier="on_request",
    )
    support.upload(seller, dataset, "sample.csv", SAMPLE, name="Sample", access="sample")
    locked = support.upload(seller, dataset, "trips.csv", FULL, name="All trips", access="locked")
    return Market(seller, dataset, locked)


def _offer(page: Page, kroner: str) -> None:
    """Make an offer (or a counter-offer) in the room that the page shows."""
    page.locator("summary").filter(has_text=re.compile(r"Make an? (counter-)?offer")).click()
    page.get_by_label("Price in kroner, excluding VAT").fill(kroner)
    page.get_by_role("button", name="Send offer").click()


def _state(page: Page) -> Any:
    return page.get_by_role("main").locator(".dealroom-state")


def test_a_deal_from_request_to_paid_access(
    page: Page, other_page: Page, live_portal: LivePortal, market: Market
) -> None:
    buyer, seller = page, other_page
    customer = support.person("buyer")
    support.log_in(buyer, customer)
    support.log_in(seller, market.seller)

    buyer.goto(f"/dataset/{market.dataset['name']}")
    buyer.get_by_role("link", name="Request access").click()
    buyer.get_by_label("Use case").fill("Plan new bike lanes from where trips start and end.")
    buyer.get_by_label("Period (months)").fill("6")
    buyer.get_by_role("button", name="Send request").click()
    expect(_state(buyer)).to_have_text("Requested")
    room = buyer.url

    seller.goto(room)
    seller.get_by_role("button", name="Agree to negotiate").click()
    expect(_state(seller)).to_have_text("Negotiating")
    _offer(seller, "5000")

    buyer.reload()
    expect(buyer.get_by_role("main")).to_contain_text("5,000.00")
    _offer(buyer, "4000")

    seller.reload()
    seller.get_by_role("button", name="Accept this offer").click()
    expect(_state(seller)).to_have_text("Agreed, awaiting payment")

    buyer.reload()
    expect(_state(buyer)).to_have_text("Agreed, awaiting payment")
    assert buyer.request.get(market.download_path).body() != FULL
    support.stand_in_for_stripe_checkout(buyer)
    buyer.get_by_role("button", name="Pay by card").click()
    expect(buyer).to_have_url(support.STRIPE_CHECKOUT)
    order = support.order_of(customer)
    assert (order.source, order.source_ref, order.net) == ("deal", room.rsplit("/", 1)[1], 400000)
    assert buyer.request.get(market.download_path).body() != FULL

    support.pay_at_stripe(live_portal, order)
    buyer.goto(room)
    expect(_state(buyer)).to_have_text("Active")
    buyer.get_by_role("main").get_by_role("link", name="Bike-share trips").click()
    buyer.get_by_role("main").get_by_role(
        "link", name=re.compile("^(Navigate to resource: )?All trips")
    ).click()
    with buyer.expect_download() as download:
        buyer.get_by_role("link", name=re.compile(r"Download$")).click()
    assert Path(download.value.path()).read_bytes() == FULL
