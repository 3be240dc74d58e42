"""Helpers the deal-room action modules share."""

from __future__ import annotations

import datetime as dt
from typing import Any

import ckan.plugins.toolkit as tk
from ckan import model
from ckan.types import Context

from ckanext.cityexchange.context import site_context
from ckanext.dealroom import access, states
from ckanext.dealroom.model import (
    Attachment,
    Audit,
    Contract,
    Message,
    Offer,
    Room,
    iso,
)
from ckanext.dealroom.states import Side, State


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _site() -> Context:
    """The site user, inside the caller's transaction (pricing's actions only flush)."""
    return dict(site_context(), defer_commit=True)


def _room(context: Context, room_id: str, *, lock: bool = False) -> tuple[Room, Side]:
    """The room and the caller's side; "not found" for anyone who is not a party."""
    room = Room.get(room_id, lock=lock)
    side = access.side_of(context.get("user"), room) if room is not None else None
    if room is None or side is None:
        raise tk.ObjectNotFound(tk._("Deal room not found"))
    return room, side


def _move(
    room: Room, action: str, side: Side, actor: str | None, *, reason: str | None = None
) -> None:
    try:
        target = states.next_state(State(room.state), action, side)
    except states.TransitionError as error:
        raise tk.ValidationError({"state": [str(error)]}) from None
    model.Session.add(
        Audit(
            room_id=room.id,
            actor_id=actor,
            action=action,
            from_state=room.state,
            to_state=target.value,
            at=_now(),
        )
    )
    model.Session.add(
        Message(room_id=room.id, author_id=None, body=f"system:{action}", created=_now())
    )
    room.state, room.updated = target.value, _now()
    if reason is not None:
        room.reason = reason


def _pkg(package_id: str) -> dict[str, Any]:
    return tk.get_action("package_show")({"ignore_auth": True, "user": ""}, {"id": package_id})


def _locked(pkg: dict[str, Any]) -> dict[str, str]:
    """The dataset's locked resources (id -> name): what a deal can sell (ckanext-pricing
    decides which they are)."""
    return tk.get_action("pricing_buyer_check")(_site(), {"package_id": pkg["id"]})[
        "locked_resources"
    ]


def _licences() -> dict[str, Any]:
    """The licences deals may name, with their texts (ckanext-pricing's)."""
    return tk.get_action("pricing_licence_list")({"user": ""}, {})


def _checked_terms(terms: dict[str, Any]) -> dict[str, Any]:
    """Terms checked by ckanext-pricing's rules for offers (empty values left out): the
    clean terms, or a ValidationError with an error per field."""
    given = {key: value for key, value in terms.items() if value not in (None, "", [])}
    return tk.get_action("pricing_terms_check")(_site(), given)


def _quote(amount: int, currency: str) -> dict[str, Any]:
    """What the buyer pays for a deal price (excluding VAT): net, VAT and the total
    charged, by pricing's rules."""
    return tk.get_action("pricing_price_quote")(
        {"ignore_auth": True, "user": ""},
        {"amount": amount, "currency": currency, "vat_included": False},
    )


def _offer_dict(offer: Offer, resources: dict[str, str]) -> dict[str, Any]:
    out = offer.dictize()
    out["resources"] = [{"id": rid, "name": resources.get(rid, rid)} for rid in out["resource_ids"]]
    out["price"] = _quote(offer.amount, offer.currency)
    return out


def _name(table: Any, object_id: str | None) -> dict[str, Any] | None:
    obj = table.get(object_id) if object_id else None
    if obj is None:
        return None
    return {
        "id": obj.id,
        "name": obj.name,
        "title": getattr(obj, "title", None) or getattr(obj, "display_name", None) or obj.name,
    }


def _room_dict(room: Room, side: Side, *, full: bool = True) -> dict[str, Any]:
    pkg = model.Package.get(room.package_id)
    out: dict[str, Any] = {
        "id": room.id,
        "state": room.state,
        "deal_type": room.deal_type,
        "use_case": room.use_case,
        "intended_use": room.intended_use,
        "resource_ids": list(room.resource_ids or []),
        "period_months": room.period_months,
        "reason": room.reason,
        "dataset": {"id": pkg.id, "name": pkg.name, "title": pkg.title} if pkg else None,
        "seller": _name(model.Group, room.seller_org_id),
        "buyer": _name(model.User, room.buyer_user_id),
        "buyer_org": _name(model.Group, room.buyer_org_id),
        "your_side": side.value,
        "story": {
            "buyer": room.story_buyer,
            "seller": room.story_seller,
            "published": room.story_buyer and room.story_seller,
        },
        "created": iso(room.created),
        "updated": iso(room.updated),
        "actions": states.allowed_actions(State(room.state), side),
    }
    if not full:
        return out
    offers = (
        model.Session.query(Offer).filter(Offer.room_id == room.id).order_by(Offer.version).all()
    )
    names = {
        r.id: r.name or r.id
        for r in model.Session.query(model.Resource).filter(
            model.Resource.package_id == room.package_id
        )
    }
    out["offers"] = [_offer_dict(o, names) for o in offers]
    # what an offer may cover: the dataset's locked resources, for the offer form
    out["locked_resources"] = [
        {"id": rid, "name": name} for rid, name in (_locked(_pkg(pkg.id)) if pkg else {}).items()
    ]
    live = [o for o in out["offers"] if o["state"] == "live"]
    out["latest_offer"] = live[-1] if live else None
    attachments: dict[str, list[dict[str, Any]]] = {}
    for a in model.Session.query(Attachment).filter(Attachment.room_id == room.id):
        attachments.setdefault(a.message_id, []).append(
            {
                "id": a.id,
                "filename": a.filename,
                "media_type": a.media_type,
                "size": a.size,
                "sha256": a.sha256,
            }
        )
    out["messages"] = [
        {
            "id": m.id,
            "author": _name(model.User, m.author_id),
            "system": m.author_id is None,
            "body": m.body,
            "created": iso(m.created),
            "attachments": attachments.get(m.id, []),
        }
        for m in model.Session.query(Message)
        .filter(Message.room_id == room.id)
        .order_by(Message.created)
    ]
    out["audit"] = [
        {
            "action": a.action,
            "from_state": a.from_state,
            "to_state": a.to_state,
            "actor": _name(model.User, a.actor_id),
            "at": iso(a.at),
        }
        for a in model.Session.query(Audit)
        .filter(Audit.room_id == room.id)
        .order_by(Audit.at, Audit.id)
    ]
    contract = model.Session.query(Contract).filter(Contract.room_id == room.id).first()
    out["contract"] = contract.dictize() if contract else None
    return out
