"""Danish-aware search (solr/conf/schema.xml and ``ckanext.cityexchange.search.query_fields``),
spelling suggestions and autocomplete, on a real Solr core with the suite's schema.

Every finding is checked against stock CKAN's query fields on the same index (the caller's
``qf`` wins), so each test shows what the Danish fields add, not only that search runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from ckan import plugins
from ckan.tests import factories, helpers

pytestmark = pytest.mark.module_plugins

STOCK_QF = "name^4 title^4 tags^2 groups^2 text"
TITLES = {
    "luft": "Luftkvalitet fra målestationer i Aarhus",
    "cykel": "Bycykelture i København 2025",
    "parkering": "Parkeringszoner i Kobenhavn",
    "gammel": "Kjøbenhavns Brandforsikring 1850",
    "english": "Traffic counts on city bridges",
    "havn": "Havnens badevand",
    "trae": "Gadetræer i Odense",
}
SECRET = "Hemmelighedsfuldt regnskab for Nordhavn"


@dataclass
class World:
    names: dict[str, str]
    secret: str
    member: str


@pytest.fixture(scope="module")
def world(reset_portal_db: Any, reset_index: Any) -> Iterator[World]:
    plugins.load_all()
    reset_portal_db()
    reset_index()
    org = factories.Organization()
    names = {}
    for key, title in TITLES.items():
        notes = (
            "Hourly counts of vehicles and bicycles." if key == "english" else "Data fra kommunen."
        )
        names[key] = factories.Dataset(owner_org=org["id"], title=title, notes=notes)["name"]
    member = factories.User()
    other = factories.Organization(users=[{"name": member["name"], "capacity": "member"}])
    secret = factories.Dataset(owner_org=other["id"], title=SECRET, private=True)["name"]
    yield World(names, secret, member["name"])


def _found(q: str, user: str = "", **params: Any) -> list[str]:
    result = helpers.call_action(
        "package_search", context={"user": user}, q=q, rows=50, include_private=True, **params
    )
    return [d["name"] for d in result["results"]]


@pytest.mark.parametrize(
    ("query", "key"),
    [
        ("luft", "luft"),  # the first part of a compound
        ("kvalitet", "luft"),  # the last part
        ("cykel", "cykel"),  # a part in the middle (By-cykel-ture)
        ("cykelture", "cykel"),
        ("parkering", "parkering"),
        ("københavn", "parkering"),  # written without ø
        ("københavn", "gammel"),  # the spelling before 1948 (Kjøbenhavn)
        ("kobenhavn", "cykel"),  # typed without ø
        ("Århus", "luft"),  # aa and å
        ("målestation", "luft"),  # Danish stemming (målestationer)
        ("bike", "cykel"),  # synonyms across the two languages
        ("air", "luft"),
        ("parking", "parkering"),
    ],
)
def test_danish_queries_find_what_stock_ckan_misses_or_finds(
    world: World, query: str, key: str
) -> None:
    assert world.names[key] in _found(query)


@pytest.mark.parametrize(
    ("query", "key"),
    [
        ("luft", "luft"),
        ("cykel", "cykel"),
        ("kvalitet", "luft"),
        ("bike", "cykel"),
        ("air", "luft"),
        ("københavn", "gammel"),
    ],
)
def test_the_probes_need_the_danish_fields(world: World, query: str, key: str) -> None:
    # The same index searched with stock CKAN's fields misses the dataset: what the
    # tests above find comes from the Danish analysis.
    assert world.names[key] not in _found(query, qf=STOCK_QF)
    assert world.names[key] in _found(query)


@pytest.mark.parametrize(
    ("query", "key"), [("traffic", "english"), ("bridge", "english"), ("bicycle", "english")]
)
def test_english_text_keeps_its_english_analysis(world: World, query: str, key: str) -> None:
    assert world.names[key] in _found(query)
    assert world.names[key] in _found(query, qf=STOCK_QF)


def test_whole_words_rank_above_parts_of_compounds(world: World) -> None:
    # "havn" is a word of "Havnens badevand" and only a piece of "København" and
    # "Kobenhavn": the dataset about the harbour comes first.
    found = _found("havn")
    assert found[0] == world.names["havn"]
    assert world.names["cykel"] in found  # København's part still matches, below


def test_a_misspelled_search_is_offered_a_spelling_that_finds_something(world: World) -> None:
    suggestions = helpers.call_action(
        "cityexchange_search_suggest", context={"user": ""}, q="luftkvalitt"
    )
    assert suggestions and suggestions[0]["q"] == "luftkvalitet" and suggestions[0]["count"] == 1
    assert (
        helpers.call_action("cityexchange_search_suggest", context={"user": ""}, q="luftkvalitet")
        == []
    )


def test_suggestions_and_autocomplete_never_reveal_a_private_dataset(world: World) -> None:
    misspelled = "hemmelighedsfult"
    # The member of the owning organisation is offered the word and the title ...
    member = helpers.call_action(
        "cityexchange_search_suggest", context={"user": world.member}, q=misspelled
    )
    assert [s["q"] for s in member] == ["hemmelighedsfuldt"]
    titles = helpers.call_action(
        "cityexchange_autocomplete", context={"user": world.member}, q="hemmel"
    )
    assert [t["title"] for t in titles] == [SECRET]
    # ... a visitor and another user neither.
    stranger = factories.User()["name"]
    for user in ("", stranger):
        assert (
            helpers.call_action("cityexchange_search_suggest", context={"user": user}, q=misspelled)
            == []
        )
        assert (
            helpers.call_action("cityexchange_autocomplete", context={"user": user}, q="hemmel")
            == []
        )


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("luftk", "luft"),
        ("kobenh", "cykel"),
        ("bycyk 20", "cykel"),
        ("gadetr", "trae"),
        ("GADETRÆ", "trae"),
    ],
)
def test_autocomplete_offers_titles_whose_words_begin_with_what_was_typed(
    world: World, typed: str, key: str
) -> None:
    found = helpers.call_action("cityexchange_autocomplete", context={"user": ""}, q=typed)
    assert {"name": world.names[key], "title": TITLES[key]} in found
    assert world.secret not in [f["name"] for f in found]


@pytest.mark.parametrize(
    ("action", "query", "field"),
    [
        ("cityexchange_autocomplete", "", "q"),
        ("cityexchange_autocomplete", "q=" + "x" * 201, "q"),
        ("cityexchange_autocomplete", "q=luft&limit=abc", "limit"),
        ("cityexchange_autocomplete", "q=luft&limit=-1", "limit"),
        ("cityexchange_search_suggest", "q=", "q"),
        ("cityexchange_search_suggest", "q=luft&dataset_type=%3Cb%3E", "dataset_type"),
    ],
)
def test_bad_input_is_a_field_error(
    world: World, app: Any, action: str, query: str, field: str
) -> None:
    response = app.get(f"/api/3/action/{action}?{query}", status=409)
    assert field in response.json["error"]


def test_symbols_of_the_query_syntax_are_only_text(world: World, app: Any) -> None:
    for typed in ('luft" OR *:*', "luft)", "{!lucene}*:*", "luft AND", "\\", "ø:å"):
        response = app.get("/api/3/action/cityexchange_autocomplete", query_string={"q": typed})
        assert response.status_code == 200
        assert world.secret not in response.get_data(as_text=True)
        response = app.get("/api/3/action/cityexchange_search_suggest", query_string={"q": typed})
        assert response.status_code == 200


def test_the_search_page_says_did_you_mean_in_both_languages(world: World, app: Any) -> None:
    page = app.get("/dataset/", query_string={"q": "luftkvalitt"}).get_data(as_text=True)
    assert "Did you mean" in page and "q=luftkvalitet" in page
    page = app.get("/da_DK/dataset/", query_string={"q": "luftkvalitt"}).get_data(as_text=True)
    assert "Mente du" in page and "q=luftkvalitet" in page
    # A search that finds enough is left alone; the box carries the autocomplete module.
    page = app.get("/dataset/", query_string={"q": "luft"}).get_data(as_text=True)
    assert "Did you mean" not in page and 'data-module="cityexchange-autocomplete"' in page
