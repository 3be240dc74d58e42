"""Order states, payment events, VAT and fees: plain data, no CKAN."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ckanext.pricing import orders
from ckanext.pricing.orders import Effect, Fact, Kind, State

pytestmark = pytest.mark.pure

AMOUNT, CURRENCY = 125000, "DKK"


def fact(kind: Kind, **kw: object) -> Fact:
    if kind in (Kind.PAID, Kind.RENEWED):
        kw.setdefault("amount", AMOUNT)
        kw.setdefault("currency", CURRENCY)
    return Fact(kind, event_type="test", **kw)  # type: ignore[arg-type]


def view(state: State, **kw: object) -> orders.OrderView:
    # An order that is or was fulfilled has produced its entitlement.
    kw.setdefault("granted", state in (State.FULFILLED, State.DISPUTED))
    return orders.OrderView(state, AMOUNT, CURRENCY, **kw)  # type: ignore[arg-type]


def step(state: State, kind: Kind, *, granted: bool | None = None, **kw: object) -> orders.Outcome:
    extra = {} if granted is None else {"granted": granted}
    return orders.transition(view(state, **extra), fact(kind, **kw))


# Every (state, kind) pair and what must follow.
EXPECTED = {
    (State.PENDING, Kind.PAID): (State.FULFILLED, Effect.GRANT),
    (State.PENDING, Kind.AWAITING): (State.PENDING, Effect.NONE),
    (State.PENDING, Kind.FAILED): (State.FAILED, Effect.NONE),
    (State.PENDING, Kind.RENEWED): (State.FULFILLED, Effect.GRANT),
    (State.PENDING, Kind.CANCELLED): (State.PENDING, Effect.NONE),
    (State.PENDING, Kind.REFUNDED): (State.REFUNDED, Effect.NONE),
    (State.PENDING, Kind.DISPUTED): (State.DISPUTED, Effect.NONE),
    (State.FULFILLED, Kind.PAID): (State.FULFILLED, Effect.NONE),
    (State.FULFILLED, Kind.AWAITING): (State.FULFILLED, Effect.NONE),
    (State.FULFILLED, Kind.FAILED): (State.FULFILLED, Effect.NONE),
    (State.FULFILLED, Kind.RENEWED): (State.FULFILLED, Effect.EXTEND),
    (State.FULFILLED, Kind.CANCELLED): (State.FULFILLED, Effect.END),
    (State.FULFILLED, Kind.REFUNDED): (State.REFUNDED, Effect.REVOKE),
    (State.FULFILLED, Kind.DISPUTED): (State.DISPUTED, Effect.REVOKE),
    (State.FAILED, Kind.PAID): (State.FULFILLED, Effect.GRANT),
    (State.FAILED, Kind.FAILED): (State.FAILED, Effect.NONE),
    (State.FAILED, Kind.REFUNDED): (State.REFUNDED, Effect.NONE),
    (State.PAID, Kind.PAID): (State.FULFILLED, Effect.GRANT),
    (State.PAID, Kind.REFUNDED): (State.REFUNDED, Effect.NONE),
    (State.FULFILLED, Kind.PARTLY_REFUNDED): (State.FULFILLED, Effect.RECORD),
    (State.FULFILLED, Kind.RECORDED): (State.FULFILLED, Effect.NONE),
    (State.PENDING, Kind.RECORDED): (State.PENDING, Effect.NONE),
    (State.DISPUTED, Kind.DISPUTE_WON): (State.FULFILLED, Effect.RESTORE),
    (State.DISPUTED, Kind.DISPUTE_LOST): (State.DISPUTED, Effect.NONE),
    (State.DISPUTED, Kind.PAID): (State.DISPUTED, Effect.NONE),
    (State.DISPUTED, Kind.RENEWED): (State.DISPUTED, Effect.NONE),
    (State.DISPUTED, Kind.REFUNDED): (State.REFUNDED, Effect.REVOKE),
    (State.FULFILLED, Kind.DISPUTE_WON): (State.FULFILLED, Effect.NONE),
}


@pytest.mark.parametrize("state, kind", list(itertools.product(State, Kind)))
def test_every_transition(state: State, kind: Kind) -> None:
    outcome = step(state, kind)
    if state in orders.FINAL:
        assert (outcome.state, outcome.effect) == (state, Effect.NONE)
    elif (state, kind) in EXPECTED:
        assert (outcome.state, outcome.effect) == EXPECTED[(state, kind)]
    elif kind is Kind.IGNORED:
        assert (outcome.state, outcome.effect) == (state, Effect.NONE)
    else:
        assert outcome.effect in (Effect.NONE, Effect.GRANT, Effect.RECORD)


@pytest.mark.parametrize("paid, currency", [(AMOUNT - 1, CURRENCY), (AMOUNT, "EUR"), (1, "eur")])
def test_a_payment_that_does_not_match_the_order_changes_nothing(paid: int, currency: str) -> None:
    outcome = step(State.PENDING, Kind.PAID, amount=paid, currency=currency)
    assert (outcome.state, outcome.effect) == (State.PENDING, Effect.NONE)
    assert outcome.note and "mismatch" in outcome.note


@given(
    st.integers(min_value=-(10**6), max_value=10**7), st.booleans(), st.sampled_from(list(State))
)
def test_a_payment_never_holds_more_tax_than_its_total(
    tax: int, adds_tax: bool, state: State
) -> None:
    """The tax a payment reports is part of it: more than the total (or below zero) is a
    wrong or forged event and changes nothing, so an order's net can never go negative."""
    amount = AMOUNT + (tax if adds_tax and tax > 0 else 0)
    outcome = orders.transition(
        view(state, provider_adds_tax=adds_tax),
        fact(Kind.PAID, amount=amount, tax=tax),
    )
    if not 0 <= tax <= amount:
        assert outcome.rejected and outcome.effect is Effect.NONE and "Tax mismatch" in outcome.note
    elif outcome.effect is Effect.GRANT:
        assert 0 <= tax <= amount


def test_a_payment_without_an_amount_grants_nothing() -> None:
    for kind in (Kind.PAID, Kind.RENEWED):
        outcome = orders.transition(view(State.PENDING), Fact(kind, "x", currency=CURRENCY))
        assert outcome.effect is Effect.NONE and outcome.rejected


@given(st.lists(st.sampled_from([k for k in Kind if k is not Kind.IGNORED]), max_size=12))
def test_at_most_one_grant_and_nothing_after_a_refund(kinds: list[Kind]) -> None:
    """Whatever the events and their order: one grant at most, and once refunded no
    event brings access back."""
    state, grants, final_seen = State.PENDING, 0, False
    for kind in kinds:
        outcome = step(state, kind, granted=grants > 0)
        grants += outcome.effect is Effect.GRANT
        if final_seen:
            assert outcome.effect is Effect.NONE and outcome.state is state
        state = outcome.state
        final_seen = final_seen or state in orders.FINAL
    assert grants <= 1


def event(type_: str, obj: dict) -> dict:
    return {"id": "evt_1", "type": type_, "data": {"object": obj}}


def test_read_checkout_completed() -> None:
    event_id, f = orders.read_event(
        event(
            "checkout.session.completed",
            {
                "id": "cs_1",
                "payment_intent": "pi_1",
                "amount_subtotal": 100,
                "amount_total": 125,
                "currency": "dkk",
                "payment_status": "paid",
                "metadata": {"order_id": "o1"},
            },
        )
    )
    assert event_id == "evt_1"
    assert (f.kind, f.order_id, f.session_id, f.payment_intent, f.amount, f.currency) == (
        Kind.PAID,
        "o1",
        "cs_1",
        "pi_1",
        125,
        "DKK",
    )  # the total paid, after discounts
    assert set(f.refs) == {"cs_1", "pi_1"}


def test_read_unpaid_completion_waits_for_the_async_payment() -> None:
    _, f = orders.read_event(
        event(
            "checkout.session.completed",
            {"id": "cs_1", "payment_status": "unpaid", "client_reference_id": "o1"},
        )
    )
    assert f.kind is Kind.AWAITING and f.order_id == "o1"


def test_read_invoice_and_subscription_events() -> None:
    _, paid = orders.read_event(
        event(
            "invoice.paid",
            {
                "subscription": "sub_1",
                "amount_paid": 500,
                "currency": "eur",
                "billing_reason": "subscription_cycle",
                "lines": {"data": [{"period": {"end": 1767225600}}]},
                "parent": {"subscription_details": {"metadata": {"order_id": "o2"}}},
            },
        )
    )
    assert (paid.kind, paid.order_id, paid.subscription, paid.amount) == (
        Kind.RENEWED,
        "o2",
        "sub_1",
        500,
    )
    assert paid.period_end == dt.datetime(2026, 1, 1)
    _, ended = orders.read_event(
        event(
            "customer.subscription.deleted",
            {"id": "sub_1", "items": {"data": [{"current_period_end": 1767225600}]}},
        )
    )
    assert (ended.kind, ended.subscription, ended.period_end) == (
        Kind.CANCELLED,
        "sub_1",
        dt.datetime(2026, 1, 1),
    )


def test_read_refund_and_dispute_carry_their_reason() -> None:
    _, refund = orders.read_event(event("charge.refunded", {"payment_intent": {"id": "pi_9"}}))
    assert (refund.kind, refund.payment_intent, refund.reason) == (
        Kind.REFUNDED,
        "pi_9",
        "Payment refunded",
    )
    _, dispute = orders.read_event(
        event("charge.dispute.created", {"payment_intent": "pi_9", "reason": "fraudulent"})
    )
    assert dispute.kind is Kind.DISPUTED and dispute.reason == "Payment disputed (fraudulent)"


def test_other_events_are_ignored() -> None:
    assert orders.read_event(event("customer.created", {"id": "cus_1"}))[1].kind is Kind.IGNORED


@pytest.mark.parametrize(
    "bad",
    [
        None,
        [],
        "x",
        {"type": "charge.refunded"},
        {"id": "e", "type": "x"},
        {"id": "e", "type": "x", "data": {"object": "nope"}},
        {"id": 5, "type": "x", "data": {"object": {}}},
    ],
)
def test_malformed_events_raise(bad: object) -> None:
    with pytest.raises(orders.EventError):
        orders.read_event(bad)


def test_danish_vat_included_and_excluded() -> None:
    assert orders.price(
        125000, vat_included=True, vat_rate=25, provider_adds_tax=False
    ) == orders.Price(net=100000, vat=25000, gross=125000, vat_rate=25, charged=125000)
    assert orders.price(
        100000, vat_included=False, vat_rate=25, provider_adds_tax=False
    ) == orders.Price(net=100000, vat=25000, gross=125000, vat_rate=25, charged=125000)
    # Stripe Tax adds the tax itself: the checkout charges the net price.
    assert (
        orders.price(100000, vat_included=False, vat_rate=25, provider_adds_tax=True).charged
        == 100000
    )


@given(
    st.integers(min_value=1, max_value=10**12),
    st.booleans(),
    st.integers(min_value=0, max_value=50),
)
def test_vat_split_always_adds_up(amount: int, included: bool, rate: int) -> None:
    p = orders.price(amount, vat_included=included, vat_rate=rate, provider_adds_tax=False)
    assert p.net + p.vat == p.gross == p.charged
    assert p.net >= 0 and p.vat >= 0
    # The VAT is the rate applied to the net amount, to within one minor unit.
    assert abs(p.vat * 100 - p.net * rate) <= 100 + rate


def test_platform_fee_rounds_half_up() -> None:
    assert orders.platform_fee(125000, 10) == 12500
    assert orders.platform_fee(105, 10) == 11
    assert orders.platform_fee(125000, 0) == 0


def test_idempotency_key_is_deterministic_per_order() -> None:
    assert orders.idempotency_key("a") == orders.idempotency_key("a") != orders.idempotency_key("b")


@pytest.mark.parametrize(
    "start, months, end",
    [
        (dt.datetime(2026, 1, 31), 1, dt.datetime(2026, 2, 28)),
        (dt.datetime(2028, 1, 31), 1, dt.datetime(2028, 2, 29)),
        (dt.datetime(2026, 11, 15), 3, dt.datetime(2027, 2, 15)),
        (dt.datetime(2026, 5, 1), 12, dt.datetime(2027, 5, 1)),
    ],
)
def test_add_months(start: dt.datetime, months: int, end: dt.datetime) -> None:
    assert orders.add_months(start, months) == end


def test_checkout_params_carry_the_order_everywhere() -> None:
    common = {
        "order_id": "o1",
        "title": "T",
        "dataset_url": "u",
        "charged": 125000,
        "currency": "DKK",
        "success_url": "s",
        "cancel_url": "c",
        "expires_at": 1,
        "buyer_email": None,
    }
    one_off = orders.checkout_params(
        offer={"id": "a", "kind": "one_off"},
        vat_mode="offer",
        destination="acct_1",
        fee_percent=10,
        **common,
    )
    assert one_off["mode"] == "payment" and one_off["client_reference_id"] == "o1"
    assert one_off["payment_intent_data"]["metadata"]["order_id"] == "o1"
    assert one_off["payment_intent_data"]["application_fee_amount"] == 12500
    assert one_off["payment_intent_data"]["transfer_data"] == {"destination": "acct_1"}
    assert one_off["line_items"][0]["price_data"]["currency"] == "dkk"
    sub = orders.checkout_params(
        offer={"id": "m", "kind": "subscription", "period_months": 3, "vat_included": False},
        vat_mode="stripe_tax",
        destination=None,
        fee_percent=0,
        **common,
    )
    assert (
        sub["mode"] == "subscription" and sub["subscription_data"]["metadata"]["order_id"] == "o1"
    )
    assert sub["line_items"][0]["price_data"]["recurring"] == {
        "interval": "month",
        "interval_count": 3,
    }
    assert sub["automatic_tax"] == {"enabled": True}
    assert sub["line_items"][0]["price_data"]["tax_behavior"] == "exclusive"


def test_monthly_revenue() -> None:
    rows = [
        (dt.datetime(2026, 10, 3), 100, "DKK"),
        (dt.datetime(2026, 10, 30), 50, "DKK"),
        (dt.datetime(2026, 11, 1), 70, "DKK"),
        (dt.datetime(2026, 11, 2), 5, "EUR"),
    ]
    assert orders.monthly_revenue(rows) == [
        {"month": "2026-10", "currency": "DKK", "amount": 150},
        {"month": "2026-11", "currency": "DKK", "amount": 70},
        {"month": "2026-11", "currency": "EUR", "amount": 5},
    ]


def test_a_dispute_won_over_a_payment_never_applied_counts_as_the_payment() -> None:
    """Disputed before its payment's own event (which a disputed order ignores): winning
    the dispute grants, or refunds when the order can no longer be delivered."""
    assert (lambda o: (o.state, o.effect))(
        step(State.DISPUTED, Kind.DISPUTE_WON, granted=False)
    ) == (State.FULFILLED, Effect.GRANT)
    late = orders.transition(
        view(State.DISPUTED, granted=False, undeliverable="The deal is revoked"),
        fact(Kind.DISPUTE_WON),
    )
    assert (late.state, late.effect) == (State.REFUNDED, Effect.REFUND)


def test_only_its_own_revocation_is_restored() -> None:
    assert orders.may_restore(orders.payment_revoker("o1"), "o1")
    assert not orders.may_restore(orders.payment_revoker("o2"), "o1")
    assert not orders.may_restore("user-id-of-a-seller", "o1") and not orders.may_restore(
        None, "o1"
    )
