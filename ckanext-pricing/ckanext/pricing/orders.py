"""Orders and the payment events that move them. Pure rules, no CKAN or Stripe import.

An order is the buyer's purchase of one offer. Its state moves only through
:func:`transition`, driven by facts read from payment events (:func:`read_event`)::

    pending ──paid──▶ fulfilled ──refund──▶ refunded
       │  ╲                  ╲───dispute──▶ disputed
       │   ╲──failed──▶ failed ──paid──▶ fulfilled
       ╰──refund/dispute (before the payment was seen)──▶ refunded / disputed

``paid`` is the state of an order that was paid but could not be fulfilled (the dataset
was deleted or the buyer's organisation blocked after checkout): the operator refunds it.
Refunded and disputed orders are final: no later or replayed event grants access again,
which is what makes delivery in any order safe.
"""
from __future__ import annotations

import datetime as dt
import enum
import hashlib
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional


class State(str, enum.Enum):
    PENDING = "pending"
    PAID = "paid"
    FULFILLED = "fulfilled"
    FAILED = "failed"
    REFUNDED = "refunded"
    DISPUTED = "disputed"


FINAL = frozenset({State.REFUNDED, State.DISPUTED})


class Kind(str, enum.Enum):
    """What a payment event says happened, whatever Stripe called it."""

    PAID = "paid"                    # the first payment arrived
    AWAITING = "awaiting"            # checkout done, payment (e.g. bank debit) still on its way
    FAILED = "failed"                # the payment failed or the session expired unpaid
    RENEWED = "renewed"              # a subscription invoice was paid
    CANCELLED = "cancelled"          # the subscription ended
    REFUNDED = "refunded"
    DISPUTED = "disputed"
    IGNORED = "ignored"


class Effect(str, enum.Enum):
    NONE = "none"
    GRANT = "grant"      # create the order's entitlement
    EXTEND = "extend"    # move the entitlement's end to the paid period's end
    END = "end"          # the entitlement ends at the subscription's end, not before
    REVOKE = "revoke"    # revoke the entitlement now, with the reason


# Stripe event types and what they mean for an order.
EVENT_KINDS: dict[str, Kind] = {
    "checkout.session.completed": Kind.PAID,  # or AWAITING when payment_status is unpaid
    "checkout.session.async_payment_succeeded": Kind.PAID,
    "checkout.session.async_payment_failed": Kind.FAILED,
    "checkout.session.expired": Kind.FAILED,
    "invoice.paid": Kind.RENEWED,
    "customer.subscription.deleted": Kind.CANCELLED,
    "charge.refunded": Kind.REFUNDED,
    "charge.dispute.created": Kind.DISPUTED,
}
HANDLED_EVENTS = tuple(EVENT_KINDS)


@dataclass(frozen=True)
class Fact:
    """The part of a payment event that matters to an order."""

    kind: Kind
    event_type: str
    order_id: Optional[str] = None
    session_id: Optional[str] = None
    payment_intent: Optional[str] = None
    subscription: Optional[str] = None
    amount: Optional[int] = None       # what was paid, in minor units
    currency: Optional[str] = None     # upper case
    period_end: Optional[dt.datetime] = None
    reason: Optional[str] = None
    refs: tuple[str, ...] = field(default=())  # every Stripe id that may name the order

    @property
    def is_payment(self) -> bool:
        return self.kind in (Kind.PAID, Kind.RENEWED)


def _get(obj: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(obj, Mapping):
            return None
        obj = obj.get(key)
    return obj


def _str(value: Any) -> Optional[str]:
    """A Stripe id, whether the event carries it as a string or an expanded object."""
    if isinstance(value, str) and value:
        return value
    if isinstance(value, Mapping) and isinstance(value.get("id"), str):
        return value["id"]
    return None


def _int(value: Any) -> Optional[int]:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _time(value: Any) -> Optional[dt.datetime]:
    if _int(value) is None:
        return None
    return dt.datetime.fromtimestamp(value, dt.timezone.utc).replace(tzinfo=None)


def _order_id(obj: Mapping[str, Any]) -> Optional[str]:
    for path in (("metadata", "order_id"),
                 ("subscription_details", "metadata", "order_id"),
                 ("parent", "subscription_details", "metadata", "order_id"),
                 ("client_reference_id",)):
        value = _get(obj, *path)
        if isinstance(value, str) and value:
            return value
    return None


class EventError(ValueError):
    """The event is not a well-formed Stripe event."""


def read_event(event: Any) -> tuple[str, Fact]:
    """(event id, fact) of a Stripe event given as parsed JSON. Raises EventError."""
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

    common: dict[str, Any] = {"event_type": event_type, "order_id": _order_id(obj)}
    if event_type.startswith("checkout.session."):
        if event_type == "checkout.session.completed" and obj.get("payment_status") == "unpaid":
            kind = Kind.AWAITING
        reason = None
        if kind is Kind.FAILED:
            reason = "Checkout expired" if event_type.endswith("expired") else "Payment failed"
        fact = Fact(kind, **common, session_id=_str(obj.get("id")),
                    payment_intent=_str(obj.get("payment_intent")),
                    subscription=_str(obj.get("subscription")),
                    amount=_int(obj.get("amount_subtotal")) if _int(obj.get("amount_subtotal")) is not None
                    else _int(obj.get("amount_total")),
                    currency=(obj.get("currency") or "").upper() or None, reason=reason)
    elif event_type == "invoice.paid":
        subscription = _str(obj.get("subscription")) or _str(
            _get(obj, "parent", "subscription_details", "subscription"))
        lines = _get(obj, "lines", "data")
        period_end = None
        if isinstance(lines, list):
            ends = [_time(_get(line, "period", "end")) for line in lines]
            period_end = max((e for e in ends if e), default=None)
        period_end = period_end or _time(obj.get("period_end"))
        fact = Fact(kind, **common, subscription=subscription,
                    payment_intent=_str(obj.get("payment_intent")),
                    amount=_int(obj.get("subtotal")) if _int(obj.get("subtotal")) is not None
                    else _int(obj.get("amount_paid")),
                    currency=(obj.get("currency") or "").upper() or None, period_end=period_end)
    elif event_type == "customer.subscription.deleted":
        items = _get(obj, "items", "data")
        item_ends = [_time(_get(i, "current_period_end")) for i in items] if isinstance(items, list) else []
        # Access lasts until the end of the period already paid for.
        ended = (_time(obj.get("current_period_end")) or max((e for e in item_ends if e), default=None)
                 or _time(obj.get("ended_at")))
        fact = Fact(kind, **common, subscription=_str(obj.get("id")), period_end=ended,
                    reason="Subscription cancelled")
    elif event_type == "charge.refunded":
        fact = Fact(kind, **common, payment_intent=_str(obj.get("payment_intent")),
                    amount=_int(obj.get("amount_refunded")),
                    currency=(obj.get("currency") or "").upper() or None,
                    reason="Payment refunded")
    else:  # charge.dispute.created
        why = obj.get("reason")
        fact = Fact(kind, **common, payment_intent=_str(obj.get("payment_intent")),
                    reason="Payment disputed" + (f" ({why})" if isinstance(why, str) and why else ""))
    refs = tuple(r for r in (fact.session_id, fact.payment_intent, fact.subscription) if r)
    return event_id, Fact(**{**fact.__dict__, "refs": refs})


@dataclass(frozen=True)
class Outcome:
    state: State
    effect: Effect
    note: Optional[str] = None


def transition(state: State, fact: Fact, *, amount: int, currency: str) -> Outcome:
    """The order's next state and what to do to its entitlement.

    ``amount`` and ``currency`` are the order's (net of tax added by the payment provider);
    a payment that does not match them changes nothing.
    """
    if fact.is_payment and fact.amount is not None and (
            fact.amount != amount or (fact.currency or "").upper() != currency.upper()):
        return Outcome(state, Effect.NONE,
                       f"Amount mismatch: paid {fact.amount} {fact.currency}, order is {amount} {currency}")
    if fact.is_payment and fact.kind is Kind.PAID and fact.amount is None:
        return Outcome(state, Effect.NONE, "Payment event without an amount")

    if state in FINAL:
        return Outcome(state, Effect.NONE)
    if fact.kind is Kind.REFUNDED:
        return Outcome(State.REFUNDED, Effect.REVOKE if state is State.FULFILLED else Effect.NONE, fact.reason)
    if fact.kind is Kind.DISPUTED:
        return Outcome(State.DISPUTED, Effect.REVOKE if state is State.FULFILLED else Effect.NONE, fact.reason)
    if fact.kind is Kind.PAID or (fact.kind is Kind.RENEWED and state is not State.FULFILLED):
        if state is State.FULFILLED:
            return Outcome(state, Effect.NONE)
        return Outcome(State.FULFILLED, Effect.GRANT)
    if fact.kind is Kind.RENEWED:
        return Outcome(state, Effect.EXTEND)
    if fact.kind is Kind.CANCELLED:
        return Outcome(state, Effect.END if state is State.FULFILLED else Effect.NONE, fact.reason)
    if fact.kind is Kind.FAILED:
        if state is State.PENDING:
            return Outcome(State.FAILED, Effect.NONE, fact.reason)
        return Outcome(state, Effect.NONE)
    return Outcome(state, Effect.NONE)


# --- money -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Price:
    """What the buyer pays for an offer, in minor units."""

    net: int
    vat: int
    gross: int
    vat_rate: int   # percent
    charged: int    # what the checkout line item says (gross, or net when the provider adds tax)


def price(amount: int, *, vat_included: bool, vat_rate: int, provider_adds_tax: bool) -> Price:
    """Split an offer's amount into net, VAT and gross, rounding VAT to the nearest minor unit.

    With ``provider_adds_tax`` (Stripe Tax), a price without VAT is charged as is and the
    provider adds the tax that applies to the buyer (none for a reverse-charged business).
    """
    if vat_included:
        vat = (amount * vat_rate + (100 + vat_rate) // 2) // (100 + vat_rate)
        return Price(net=amount - vat, vat=vat, gross=amount, vat_rate=vat_rate, charged=amount)
    vat = (amount * vat_rate + 50) // 100
    return Price(net=amount, vat=vat, gross=amount + vat, vat_rate=vat_rate,
                 charged=amount if provider_adds_tax else amount + vat)


def platform_fee(amount: int, fee_percent: float) -> int:
    """The platform's fee on a charge, in minor units, rounded half up."""
    return int((amount * fee_percent + 50) // 100) if fee_percent > 0 else 0


def idempotency_key(order_id: str, purpose: str = "checkout") -> str:
    """The same order always asks the payment provider with the same key."""
    return f"cdx-{purpose}-" + hashlib.sha256(f"{purpose}:{order_id}".encode()).hexdigest()[:40]


def add_months(start: dt.datetime, months: int) -> dt.datetime:
    """Calendar months later, clamped to the month's last day (31 Jan + 1 = 28/29 Feb)."""
    month = start.month - 1 + months
    year, month = start.year + month // 12, month % 12 + 1
    days = [31, 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28,
            31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    return start.replace(year=year, month=month, day=min(start.day, days))


def access_until(offer: Mapping[str, Any], start: dt.datetime) -> Optional[dt.datetime]:
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
    return [{"month": month, "currency": currency, "amount": total}
            for (month, currency), total in sorted(totals.items())]


def checkout_params(*, order_id: str, offer: Mapping[str, Any], title: str, dataset_url: str,
                    charged: int, currency: str, success_url: str, cancel_url: str,
                    expires_at: int, buyer_email: Optional[str], vat_mode: str,
                    destination: Optional[str], fee_percent: float) -> dict[str, Any]:
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
        price_data["recurring"] = {"interval": "month",
                                   "interval_count": int(offer.get("period_months") or 1)}
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
                application_fee_percent=fee_percent, transfer_data={"destination": destination})
    else:
        params["payment_intent_data"] = {"metadata": metadata}
        params["invoice_creation"] = {"enabled": True, "invoice_data": {"metadata": metadata}}
        if destination:
            params["payment_intent_data"].update(
                application_fee_amount=platform_fee(charged, fee_percent),
                transfer_data={"destination": destination})
    return params
