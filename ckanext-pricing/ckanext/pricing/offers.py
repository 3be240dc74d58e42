"""Offers: the price plans of a priced dataset. Pure rules, no CKAN import.

An offer is a dict::

    {"id": "standard", "kind": "one_off" | "subscription", "period_months": 12,
     "amount": 125000, "currency": "DKK", "vat_included": True,
     "licence": "internal-use", "resources": ["<resource id>", ...]}

``amount`` is an integer in the currency's minor unit (øre for DKK). ``resources`` lists
the locked resources the offer covers; empty means all of them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ckanext.pricing.licences import LICENCES as _LICENCE_TEXTS

ACCESS_TIERS = ("open", "priced", "on_request")
KINDS = ("one_off", "subscription")
LICENCES = tuple(_LICENCE_TEXTS)
MAX_AMOUNT = 10**12  # ten billion in major units; a bound, not a business rule
MAX_OFFERS = 20
MAX_PERIOD_MONTHS = 120
DUPLICATE_ID = "Offer ids must be unique within a dataset"
NOT_LOCKED = "Not a locked resource of this dataset"
_OFFER_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")

# Price bands for the search facet, in major units of the offer's currency.
PRICE_BANDS: tuple[tuple[str, int | None], ...] = (
    ("under-1000", 1_000),
    ("1000-10000", 10_000),
    ("10000-100000", 100_000),
    ("over-100000", None),
)


@dataclass(frozen=True)
class OfferErrors:
    """Field errors: ``dataset`` for the dataset as a whole, ``offers[i][field]`` per offer."""

    dataset: tuple[str, ...]
    offers: tuple[dict[str, list[str]], ...]

    def __bool__(self) -> bool:
        return bool(self.dataset) or any(self.offers)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def parse_amount(value: Any) -> tuple[int | None, str | None]:
    """An amount in minor units from a form string or a JSON number."""
    if _is_int(value):
        amount = value
    elif isinstance(value, float):
        if not value.is_integer():
            return None, "Amount must be a whole number of minor units (e.g. øre), not a fraction"
        amount = int(value)
    elif isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        amount = int(value)
    elif isinstance(value, str) and re.fullmatch(r"\s*-?\d+[.,]\d+\s*", value):
        return None, "Amount must be a whole number of minor units (e.g. øre), not a fraction"
    else:
        return None, "Amount must be a whole number of minor units (e.g. øre)"
    if amount <= 0:
        return None, "Amount must be greater than zero"
    if amount > MAX_AMOUNT:
        return None, "Amount is too large"
    return amount, None


def _parse_bool(value: Any) -> tuple[bool | None, str | None]:
    if isinstance(value, bool):
        return value, None
    if value in (None, ""):
        return False, None
    if isinstance(value, str) and value.strip().lower() in ("true", "1", "yes", "on"):
        return True, None
    if isinstance(value, str) and value.strip().lower() in ("false", "0", "no", "off"):
        return False, None
    return None, "Must be true or false"


def normalise_offer(
    raw: Any,
    *,
    default_currency: str,
    currencies: Sequence[str],
    locked_resource_ids: Iterable[str] | None,
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Validate one offer. Returns the clean offer and its field errors."""
    errors: dict[str, list[str]] = {}
    if not isinstance(raw, Mapping):
        return {}, {"offer": ["Each offer must be an object"]}

    def err(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    clean: dict[str, Any] = {}
    offer_id = raw.get("id")
    if not isinstance(offer_id, str) or not _OFFER_ID.match(offer_id):
        err("id", "Offer id must be 1-40 lower-case letters, digits, '-' or '_'")
    else:
        clean["id"] = offer_id

    kind = raw.get("kind") or "one_off"
    if kind not in KINDS:
        err("kind", "Kind must be one of: " + ", ".join(KINDS))
    else:
        clean["kind"] = kind

    period = raw.get("period_months")
    if kind == "subscription":
        months, message = (period, None) if _is_int(period) else _parse_months(period)
        if message or months is None:
            err("period_months", message or "A subscription needs a period in months")
        elif not 1 <= months <= MAX_PERIOD_MONTHS:
            err("period_months", f"Period must be between 1 and {MAX_PERIOD_MONTHS} months")
        else:
            clean["period_months"] = months
    elif period not in (None, ""):
        err("period_months", "Only a subscription has a period")

    amount, message = parse_amount(raw.get("amount"))
    if message:
        err("amount", message)
    else:
        clean["amount"] = amount

    currency = raw.get("currency") or default_currency
    if not isinstance(currency, str) or currency.strip().upper() not in currencies:
        err("currency", "Currency must be one of: " + ", ".join(currencies))
    else:
        clean["currency"] = currency.strip().upper()

    vat, message = _parse_bool(raw.get("vat_included", False))
    if message:
        err("vat_included", message)
    else:
        clean["vat_included"] = vat

    licence = raw.get("licence")
    if licence not in LICENCES:
        err("licence", "Licence must be one of: " + ", ".join(LICENCES))
    else:
        clean["licence"] = licence

    resources = raw.get("resources") or []
    if isinstance(resources, str):
        resources = [r for r in re.split(r"[\s,]+", resources) if r]
    if not isinstance(resources, list) or not all(isinstance(r, str) for r in resources):
        err("resources", "Resources must be a list of resource ids")
    else:
        if locked_resource_ids is not None:
            allowed = set(locked_resource_ids)
            unknown = [r for r in resources if r not in allowed]
            if unknown:
                err("resources", f"{NOT_LOCKED}: " + ", ".join(unknown))
        clean["resources"] = sorted(set(resources))

    return clean, errors


def _parse_months(value: Any) -> tuple[int | None, str | None]:
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip()), None
    if value in (None, ""):
        return None, "A subscription needs a period in months"
    return None, "Period must be a whole number of months"


def validate_offers(
    access_tier: str,
    raw_offers: Any,
    *,
    default_currency: str,
    currencies: Sequence[str],
    locked_resource_ids: Iterable[str] | None = None,
) -> tuple[list[dict[str, Any]], OfferErrors]:
    """Check a dataset's offers against its access tier.

    ``locked_resource_ids`` is None when the resources are not known (then resource ids
    in offers are not checked).
    """
    dataset_errors: list[str] = []
    if raw_offers in (None, "", []):
        raw_offers = []
    if not isinstance(raw_offers, list):
        return [], OfferErrors(("Offers must be a list",), ())
    if len(raw_offers) > MAX_OFFERS:
        return [], OfferErrors((f"At most {MAX_OFFERS} offers",), ())

    if access_tier == "open" and raw_offers:
        dataset_errors.append("An open dataset cannot have offers; choose 'priced' or remove them")
    if access_tier == "priced" and not raw_offers:
        dataset_errors.append("A priced dataset needs at least one offer")

    locked = list(locked_resource_ids) if locked_resource_ids is not None else None
    clean: list[dict[str, Any]] = []
    per_offer: list[dict[str, list[str]]] = []
    for raw in raw_offers:
        offer, errors = normalise_offer(
            raw,
            default_currency=default_currency,
            currencies=currencies,
            locked_resource_ids=locked,
        )
        clean.append(offer)
        per_offer.append(errors)

    ids = [o.get("id") for o in clean if o.get("id")]
    for index, offer in enumerate(clean):
        if offer.get("id") and ids.count(offer["id"]) > 1:
            per_offer[index].setdefault("id", []).append(DUPLICATE_ID)
    return clean, OfferErrors(tuple(dataset_errors), tuple(per_offer))


def cheapest(offers: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    priced = [o for o in offers if _is_int(o.get("amount"))]
    return min(priced, key=lambda o: o["amount"]) if priced else None


def price_band(amount: int, precision: int) -> str:
    """The facet band of an amount in minor units, for a currency with ``precision`` decimals."""
    major = amount / (10**precision)
    for band, upper in PRICE_BANDS:
        if upper is None or major < upper:
            return band
    return PRICE_BANDS[-1][0]


def sort_key(access_tier: str, offers: Sequence[Mapping[str, Any]]) -> str | None:
    """A string that sorts datasets by their lowest price: open first, on request last."""
    if access_tier == "open":
        return "0" * 15
    best = cheapest(offers)
    if access_tier == "priced" and best:
        return f"{best['amount']:015d}"
    return None
