"""The catalog's DCAT pages, kept for harvesters (a chained ``dcat_catalog_show``).

National catalogs harvest ``/catalog.ttl`` page by page every night. Building a page of
100 datasets with every profile and serialising it costs far more than finding which
datasets are on it, so a page is kept in Redis under a key made of everything its
content depends on: the request (format, page, profiles, query), the site's settings
and, for each dataset on the page, its id, when it
was last modified and when it was last indexed (holds for review and scans reindex the
dataset, so a hold changes the key). The count of matching datasets is part of the key
too (pagination links). A key never seen is built and stored for
``ckanext.cityexchange.catalog_cache_ttl`` seconds, which also bounds how long a change
the index does not see (an organisation's new title) takes to show.

Only anonymous requests share pages: the DCAT output is the same for every reader, but
nothing is kept of what a signed-in caller asked. Requests with ``modified_since`` (a
harvester's increment, small) are built anew.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

import ckan.plugins.toolkit as tk
from ckan.lib.redis import connect_to_redis
from ckan.types import Action, Context, DataDict
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

__all__ = ["dcat_catalog_show"]

_PREFIX = "cityexchange:catalog:"
# The request parameters ckanext-dcat's catalog reads.
_PARAMS = ("format", "page", "modified_since", "q", "fq", "profiles")


def _ttl() -> int:
    return tk.config.get("ckanext.cityexchange.catalog_cache_ttl")


def _fingerprint(context: Context, data_dict: DataDict) -> Any:
    """The page's datasets as the index has them: what ckanext-dcat's catalog searches,
    with only the fields that say whether a dataset changed."""
    size = int(tk.config.get("ckanext.dcat.datasets_per_page") or 100)
    page = int(data_dict.get("page") or 1)
    fq_list = ["-dataset_type:harvest", "-dataset_type:showcase"]
    if data_dict.get("modified_since"):
        return None  # a harvester's increment: small, and its time window moves
    found = tk.get_action("package_search")(
        {"user": context.get("user") or ""},
        {
            "q": data_dict.get("q") or "*:*",
            "fq": data_dict.get("fq"),
            "fq_list": fq_list,
            "rows": size,
            "start": size * (page - 1),
            "sort": "metadata_modified desc",
            "fl": "id,metadata_modified,indexed_ts",
        },
    )
    return [found["count"], [sorted(r.items()) for r in found["results"]]]


def _key(data_dict: DataDict, fingerprint: Any) -> str:
    parts = {
        "request": {name: data_dict.get(name) for name in _PARAMS},
        # Any setting may shape the output (profiles, the catalog's publisher, ...).
        "settings": sorted((str(k), str(v)) for k, v in tk.config.items()),
        "lang": tk.h.lang() if tk.request else None,
        "page": fingerprint,
    }
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()
    return _PREFIX + digest


@tk.chained_action
@tk.side_effect_free
def dcat_catalog_show(up: Action, context: Context, data_dict: DataDict) -> Any:
    tk.check_access("dcat_catalog_show", context, data_dict)
    ttl = _ttl()
    if ttl <= 0 or context.get("user"):
        return up(context, data_dict)
    try:
        fingerprint = _fingerprint(context, data_dict)
    except (ValueError, TypeError, tk.ValidationError):
        return up(context, data_dict)  # ckanext-dcat answers a bad page or query itself
    if fingerprint is None:
        return up(context, data_dict)
    key = _key(data_dict, fingerprint)
    redis = connect_to_redis()
    try:
        kept = redis.get(key)
    except RedisError:  # the cache is an optimisation: without Redis, build the page
        log.warning("cityexchange: the catalog cache is unavailable", exc_info=True)
        return up(context, data_dict)
    if kept is not None:
        return kept.decode("utf-8") if isinstance(kept, bytes) else kept
    output = up(context, data_dict)
    try:
        redis.set(key, output, ex=ttl)
    except RedisError:
        log.warning("cityexchange: could not keep a catalog page", exc_info=True)
    return output
