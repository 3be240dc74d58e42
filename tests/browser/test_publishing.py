"""Publishing through the dataset form, as the people who publish do it:

- a seller puts a priced dataset up for sale: an offer, a free sample, a locked file and
  the GDPR checklist; a visitor then gets the sample and not the locked file;
- a municipal editor publishes open data with its GDPR checklist filled in; the dataset
  shows the checklist as complete, and anyone finds it and downloads its file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser import support
from tests.browser.support import LivePortal

pytestmark = [pytest.mark.browser, pytest.mark.module_plugins]

SAMPLE = b"zone,hour,people\nA1,08,400\n"
FULL = b"zone,hour,people\nA1,08,412\nA1,09,515\nB2,08,97\n"
COUNTS = b"station,date,bicycles\nDronning Louises Bro,2025-06-02,41230\n"


@dataclass(frozen=True)
class Publishers:
    seller: dict[str, Any]
    editor: dict[str, Any]


@pytest.fixture(scope="module")
def publishers(live_portal: LivePortal) -> Publishers:
    seller, editor = support.person("seller"), support.person("editor")
    support.organization("Mobilitetsdata ApS", admins=[seller])
    support.organization("Københavns Kommune", admins=[editor])
    return Publishers(seller, editor)


def _declare_anonymised(page: Page, technique: str, k: int) -> None:
    """Answer the GDPR checklist of the dataset form: anonymised data, how, and the
    smallest group behind any number."""
    page.get_by_label("Personal data", exact=True).select_option(
        label="Anonymised (no one can be identified)"
    )
    page.get_by_label("Anonymisation or pseudonymisation technique").fill(technique)
    page.get_by_label("Smallest group size (k)").fill(str(k))
    page.get_by_label("Checklist declared by").select_option(label="The publisher")


def _add_file(page: Page, filename: str, data: bytes, name: str, access: str = "") -> None:
    """Fill the resource step of the form with an uploaded file."""
    with page.expect_file_chooser() as chooser:
        page.locator("#resource-upload-button").click()
    chooser.value.set_files({"name": filename, "mimeType": "text/csv", "buffer": data})
    page.get_by_label("Name").fill(name)
    if access:
        page.get_by_label("Access").select_option(label=access)


def _visitor_gets(chromium: Browser, portal: LivePortal, url: str) -> bytes | None:
    """What someone who is not logged in gets from a URL: the body of a 200, or None."""
    context = chromium.new_context()
    try:
        response = context.request.get(url if url.startswith("http") else portal(url))
        return response.body() if response.ok else None
    finally:
        context.close()


def test_a_seller_puts_a_priced_dataset_up_for_sale(
    page: Page, chromium: Browser, live_portal: LivePortal, publishers: Publishers
) -> None:
    support.log_in(page, publishers.seller)
    page.goto("/dataset/new")
    page.get_by_label("Title").fill("Footfall in Indre By")
    page.get_by_label("Description").fill("People per hour in 100 m squares.")
    page.get_by_label("Visibility").select_option(label="Public")
    page.get_by_label("Access").select_option(label="Priced")
    offer = page.get_by_role("group").filter(has=page.get_by_role("combobox", name="Kind"))
    offer.get_by_label("Kind").select_option(label="One-off purchase")
    offer.get_by_label("Price (kr.)").fill("1.250,00")
    offer.get_by_label("Currency").fill("DKK")
    offer.get_by_label("VAT included").select_option(label="Yes")
    offer.get_by_label("Licence").select_option(label="Internal use only")
    _declare_anonymised(page, "Wi-Fi and camera counts summed per hour and 100 m square", k=10)
    page.get_by_role("button", name="Next: Add Data").click()

    _add_file(page, "sample.csv", SAMPLE, "Sample", access="Free sample")
    page.get_by_role("button", name="Save & add another").click()
    _add_file(page, "full.csv", FULL, "Full data", access="Locked")
    page.get_by_role("button", name=re.compile(r"^(Finish|Publish)$")).click()

    expect(page.get_by_role("heading", name="Footfall in Indre By").first).to_be_visible()
    expect(page.locator("#pricing")).to_contain_text("1,250.00")
    expect(page.locator("#pricing")).to_contain_text("Internal use only")
    expect(page.get_by_text("GDPR checklist complete").first).to_be_visible()
    links = {
        name: page.get_by_role("main").get_by_role(
            "link", name=re.compile(f"^(Navigate to resource: )?{name}")
        )
        for name in ("Sample", "Full data")
    }
    files = {}
    for name, link in links.items():
        link.click()
        files[name] = page.get_by_role("link", name=re.compile(r"Download$")).get_attribute("href")
        page.go_back()
    assert files["Sample"] and files["Full data"]
    assert _visitor_gets(chromium, live_portal, files["Sample"]) == SAMPLE
    assert _visitor_gets(chromium, live_portal, files["Full data"]) != FULL


def test_a_municipal_editor_publishes_open_data_with_its_gdpr_checklist(
    page: Page, chromium: Browser, live_portal: LivePortal, publishers: Publishers
) -> None:
    support.log_in(page, publishers.editor)
    page.goto("/dataset/new")
    page.get_by_label("Title").fill("Bicycle counts at Dronning Louises Bro")
    page.get_by_label("Visibility").select_option(label="Public")
    page.get_by_label("Access").select_option(label="Open data")
    _declare_anonymised(page, "Bicycles counted by an induction loop, summed per day", k=100)
    page.get_by_role("button", name="Next: Add Data").click()
    _add_file(page, "counts.csv", COUNTS, "Daily counts")
    page.get_by_role("button", name=re.compile(r"^(Finish|Publish)$")).click()

    expect(
        page.get_by_role("heading", name="Bicycle counts at Dronning Louises Bro").first
    ).to_be_visible()
    expect(page.get_by_text("GDPR checklist complete").first).to_be_visible()
    page.get_by_role("main").get_by_role(
        "link", name=re.compile("^(Navigate to resource: )?Daily counts")
    ).click()
    download = page.get_by_role("link", name=re.compile(r"Download$")).get_attribute("href")
    assert download
    assert _visitor_gets(chromium, live_portal, download) == COUNTS
    found = _visitor_gets(chromium, live_portal, "/dataset/?q=Dronning")
    assert found is not None and b"Bicycle counts at Dronning Louises Bro" in found
