"""The search rules without CKAN (search.py)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ckanext.cityexchange import search

pytestmark = pytest.mark.pure


def test_query_words_keep_letters_and_digits_only() -> None:
    assert search.query_words('Luft" OR *:* (København)') == ["luft", "or", "københavn"]
    assert search.query_words("  ") == []
    assert search.query_words("a b c d e f g") == ["a", "b", "c", "d", "e"]


@settings(max_examples=200)
@given(st.text())
def test_a_prefix_query_never_carries_query_syntax(text: str) -> None:
    query = search.prefix_query(search.query_words(text))
    assert not set(query) & set('\\+-&|!(){}[]^"~*?:/')
    assert len(query.split()) <= search.MAX_QUERY_WORDS


def test_suggestions_are_collations_that_found_something_most_hits_first() -> None:
    answer = {
        "spellcheck": {
            "collations": [
                "collation",
                {"collationQuery": "luftkvalitet", "hits": 2},
                "collation",
                {"collationQuery": "luftkvaliteten", "hits": 5},
                "collation",
                {"collationQuery": "luftkvalit", "hits": 0},
                "collation",
                {"collationQuery": "LUFTKVALITT", "hits": 9},
            ]
        }
    }
    found = search.suggestions(answer, "luftkvalitt")
    assert [(s.q, s.hits) for s in found] == [("luftkvaliteten", 5), ("luftkvalitet", 2)]
    assert search.suggestions({}, "x") == []
    assert search.suggestions({"spellcheck": {"collations": ["collation", "odd"]}}, "x") == []
