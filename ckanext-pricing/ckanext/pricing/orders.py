"""Orders and the payment events that move them. Pure rules, no CKAN or Stripe import.

An order is the buyer's purchase of one offer. Its state moves only through
:func:`transition`, driven by facts read from payment events (:func:`read_event`)::

    pending ──paid──▶ fulfilled ──refund──▶ refunded
       │  ╲                  ╲───dispute──▶ disputed
       │   ╲──failed──▶ failed ──paid──▶ fulfilled
       ╰──refund/dispute (before the payment was seen)──▶ refunded / disputed

``paid`` is the state of an order that was paid but could not be fulfilled (the dataset
was deleted or the buyer's organisation blocked after checkout): the operator refunds it.
A payment for an order that can no longer be delivered (a deal revoked while its checkout
was open) is refunded automatically. Refunded orders are final: no later or replayed
event grants access again, which is what makes delivery in any order safe; a disputed
order returns to fulfilled only when its dispute is won. A partial refund is recorded and
leaves access as it is.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


class State(str, enum.Enum):
    PENDING = "pending"
    PAID = "paid"
    FULFILLED = "fulfilled"
    FAILED = "failed"
    REFUNDED = "refunded"
    DISPUTED = "disputed"


# A refunded order is final: no later or replayed event grants access again. A disputed
# one leaves its state only when the dispute is decided in the seller's favour.
FINAL = frozenset({State.REFUNDED})


class Kind(str, enum.Enum):
    """What a payment event says happened, whatever Stripe called it."""

    PAID = "paid"  # the first payment arrived
    AWAITING = "awaiting"  # checkout done, payment (e.g. bank debit) still on its way
    FAILED = "failed"  # the payment failed or the session expired unpaid
    RENEWED = "renewed"  # a subscription's next period was paid
    RECORDED = "recorded"  # an invoice that moves nothing (a one-off payment's receipt)
    CANCELLED = "cancelled"  # the subscription ended
    REFUNDED = "refunded"  # a charge was refunded in full
    PARTLY_REFUNDED = "partly_refunded"
    DISPUTED = "disputed"
    DISPUTE_WON = "dispute_won"
    DISPUTE_LOST = "dispute_lost"
    IGNORED = "ignored"


class Effect(str, enum.Enum):
    NONE = "none"
    GRANT = "grant"  # create the order's entitlement
    EXTEND = "extend"  # move the entitlement's end to the paid period's end
    END = "end"  # the entitlement ends at the subscription's end, not before
    REVOKE = "revoke"  # revoke the entitlement now, with the reason
    RESTORE = "restore"  # undo a dispute's revocation (the dispute was won)
    RECORD = "record"  # record a partial refund; access stays unless the seller revokes
    REFUND = "refund"  # give the money back: the order can no longer be delivered


# Stripe event types and what they mean for an order (some refined by read_event).
EVENT_KINDS: dict[str, Kind] = {
    "checkout.session.completed": Kind.PAID,  # or AWAITING when payment_status is unpaid
    "checkout.session.async_payment_succeeded": Kind.PAID,
    "checkout.session.async_payment_failed": Kind.FAILED,
    "checkout.session.expired": Kind.FAILED,
    "invoice.paid": Kind.RENEWED,  # by billing reason: PAID, RENEWED or RECORDED
    "customer.subscription.deleted": Kind.CANCELLED,
    "charge.refunded": Kind.REFUNDED,  # or PARTLY_REFUNDED
    "charge.dispute.created": Kind.DISPUTED,
    "charge.dispute.closed": Kind.DISPUTE_WON,  # or DISPUTE_LOST
}
HANDLED_EVENTS = tuple(EVENT_KINDS)
PAYMENT_KINDS = frozenset({Kind.PAID, Kind.RENEWED})
# A subscription invoice's billing reasons: the first period, and each one after it.
FIRST_PERIOD = "subscription_create"
NEXT_PERIODS = frozenset({"subscription_cycle"})
DISPUTE_WON_STATUSES = frozenset({"won", "warning_closed"})


@dataclass(frozen=True)
class Fact:
    """The part of a payment event that matters to an order."""

    kind: Kind
    event_type: str
    order_id: str | None = None
    session_id: str | None = None
    payment_intent: str | None = None
    subscription: str | None = None
    invoice: str | None = None
    charge: str | None = None
    dispute: str | None = None
    amount: int | None = None  # what was paid (or refunded), in minor units
    tax: int | None = None  # of which tax added by the provider
    charge_amount: int | None = None  # a refunded charge's own amount
    currency: str | None = None  # upper case
    period_end: dt.datetime | None = None
    reason: str | None = None
    refs: tuple[str, ...] = field(default=())  # every Stripe id that may name the order

    @property
    def is_payment(self) -> bool:
        return self.kind in PAYMENT_KINDS


def _get(obj: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(obj, Mapping):
            return None
        obj = obj.get(key)
    return obj


def _str(value: Any) -> str | None:
    """A Stripe id, whether the event carries it as a string or an expanded object."""
    if isinstance(value, str) and value:
        return value
    ident = value.get("id") if isinstance(value, Mapping) else None
    return ident if isinstance(ident, str) else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _time(value: Any) -> dt.datetime | None:
    if _int(value) is None:
        return None
    try:
        return dt.datetime.fromtimestamp(value, dt.UTC).replace(tzinfo=None)
    except (OverflowError, OSError, ValueError):
        return None  # out of any calendar: no period end rather than an error


def _order_id(obj: Mapping[str, Any]) -> str | None:
    for path in (
        ("metadata", "order_id"),
        ("subscription_details", "metadata", "order_id"),
        ("parent", "subscription_details", "metadata", "order_id"),
        ("client_reference_id",),
    ):
        value = _get(obj, *path)
        if isinstance(value, str) and value:
            return value
    return None


class EventError(ValueError):
    """The event is not a well-formed Stripe event."""


def _currency(obj: Mapping[str, Any]) -> str | None:
    value = obj.get("currency")
    return value.upper() if isinstance(value, str) and value else None


def _invoice_payment_intent(obj: Mapping[str, Any]) -> str | None:
    """An invoice's payment intent: on the invoice (older API versions) or on its first
    payment (``payments.data[].payment.payment_intent``)."""
    found = _str(obj.get("payment_intent"))
    payments = _get(obj, "payments", "data")
    if not found and isinstance(payments, list):
        for item in payments:
            found = found or _str(_get(item, "payment", "payment_intent"))
    return found


def without_nul(value: Any) -> Any:
    """The same JSON value with NUL characters taken out of every text (PostgreSQL stores
    no NUL; an event that carries one is still read, not refused: Stripe would retry it
    for days)."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, Mapping):
        return {without_nul(k): without_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [without_nul(v) for v in value]
    return value


def read_event(event: Any) -> tuple[str, Fact]:
    """(event id, fact) of a Stripe event given as parsed JSON. Raises EventError."""
    event = without_nul(event)
    if not isinstance(event, Mapping):
        raise EventError("The event must be a JSON object")
    event_id, event_type = event.get("id"), event.get("type")
    if not isinstance(event_id, str) or not event_id or not isinstance(event_type, str):
        raise EventError("The event needs an id and a type")
    obj = _get(event, "data", "object")
    if not isinstance(obj, Mapping):
        raise EventError("The event needs data.object")
    kind = EVENT_KINDS.get(event_type, Kind.IGNORED)
    if kind is Kind.IGNORED:
        return event_id, Fact(kind, event_type)

    common: dict[str, Any] = {
        "event_type": event_type,
        "order_id": _order_id(obj),
        "currency": _currency(obj),
    }
    if event_type.startswith("checkout.session."):
        if event_type == "checkout.session.completed" and obj.get("payment_status") == "unpaid":
            kind = Kind.AWAITING
        reason = None
        if kind is Kind.FAILED:
            reason = "Checkout expired" if event_type.endswith("expired") else "Payment failed"
        # What the buyer paid: the total after discounts, tax included.
        fact = Fact(
            kind,
            **common,
            session_id=_str(obj.get("id")),
            payment_intent=_str(obj.get("payment_intent")),
            subscription=_str(obj.get("subscription")),
            invoice=_str(obj.get("invoice")),
            amount=_int(obj.get("amount_total")),
            tax=_int(_get(obj, "total_details", "amount_tax")),
            reason=reason,
        )
    elif event_type == "invoice.paid":
        subscription = _str(obj.get("subscription")) or _str(
            _get(obj, "parent", "subscription_details", "subscription")
        )
        reason = obj.get("billing_reason")
        if subscription and reason in NEXT_PERIODS:
            kind = Kind.RENEWED
        elif subscription and reason == FIRST_PERIOD:
            kind = Kind.PAID
        else:
            kind = Kind.RECORDED  # e.g. the receipt invoice of a one-off Checkout payment
        lines = _get(obj, "lines", "data")
        period_end = None
        if isinstance(lines, list):
            ends = [_time(_get(line, "period", "end")) for line in lines]
            period_end = max((e for e in ends if e), default=None)
        period_end = period_end or _time(obj.get("period_end"))
        tax = _int(obj.get("tax"))
        taxes = obj.get("total_taxes")
        if tax is None and isinstance(taxes, list):
            tax = sum(_int(_get(t, "amount")) or 0 for t in taxes)
        fact = Fact(
            kind,
            **common,
            subscription=subscription,
            invoice=_str(obj.get("id")),
            payment_intent=_invoice_payment_intent(obj),
            charge=_str(obj.get("charge")),
            amount=_int(obj.get("amount_paid")),
            tax=tax,
            period_end=period_end,
        )
    elif event_type == "customer.subscription.deleted":
        items = _get(obj, "items", "data")
        item_ends = (
            [_time(_get(i, "current_period_end")) for i in items] if isinstance(items, list) else []
        )
        # Access lasts until the end of the period already paid for.
        ended = (
            _time(obj.get("current_period_end"))
            or max((e for e in item_ends if e), default=None)
            or _time(obj.get("ended_at"))
        )
        fact = Fact(
            kind,
            **common,
            subscription=_str(obj.get("id")),
            period_end=ended,
            reason="Subscription cancelled",
        )
    elif event_type == "charge.refunded":
        refunded, charged = _int(obj.get("amount_refunded")), _int(obj.get("amount"))
        if isinstance(obj.get("refunded"), bool):
            full = obj["refunded"]  # Stripe's own word: the whole charge is refunded
        elif refunded is not None and charged is not None:
            full = refunded >= charged
        else:
            full = True  # nothing says it was partial
        fact = Fact(
            Kind.REFUNDED if full else Kind.PARTLY_REFUNDED,
            **common,
            payment_intent=_str(obj.get("payment_intent")),
            charge=_str(obj.get("id")),
            invoice=_str(obj.get("invoice")),
            amount=refunded,
            charge_amount=charged,
            reason="Payment refunded" if full else "Payment partly refunded",
        )
    else:  # charge.dispute.created / .closed
        why = obj.get("reason")
        if event_type == "charge.dispute.closed":
            kind = (
                Kind.DISPUTE_WON if obj.get("status") in DISPUTE_WON_STATUSES else Kind.DISPUTE_LOST
            )
            reason = "Dispute won: access restored" if kind is Kind.DISPUTE_WON else "Dispute lost"
        else:
            reason = "Payment disputed" + (f" ({why})" if isinstance(why, str) and why else "")
        fact = Fact(
            kind,
            **common,
            payment_intent=_str(obj.get("payment_intent")),
            charge=_str(obj.get("charge")),
            dispute=_str(obj.get("id")),
            reason=reason,
        )
    refs = tuple(
        dict.fromkeys(
            r
            for r in (
                fact.session_id,
                fact.payment_intent,
                fact.subscription,
                fact.invoice,
                fact.charge,
                fact.dispute,
            )
            if r
        )
    )
    return event_id, Fact(**{**fact.__dict__, "refs": refs})


@dataclass(frozen=True)
class OrderView:
    """What the rules need to know of an order to apply a fact to it."""

    state: State
    charged: int  # what the checkout asked for (net when the provider adds tax)
    currency: str
    session_id: str | None = None
    provider_adds_tax: bool = False
    decided_disputes: frozenset[str] = frozenset()  # disputes already closed
    undeliverable: str | None = None  # why the order can no longer be granted, if so
    granted: bool = False  # the order has produced its entitlement


@dataclass(frozen=True)
class Outcome:
    state: State
    effect: Effect
    note: str | None = None
    rejected: bool = False


def _reject(order: OrderView, note: str) -> Outcome:
    return Outcome(order.state, Effect.NONE, note, rejected=True)


def check_payment(order: OrderView, fact: Fact) -> str | None:
    """Why a payment fact cannot be this order's payment, or None."""
    if fact.amount is None:
        return "Payment event without an amount"
    if fact.tax is not None and not 0 <= fact.tax <= fact.amount:
        # no payment holds more tax than its total: a wrong or forged event
        return f"Tax mismatch: {fact.tax} tax in a payment of {fact.amount} {fact.currency}"
    paid = fact.amount - ((fact.tax or 0) if order.provider_adds_tax else 0)
    if paid != order.charged or (fact.currency or "").upper() != order.currency.upper():
        return (
            f"Amount mismatch: paid {fact.amount} {fact.currency}, "
            f"order is {order.charged} {order.currency}"
        )
    if (
        fact.kind is Kind.PAID
        and fact.session_id
        and order.session_id
        and fact.session_id != order.session_id
    ):
        return f"Checkout session {fact.session_id} is not this order's"
    return None


def _paid(order: OrderView) -> Outcome:
    if order.undeliverable:
        return Outcome(
            State.REFUNDED,
            Effect.REFUND,
            f"{order.undeliverable}: the payment is refunded automatically",
        )
    return Outcome(State.FULFILLED, Effect.GRANT)


def transition(order: OrderView, fact: Fact) -> Outcome:
    """The order's next state and what to do to its entitlement and money."""
    state = order.state
    if fact.is_payment:
        problem = check_payment(order, fact)
        if problem:
            return _reject(order, problem)
    if state in FINAL:
        return Outcome(state, Effect.NONE)
    if fact.kind is Kind.REFUNDED:
        return Outcome(
            State.REFUNDED,
            Effect.REVOKE if state in (State.FULFILLED, State.DISPUTED) else Effect.NONE,
            fact.reason,
        )
    if fact.kind is Kind.PARTLY_REFUNDED:
        return Outcome(state, Effect.RECORD, fact.reason)
    if fact.kind is Kind.DISPUTED:
        if fact.dispute and fact.dispute in order.decided_disputes:
            return Outcome(state, Effect.NONE)  # closed already: its opening changes nothing
        return Outcome(
            State.DISPUTED, Effect.REVOKE if state is State.FULFILLED else Effect.NONE, fact.reason
        )
    if fact.kind is Kind.DISPUTE_WON:
        if state is State.DISPUTED and not order.granted:
            # The dispute came before the payment's own event (which a disputed order
            # ignores): the money is the seller's now, so it counts as the payment.
            return _paid(order)
        if state is State.DISPUTED:
            return Outcome(State.FULFILLED, Effect.RESTORE, fact.reason)
        return Outcome(state, Effect.NONE)
    if fact.kind is Kind.DISPUTE_LOST:
        return Outcome(state, Effect.NONE, fact.reason if state is State.DISPUTED else None)
    if state is State.DISPUTED:
        return Outcome(state, Effect.NONE)  # nothing moves a disputed order but its dispute
    if fact.kind is Kind.PAID or (fact.kind is Kind.RENEWED and state is not State.FULFILLED):
        if state is State.FULFILLED:
            return Outcome(state, Effect.NONE)
        return _paid(order)
    if fact.kind is Kind.RENEWED:
        return Outcome(state, Effect.EXTEND)
    if fact.kind is Kind.CANCELLED:
        return Outcome(state, Effect.END if state is State.FULFILLED else Effect.NONE, fact.reason)
    if fact.kind is Kind.FAILED:
        if state is State.PENDING:
            return Outcome(State.FAILED, Effect.NONE, fact.reason)
        return Outcome(state, Effect.NONE)
    return Outcome(state, Effect.NONE)


def refunded_total(refunds: Mapping[str, int]) -> int:
    """What was refunded of an order, from each charge's cumulative refunded amount."""
    return sum(v for v in refunds.values() if isinstance(v, int))


# --- money -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Price:
    """What the buyer pays for an offer, in minor units."""

    net: int
    vat: int
    gross: int
    vat_rate: int  # percent
    charged: int  # what the checkout line item says (gross, or net when the provider adds tax)


def price(amount: int, *, vat_included: bool, vat_rate: int, provider_adds_tax: bool) -> Price:
    """Split an offer's amount into net, VAT and gross, rounding VAT to the nearest minor unit.

    With ``provider_adds_tax`` (Stripe Tax), a price without VAT is charged as is and the
    provider adds the tax that applies to the buyer (none for a reverse-charged business).
    """
    if vat_included:
        vat = (amount * vat_rate + (100 + vat_rate) // 2) // (100 + vat_rate)
        return Price(net=amount - vat, vat=vat, gross=amount, vat_rate=vat_rate, charged=amount)
    vat = (amount * vat_rate + 50) // 100
    return Price(
        net=amount,
        vat=vat,
        gross=amount + vat,
        vat_rate=vat_rate,
        charged=amount if provider_adds_tax else amount + vat,
    )


def platform_fee(amount: int, fee_percent: float) -> int:
    """The platform's fee on a charge, in minor units, rounded half up."""
    return int((amount * fee_percent + 50) // 100) if fee_percent > 0 else 0


def idempotency_key(order_id: str, purpose: str = "checkout") -> str:
    """The same order always asks the payment provider with the same key."""
    return f"cdx-{purpose}-" + hashlib.sha256(f"{purpose}:{order_id}".encode()).hexdigest()[:40]


def payment_revoker(order_id: str) -> str:
    """What an entitlement records as having revoked it when its order's money was taken
    back (a refund or a dispute)."""
    return f"order:{order_id}"


def may_restore(revoked_by: str | None, order_id: str) -> bool:
    """A won dispute undoes only the revocation its own order made: access that the seller
    or an operator revoked for another reason stays revoked."""
    return revoked_by == payment_revoker(order_id)


def add_months(start: dt.datetime, months: int) -> dt.datetime:
    """Calendar months later, clamped to the month's last day (31 Jan + 1 = 28/29 Feb)."""
    month = start.month - 1 + months
    year, month = start.year + month // 12, month % 12 + 1
    days = [
        31,
        29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28,
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ][month - 1]
    return start.replace(year=year, month=month, day=min(start.day, days))


def access_until(offer: Mapping[str, Any], start: dt.datetime) -> dt.datetime | None:
    """When access bought with an offer ends: a subscription's period, or never for a
    one-off purchase (the licence terms govern its use)."""
    if offer.get("kind") == "subscription" and _int(offer.get("period_months")):
        return add_months(start, offer["period_months"])
    if _int(offer.get("valid_months")):  # a deal's agreed period
        return add_months(start, offer["valid_months"])
    return None


def monthly_revenue(rows: list[tuple[dt.datetime, int, str]]) -> list[dict[str, Any]]:
    """Sum (paid_at, amount, currency) rows per calendar month and currency, oldest first."""
    totals: dict[tuple[str, str], int] = {}
    for when, amount, currency in rows:
        key = (when.strftime("%Y-%m"), currency)
        totals[key] = totals.get(key, 0) + amount
    return [
        {"month": month, "currency": currency, "amount": total}
        for (month, currency), total in sorted(totals.items())
    ]


def checkout_params(
    *,
    order_id: str,
    offer: Mapping[str, Any],
    title: str,
    dataset_url: str,
    charged: int,
    currency: str,
    success_url: str,
    cancel_url: str,
    expires_at: int,
    buyer_email: str | None,
    vat_mode: str,
    destination: str | None,
    fee_percent: float,
) -> dict[str, Any]:
    """The parameters of a Stripe Checkout Session for an order (mode payment or
    subscription). The order id travels in every object Stripe makes from it, so that
    each later event can be matched to the order."""
    metadata = {"order_id": order_id, "offer_id": str(offer.get("id", ""))}
    subscription = offer.get("kind") == "subscription"
    price_data: dict[str, Any] = {
        "currency": currency.lower(),
        "unit_amount": charged,
        "product_data": {"name": title, "metadata": {"dataset_url": dataset_url}},
    }
    if subscription:
        price_data["recurring"] = {
            "interval": "month",
            "interval_count": int(offer.get("period_months") or 1),
        }
    params: dict[str, Any] = {
        "mode": "subscription" if subscription else "payment",
        "client_reference_id": order_id,
        "metadata": metadata,
        "line_items": [{"quantity": 1, "price_data": price_data}],
        "success_url": success_url,
        "cancel_url": cancel_url,
        "expires_at": expires_at,
    }
    if buyer_email:
        params["customer_email"] = buyer_email
    if vat_mode == "stripe_tax":
        price_data["tax_behavior"] = "inclusive" if offer.get("vat_included") else "exclusive"
        params["automatic_tax"] = {"enabled": True}
        params["tax_id_collection"] = {"enabled": True}
    if subscription:
        params["subscription_data"] = {"metadata": metadata}
        if destination:
            params["subscription_data"].update(
                application_fee_percent=fee_percent, transfer_data={"destination": destination}
            )
    else:
        params["payment_intent_data"] = {"metadata": metadata}
        params["invoice_creation"] = {"enabled": True, "invoice_data": {"metadata": metadata}}
        if destination:
            params["payment_intent_data"].update(
                application_fee_amount=platform_fee(charged, fee_percent),
                transfer_data={"destination": destination},
            )
    return params
