"""Validators of the pricing fields in the dataset schema (config/schemas/dataset.yaml).

Each wraps a pure rule from :mod:`ckanext.pricing.offers`; errors are field errors, so
bad input gives a 409 with the offending field, never a 500.
"""

from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from babel.numbers import get_currency_precision
from ckan import model
from ckan.types import Context, FlattenDataDict, FlattenErrorDict, FlattenKey

from ckanext.cityexchange import compat
from ckanext.pricing import offers, redact, rules

__all__ = [
    "pricing_access_tier",
    "pricing_keep_real_url",
    "pricing_offer_field",
    "pricing_resource_access",
]

_missing = tk.missing


def _currencies() -> list[str]:
    return [c.upper() for c in tk.config.get("ckanext.pricing.currencies")]


def _offer_indexes(data: FlattenDataDict) -> list[Any]:
    return sorted({k[1] for k in data if len(k) == 3 and k[0] == "offers"})


def _raw_offer(data: FlattenDataDict, index: Any) -> dict[str, Any]:
    return {
        k[2]: v
        for k, v in data.items()
        if len(k) == 3 and k[0] == "offers" and k[1] == index and v is not _missing
    }


def _precision(currency: Any) -> int:
    """Decimals of a currency's minor unit (2 for DKK and EUR), for typed prices."""
    code = currency if isinstance(currency, str) and currency.strip() else None
    code = (code or tk.config.get("ckanext.pricing.default_currency")).strip().upper()
    try:
        return get_currency_precision(code)
    except (KeyError, ValueError):
        return 2


def pricing_offer_field(
    key: FlattenKey, data: FlattenDataDict, errors: FlattenErrorDict, context: Context
) -> None:
    """Normalise one field of an offer; the offer's other fields decide some rules
    (a subscription needs a period). A typed ``price`` becomes the offer's ``amount``
    (validated first: "amount" sorts before "price") and is then dropped."""
    if key not in data:
        return  # a blank offer the form showed, dropped by pricing_access_tier
    index, field = key[1], key[2]
    raw = _raw_offer(data, index)
    clean, field_errors = offers.normalise_offer(
        raw,
        default_currency=tk.config.get("ckanext.pricing.default_currency"),
        currencies=_currencies(),
        locked_resource_ids=None,
        precision=_precision(raw.get("currency")),
    )
    if field == "price" and "price" not in field_errors:
        del data[key]
        return
    if field in field_errors:
        errors.setdefault(key, []).extend(field_errors[field])
        # keep the input for the form to show again, as text: CKAN stores the offers as
        # JSON even when validation failed, and NaN or a nested object would not encode
        value = data.get(key)
        if (
            value is not _missing
            and value is not None
            and not (isinstance(value, (str, int)) and not isinstance(value, bool))
        ):
            data[key] = str(value)
        return
    data[key] = clean.get(field)


def pricing_access_tier(
    key: FlattenKey, data: FlattenDataDict, errors: FlattenErrorDict, context: Context
) -> None:
    """Rules across fields: offers against the tier, unique offer ids, covered resources."""
    tier = data.get(key)
    _drop_blank_offers(data)
    indexes = _offer_indexes(data)
    ids = offers.new_offer_ids([data.get(("offers", i, "id")) for i in indexes])
    for index, offer_id in zip(indexes, ids, strict=True):
        data[("offers", index, "id")] = offer_id
    raw_offers = [_raw_offer(data, i) for i in indexes]
    locked_ids = [
        data[k]
        for k in data
        if len(k) == 3
        and k[0] == "resources"
        and k[2] == "id"
        and data[k]
        and data.get(("resources", k[1], "access")) != rules.SAMPLE
    ]
    locked_ids += _unchanged_locked_ids(data, context)
    _clean, result = offers.validate_offers(
        tier,
        raw_offers,
        default_currency=tk.config.get("ckanext.pricing.default_currency"),
        currencies=_currencies(),
        locked_resource_ids=locked_ids if _resources_known(data) else None,
        precision_of=_precision,
    )
    for message in result.dataset:
        errors.setdefault(key, []).append(message)
    # Only the rules across offers and resources: each offer's own fields are checked by
    # pricing_offer_field.
    across = {"id": offers.DUPLICATE_ID, "resources": offers.NOT_LOCKED}
    for index, offer_errors in zip(indexes, result.offers, strict=False):
        for field, prefix in across.items():
            for message in offer_errors.get(field, []):
                if message.startswith(prefix):
                    errors.setdefault(("offers", index, field), []).append(message)


def _drop_blank_offers(data: FlattenDataDict) -> None:
    """The dataset form shows one blank offer to fill in; untouched, it is no offer."""
    for index in _offer_indexes(data):
        keys = [k for k in data if len(k) == 3 and k[0] == "offers" and k[1] == index]
        if offers.is_blank_offer({k[2]: data[k] for k in keys if data[k] is not _missing}):
            for k in keys:
                del data[k]


def _unchanged_locked_ids(data: FlattenDataDict, context: Context) -> list[str]:
    """CKAN 2.12 validates only the resources an update changes: the dataset's other
    resources, as stored, count too (on 2.11 every resource is in ``data``)."""
    package = context.get("package")
    if not compat.CKAN_212 or package is None or not _resources_known(data):
        return []
    given = {data[k] for k in data if len(k) == 3 and k[0] == "resources" and k[2] == "id"}
    return [
        r.id
        for r in package.resources
        if r.id not in given and (r.extras or {}).get("access") != rules.SAMPLE
    ]


def _resources_known(data: FlattenDataDict) -> bool:
    """Resource ids can be checked only when the dict carries the dataset's resources."""
    return any(len(k) == 3 and k[0] == "resources" for k in data)


def pricing_resource_access(
    key: FlattenKey, data: FlattenDataDict, errors: FlattenErrorDict, context: Context
) -> None:
    """``sample`` or ``locked``; locked by default in a priced or on-request dataset."""
    value = data.get(key)
    tier = data.get(("access_tier",))
    tier = tier if tier not in (None, "", _missing) else rules.OPEN
    if value in (None, "", _missing):
        data[key] = "" if tier == rules.OPEN else rules.LOCKED
        return
    if value not in (rules.SAMPLE, rules.LOCKED):
        errors.setdefault(key, []).append("Access must be 'sample' or 'locked'")
    elif tier == rules.OPEN and value == rules.LOCKED:
        errors.setdefault(key, []).append(
            "Resources of an open dataset are public; make the dataset priced or on request to lock one"
        )


def pricing_keep_real_url(
    key: FlattenKey, data: FlattenDataDict, errors: FlattenErrorDict, context: Context
) -> None:
    """Never store a purchase placeholder or a signed link over a resource's real URL.

    A dict redacted for a buyer may be written back by a job, a harvester or a careless
    client; the stored URL then stays what it was.
    """
    value = data.get(key)
    resource_id = data.get((*key[:-1], "id"))
    if not redact.is_substitute(value, resource_id if isinstance(resource_id, str) else None):
        return
    stored = model.Resource.get(resource_id) if resource_id else None
    if stored is None:
        errors.setdefault(key, []).append("This is a placeholder link, not the resource's URL")
        return
    data[key] = stored.url
    data[(*key[:-1], "url_type")] = stored.url_type
