"""A buyer buys a priced dataset in the browser and downloads its locked file.

The Buy button creates the checkout session at stripe-mock (Stripe's API, run by
scripts/services.sh); the browser is then sent to Stripe's hosted payment page, which
stands in here as a page of the test's own (the machine has no network). The payment is
confirmed as Stripe confirms it: a signed ``checkout.session.completed`` event posted to
the portal's webhook over HTTP, signed and built by the pricing tests' own helpers.
Before that, the locked file is not delivered; after it, the buyer gets its exact bytes.
"""

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

FULL = b"zone,hour,people\nA1,08,412\nA1,09,515\nB2,08,97\n"
SAMPLE = b"zone,hour,people\nA1,08,400\n"


@dataclass(frozen=True)
class Shop:
    dataset: dict[str, Any]
    locked: dict[str, Any]

    @property
    def download_path(self) -> str:
        """Where CKAN serves the locked file (the real URL, which a buyer may know)."""
        return f"/dataset/{self.dataset['id']}/resource/{self.locked['id']}/download/full.csv"


@pytest.fixture(scope="module")
def shop(live_portal: LivePortal) -> Shop:
    seller = support.person("seller")
    org = support.organization("Mobilitetsdata ApS", admins=[seller])
    dataset = support.act(
        seller,
        "package_create",
        name="footfall-indre-by",
        title="Footfall in Indre By",
        notes="People per hour in 100 m squares.",
        owner_org=org["id"],
        access_tier="priced",
        offers=[
            {
                "id": "standard",
                "kind": "one_off",
                "amount": 125000,
                "currency": "DKK",
                "vat_included": True,
                "licence": "internal-use",
            }
        ],
    )
    support.upload(seller, dataset, "sample.csv", SAMPLE, name="Sample", access="sample")
    locked = support.upload(seller, dataset, "full.csv", FULL, name="Full data", access="locked")
    return Shop(dataset, locked)


def _delivered(page: Page, shop: Shop) -> bool:
    """Whether the buyer's browser session gets the locked file from its real URL."""
    response = page.request.get(shop.download_path)
    return response.ok and response.body() == FULL


def test_a_buyer_pays_and_downloads_the_locked_file(
    page: Page, live_portal: LivePortal, shop: Shop
) -> None:
    buyer = support.person("buyer")
    support.log_in(page, buyer)
    page.goto(f"/dataset/{shop.dataset['name']}")
    main = page.get_by_role("main")

    # Before paying: the locked file leads to its offers, and its real URL gives nothing.
    main.get_by_role("link", name=re.compile(r"^(Navigate to resource: )?Full data")).click()
    page.get_by_role("link", name=re.compile(r"Download$")).click()
    expect(page).to_have_url(re.compile(rf"/pricing/locked/{shop.locked['id']}$"))
    assert not _delivered(page, shop)

    support.stand_in_for_stripe_checkout(page)
    page.goto(f"/dataset/{shop.dataset['name']}")
    main.get_by_role("button", name="Buy").click()
    expect(page).to_have_url(support.STRIPE_CHECKOUT)
    order = support.order_of(buyer)
    assert order.state == "pending" and order.stripe_session_id
    assert not _delivered(page, shop)  # an order is not a payment

    support.pay_at_stripe(live_portal, order)

    # Stripe sends the buyer back to the portal.
    page.goto(f"/pricing/checkout/{order.id}/success")
    expect(page.get_by_text("Your payment is confirmed")).to_be_visible()
    main.get_by_role("link", name="Go to the dataset").click()
    main.get_by_role("link", name=re.compile(r"^(Navigate to resource: )?Full data")).click()
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile(r"Download$")).click()
    assert Path(download.value.path()).read_bytes() == FULL
