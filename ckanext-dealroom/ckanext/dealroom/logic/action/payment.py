"""Paying for a deal and the access it gives: by card (ckanext-pricing's checkout), by
invoice, revocation, and what pricing's payment events do to a room
(``IPricingOrders``)."""

from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from ckan import model
from ckan.types import Context, DataDict

from ckanext.cityexchange.context import commit
from ckanext.cityexchange.guard import validate as _validate
from ckanext.dealroom import access, states
from ckanext.dealroom.logic import schema
from ckanext.dealroom.logic.action._common import _move, _now, _room, _room_dict, _site
from ckanext.dealroom.model import (
    Contract,
    Offer,
    Room,
)
from ckanext.dealroom.states import Side, State

__all__ = ["dealroom_checkout_create", "dealroom_mark_paid", "dealroom_revoke"]


def _close_checkouts(room: Room, reason: str) -> None:
    """No open checkout of the room can be paid any more (a payment already under way
    is refunded on arrival: see order_undeliverable)."""
    tk.get_action("pricing_checkout_expire")(_site(), {"source_ref": room.id, "reason": reason})


def _revoke_access(room: Room, reason: str) -> None:
    """Revoke every entitlement the deal produced (paid by card and by invoice alike)."""
    for entitlement in tk.get_action("pricing_entitlement_list")(
        _site(), {"package_id": room.package_id, "source_ref": room.id, "include_inactive": False}
    ):
        tk.get_action("pricing_entitlement_revoke")(
            _site(), {"id": entitlement["id"], "reason": reason}
        )


def _activate(room: Room, offer: Offer, actor: str | None) -> None:
    _move(room, "activate", Side.SELLER, actor)
    entitlement = tk.get_action("pricing_entitlement_grant")(
        _site(),
        {
            "package_id": room.package_id,
            "holder_type": "organization" if room.buyer_org_id else "user",
            "holder": room.buyer_org_id or room.buyer_user_id,
            "resource_ids": list(offer.resource_ids or []),
            "valid_from": _now().isoformat(),
            **({"valid_months": offer.period_months} if offer.period_months else {}),
            "source": "deal",
            "source_ref": room.id,
        },
    )
    room.entitlement_id = entitlement["id"]


def dealroom_mark_paid(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """The seller confirms payment of an invoiced deal: access opens for the agreed
    period and resources. Only an agreed deal can be marked paid; its open checkouts
    are closed.

    :param id: the room's id
    :type id: string
    :returns: the room, now ``active``, as ``dealroom_show`` returns it
    :rtype: dictionary
    """
    # Validated before the access check: the room it names decides who may act (a party to it).
    data = _validate(data_dict, schema.room(), context)
    room, side = _room(context, data["id"], lock=True)
    tk.check_access("dealroom_mark_paid", context, {"id": room.id})
    contract = model.Session.query(Contract).filter(Contract.room_id == room.id).first()
    if contract is None or room.state != State.AGREED.value:
        raise tk.ValidationError({"state": [tk._("Only an agreed deal can be marked paid")]})
    offer = model.Session.get(Offer, contract.offer_id)
    _close_checkouts(room, tk._("The seller marked the deal paid by invoice"))
    contract.payment, contract.paid_at = "invoice", _now()
    _activate(room, offer, access.user_id(context.get("user")))
    commit(context)
    return _room_dict(room, side)


def dealroom_revoke(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """The seller ends an agreed or active deal; access ends now and the buyer sees the
    reason. The deal's open checkouts are closed.

    :param id: the room's id
    :type id: string
    :param reason: why (required)
    :type reason: string
    :returns: the room, now ``revoked``, as ``dealroom_show`` returns it
    :rtype: dictionary
    """
    # Validated before the access check: the room it names decides who may act (a party to it).
    data = _validate(data_dict, schema.room_with_reason(), context)
    room, side = _room(context, data["id"], lock=True)
    tk.check_access("dealroom_revoke", context, {"id": room.id})
    _move(room, "revoke", side, access.user_id(context.get("user")), reason=data["reason"])
    _close_checkouts(room, data["reason"])
    _revoke_access(room, data["reason"])
    commit(context)
    return _room_dict(room, side)


def dealroom_checkout_create(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """The buyer pays an agreed deal by card: an order for the contract's terms (price
    excluding VAT) and its Stripe Checkout page. Access opens when Stripe reports the
    payment. A data donation has nothing to pay.

    :param id: the room's id
    :type id: string
    :returns: ``{"order_id", "state", "checkout_url"}``, as ``pricing_checkout_create``
        returns them
    :rtype: dictionary
    """
    # Validated before the access check: the room it names decides who may act (a party to it).
    data = _validate(data_dict, schema.room(), context)
    room, side = _room(context, data["id"])
    tk.check_access("dealroom_checkout_create", context, {"id": room.id})
    contract = model.Session.query(Contract).filter(Contract.room_id == room.id).first()
    if side is not Side.BUYER or room.state != State.AGREED.value or contract is None:
        raise tk.ValidationError({"state": [tk._("Only the buyer pays, once the deal is agreed")]})
    offer = model.Session.get(Offer, contract.offer_id)
    if offer.amount == 0:
        raise tk.ValidationError({"state": [tk._("A data donation has nothing to pay")]})
    holder = (
        {"holder_type": "organization", "holder": room.buyer_org_id} if room.buyer_org_id else {}
    )
    return tk.get_action("pricing_checkout_create")(
        {"user": context.get("user"), "ignore_auth": True},
        {
            "package_id": room.package_id,
            "offer_id": "deal",
            "source": "deal",
            "source_ref": room.id,
            "terms": {
                "amount": offer.amount,
                "currency": offer.currency,
                "vat_included": False,
                "licence": offer.licence,
                "resources": list(offer.resource_ids or []),
                "valid_months": offer.period_months,
            },
            **holder,
        },
    )


def on_order(order: dict[str, Any], effect: str) -> None:
    """A deal's order was paid (the room becomes active with the order's entitlement) or
    refunded or disputed (the room is revoked with that reason). Inside pricing's
    transaction: no commit here."""
    if order.get("source") != "deal" or not order.get("source_ref"):
        return
    room = Room.get(order["source_ref"], lock=True)
    if room is None:
        return
    contract = model.Session.query(Contract).filter(Contract.room_id == room.id).first()
    if effect == "grant" and room.state == State.AGREED.value and contract is not None:
        contract.payment, contract.paid_at = "checkout", _now()
        _move(room, "activate", Side.SELLER, order.get("buyer_id"))
        room.entitlement_id = order.get("entitlement_id")
    elif effect == "revoke" and room.state in (State.AGREED.value, State.ACTIVE.value):
        _move(
            room, "revoke", Side.SELLER, None, reason=order.get("note") or tk._("Payment refunded")
        )
    elif (
        effect == "restore"
        and room.state == State.REVOKED.value
        and room.entitlement_id == order.get("entitlement_id")
    ):
        _move(room, "reinstate", Side.SELLER, None, reason=order.get("note"))


def lock_for_order(order: dict[str, Any]) -> None:
    """A payment event is about to move a deal's order: lock the room first (as the
    room's own actions do), so that two payments of one deal, or a payment and a revoke,
    are decided one after the other."""
    if order.get("source") == "deal" and order.get("source_ref"):
        Room.get(order["source_ref"], lock=True)


def order_undeliverable(order: dict[str, Any]) -> str | None:
    """Why a card payment for a deal's order cannot open access now (the deal was
    revoked, or paid by invoice, while the checkout was open), or None. Pricing refunds
    such a payment."""
    if order.get("source") != "deal" or not order.get("source_ref"):
        return None
    room = Room.get(order["source_ref"])
    if room is None:
        return "The deal no longer exists"
    contract = model.Session.query(Contract).filter(Contract.room_id == room.id).first()
    paid = bool(room.entitlement_id or (contract is not None and contract.paid_at is not None))
    return states.undeliverable_payment(State(room.state), paid)
