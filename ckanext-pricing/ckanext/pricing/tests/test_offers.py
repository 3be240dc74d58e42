"""Offer validation on plain data, with property-based tests for the validators."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ckanext.pricing import offers

pytestmark = pytest.mark.pure

CURRENCIES = ["DKK", "EUR", "SEK"]


def _offer(**kw: Any) -> dict[str, Any]:
    base = {
        "id": "standard",
        "kind": "one_off",
        "amount": 125000,
        "currency": "DKK",
        "vat_included": True,
        "licence": "internal-use",
        "resources": [],
    }
    base.update(kw)
    return base


def _check(tier: str, raw: Any, locked: list[str] | None = None):
    return offers.validate_offers(
        tier, raw, default_currency="DKK", currencies=CURRENCIES, locked_resource_ids=locked
    )


def test_a_valid_offer_is_kept_and_normalised() -> None:
    clean, errors = _check(
        "priced", [_offer(amount="125000", currency="eur", vat_included="false")]
    )
    assert not errors
    assert clean == [_offer(amount=125000, currency="EUR", vat_included=False)]


@pytest.mark.parametrize(
    "amount, message",
    [
        (-1, "greater than zero"),
        (0, "greater than zero"),
        ("12.50", "fraction"),
        (12.5, "fraction"),
        ("12,50", "fraction"),
        ("abc", "whole number"),
        (None, "whole number"),
        (True, "whole number"),
        (10**15, "too large"),
    ],
)
def test_bad_amounts_are_field_errors(amount: Any, message: str) -> None:
    _clean, errors = _check("priced", [_offer(amount=amount)])
    assert message in " ".join(errors.offers[0]["amount"])


def test_unknown_currency_and_licence_are_field_errors() -> None:
    _clean, errors = _check("priced", [_offer(currency="XYZ", licence="anything-goes")])
    assert set(errors.offers[0]) == {"currency", "licence"}


def test_currency_defaults_to_the_configured_one() -> None:
    clean, errors = _check("priced", [_offer(currency=None)])
    assert not errors and clean[0]["currency"] == "DKK"


def test_tier_rules() -> None:
    assert "cannot have offers" in _check("open", [_offer()])[1].dataset[0]
    assert "at least one offer" in _check("priced", [])[1].dataset[0]
    assert not _check("on_request", [])[1]
    assert not _check("open", [])[1]


def test_subscriptions_need_a_period_and_one_offs_have_none() -> None:
    assert "period_months" in _check("priced", [_offer(kind="subscription")])[1].offers[0]
    assert "period_months" in _check("priced", [_offer(period_months=12)])[1].offers[0]
    clean, errors = _check("priced", [_offer(kind="subscription", period_months="12")])
    assert not errors and clean[0]["period_months"] == 12
    assert (
        "period_months"
        in _check("priced", [_offer(kind="subscription", period_months=0)])[1].offers[0]
    )


def test_offer_ids_are_unique_and_resources_must_be_locked_ones() -> None:
    _clean, errors = _check("priced", [_offer(), _offer()])
    assert "unique" in errors.offers[1]["id"][0]
    _clean, errors = _check("priced", [_offer(resources=["r1", "r9"])], locked=["r1", "r2"])
    assert "r9" in errors.offers[0]["resources"][0]
    clean, errors = _check("priced", [_offer(resources="r2, r1")], locked=["r1", "r2"])
    assert not errors and clean[0]["resources"] == ["r1", "r2"]


def test_non_list_and_non_dict_input() -> None:
    assert _check("priced", "free beer")[1].dataset
    assert "offer" in _check("priced", ["free beer"])[1].offers[0]


def test_price_bands_and_sort_keys() -> None:
    assert offers.price_band(99_999, 2) == "under-1000"
    assert offers.price_band(100_000, 2) == "1000-10000"
    assert offers.price_band(100_000, 0) == "over-100000"
    assert offers.sort_key("open", []) == "0" * 15
    assert offers.sort_key("on_request", []) is None
    cheap, dear = (
        offers.sort_key("priced", [_offer(amount=900)]),
        offers.sort_key("priced", [_offer(amount=10_000)]),
    )
    assert cheap is not None and dear is not None and cheap < dear


# --- properties ------------------------------------------------------------------------

any_value = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=20),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "id",
                "kind",
                "period_months",
                "amount",
                "currency",
                "vat_included",
                "licence",
                "resources",
                "junk",
            ]
        ),
        any_value,
    )
)
def test_any_offer_input_gives_a_clean_offer_or_field_errors(raw: dict[str, Any]) -> None:
    clean, errors = offers.normalise_offer(
        raw, default_currency="DKK", currencies=CURRENCIES, locked_resource_ids=None
    )
    assert all(isinstance(m, str) and m for ms in errors.values() for m in ms)
    if not errors:
        assert isinstance(clean["amount"], int) and clean["amount"] > 0
        assert clean["currency"] in CURRENCIES
        assert clean["licence"] in offers.LICENCES
        # normalising a clean offer changes nothing
        again, again_errors = offers.normalise_offer(
            clean, default_currency="DKK", currencies=CURRENCIES, locked_resource_ids=None
        )
        assert not again_errors and again == clean


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=-(10**16), max_value=10**16))
def test_amounts_accept_exactly_the_positive_bounded_integers(amount: int) -> None:
    value, message = offers.parse_amount(amount)
    ok = 0 < amount <= offers.MAX_AMOUNT
    assert (value == amount) is ok and (message is None) is ok
    assert offers.parse_amount(str(amount))[0] == value


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(offers.ACCESS_TIERS), st.lists(st.just(_offer()), max_size=3))
def test_tier_and_offer_count(tier: str, raw: list[dict[str, Any]]) -> None:
    raw = [dict(o, id=f"o{i}") for i, o in enumerate(raw)]
    _clean, errors = _check(tier, raw)
    should_fail = (tier == "open" and raw) or (tier == "priced" and not raw)
    assert bool(errors.dataset) == bool(should_fail)


# The dataset form: prices in kroner, generated offer ids, the blank offer.


@pytest.mark.parametrize(
    "typed, amount",
    [
        ("1250", 125000),
        ("1250,50", 125050),
        ("1.250,50", 125050),
        ("1,250.50", 125050),
        ("1 250 kr.", 125000),
        ("1.250", 125000),  # a lone dot before three digits separates thousands
        ("1,5", 150),
        ("DKK 99", 9900),
        ("1.250.000", 125000000),
        (1200, 120000),
    ],
)
def test_prices_are_read_as_people_write_them(typed: Any, amount: int) -> None:
    assert offers.parse_price(typed, 2) == (amount, None)


@pytest.mark.parametrize("typed", ["", "abc", "0", "-5", "1.2.3", "1,234,5", "12.5.000", None, [1]])
def test_prices_that_are_not_prices_are_field_errors(typed: Any) -> None:
    amount, message = offers.parse_price(typed, 2)
    assert amount is None and message


@given(st.integers(min_value=1, max_value=offers.MAX_AMOUNT), st.sampled_from([0, 2, 3]))
@settings(max_examples=200)
def test_a_shown_price_reads_back_as_its_amount(amount: int, precision: int) -> None:
    shown = offers.format_price(amount, precision)
    assert offers.parse_price(shown, precision) == (amount, None)
    # the Danish form shows a decimal comma
    assert offers.parse_price(shown.replace(".", ","), precision) == (amount, None)


def test_a_typed_price_becomes_the_amount_and_is_not_kept() -> None:
    clean, errors = offers.normalise_offer(
        {"price": "1.250,50", "licence": "internal-use", "id": "a"},
        default_currency="DKK",
        currencies=["DKK"],
        locked_resource_ids=None,
    )
    assert errors == {} and clean["amount"] == 125050 and "price" not in clean
    _clean, errors = offers.normalise_offer(
        {"price": "10", "amount": 999, "licence": "internal-use", "id": "a"},
        default_currency="DKK",
        currencies=["DKK"],
        locked_resource_ids=None,
    )
    assert errors == {"price": [offers.PRICE_AND_AMOUNT]}


@given(st.lists(st.one_of(st.none(), st.just(""), st.sampled_from(["offer-1", "offer-2", "x"]))))
@settings(max_examples=200)
def test_new_offer_ids_are_unique_and_keep_given_ones(ids: list[str | None]) -> None:
    given_ids = [i for i in ids if i]
    made = offers.new_offer_ids(ids)
    assert len(made) == len(ids)
    assert all(m == i for m, i in zip(made, ids, strict=True) if i)
    new = [m for m, i in zip(made, ids, strict=True) if not i]
    assert len(set(new)) == len(new) and not set(new) & set(given_ids)


def test_the_untouched_form_offer_is_blank_and_a_started_one_is_not() -> None:
    assert offers.is_blank_offer({"id": "", "kind": "", "price": "", "resources": []})
    assert not offers.is_blank_offer({"id": "", "kind": "", "price": "5"})
