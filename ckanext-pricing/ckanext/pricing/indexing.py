"""What the pricing plugin sends to Solr, and how its facets read.

The real URL of a locked resource (or one held for review) never reaches Solr: it is replaced, in the flattened
fields (``res_url``, ``urls``) and in the stored JSON (``data_dict``,
``validated_data_dict``), by the resource's purchase placeholder, before the document
is sent. Search results, ``fl`` and ``facet.field`` then have nothing to reveal.
"""

from __future__ import annotations

import json
from typing import Any

import ckan.plugins.toolkit as tk
from babel.numbers import get_currency_precision

from ckanext.pricing import access, offers, redact, rules

FACETS = ("access_tier", "pricing_price_band", "pricing_currency")


def before_index(pkg_dict: dict[str, Any]) -> dict[str, Any]:
    validated = json.loads(pkg_dict.get("validated_data_dict") or "{}")
    tier = validated.get("access_tier") or rules.OPEN
    pkg_dict["access_tier"] = tier
    _add_price_fields(pkg_dict, tier, validated.get("offers") or [])
    validated.setdefault("id", pkg_dict.get("id"))
    held = access.holds_for(validated)  # withheld for review (IPricingHolds), open data too
    if tier == rules.OPEN and not held:
        return pkg_dict
    replacements = access.index_secrets(validated)
    if not replacements:
        return pkg_dict
    for key in ("data_dict", "validated_data_dict"):
        if pkg_dict.get(key):
            stored = json.loads(pkg_dict[key])
            for res in stored.get("resources") or []:
                if rules.is_locked(tier, res) or res.get("id") in held:
                    res["url"] = redact.placeholder_url(tk.config.get("ckan.site_url"), res["id"])
            pkg_dict[key] = json.dumps(redact.scrub(stored, replacements))
    for key, value in list(pkg_dict.items()):
        if key not in ("data_dict", "validated_data_dict"):
            pkg_dict[key] = redact.scrub(value, replacements)
    return pkg_dict


def _add_price_fields(
    pkg_dict: dict[str, Any], tier: str, offer_list: list[dict[str, Any]]
) -> None:
    for key in ("pricing_price_band", "pricing_currency", "pricing_sort_amount"):
        pkg_dict.pop(key, None)
    sort_key = offers.sort_key(tier, offer_list)
    if sort_key is not None:
        pkg_dict["pricing_sort_amount"] = sort_key
    best = offers.cheapest(offer_list) if tier == "priced" else None
    if best:
        pkg_dict["pricing_currency"] = best["currency"]
        pkg_dict["pricing_price_band"] = offers.price_band(
            best["amount"], get_currency_precision(best["currency"])
        )


def add_facets(facets_dict: dict[str, Any]) -> dict[str, Any]:
    facets_dict["access_tier"] = tk._("Access")
    facets_dict["pricing_price_band"] = tk._("Price")
    facets_dict["pricing_currency"] = tk._("Currency")
    return facets_dict


def facet_label(field: str, value: str) -> str:
    labels = {
        "access_tier": {
            "open": tk._("Open data"),
            "priced": tk._("Priced"),
            "on_request": tk._("On request"),
        },
        "pricing_price_band": {
            "under-1000": tk._("Under 1,000"),
            "1000-10000": tk._("1,000 to 10,000"),
            "10000-100000": tk._("10,000 to 100,000"),
            "over-100000": tk._("Over 100,000"),
        },
    }
    return labels.get(field, {}).get(value, value)


def label_facets(search_results: dict[str, Any]) -> dict[str, Any]:
    facets = search_results.get("search_facets") or {}
    for field in FACETS:
        for item in (facets.get(field) or {}).get("items", []):
            item["display_name"] = facet_label(field, item["name"])
    return search_results
