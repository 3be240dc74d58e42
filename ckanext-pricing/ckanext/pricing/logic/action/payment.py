"""Payment events: Stripe's events applied to orders, reconciliation and parked events.

The order rules (states, event reading) are in :mod:`ckanext.pricing.orders`. Payment
events are applied exactly once: the event's id is inserted under a unique key in the same
transaction as its effect, and the order row is locked while its state moves."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from typing import Any

import ckan.plugins.toolkit as tk
import sqlalchemy as sa
from ckan import model, plugins
from ckan.types import Context, DataDict
from sqlalchemy.dialects.postgresql import insert

from ckanext.cityexchange.context import commit
from ckanext.pricing import orders, payments
from ckanext.pricing.interfaces import IPricingOrders
from ckanext.pricing.logic import schema
from ckanext.pricing.logic.action._common import _now
from ckanext.pricing.logic.util import validate as _validate
from ckanext.pricing.model import Entitlement, Order, SellerAccount, StripeEvent
from ckanext.pricing.orders import Effect, Fact, Kind, State

log = logging.getLogger(__name__)

__all__ = ["pricing_order_reconcile", "pricing_parked_list", "pricing_stripe_event_apply"]


def _find_order(fact: Fact) -> Order | None:
    """The order an event is about, locked for the rest of the transaction: named in the
    event's metadata, or known by any payment id it carries (a renewal's invoice, a
    refunded charge, a disputed payment)."""
    query = model.Session.query(Order.id, Order.source, Order.source_ref)
    found = query.filter(Order.id == fact.order_id).first() if fact.order_id else None
    if found is None and fact.refs:
        found = query.filter(
            sa.or_(*[Order.stripe_refs.contains([ref]) for ref in fact.refs])
        ).first()
    if found is None:
        return None
    for plugin in plugins.PluginImplementations(IPricingOrders):
        plugin.pricing_order_lock(
            {"id": found.id, "source": found.source, "source_ref": found.source_ref}
        )
    return (
        model.Session.query(Order)
        .filter(Order.id == found.id)
        .with_for_update()
        .populate_existing()
        .first()
    )


def _fact_json(fact: Fact) -> dict[str, Any]:
    out = dataclasses.asdict(fact)
    out["kind"] = fact.kind.value
    out["period_end"] = fact.period_end.isoformat() if fact.period_end else None
    out["refs"] = list(fact.refs)
    return out


def _fact_from_json(data: dict[str, Any]) -> Fact:
    known = {f.name for f in dataclasses.fields(Fact)}
    return Fact(
        **{
            **{k: v for k, v in data.items() if k in known},
            "kind": Kind(data["kind"]),
            "refs": tuple(data.get("refs") or ()),
            "period_end": dt.datetime.fromisoformat(data["period_end"])
            if data.get("period_end")
            else None,
        }
    )


def _grant(order: Order, fact: Fact, now: dt.datetime) -> str | None:
    """Create the order's entitlement; a reason when it cannot be (the order stays paid)."""
    until = fact.period_end or orders.access_until(order.offer, now)
    try:
        entitlement = tk.get_action("pricing_entitlement_grant")(
            {"ignore_auth": True, "defer_commit": True, "user": ""},
            {
                "package_id": order.package_id,
                "holder_type": order.holder_type,
                "holder": order.holder_id,
                "resource_ids": order.offer.get("resources") or [],
                "valid_from": now.isoformat(),
                "source": "deal" if order.source == "deal" else "order",
                "source_ref": order.source_ref if order.source == "deal" else order.id,
                **({"valid_until": until.isoformat()} if until else {}),
            },
        )
    except tk.ValidationError as error:
        messages = [
            m for ms in error.error_dict.values() for m in (ms if isinstance(ms, list) else [ms])
        ]
        return "; ".join(str(m) for m in messages)
    except tk.ObjectNotFound:
        return tk._("The dataset no longer exists")
    order.entitlement_id = entitlement["id"]
    return None


def _undeliverable(order: Order) -> str | None:
    """Why another plugin says the order can no longer be delivered (a deal revoked, or
    already paid another way), or None."""
    for plugin in plugins.PluginImplementations(IPricingOrders):
        reason = plugin.pricing_order_undeliverable(order.dictize())
        if reason:
            return reason
    return None


def _decided_disputes(order: Order) -> frozenset[str]:
    rows = model.Session.query(StripeEvent.fact).filter(
        StripeEvent.order_id == order.id, StripeEvent.type == "charge.dispute.closed"
    )
    return frozenset(row.fact["dispute"] for row in rows if row.fact and row.fact.get("dispute"))


def _tax_added(order: Order) -> bool:
    """Stripe Tax adds the tax on top of a price that excludes it (with an inclusive
    price the tax is inside what was charged)."""
    return order.vat_mode == "stripe_tax" and not (order.offer or {}).get("vat_included")


def _view(order: Order, fact: Fact) -> orders.OrderView:
    state = State(order.state)
    undeliverable = None
    granted = order.entitlement_id is not None
    if (fact.is_payment and state in (State.PENDING, State.FAILED, State.PAID)) or (
        fact.kind is Kind.DISPUTE_WON and state is State.DISPUTED and not granted
    ):
        undeliverable = _undeliverable(order)
    return orders.OrderView(
        state=state,
        charged=order.charged,
        currency=order.currency,
        session_id=order.stripe_session_id,
        provider_adds_tax=_tax_added(order),
        decided_disputes=_decided_disputes(order) if fact.kind is Kind.DISPUTED else frozenset(),
        undeliverable=undeliverable,
        granted=granted,
    )


def _remember(order: Order, fact: Fact) -> None:
    """Keep every payment id the order has been seen with, so that later refunds,
    renewals and disputes find it."""
    known = list(order.stripe_refs or [])
    new = [ref for ref in fact.refs if ref not in known]
    if new:
        order.stripe_refs = known + new
    if fact.kind in (Kind.PAID, Kind.AWAITING, Kind.RENEWED, Kind.RECORDED):
        order.stripe_payment_intent = order.stripe_payment_intent or fact.payment_intent
        order.stripe_subscription = order.stripe_subscription or fact.subscription


def _refund_money(order: Order, fact: Fact) -> str | None:
    """Give a payment back (the order could not be delivered); a problem, or None."""
    try:
        payments.refund(
            fact.payment_intent or order.stripe_payment_intent,
            fact.charge,
            orders.idempotency_key(order.id, "refund"),
        )
    except payments.PaymentsError as error:
        return str(error)
    return None


def _advance(order: Order, fact: Fact) -> str:
    """Apply one fact to a locked order; the outcome as recorded with the event."""
    now = _now()
    before = State(order.state)
    outcome = orders.transition(_view(order, fact), fact)
    if outcome.rejected:
        log.warning("pricing: order %s: %s", order.id, outcome.note)
        order.note = outcome.note
        order.updated = now
        return f"rejected: {outcome.note}"
    _remember(order, fact)
    state = outcome.state
    entitlement = Entitlement.get(order.entitlement_id) if order.entitlement_id else None
    told = None
    if outcome.effect is Effect.GRANT:
        order.paid_at = order.paid_at or now
        if order.vat_mode == "stripe_tax" and fact.tax is not None:
            # The tax Stripe computed for this buyer, not the offer's rate.
            order.gross = order.charged + fact.tax if _tax_added(order) else order.charged
            order.vat, order.net = fact.tax, order.gross - fact.tax
        problem = _grant(order, fact, now)
        if problem:
            state = State.PAID
            order.note = tk._("Paid but not delivered: {}. Refund the buyer.").format(problem)
            log.warning("pricing: order %s paid but not fulfilled: %s", order.id, problem)
        else:
            told = "grant"
    elif outcome.effect is Effect.REFUND:
        order.paid_at = order.paid_at or now
        problem = _refund_money(order, fact)
        if problem:
            state = State.PAID
            order.note = tk._("Paid but not delivered: {}. Refund the buyer.").format(outcome.note)
            log.warning(
                "pricing: order %s could not be refunded automatically: %s", order.id, problem
            )
    elif outcome.effect is Effect.EXTEND and entitlement is not None and fact.period_end:
        if entitlement.valid_until is None or entitlement.valid_until < fact.period_end:
            entitlement.valid_until = fact.period_end
    elif outcome.effect is Effect.END and entitlement is not None:
        end = fact.period_end or now
        if entitlement.valid_until is None or entitlement.valid_until > end:
            entitlement.valid_until = max(end, entitlement.valid_from)
    elif outcome.effect is Effect.REVOKE and entitlement is not None:
        if entitlement.revoked_at is None:
            entitlement.revoked_at = now
            entitlement.revoked_by = orders.payment_revoker(order.id)
            entitlement.revoke_reason = outcome.note or fact.reason
        told = "revoke"
    elif outcome.effect is Effect.RESTORE:
        if entitlement is not None and orders.may_restore(entitlement.revoked_by, order.id):
            entitlement.revoked_at, entitlement.revoked_by = None, None
            entitlement.revoke_reason = None
            told = "restore"
        elif entitlement is not None:
            outcome = orders.Outcome(
                outcome.state,
                outcome.effect,
                tk._("Dispute won; access stays revoked: {}").format(
                    entitlement.revoke_reason or ""
                ),
            )
    elif outcome.effect is Effect.RECORD and fact.charge and fact.amount is not None:
        refunds = dict(order.refunds or {})
        refunds[fact.charge] = max(refunds.get(fact.charge, 0), fact.amount)
        order.refunds = refunds
    if outcome.note and (state is not before or outcome.effect is not Effect.NONE):
        order.note = outcome.note
    order.state = state.value
    order.updated = now
    if told:
        for plugin in plugins.PluginImplementations(IPricingOrders):
            plugin.pricing_order_changed(order.dictize(), told)
    return f"{before.value}->{state.value} {outcome.effect.value}"


def _lock_refs(refs: tuple[str, ...]) -> None:
    """Serialise events that name the same payment, so that an event parked because its
    order was not known yet is always seen by the event that makes the order known."""
    for ref in sorted(set(refs)):
        model.Session.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:ref))"), {"ref": ref})


def _apply_parked(order: Order) -> list[str]:
    """Events parked before their order was known, applied now in the order received.
    Applying one may teach the order new ids (a renewal's charge): repeat until none."""
    results: list[str] = []
    applied: set[str] = set()
    while True:
        refs = list(order.stripe_refs or [])
        if not refs:
            return results
        parked = (
            model.Session.query(StripeEvent)
            .filter(
                StripeEvent.order_id.is_(None),
                StripeEvent.outcome == "parked",
                sa.or_(*[StripeEvent.refs.contains([ref]) for ref in refs]),
            )
            .order_by(StripeEvent.received)
            .all()
        )
        parked = [event for event in parked if event.id not in applied]
        if not parked:
            return results
        for event in parked:
            applied.add(event.id)
            event.order_id = order.id
            event.outcome = "applied late: " + _advance(order, _fact_from_json(event.fact or {}))
            results.append(event.outcome)
        model.Session.flush()  # the session does not autoflush: the next query must see these


def _seller_account_updated(obj: dict[str, Any]) -> str:
    account = (
        model.Session.query(SellerAccount)
        .filter(SellerAccount.stripe_account == obj.get("id"))
        .with_for_update()
        .first()
    )
    if account is None:
        return "ignored: unknown account"
    account.charges_enabled = bool(obj.get("charges_enabled"))
    account.payouts_enabled = bool(obj.get("payouts_enabled"))
    account.updated = _now()
    return "account updated"


def pricing_stripe_event_apply(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Apply one Stripe event (already verified) to its order, exactly once.

    Called by the webhook route after the signature checks out, and by reconcile.
    Duplicates and replays return ``duplicate`` and change nothing.

    :param event: the event, as parsed JSON
    :type event: dictionary
    :param replayable: forget the event if it was rejected, so that it can be tried again
        (reconcile's own events; optional, default false)
    :type replayable: boolean
    :returns: ``{"event_id", "outcome", "order_id"}``
    :rtype: dictionary
    """
    tk.check_access("pricing_stripe_event_apply", context, data_dict)
    data = _validate(data_dict, schema.stripe_event_apply(), context)
    event = data["event"]
    try:
        event_id, fact = orders.read_event(event)
    except orders.EventError as error:
        raise tk.ValidationError({"event": [str(error)]}) from None
    _lock_refs(fact.refs)
    inserted = model.Session.execute(
        insert(StripeEvent.__table__)
        .values(
            id=event_id,
            type=fact.event_type,
            refs=list(fact.refs),
            fact=_fact_json(fact),
            outcome="received",
            received=_now(),
        )
        .on_conflict_do_nothing(index_elements=["id"])
        .returning(StripeEvent.__table__.c.id)
    ).first()
    if inserted is None:
        model.Session.rollback()
        return {"event_id": event_id, "outcome": "duplicate", "order_id": None}
    row = model.Session.get(StripeEvent, event_id)
    order = None
    if fact.event_type == "account.updated":
        row.outcome = _seller_account_updated(event["data"]["object"])
    elif fact.kind is Kind.IGNORED:
        row.outcome, row.fact = "ignored", None
    else:
        order = _find_order(fact)
        if order is None:
            row.outcome = "parked"  # e.g. a refund seen before its payment
            log.info(
                "pricing: event %s (%s) parked: no order known for %s",
                event_id,
                fact.event_type,
                ", ".join(fact.refs) or "its ids",
            )
        else:
            row.order_id = order.id
            row.outcome = _advance(order, fact)
            _apply_parked(order)
    outcome, order_id = row.outcome, order.id if order else None
    if data.get("replayable") and outcome.startswith("rejected"):
        model.Session.delete(row)  # not used up: a later attempt is judged again
    commit(context)
    return {"event_id": event_id, "outcome": outcome, "order_id": order_id}


def pricing_order_reconcile(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Ask Stripe about one pending order and fulfil it if it was paid (a webhook that
    never arrived). Idempotent: a fulfilled order is left as it is. Sysadmins only.

    :param id: the order's id
    :type id: string
    :returns: ``order_id``, ``state`` (the order's state afterwards) and ``outcome``:
        ``nothing to do`` (the order is not pending, or has no checkout),
        ``not paid (...)``, ``error: ...`` or what applying the payment did, as
        ``pricing_stripe_event_apply`` reports it
    :rtype: dictionary
    """
    tk.check_access("pricing_order_reconcile", context, data_dict)
    data = _validate(data_dict, schema.order_show(), context)
    order = Order.get(data["id"])
    if order is None:
        raise tk.ObjectNotFound(tk._("Order not found"))
    if order.state != State.PENDING.value or not order.stripe_session_id:
        return {"order_id": order.id, "state": order.state, "outcome": "nothing to do"}
    try:
        session = payments.retrieve_checkout_session(order.stripe_session_id)
    except payments.PaymentsError as error:
        return {"order_id": order.id, "state": order.state, "outcome": f"error: {error}"}
    if session.get("status") != "complete" or session.get("payment_status") not in (
        "paid",
        "no_payment_required",
    ):
        return {
            "order_id": order.id,
            "state": order.state,
            "outcome": f"not paid ({session.get('status')}, {session.get('payment_status')})",
        }
    # The same path as the webhook, under an event id of its own: reconciling twice, or
    # the webhook arriving after all, changes nothing more.
    session.setdefault("metadata", {})
    result = tk.get_action("pricing_stripe_event_apply")(
        {"ignore_auth": True, "user": context.get("user")},
        {
            "event": {
                "id": f"reconcile_{order.stripe_session_id}",
                "type": "checkout.session.completed",
                "data": {
                    "object": dict(
                        session, client_reference_id=session.get("client_reference_id") or order.id
                    )
                },
            },
            "replayable": True,
        },
    )
    model.Session.expire_all()
    order = Order.get(data["id"])
    assert order is not None  # the engine never deletes an order
    return {"order_id": order.id, "state": order.state, "outcome": result["outcome"]}


@tk.side_effect_free
def pricing_parked_list(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Payment events parked because no order was known for them (a refund seen before
    its payment, an event of another system on the same Stripe account). With
    ``expire``, those older than ``ckanext.pricing.parked_event_days`` are marked
    expired: they will not be applied any more.

    :param expire: expire the old ones (optional, default false)
    :type expire: boolean
    :returns: ``{"parked": [{"id", "type", "refs", "received", "age_days"}], "expired": n}``
    :rtype: dictionary
    """
    tk.check_access("pricing_parked_list", context, data_dict)
    data = _validate(data_dict, schema.parked_list(), context)
    now = _now()
    days = tk.config.get("ckanext.pricing.parked_event_days")
    expired = 0
    if data.get("expire"):
        expired = (
            model.Session.query(StripeEvent)
            .filter(
                StripeEvent.outcome == "parked",
                StripeEvent.received < now - dt.timedelta(days=days),
            )
            .update({"outcome": f"expired: parked over {days} days"}, synchronize_session=False)
        )
        if expired:
            log.info("pricing: %s parked payment events expired", expired)
        commit(context)
    rows = (
        model.Session.query(StripeEvent)
        .filter(StripeEvent.outcome == "parked")
        .order_by(StripeEvent.received)
        .limit(1000)
    )
    return {
        "parked": [
            {
                "id": r.id,
                "type": r.type,
                "refs": list(r.refs or []),
                "received": r.received.isoformat(),
                "age_days": (now - r.received).days,
            }
            for r in rows
        ],
        "expired": expired,
    }
