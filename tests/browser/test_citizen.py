"""A citizen searches the catalog for open data, opens a dataset and downloads its file,
in English and in Danish; what they download is byte for byte the file the municipality
uploaded."""

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

BENCHES = "bench_id,street,seats\n1,Valby Langgade,4\n2,Toftegårds Plads,6\n".encode()


@dataclass(frozen=True)
class Language:
    prefix: str  # of every path in this language
    html_lang: str
    found: str  # in the heading over the search results
    download: str  # the resource page's download button


LANGUAGES = {
    "en": Language(prefix="", html_lang="en", found="found", download="Download"),
    "da": Language(prefix="/da_DK", html_lang="da-DK", found="fundet", download="Hent"),
}


@dataclass(frozen=True)
class OpenData:
    dataset: dict[str, Any]
    resource: dict[str, Any]
    other: dict[str, Any]  # open too, but not what the citizen looks for


@pytest.fixture(scope="module")
def open_data(live_portal: LivePortal) -> OpenData:
    editor = support.person("editor")
    org = support.organization("Københavns Kommune", admins=[editor])
    dataset = support.act(
        editor,
        "package_create",
        name="benches-valby",
        title="Benches in Valby",
        notes="Every public bench in Valby, with its street and number of seats.",
        owner_org=org["id"],
        access_tier="open",
        license_id="cc-zero",
    )
    resource = support.upload(
        editor, dataset, "benches-valby.csv", BENCHES, name="Benches (CSV)", format="CSV"
    )
    other = support.act(
        editor,
        "package_create",
        name="street-trees-valby",
        title="Street trees in Valby",
        owner_org=org["id"],
        access_tier="open",
        license_id="cc-zero",
    )
    return OpenData(dataset, resource, other)


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_a_citizen_finds_open_data_and_downloads_it(
    page: Page, open_data: OpenData, language: str
) -> None:
    lang = LANGUAGES[language]
    page.goto(f"{lang.prefix}/dataset/")
    expect(page.locator("html")).to_have_attribute("lang", lang.html_lang)

    search = page.get_by_role("main").get_by_role("textbox")
    search.fill("benches")
    search.press("Enter")
    expect(page.get_by_role("heading", name=re.compile(rf"^1 \S+ {lang.found}"))).to_be_visible()
    expect(page.get_by_role("link", name=open_data.other["title"])).to_have_count(0)
    page.get_by_role("link", name=open_data.dataset["title"]).click()

    expect(page).to_have_url(re.compile(rf"{lang.prefix}/dataset/{open_data.dataset['name']}$"))
    expect(page.get_by_role("heading", name=open_data.dataset["title"]).first).to_be_visible()
    page.get_by_role("main").get_by_role("link", name=open_data.resource["name"]).click()

    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile(rf"{lang.download}$")).click()
    assert download.value.suggested_filename == "benches-valby.csv"
    assert Path(download.value.path()).read_bytes() == BENCHES


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_the_search_box_suggests_titles_and_better_spellings(
    page: Page, open_data: OpenData, language: str
) -> None:
    lang = LANGUAGES[language]
    page.goto(f"{lang.prefix}/dataset/")
    search = page.get_by_role("main").get_by_role("textbox")
    # Typing the beginning of a word lists the datasets whose titles have it, as links.
    search.press_sequentially("benc", delay=30)
    suggested = page.get_by_role(
        "navigation", name={"en": "Suggested datasets", "da": "Foreslåede datasæt"}[language]
    )
    expect(suggested.get_by_role("link")).to_have_count(1)
    expect(suggested.get_by_role("link", name=open_data.dataset["title"])).to_have_attribute(
        "href", f"{lang.prefix}/dataset/{open_data.dataset['name']}"
    )
    search.fill("")
    expect(suggested).to_be_hidden()
    # A misspelled search is offered the spelling that finds the dataset.
    search.fill("benchs")
    search.press("Enter")
    did_you_mean = {"en": "Did you mean", "da": "Mente du"}[language]
    expect(page.get_by_text(did_you_mean)).to_be_visible()
    page.get_by_role("link", name="benches", exact=True).click()
    expect(page.get_by_role("heading", name=re.compile(rf"^1 \S+ {lang.found}"))).to_be_visible()
    expect(page.get_by_role("link", name=open_data.dataset["title"])).to_be_visible()
    support.assert_accessible(page)
