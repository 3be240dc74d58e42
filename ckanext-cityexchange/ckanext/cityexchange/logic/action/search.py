"""Search helpers of the exchange as actions: "did you mean" and autocomplete.

Both answer as the asker sees the catalog: autocomplete goes through ``package_search``;
spelling suggestions ask Solr with the same filters ``package_search`` applies (this
site, active datasets, the asker's permission labels) and return only rewritten queries
Solr has run with those filters and found datasets for, so no word of a dataset the
asker may not see ever reaches them.
"""

from __future__ import annotations

import logging
from typing import Any

import ckan.plugins.toolkit as tk
from ckan import model
from ckan.lib.plugins import get_permission_labels
from ckan.lib.search.common import SearchError, make_connection
from ckan.lib.search.query import solr_literal
from ckan.types import Context, DataDict, Schema

from ckanext.cityexchange import search

log = logging.getLogger(__name__)

__all__ = ["cityexchange_autocomplete", "cityexchange_search_suggest"]

MAX_QUERY_LENGTH = 200
MAX_AUTOCOMPLETE = 20
# CKAN's minimum match for free-text searches (ckan.lib.search.query).
_MM = "2<-1 5<80%"


def _schema() -> Schema:
    v = tk.get_validator
    return {
        "q": [v("not_empty"), v("unicode_safe"), search_length],
        "limit": [v("default")(8), v("is_positive_integer")],
        "dataset_type": [v("default")("dataset"), v("unicode_safe"), v("name_validator")],
    }


def search_length(value: Any) -> Any:
    if isinstance(value, str) and len(value) > MAX_QUERY_LENGTH:
        raise tk.Invalid(tk._("At most {n} characters").format(n=MAX_QUERY_LENGTH))
    return value


def _validated(context: Context, data_dict: DataDict) -> dict[str, Any]:
    data, errors = tk.navl_validate(data_dict, _schema(), context)
    if errors:
        raise tk.ValidationError(errors)
    return data


@tk.side_effect_free
def cityexchange_search_suggest(context: Context, data_dict: DataDict) -> list[dict[str, Any]]:
    """Spelling suggestions for a free-text search ("did you mean"), as rewritten
    queries with the number of datasets each finds for the asker, most first.

    :param q: the search as typed (at most 200 characters)
    :type q: string
    :param dataset_type: the type searched (default ``dataset``)
    :type dataset_type: string
    :returns: ``[{"q": "luftkvalitet", "count": 3}]``; empty when nothing better is known
    :rtype: list of dictionaries
    """
    tk.check_access("cityexchange_search_suggest", context, data_dict)
    data = _validated(context, data_dict)
    query = " ".join(search.query_words(data["q"]))
    if not query:
        return []
    user = model.User.get(context["user"]) if context.get("user") else None
    labels = get_permission_labels().get_user_dataset_labels(user)
    fq = [
        f"+site_id:{solr_literal(tk.config.get('ckan.site_id'))}",
        "+state:active",
        f"+dataset_type:{solr_literal(data['dataset_type'])}",
        "+permission_labels:({})".format(" OR ".join(solr_literal(label) for label in labels)),
    ]
    params = {
        "defType": "dismax",
        "qf": tk.config.get("ckanext.cityexchange.search.query_fields"),
        "mm": _MM,
        "tie": "0.1",
        "q.op": "AND",
        "fq": fq,
        "rows": 0,
        "spellcheck": "true",
        "spellcheck.count": 10,
        "spellcheck.collate": "true",
        "spellcheck.maxCollations": 3,
        "spellcheck.maxCollationTries": 10,
        "spellcheck.collateExtendedResults": "true",
        "wt": "json",
    }
    try:
        answer = make_connection().search(q=query, **params)
    except Exception as error:  # pysolr's own errors, as the search error CKAN's callers know
        log.warning("spelling suggestions failed: %s", error)
        raise SearchError("spelling suggestions are not available") from error
    found = search.suggestions(answer.raw_response or {}, query)
    return [{"q": s.q, "count": s.hits} for s in found]


@tk.side_effect_free
def cityexchange_autocomplete(context: Context, data_dict: DataDict) -> list[dict[str, str]]:
    """Datasets whose title or tags begin with the words typed so far, for the search
    box: every word must begin a word of the title or a tag (æ/ø/å folded).

    :param q: what was typed (at most 200 characters)
    :type q: string
    :param limit: how many (1 to 20, default 8)
    :type limit: int
    :param dataset_type: the type searched (default ``dataset``)
    :type dataset_type: string
    :returns: ``[{"name": ..., "title": ...}]``, best match first
    :rtype: list of dictionaries
    """
    tk.check_access("cityexchange_autocomplete", context, data_dict)
    data = _validated(context, data_dict)
    words = search.query_words(data["q"])
    if not words:
        return []
    found = tk.get_action("package_search")(
        {"user": context.get("user") or ""},
        {
            "q": search.prefix_query(words),
            "defType": "edismax",
            "qf": "title_prefix",
            "mm": "100%",
            "fq": f"+dataset_type:{solr_literal(data['dataset_type'])}",
            "fl": "name,title",
            "rows": min(int(data["limit"]), MAX_AUTOCOMPLETE),
            "include_private": True,
            "facet": "false",
        },
    )
    return [{"name": r["name"], "title": r.get("title") or r["name"]} for r in found["results"]]
