"""Search rules of the exchange that need no CKAN: the words of an autocomplete or
spelling request and the spelling suggestions in a Solr answer.

The Danish-aware analysis itself lives in the Solr schema the project ships
(``solr/conf/schema.xml``); the fields a free-text search weighs are the setting
``ckanext.cityexchange.search.query_fields``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# A word of an autocomplete request: letters and digits of any script.
_WORD = re.compile(r"\w+", re.UNICODE)
MAX_QUERY_WORDS = 5
MAX_WORD_LENGTH = 40


def query_words(text: str) -> list[str]:
    """The words of what a user has typed, lower case, without any character the Solr
    query syntax reads (every word is letters, digits and underscores only): what the
    autocomplete and the spelling suggestions send to Solr, so that no query syntax or
    local parameter (``{!lucene}``) ever reaches it from them."""
    words = [w.lower()[:MAX_WORD_LENGTH] for w in _WORD.findall(text or "")]
    return [w for w in words if w.strip("_")][:MAX_QUERY_WORDS]


def prefix_query(words: list[str]) -> str:
    """An edismax query for ``title_prefix`` in which every word must begin a word of the
    title or a tag."""
    return " ".join(words)


@dataclass(frozen=True)
class Suggestion:
    """A rewritten query that finds ``hits`` datasets the asker may see."""

    q: str
    hits: int


def suggestions(response: Mapping[str, Any], original: str) -> list[Suggestion]:
    """The collations of a Solr spellcheck answer (``spellcheck.collateExtendedResults``),
    most hits first; each was run against the index with the asker's filters, so none
    points at a dataset they may not see. The original query is never suggested."""
    collations = (response.get("spellcheck") or {}).get("collations") or []
    found: dict[str, int] = {}
    # Solr's JSON gives a flat list: "collation", {...}, "collation", {...}
    for item in collations:
        if not isinstance(item, Mapping):
            continue
        query = str(item.get("collationQuery") or "").strip()
        hits = int(item.get("hits") or 0)
        if query and hits > 0 and query.lower() != original.strip().lower():
            found[query] = max(hits, found.get(query, 0))
    return [Suggestion(q, h) for q, h in sorted(found.items(), key=lambda qh: (-qh[1], qh[0]))]
