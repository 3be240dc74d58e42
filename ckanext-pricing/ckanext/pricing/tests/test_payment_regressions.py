"""One named test for each payment sequence that once ended wrong.

Real PostgreSQL, Solr and CKAN; Stripe's API is stripe-mock; every event is signed as
Stripe signs it. The sequences themselves are also generated, in any order, by
``test_payment_sequences.py``.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest
from ckan import model
from ckan.tests import helpers

from ckanext.pricing.model import Order, StripeEvent
from ckanext.pricing.tests import stripe_events as se
from ckanext.pricing.tests.test_checkout import (
    Shop,
    _buyer,
    _can_download,
    _checkout,
    _deliver,
    _entitlements,
    _state,
    shop,  # noqa: F401 (pytest fixtures)
)

pytestmark = pytest.mark.module_plugins
MONTH = 86400 * 30


def _order(order: Order) -> Order:
    model.Session.expire_all()
    return Order.get(order.id)


def _active(order: Order) -> bool:
    [entitlement] = _entitlements(order) or [None]
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    return bool(
        entitlement
        and entitlement.revoked_at is None
        and (entitlement.valid_until is None or entitlement.valid_until > now)
    )


def _subscribed(app: Any, shop: Shop) -> Order:
    """A subscription paid as Stripe reports it: the session (no payment intent), then the
    first invoice with its payment intent and charge."""
    order = _checkout(shop, _buyer(), "quarterly")
    assert _deliver(app, se.completed(order)).status_code == 200
    first = se.invoice_paid(
        order,
        int(time.time()) + 3 * MONTH,
        billing_reason="subscription_create",
        invoice=f"in_first_{order.id[:8]}",
        payment_intent=f"pi_first_{order.id[:8]}",
    )
    assert _deliver(app, first).status_code == 200
    assert _state(order) == "fulfilled" and _active(order)
    return order


def test_a_one_off_payment_receipt_invoice_does_not_cut_access(app: Any, shop: Shop) -> None:
    order = _checkout(shop, _buyer())
    assert _deliver(app, se.completed(order)).status_code == 200
    outcome = _deliver(app, se.receipt_invoice_paid(order)).get_json()["outcome"]
    assert outcome == "fulfilled->fulfilled none"
    [entitlement] = _entitlements(order)
    assert entitlement.valid_until is None and _active(order)


def test_a_refund_of_a_subscription_charge_applies(app: Any, shop: Shop) -> None:
    order = _subscribed(app, shop)
    refund = se.refunded(
        order, charge=f"ch_first_{order.id[:8]}", payment_intent=f"pi_first_{order.id[:8]}"
    )
    assert _deliver(app, refund).get_json()["outcome"] == "fulfilled->refunded revoke"
    assert not _active(order)


def test_a_dispute_of_a_subscription_charge_applies(app: Any, shop: Shop) -> None:
    order = _subscribed(app, shop)
    dispute = se.disputed(order, payment_intent=f"pi_first_{order.id[:8]}")
    assert _deliver(app, dispute).get_json()["outcome"] == "fulfilled->disputed revoke"
    assert not _active(order)


def test_a_refund_of_a_renewal_applies(app: Any, shop: Shop) -> None:
    order = _subscribed(app, shop)
    renewal = se.invoice_paid(
        order,
        int(time.time()) + 6 * MONTH,
        invoice=f"in_r1_{order.id[:8]}",
        payment_intent=f"pi_r1_{order.id[:8]}",
    )
    assert _deliver(app, renewal).get_json()["outcome"] == "fulfilled->fulfilled extend"
    refund = se.refunded(
        order, charge=f"ch_r1_{order.id[:8]}", payment_intent=f"pi_r1_{order.id[:8]}"
    )
    assert _deliver(app, refund).get_json()["outcome"] == "fulfilled->refunded revoke"


def test_a_refund_of_a_renewal_seen_before_the_renewal_waits_for_it(app: Any, shop: Shop) -> None:
    order = _subscribed(app, shop)
    refund = se.refunded(
        order, charge=f"ch_r1_{order.id[:8]}", payment_intent=f"pi_r1_{order.id[:8]}"
    )
    assert _deliver(app, refund).get_json()["outcome"] == "parked"
    renewal = se.invoice_paid(
        order,
        int(time.time()) + 6 * MONTH,
        invoice=f"in_r1_{order.id[:8]}",
        payment_intent=f"pi_r1_{order.id[:8]}",
    )
    assert _deliver(app, renewal).status_code == 200
    assert _state(order) == "refunded" and not _active(order)


def test_a_partial_refund_is_recorded_and_access_kept(app: Any, shop: Shop) -> None:
    buyer = _buyer()
    order = _checkout(shop, buyer)
    assert _deliver(app, se.completed(order)).status_code == 200
    partial = se.refunded(order, amount=25000)
    assert _deliver(app, partial).get_json()["outcome"] == "fulfilled->fulfilled record"
    assert _state(order) == "fulfilled" and _active(order) and _can_download(app, shop, buyer)
    shown = helpers.call_action("pricing_order_show", context={"user": buyer["name"]}, id=order.id)
    assert shown["refunded"] == 25000
    # The rest refunded later: now it is a full refund.
    assert _deliver(app, se.refunded(order)).get_json()["outcome"] == "fulfilled->refunded revoke"


def test_a_session_cannot_fulfil_another_order(app: Any, shop: Shop) -> None:
    victim, other = _checkout(shop, _buyer()), _checkout(shop, _buyer())
    forged = se.completed(victim, id=other.stripe_session_id)  # the other order's session
    outcome = _deliver(app, forged).get_json()["outcome"]
    assert outcome.startswith("rejected") and "not this order's" in outcome
    assert _state(victim) == "pending" and not _entitlements(victim)


def test_the_total_after_discounts_is_what_counts(app: Any, shop: Shop) -> None:
    order = _checkout(shop, _buyer())
    discounted = se.completed(
        order,
        amount_total=order.charged - 10000,
        total_details={"amount_discount": 10000, "amount_tax": 0},
    )
    discounted["data"]["object"]["amount_subtotal"] = order.charged
    assert _deliver(app, discounted).get_json()["outcome"].startswith("rejected: Amount mismatch")
    assert _state(order) == "pending"


def test_an_invoice_without_an_amount_grants_nothing(app: Any, shop: Shop) -> None:
    order = _checkout(shop, _buyer(), "quarterly")
    invoice = se.invoice_paid(order, int(time.time()) + MONTH, billing_reason="subscription_create")
    del invoice["data"]["object"]["amount_paid"]
    assert _deliver(app, invoice).get_json()["outcome"].startswith("rejected")
    assert _state(order) == "pending" and not _entitlements(order)


@pytest.mark.parametrize(
    "obj",
    [
        {"period_end": 10**20},  # a timestamp out of any range
        {"lines": {"data": [{"period": {"end": -(10**18)}}]}},
        {"metadata": {"order_id": "o\u0000x"}, "billing_reason": "subscr\u0000iption_cycle"},
    ],
)
def test_signed_events_with_odd_values_are_answered_not_500(
    app: Any, shop: Shop, obj: dict[str, Any]
) -> None:
    order = _checkout(shop, _buyer(), "quarterly")
    event = se.invoice_paid(order, int(time.time()) + MONTH)
    event["data"]["object"].update(obj)
    response = _deliver(app, event)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert "\x00" not in str(model.Session.get(StripeEvent, event["id"]).fact)


def test_a_signature_timestamp_out_of_range_is_400(app: Any, shop: Shop) -> None:
    order = _checkout(shop, _buyer())
    for timestamp in (10**20, -(10**12)):
        response = _deliver(app, se.completed(order), timestamp=timestamp)
        assert response.status_code == 400
    assert _state(order) == "pending"


def test_a_won_dispute_restores_access(app: Any, shop: Shop) -> None:
    order = _checkout(shop, _buyer())
    assert _deliver(app, se.completed(order)).status_code == 200
    assert _deliver(app, se.disputed(order)).get_json()["outcome"] == "fulfilled->disputed revoke"
    assert not _active(order)
    won = _deliver(app, se.dispute_closed(order, "won")).get_json()["outcome"]
    assert won == "disputed->fulfilled restore"
    assert _active(order) and "Dispute won" in _order(order).note


def test_a_won_dispute_does_not_undo_an_operators_revoke(app: Any, shop: Shop) -> None:
    order = _checkout(shop, _buyer())
    assert _deliver(app, se.completed(order)).status_code == 200
    [entitlement] = _entitlements(order)
    helpers.call_action(
        "pricing_entitlement_revoke",
        context={"ignore_auth": True, "user": ""},
        id=entitlement.id,
        reason="Licence breach",
    )
    _deliver(app, se.disputed(order))
    assert (
        _deliver(app, se.dispute_closed(order, "won")).get_json()["outcome"]
        == "disputed->fulfilled restore"
    )
    assert not _active(order) and "access stays revoked: Licence breach" in _order(order).note


def test_a_dispute_won_over_a_payment_the_disputed_order_ignored_grants(
    app: Any, shop: Shop
) -> None:
    """Bank debit: the session completes unpaid (the order learns the payment intent), the
    dispute arrives before the payment's own event, which a disputed order ignores."""
    order = _checkout(shop, _buyer())
    assert _deliver(app, se.completed(order, payment_status="unpaid")).status_code == 200
    assert _deliver(app, se.disputed(order)).get_json()["outcome"] == "pending->disputed none"
    succeeded = se.completed(order)
    succeeded["type"] = "checkout.session.async_payment_succeeded"
    assert _deliver(app, succeeded).get_json()["outcome"] == "disputed->disputed none"
    assert (
        _deliver(app, se.dispute_closed(order, "won")).get_json()["outcome"]
        == "disputed->fulfilled grant"
    )
    assert _active(order)


def test_a_dispute_closed_before_it_was_seen_opening_changes_nothing(app: Any, shop: Shop) -> None:
    order = _checkout(shop, _buyer())
    assert _deliver(app, se.completed(order)).status_code == 200
    assert _deliver(app, se.dispute_closed(order, "won")).status_code == 200
    assert _deliver(app, se.disputed(order)).get_json()["outcome"] == "fulfilled->fulfilled none"
    assert _active(order)


def test_parked_events_are_listed_and_expire(app: Any, shop: Shop, cli: Any) -> None:
    from ckanext.pricing.cli import pricing

    stray = se.event(
        "charge.refunded",
        {
            "id": "ch_stray",
            "object": "charge",
            "payment_intent": "pi_stray",
            "amount": 100,
            "amount_refunded": 100,
            "refunded": True,
            "currency": "dkk",
            "metadata": {},
        },
    )
    assert _deliver(app, stray).get_json()["outcome"] == "parked"
    listed = cli.invoke(pricing, ["parked"])
    assert stray["id"] in listed.output
    row = model.Session.get(StripeEvent, stray["id"])
    row.received = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(days=31)
    model.Session.commit()
    expired = cli.invoke(pricing, ["parked", "--expire"])
    assert expired.exit_code == 0 and "1 expired" in expired.output
    model.Session.expire_all()
    assert model.Session.get(StripeEvent, stray["id"]).outcome.startswith("expired")


def test_reconcile_of_a_refunded_order_says_unchanged(app: Any, shop: Shop, cli: Any) -> None:
    from ckanext.pricing.cli import pricing

    order = _checkout(shop, _buyer())
    assert _deliver(app, se.completed(order)).status_code == 200
    assert _deliver(app, se.refunded(order)).status_code == 200
    result = cli.invoke(pricing, ["reconcile", "--order", order.id])
    assert "0 fulfilled, 1 unchanged" in result.output, result.output
    assert _state(order) == "refunded"


def test_a_rejected_reconcile_can_be_tried_again(app: Any, shop: Shop) -> None:
    """A reconcile attempt that is rejected does not use up its event id."""
    order = _checkout(shop, _buyer())
    event = {
        "id": f"reconcile_{order.stripe_session_id}",
        "type": "checkout.session.completed",
        "data": {
            "object": {
                "id": order.stripe_session_id,
                "client_reference_id": order.id,
                "amount_total": 1,
                "currency": "dkk",
                "payment_status": "paid",
                "status": "complete",
            }
        },
    }
    for _ in range(2):
        result = helpers.call_action(
            "pricing_stripe_event_apply",
            context={"ignore_auth": True, "user": ""},
            event=event,
            replayable=True,
        )
        assert result["outcome"].startswith("rejected: Amount mismatch")
    assert model.Session.get(StripeEvent, event["id"]) is None


@pytest.mark.ckan_config("ckanext.pricing.vat_mode", "stripe_tax")
def test_stripe_tax_records_the_tax_stripe_computed(app: Any, shop: Shop) -> None:
    # The quarterly offer's price excludes VAT: Stripe adds the buyer's tax on top.
    business = _checkout(shop, _buyer(), "quarterly")
    assert (business.vat_mode, business.charged) == ("stripe_tax", 30000)
    reverse_charged = se.completed(
        business, amount_total=30000, total_details={"amount_tax": 0, "amount_discount": 0}
    )
    assert _deliver(app, reverse_charged).get_json()["outcome"].startswith("pending->fulfilled")
    business = _order(business)
    assert (business.net, business.vat, business.gross) == (30000, 0, 30000)  # not 25 %
    consumer = _checkout(shop, _buyer(), "quarterly")
    taxed = se.completed(
        consumer, amount_total=37500, total_details={"amount_tax": 7500, "amount_discount": 0}
    )
    assert _deliver(app, taxed).get_json()["outcome"].startswith("pending->fulfilled")
    consumer = _order(consumer)
    assert (consumer.net, consumer.vat, consumer.gross) == (30000, 7500, 37500)
    # Stripe's tax never lets a wrong total through.
    short = _checkout(shop, _buyer(), "quarterly")
    underpaid = se.completed(
        short, amount_total=30000, total_details={"amount_tax": 7500, "amount_discount": 0}
    )
    assert _deliver(app, underpaid).get_json()["outcome"].startswith("rejected")
