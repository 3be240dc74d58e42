"""Buying: price quotes, checkout sessions and their expiry.

The price rules are in :mod:`ckanext.pricing.offers` and :mod:`ckanext.pricing.orders`;
every call to Stripe is in :mod:`ckanext.pricing.payments`."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import time
from typing import Any

import ckan.plugins.toolkit as tk
import sqlalchemy as sa
from ckan import authz, model
from ckan.types import Context, DataDict

from ckanext.pricing import access, offers, orders, payments, rules
from ckanext.pricing.logic import schema
from ckanext.pricing.logic.action._common import _now, _url, _user
from ckanext.pricing.logic.util import site_context as _site_context
from ckanext.pricing.logic.util import validate as _validate
from ckanext.pricing.model import Entitlement, Order, SellerAccount
from ckanext.pricing.orders import State

log = logging.getLogger(__name__)

__all__ = ["pricing_checkout_create", "pricing_checkout_expire", "pricing_price_quote"]


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


def _terms_offer(context: Context, data: dict[str, Any], pkg: dict[str, Any]) -> dict[str, Any]:
    """Terms agreed elsewhere (``source_ref`` names where, say a deal room) as a one-off
    offer. Only a plugin (``ignore_auth``) may pass terms: they come from an agreement,
    never from the buyer."""
    if not context.get("ignore_auth") or not data.get("source_ref"):
        raise tk.ValidationError(
            {"source": [tk._("Agreed terms are paid where they were agreed (say, a deal room)")]}
        )
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
    """Start buying an offer: an order, and a Stripe Checkout page to pay it on. For
    logged-in users who may see the dataset and do not publish it.

    :param package_id: the dataset (id or name)
    :type package_id: string
    :param offer_id: the offer's id
    :type offer_id: string
    :param holder_type: ``user`` (default: the buyer) or ``organization``
    :type holder_type: string
    :param holder: the organisation buying (an organisation the buyer edits; needed when
        ``holder_type`` is ``organization``)
    :type holder: string
    :param source: ``offer`` (default: one of the dataset's offers) or ``deal`` (terms
        agreed elsewhere, passed by a plugin only)
    :type source: string
    :param source_ref: with ``deal``: names the agreement (e.g. the deal room's id)
    :type source_ref: string
    :param terms: with ``deal``: the agreed ``amount``, ``currency``, ``vat_included``,
        ``licence``, ``resources`` and ``valid_months``
    :type terms: dictionary
    :returns: ``{"order_id", "state", "checkout_url"}``; a repeated call within the
        checkout's lifetime returns the same pending order and page.
    :rtype: dictionary
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

    if access.is_publisher(buyer.name, pkg["id"]):
        raise tk.ValidationError(
            {"package_id": [tk._("You publish this dataset: it is yours already")]}
        )
    tier = pkg.get("access_tier") or rules.OPEN
    offer: dict[str, Any] | None
    if data["source"] != "offer":
        offer = _terms_offer(context, data, pkg)
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
    if rules.is_blocked(holder_orgs, access.blocked_organization_ids(pkg["id"])):
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
        account = model.Session.get(SellerAccount, pkg["owner_org"])
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
