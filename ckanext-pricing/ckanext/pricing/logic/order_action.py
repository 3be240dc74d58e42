"""Actions for buying: checkout, orders, payment events, seller payouts.

The order rules (states, VAT, fees, event reading) are in :mod:`ckanext.pricing.orders`;
every call to Stripe is in :mod:`ckanext.pricing.payments`. Payment events are applied
exactly once: the event's id is inserted under a unique key in the same transaction as
its effect, and the order row is locked while its state moves.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import time
from typing import Any

import ckan.plugins.toolkit as tk
import sqlalchemy as sa
from ckan import authz, model, plugins
from ckan.types import Context, DataDict
from sqlalchemy.dialects.postgresql import insert

from ckanext.pricing import access, offers, orders, payments, rules
from ckanext.pricing.interfaces import IPricingOrders
from ckanext.pricing.logic import schema
from ckanext.pricing.logic.util import site_context as _site_context
from ckanext.pricing.logic.util import validate as _validate
from ckanext.pricing.model import Entitlement, Order, SellerAccount, StripeEvent
from ckanext.pricing.orders import Effect, Fact, Kind, State

log = logging.getLogger(__name__)

__all__ = [
    "pricing_checkout_create",
    "pricing_checkout_expire",
    "pricing_connect_onboard",
    "pricing_connect_status",
    "pricing_order_list",
    "pricing_order_reconcile",
    "pricing_order_show",
    "pricing_parked_list",
    "pricing_price_quote",
    "pricing_sales_list",
    "pricing_sales_summary",
    "pricing_stripe_event_apply",
]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _user(context: Context) -> model.User | None:
    name = context.get("user")
    return model.User.get(name) if name else None


def _url(endpoint: str, **kwargs: Any) -> str:
    return tk.config.get("ckan.site_url").rstrip("/") + tk.url_for(endpoint, **kwargs)


def _fee_percent() -> float:
    raw = tk.config.get("ckanext.pricing.platform_fee_percent")
    try:
        fee = float(raw)
    except (TypeError, ValueError):
        fee = -1.0
    if not 0 <= fee <= 100:
        raise tk.ValidationError(
            {"payment": [tk._("The portal's platform fee is misconfigured; contact the operator")]}
        )
    return fee


# --- checkout ----------------------------------------------------------------------------


def _held(
    holder_type: str, holder_id: str, user_orgs: set[str], package_id: str, resources: set[str]
) -> Entitlement | None:
    """An active entitlement of the holder (or, for a user, of their organisations) that
    already covers every locked resource the offer sells."""
    now = _now()
    query = model.Session.query(Entitlement).filter(Entitlement.package_id == package_id)
    holders = [sa.and_(Entitlement.holder_type == holder_type, Entitlement.holder_id == holder_id)]
    if holder_type == "user" and user_orgs:
        holders.append(
            sa.and_(Entitlement.holder_type == "organization", Entitlement.holder_id.in_(user_orgs))
        )
    covered: set[str] = set()
    last: Entitlement | None = None
    for row in query.filter(sa.or_(*holders)):
        grant = access.to_grant(row)
        if rules.is_active(grant, now):
            covered |= resources if grant.resource_ids is None else set(grant.resource_ids)
            last = row
    return last if resources and resources <= covered else None


def _deal_offer(context: Context, data: dict[str, Any], pkg: dict[str, Any]) -> dict[str, Any]:
    """The terms of a deal-room contract as an offer. Only plugins (``ignore_auth``)
    check out deals: the terms come from a contract, never from the buyer."""
    if not context.get("ignore_auth") or not data.get("source_ref"):
        raise tk.ValidationError({"source": [tk._("Deals are paid from their deal room")]})
    given = data.get("terms")
    terms: dict[str, Any] = given if isinstance(given, dict) else {}
    locked = [r["id"] for r in pkg["resources"] if rules.is_locked(pkg.get("access_tier"), r)]
    offer, errors = offers.normalise_offer(
        {**terms, "id": "deal", "kind": "one_off", "period_months": None},
        default_currency=tk.config.get("ckanext.pricing.default_currency"),
        currencies=tk.config.get("ckanext.pricing.currencies"),
        locked_resource_ids=locked,
    )
    if errors:
        raise tk.ValidationError({"terms": [f"{k}: {'; '.join(v)}" for k, v in errors.items()]})
    if terms.get("valid_months"):
        offer["valid_months"] = int(terms["valid_months"])
    return offer


def pricing_checkout_create(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Start buying an offer: an order, and a Stripe Checkout page to pay it on.

    :param package_id: the dataset (id or name)
    :param offer_id: the offer's id
    :param holder_type: ``user`` (default: the buyer) or ``organization``
    :param holder: the organisation buying (an organisation the buyer edits)
    :param source: ``offer`` (default) or ``deal``; a deal (``source_ref``: the room,
        ``terms``: amount, currency, vat_included, licence, resources, valid_months) is
        checked out by the deal-room plugin only
    :returns: ``{"order_id", "state", "checkout_url"}``; a repeated call within the
        checkout's lifetime returns the same pending order and page.
    """
    tk.check_access("pricing_checkout_create", context, data_dict)
    data = _validate(data_dict, schema.checkout_create(), context)
    buyer = _user(context)
    if buyer is None:
        raise tk.NotAuthorized(tk._("Log in to buy data"))
    try:
        tk.check_access("package_show", {"user": buyer.name}, {"id": data["package_id"]})
    except tk.NotAuthorized:
        raise tk.ObjectNotFound(tk._("Dataset not found")) from None
    pkg = tk.get_action("package_show")(_site_context(), {"id": data["package_id"]})
    paused = access.sales_paused(pkg)  # IPricingHolds: e.g. a file held for GDPR review
    if paused:
        raise tk.ValidationError({"package_id": [tk._(paused)]})

    if authz.is_authorized_boolean(
        "package_update", {"user": buyer.name, "model": model}, {"id": pkg["id"]}
    ):
        raise tk.ValidationError(
            {"package_id": [tk._("You publish this dataset: it is yours already")]}
        )
    tier = pkg.get("access_tier") or rules.OPEN
    offer: dict[str, Any] | None
    if data["source"] == "deal":
        offer = _deal_offer(context, data, pkg)
    else:
        if tier != "priced":
            raise tk.ValidationError(
                {
                    "package_id": [
                        tk._("This dataset is open to everyone")
                        if tier == rules.OPEN
                        else tk._(
                            "This dataset is not sold at a fixed price: ask the seller in a deal room"
                        )
                    ]
                }
            )
        offer = next((o for o in pkg.get("offers") or [] if o.get("id") == data["offer_id"]), None)
        if offer is None:
            raise tk.ValidationError(
                {"offer_id": [tk._("This dataset has no offer '{}'").format(data["offer_id"])]}
            )

    viewer = access.viewer_for(buyer.name)
    if data["holder_type"] == "organization":
        org = model.Group.get(data.get("holder") or "")
        if org is None or not org.is_organization or org.state != "active":
            raise tk.ValidationError({"holder": [tk._("No such organisation")]})
        if not authz.has_user_permission_for_group_or_org(org.id, buyer.name, "create_dataset"):
            raise tk.ValidationError(
                {"holder": [tk._("Only the organisation's editors and admins can buy for it")]}
            )
        holder_id, holder_orgs = org.id, {org.id}
    else:
        holder_id, holder_orgs = buyer.id, set(viewer.organization_ids)
    blocked = access.blocked_organization_ids(pkg["id"])
    if blocked & holder_orgs:
        raise tk.ValidationError(
            {"holder": [tk._("The seller does not sell this dataset to your organisation")]}
        )
    locked = set(rules.locked_resources(tier, pkg["resources"]))
    wanted = set(offer.get("resources") or []) or locked
    held = _held(data["holder_type"], holder_id, set(viewer.organization_ids), pkg["id"], wanted)
    if held is not None:
        until = held.valid_until.date().isoformat() if held.valid_until else None
        raise tk.ValidationError(
            {
                "offer_id": [
                    tk._("You already have access to this data until {}").format(until)
                    if until
                    else tk._("You already have access to this data")
                ]
            }
        )

    if not payments.enabled():
        raise tk.ValidationError(
            {"payment": [tk._("Payments are not set up on this portal; contact the seller")]}
        )
    destination = None
    fee_percent = 0.0
    if tk.config.get("ckanext.pricing.stripe.connect"):
        account = model.Session.query(SellerAccount).get(pkg["owner_org"])
        if account is None or not account.charges_enabled:
            raise tk.ValidationError(
                {
                    "payment": [
                        tk._(
                            "The seller cannot receive payments yet; try again later or contact them"
                        )
                    ]
                }
            )
        destination = account.stripe_account
        fee_percent = _fee_percent()

    vat_mode = tk.config.get("ckanext.pricing.vat_mode")
    price = _price(offer["amount"], bool(offer.get("vat_included")))
    expiry = tk.config.get("ckanext.pricing.checkout_expiry_minutes")
    now = _now()

    # A second click on Buy while the first checkout page is still valid: the same order.
    reuse = (
        model.Session.query(Order)
        .filter(
            Order.buyer_id == buyer.id,
            Order.package_id == pkg["id"],
            Order.offer_id == offer["id"],
            Order.holder_id == holder_id,
            Order.state == State.PENDING.value,
            Order.charged == price.charged,
            Order.currency == offer["currency"],
            Order.checkout_url.isnot(None),
            Order.source == data["source"],
            Order.source_ref == data.get("source_ref"),
            Order.created > now - dt.timedelta(minutes=max(expiry - 5, 1)),
        )
        .order_by(Order.created.desc())
        .first()
    )
    if reuse is not None:
        return {"order_id": reuse.id, "state": reuse.state, "checkout_url": reuse.checkout_url}

    order = Order(
        package_id=pkg["id"],
        seller_org_id=pkg.get("owner_org"),
        offer_id=offer["id"],
        offer=dict(offer),
        source=data["source"],
        source_ref=data.get("source_ref"),
        buyer_id=buyer.id,
        holder_type=data["holder_type"],
        holder_id=holder_id,
        state=State.PENDING.value,
        currency=offer["currency"],
        net=price.net,
        vat=price.vat,
        gross=price.gross,
        charged=price.charged,
        vat_rate=price.vat_rate,
        vat_mode=vat_mode,
        platform_fee=orders.platform_fee(price.charged, fee_percent) if destination else 0,
        stripe_account=destination,
        created=now,
        updated=now,
    )
    model.Session.add(order)
    model.Session.flush()
    params = orders.checkout_params(
        order_id=order.id,
        offer=offer,
        title=pkg.get("title") or pkg["name"],
        dataset_url=_url("dataset.read", id=pkg["name"]),
        charged=price.charged,
        currency=offer["currency"],
        success_url=_url("pricing.checkout_done", order_id=order.id, outcome="success"),
        cancel_url=_url("pricing.checkout_done", order_id=order.id, outcome="cancel"),
        expires_at=int(time.time()) + 60 * expiry,
        buyer_email=buyer.email or None,
        vat_mode=vat_mode,
        destination=destination,
        fee_percent=fee_percent,
    )
    model.repo.commit()  # the order exists before the payment page does: nothing is lost
    try:
        session_id, url = payments.create_checkout_session(params, orders.idempotency_key(order.id))
    except payments.PaymentsError as error:
        order.state, order.note, order.updated = State.FAILED.value, str(error), _now()
        model.repo.commit()
        raise tk.ValidationError({"payment": [str(error)]}) from None
    order.stripe_session_id, order.checkout_url, order.updated = session_id, url, _now()
    order.stripe_refs = [session_id]
    model.repo.commit()
    return {"order_id": order.id, "state": order.state, "checkout_url": url}


def _price(amount: int, vat_included: bool) -> orders.Price:
    return orders.price(
        amount,
        vat_included=vat_included,
        vat_rate=tk.config.get("ckanext.pricing.vat_rate"),
        provider_adds_tax=tk.config.get("ckanext.pricing.vat_mode") == "stripe_tax",
    )


@tk.side_effect_free
def pricing_price_quote(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """What a buyer pays for a price, by the portal's VAT rules: net, VAT, gross and the
    amount charged at checkout (with Stripe Tax, the tax is added there for the buyer).

    :param amount: the price in minor units
    :type amount: integer
    :param currency: ISO code (default: the portal's default currency)
    :type currency: string
    :param vat_included: whether the price includes VAT (default false)
    :type vat_included: boolean
    :returns: ``net``, ``vat``, ``gross``, ``charged``, ``vat_rate``, ``vat_mode``, ``currency``
    :rtype: dictionary
    """
    tk.check_access("pricing_price_quote", context, data_dict)
    data = _validate(data_dict, schema.price_quote(), context)
    price = _price(data["amount"], bool(data.get("vat_included")))
    return dict(
        dataclasses.asdict(price),
        vat_mode=tk.config.get("ckanext.pricing.vat_mode"),
        currency=(
            data.get("currency") or tk.config.get("ckanext.pricing.default_currency")
        ).upper(),
    )


# --- orders --------------------------------------------------------------------------------


def _order_dict(order: Order, *, for_seller: bool = False) -> dict[str, Any]:
    item = order.dictize()
    pkg = model.Package.get(order.package_id)
    seller = model.Group.get(order.seller_org_id) if order.seller_org_id else None
    buyer = model.User.get(order.buyer_id)
    holder = (
        model.User.get(order.holder_id)
        if order.holder_type == "user"
        else model.Group.get(order.holder_id)
    )
    item.update(
        package_name=pkg.name if pkg else None,
        package_title=pkg.title if pkg else None,
        seller_name=seller.name if seller else None,
        seller_title=seller.title if seller else None,
        buyer_name=buyer.name if buyer else None,
        buyer_display_name=buyer.display_name if buyer else None,
        holder_name=getattr(holder, "name", None),
        holder_title=getattr(holder, "title", None) or getattr(holder, "display_name", None),
    )
    if not for_seller:
        item.pop("platform_fee", None)
    return item


def pricing_order_show(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """One order with its receipt details, for its buyer, the holding organisation's
    members, the seller's editors and sysadmins.

    :param id: the order
    """
    data = _validate(data_dict, schema.order_show(), context)
    order = Order.get(data["id"])
    if order is None:
        raise tk.ObjectNotFound(tk._("Order not found"))
    tk.check_access("pricing_order_show", context, {"id": order.id})
    seller_side = order.seller_org_id is not None and authz.has_user_permission_for_group_or_org(
        order.seller_org_id, context.get("user"), "create_dataset"
    )
    return _order_dict(order, for_seller=seller_side or authz.is_sysadmin(context.get("user")))


@tk.side_effect_free
def pricing_order_list(context: Context, data_dict: DataDict) -> list[dict[str, Any]]:
    """The caller's orders, newest first; with ``all`` (sysadmins), everyone's.

    :param all: every buyer's orders (sysadmins only)
    :param state: only orders in this state
    :param since_hours: only orders created in the last so many hours
    :param limit: at most this many (default 100)
    :param offset: skip this many
    """
    tk.check_access("pricing_order_list", context, data_dict)
    data = _validate(data_dict, schema.order_list(), context)
    query = model.Session.query(Order)
    if not data.get("all"):
        user = _user(context)
        query = query.filter(Order.buyer_id == (user.id if user else ""))
    if data.get("state"):
        query = query.filter(Order.state == data["state"])
    if data.get("since_hours") is not None:
        query = query.filter(Order.created >= _now() - dt.timedelta(hours=data["since_hours"]))
    rows = (
        query.order_by(Order.created.desc())
        .offset(data.get("offset", 0))
        .limit(data.get("limit", 100))
    )
    return [_order_dict(row, for_seller=bool(data.get("all"))) for row in rows]


def _org_id(name_or_id: str) -> str:
    org = model.Group.get(name_or_id)
    if org is None or not org.is_organization:
        raise tk.ObjectNotFound(tk._("Organisation not found"))
    return org.id


@tk.side_effect_free
def pricing_sales_list(context: Context, data_dict: DataDict) -> list[dict[str, Any]]:
    """A seller organisation's orders (all states), newest first, for its editors.

    :param organization_id: the seller organisation
    :param limit: at most this many (default 100; up to ``ckan.search.rows_max``)
    :param offset: skip this many
    """
    data = _validate(data_dict, schema.sales_list(), context)
    org_id = _org_id(data["organization_id"])
    tk.check_access("pricing_sales_list", context, {"organization_id": org_id})
    rows = (
        model.Session.query(Order)
        .filter(Order.seller_org_id == org_id)
        .order_by(Order.created.desc())
        .offset(data.get("offset", 0))
        .limit(data.get("limit", 100))
    )
    return [_order_dict(row, for_seller=True) for row in rows]


@tk.side_effect_free
def pricing_sales_summary(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """A seller's revenue per month and currency (net of VAT, from fulfilled orders) and
    the count of orders per state.

    :param organization_id: the seller organisation
    """
    data = _validate(data_dict, schema.organization_only(), context)
    org_id = _org_id(data["organization_id"])
    tk.check_access("pricing_sales_summary", context, {"organization_id": org_id})
    paid = model.Session.query(Order.paid_at, Order.net, Order.currency).filter(
        Order.seller_org_id == org_id,
        Order.state == State.FULFILLED.value,
        Order.paid_at.isnot(None),
    )
    states = dict(
        model.Session.query(Order.state, sa.func.count(Order.id))
        .filter(Order.seller_org_id == org_id)
        .group_by(Order.state)
        .all()
    )
    return {
        "months": orders.monthly_revenue([(row.paid_at, row.net, row.currency) for row in paid]),
        "states": {state.value: states.get(state.value, 0) for state in State},
    }


# --- payment events ---------------------------------------------------------------------


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
    row = model.Session.query(StripeEvent).get(event_id)
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
    model.repo.commit()
    return {"event_id": event_id, "outcome": outcome, "order_id": order_id}


def pricing_order_reconcile(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Ask Stripe about one pending order and fulfil it if it was paid (a webhook that
    never arrived). Idempotent: a fulfilled order is left as it is.

    :param id: the order
    :returns: ``{"order_id", "state", "outcome"}``
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


def pricing_checkout_expire(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Close the open checkouts of a deal or a dataset, so that they can no longer be
    paid (a deal revoked, declined or paid by invoice; a dataset whose sales pause). A
    payment that was already under way when its checkout closed is refunded on arrival
    if the order can no longer be delivered.

    :param source_ref: the deal room whose open checkouts to close (or)
    :type source_ref: string
    :param package_id: the dataset whose open checkouts to close
    :type package_id: string
    :param reason: why, recorded on each order
    :type reason: string
    :returns: ``{"expired": [order ids]}``
    :rtype: dictionary
    """
    tk.check_access("pricing_checkout_expire", context, data_dict)
    data = _validate(data_dict, schema.checkout_expire(), context)
    if not data.get("source_ref") and not data.get("package_id"):
        raise tk.ValidationError({"source_ref": [tk._("Name a deal or a dataset")]})
    query = model.Session.query(Order).filter(
        Order.state == State.PENDING.value, Order.stripe_session_id.isnot(None)
    )
    if data.get("source_ref"):
        query = query.filter(Order.source_ref == data["source_ref"])
    if data.get("package_id"):
        pkg = model.Package.get(data["package_id"])
        query = query.filter(Order.package_id == (pkg.id if pkg else data["package_id"]))
    expired = []
    for order in query.with_for_update().all():
        try:
            payments.expire_checkout_session(order.stripe_session_id)
        except payments.PaymentsError as error:
            log.warning("pricing: could not close the checkout of order %s: %s", order.id, error)
        order.state, order.note, order.updated = State.FAILED.value, data["reason"], _now()
        expired.append(order.id)
    if not context.get("defer_commit"):
        model.repo.commit()
    return {"expired": expired}


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
        model.repo.commit()
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


# --- seller payouts (Stripe Connect) -------------------------------------------------------


def _account_dict(org_id: str, account: SellerAccount | None) -> dict[str, Any]:
    return {
        "organization_id": org_id,
        "connected": account is not None,
        "charges_enabled": bool(account and account.charges_enabled),
        "payouts_enabled": bool(account and account.payouts_enabled),
        "connect": bool(tk.config.get("ckanext.pricing.stripe.connect")),
    }


def pricing_connect_onboard(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """A link where the seller organisation's admin sets up (or finishes setting up) the
    account its sales are paid out to.

    :param organization_id: the seller organisation
    :returns: ``{"url", ...status}``
    """
    data = _validate(data_dict, schema.organization_only(), context)
    org_id = _org_id(data["organization_id"])
    tk.check_access("pricing_connect_onboard", context, {"organization_id": org_id})
    if not tk.config.get("ckanext.pricing.stripe.connect"):
        raise tk.ValidationError(
            {
                "organization_id": [
                    tk._("Seller payouts through Stripe Connect are not enabled on this portal")
                ]
            }
        )
    account = model.Session.query(SellerAccount).get(org_id)
    try:
        if account is None:
            user = _user(context)
            stripe_account = payments.create_account(
                tk.config.get("ckanext.pricing.stripe.connect_country"),
                user.email if user else None,
                org_id,
            )
            account = SellerAccount(
                organization_id=org_id,
                stripe_account=stripe_account,
                charges_enabled=False,
                payouts_enabled=False,
            )
            model.Session.add(account)
            model.repo.commit()
        org = model.Group.get(org_id)
        back = _url("pricing.sales", id=org.name)
        url = payments.account_link(account.stripe_account, back, back)
    except payments.PaymentsError as error:
        raise tk.ValidationError({"payment": [str(error)]}) from None
    return dict(_account_dict(org_id, account), url=url)


def pricing_connect_status(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Whether the seller organisation can be paid. ``refresh`` asks Stripe again.

    :param organization_id: the seller organisation
    :param refresh: ask Stripe for the account's current state (default false)
    """
    data = _validate(data_dict, schema.organization_only(), context)
    org_id = _org_id(data["organization_id"])
    tk.check_access("pricing_connect_status", context, {"organization_id": org_id})
    account = model.Session.query(SellerAccount).get(org_id)
    if account is not None and data.get("refresh"):
        try:
            remote = payments.retrieve_account(account.stripe_account)
        except payments.PaymentsError as error:
            raise tk.ValidationError({"payment": [str(error)]}) from None
        account.charges_enabled = bool(remote.get("charges_enabled"))
        account.payouts_enabled = bool(remote.get("payouts_enabled"))
        account.updated = _now()
        model.repo.commit()
    return _account_dict(org_id, account)
