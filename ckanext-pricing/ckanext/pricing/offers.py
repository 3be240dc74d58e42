"""Offers: the price plans of a priced dataset. Pure rules, no CKAN import.

An offer is a dict::

    {"id": "standard", "kind": "one_off" | "subscription", "period_months": 12,
     "amount": 125000, "currency": "DKK", "vat_included": True,
     "licence": "internal-use", "resources": ["<resource id>", ...]}

``amount`` is an integer in the currency's minor unit (øre for DKK); the dataset form
asks for a ``price`` in major units (kroner) instead, which becomes the amount. ``resources`` lists
the locked resources the offer covers; empty means all of them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

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
    precision: int = 2,
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Validate one offer. Returns the clean offer and its field errors.

    A ``price`` in major units (the dataset form's field; ``precision`` decimals) gives
    the ``amount``; the clean offer holds only the amount.
    """
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
        months, problem = check_period(period)
        if problem or months is None:
            err("period_months", str(problem or Problem(PERIOD_NEEDED)))
        else:
            clean["period_months"] = months
    elif period not in (None, ""):
        err("period_months", "Only a subscription has a period")

    price = raw.get("price")
    if price not in (None, ""):
        amount, message = parse_price(price, precision)
        if message:
            err("price", message)
        elif raw.get("amount") not in (None, "") and parse_amount(raw["amount"])[0] != amount:
            err("price", PRICE_AND_AMOUNT)
        else:
            clean["amount"] = amount
    else:
        amount, message = parse_amount(raw.get("amount"))
        if message:
            err("amount", message)
        else:
            clean["amount"] = amount

    currency, problem = check_currency(
        raw.get("currency"), default_currency=default_currency, currencies=currencies
    )
    if problem:
        err("currency", str(problem))
    else:
        clean["currency"] = currency

    vat, message = _parse_bool(raw.get("vat_included", False))
    if message:
        err("vat_included", message)
    else:
        clean["vat_included"] = vat

    problem = check_licence(raw.get("licence"))
    if problem:
        err("licence", str(problem))
    else:
        clean["licence"] = raw["licence"]

    resources, problem = check_resources(raw.get("resources"), locked_resource_ids)
    if problem:
        err("resources", str(problem))
    else:
        clean["resources"] = resources

    return clean, errors


class Problem(NamedTuple):
    """A field error as a template and its argument, so that callers can translate it."""

    template: str
    argument: str = ""

    def __str__(self) -> str:
        return self.template.format(self.argument) if self.argument else self.template


CURRENCY_ONE_OF = "Currency must be one of: {}"
LICENCE_ONE_OF = "Licence must be one of: {}"
PERIOD_RANGE = "Period must be between 1 and {} months"
PERIOD_WHOLE = "Period must be a whole number of months"
PERIOD_NEEDED = "A subscription needs a period in months"
RESOURCES_LIST = "Resources must be a list of resource ids"
NOT_LOCKED_IDS = NOT_LOCKED + ": {}"


def check_period(value: Any) -> tuple[int | None, Problem | None]:
    """A period in whole months, 1 to ``MAX_PERIOD_MONTHS``."""
    if _is_int(value):
        months = value
    elif isinstance(value, str) and value.strip().isdigit():
        months = int(value.strip())
    elif value in (None, ""):
        return None, Problem(PERIOD_NEEDED)
    else:
        return None, Problem(PERIOD_WHOLE)
    if not 1 <= months <= MAX_PERIOD_MONTHS:
        return None, Problem(PERIOD_RANGE, str(MAX_PERIOD_MONTHS))
    return months, None


def check_currency(
    value: Any, *, default_currency: str, currencies: Sequence[str]
) -> tuple[str | None, Problem | None]:
    """One of the portal's currencies (the default when none is given), upper case."""
    currency = value or default_currency
    if not isinstance(currency, str) or currency.strip().upper() not in currencies:
        return None, Problem(CURRENCY_ONE_OF, ", ".join(currencies))
    return currency.strip().upper(), None


def check_licence(value: Any) -> Problem | None:
    """Why ``value`` is not one of the licences offers and deals may name, or None."""
    if value not in LICENCES:
        return Problem(LICENCE_ONE_OF, ", ".join(LICENCES))
    return None


def not_locked(resource_ids: Iterable[str], locked_resource_ids: Iterable[str]) -> list[str]:
    """The ids, in the order given, that are not locked resources of the dataset: an
    offer, an entitlement or a deal covers locked resources only."""
    allowed = set(locked_resource_ids)
    return [r for r in resource_ids if r not in allowed]


def check_resources(
    value: Any, locked_resource_ids: Iterable[str] | None
) -> tuple[list[str] | None, Problem | None]:
    """The resources an offer or a deal covers: ids of the dataset's locked resources (a
    list, or a string of ids separated by commas or spaces; empty: all of them). Not
    checked against the dataset when ``locked_resource_ids`` is None."""
    resources = value or []
    if isinstance(resources, str):
        resources = [r for r in re.split(r"[\s,]+", resources) if r]
    if not isinstance(resources, list) or not all(isinstance(r, str) for r in resources):
        return None, Problem(RESOURCES_LIST)
    if locked_resource_ids is not None:
        unknown = not_locked(resources, locked_resource_ids)
        if unknown:
            return None, Problem(NOT_LOCKED_IDS, ", ".join(unknown))
    return sorted(set(resources)), None


def check_terms(
    raw: Mapping[str, Any],
    *,
    default_currency: str,
    currencies: Sequence[str],
    locked_resource_ids: Iterable[str] | None,
) -> tuple[dict[str, Any], dict[str, Problem]]:
    """Terms agreed one to one (a deal's request or offer), by the rules of a dataset's
    offers: ``currency`` (default: the portal's), and each of ``licence``,
    ``period_months`` (any deal may last a period) and ``resources`` that is given.
    Returns the clean terms and one problem per field."""
    clean: dict[str, Any] = {}
    problems: dict[str, Problem] = {}
    currency, problem = check_currency(
        raw.get("currency"), default_currency=default_currency, currencies=currencies
    )
    if problem:
        problems["currency"] = problem
    else:
        clean["currency"] = currency
    if raw.get("licence") not in (None, ""):
        problem = check_licence(raw["licence"])
        if problem:
            problems["licence"] = problem
        else:
            clean["licence"] = raw["licence"]
    if raw.get("period_months") not in (None, ""):
        months, problem = check_period(raw["period_months"])
        if problem:
            problems["period_months"] = problem
        else:
            clean["period_months"] = months
    if raw.get("resources") not in (None, "", []):
        resources, problem = check_resources(raw["resources"], locked_resource_ids)
        if problem:
            problems["resources"] = problem
        else:
            clean["resources"] = resources
    return clean, problems


def validate_offers(
    access_tier: str,
    raw_offers: Any,
    *,
    default_currency: str,
    currencies: Sequence[str],
    locked_resource_ids: Iterable[str] | None = None,
    precision_of: Callable[[Any], int] = lambda currency: 2,
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
            precision=precision_of(raw.get("currency") if isinstance(raw, Mapping) else None),
        )
        clean.append(offer)
        per_offer.append(errors)

    ids = [o.get("id") for o in clean if o.get("id")]
    for index, offer in enumerate(clean):
        if offer.get("id") and ids.count(offer["id"]) > 1:
            per_offer[index].setdefault("id", []).append(DUPLICATE_ID)
    return clean, OfferErrors(tuple(dataset_errors), tuple(per_offer))


# The dataset form: prices typed in major units, offer ids made by the portal, and the
# blank offer the form shows before one is filled in.

PRICE_FORMAT = "Type the price in {}, e.g. 1250 or 1250.50"
PRICE_AND_AMOUNT = "Give the price or the amount in minor units, not two different ones"
_NUMBER = re.compile(r"\d+")
_CURRENCY_WORDS = re.compile(r"(?i)\b(kr\.?|dkk|eur|sek|nok|€)\s*|\s*(kr\.?|dkk|eur|sek|nok|€)$")


def is_blank_offer(raw: Mapping[str, Any]) -> bool:
    """An offer the form showed and nobody filled in: every value empty."""
    return all(value in (None, "", [], ()) for value in raw.values())


def parse_price(value: Any, precision: int) -> tuple[int | None, str | None]:
    """An amount in minor units from a price typed in major units, the way people write
    it in Danish or English: ``1250``, ``1250,50``, ``1.250,50``, ``1,250.50``,
    ``1 250 kr.``. A lone separator followed by at most ``precision`` digits is the
    decimal one; followed by groups of three digits it separates thousands."""
    if _is_int(value):
        value = str(value)
    if not isinstance(value, str):
        return None, "Type the price as a number"
    text = _CURRENCY_WORDS.sub("", value.strip()).replace(" ", "").replace("\u00a0", "")
    if text.startswith("-"):
        return None, "Amount must be greater than zero"
    if not text or not re.fullmatch(r"[\d.,]+", text) or not text[0].isdigit():
        return None, "Type the price as a number"
    separators = [c for c in text if c in ".,"]
    whole, fraction = text, ""
    if separators:
        last = max(text.rfind("."), text.rfind(","))
        head, tail = text[:last], text[last + 1 :]
        decimal = len(set(separators)) == 2 or (len(separators) == 1 and len(tail) <= precision)
        if decimal:
            whole, fraction = head, tail
            if any(c in whole for c in ".,") and not _grouped(whole):
                return None, "Type the price as a number"
            whole = whole.replace(".", "").replace(",", "")
        elif _grouped(text):
            whole = text.replace(".", "").replace(",", "")
        else:
            return None, "Type the price as a number"
    if len(fraction) > precision:
        return None, f"At most {precision} decimals"
    if not _NUMBER.fullmatch(whole) or (fraction and not _NUMBER.fullmatch(fraction)):
        return None, "Type the price as a number"
    amount = int(whole) * 10**precision + int((fraction or "0").ljust(precision, "0") or 0)
    if amount <= 0:
        return None, "Amount must be greater than zero"
    if amount > MAX_AMOUNT:
        return None, "Amount is too large"
    return amount, None


def _grouped(text: str) -> bool:
    """``1.250.000`` or ``1,250``: digits in groups of three after the first."""
    return re.fullmatch(r"\d{1,3}([.,]\d{3})+", text) is not None


def format_price(amount: int, precision: int) -> str:
    """The form's text for an amount in minor units: ``125050`` -> ``1250.50``."""
    if precision == 0:
        return str(amount)
    return f"{amount // 10**precision}.{amount % 10**precision:0{precision}d}"


def new_offer_ids(ids: Sequence[Any]) -> list[str]:
    """Ids for the offers that have none (``None`` or ``""``), in order: ``offer-1``,
    ``offer-2``, ... skipping those taken. Offers that have an id keep it."""
    taken = {i for i in ids if isinstance(i, str) and i}
    out: list[str] = []
    n = 0
    for given in ids:
        if isinstance(given, str) and given:
            out.append(given)
            continue
        n += 1
        while f"offer-{n}" in taken:
            n += 1
        taken.add(f"offer-{n}")
        out.append(f"offer-{n}")
    return out


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
