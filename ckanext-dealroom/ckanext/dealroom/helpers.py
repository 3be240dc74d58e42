"""Template helpers of the deal room (all prefixed ``dealroom_``)."""

from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
import sqlalchemy as sa
from ckan import model

from ckanext.dealroom import contracts
from ckanext.dealroom.model import ClosedDataset, Offer, Room

__all__ = [
    "dealroom_canonical_terms",
    "dealroom_default_currency",
    "dealroom_is_closed",
    "dealroom_licence_ids",
    "dealroom_state_label",
    "dealroom_stories",
    "dealroom_system_text",
    "dealroom_waiting_count",
]


def dealroom_system_text(body: str) -> str:
    texts = {
        "system:create": tk._("The buyer asked for the data."),
        "system:accept_request": tk._("The seller agreed to negotiate."),
        "system:decline": tk._("The seller declined."),
        "system:withdraw": tk._("The request was withdrawn."),
        "system:offer": tk._("An offer was made."),
        "system:counter_offer": tk._("A counter-offer was made."),
        "system:accept_offer": tk._("The offer was accepted: the contract is made."),
        "system:activate": tk._("Access is open."),
        "system:revoke": tk._("The seller ended the deal."),
        "system:expire": tk._("The deal expired."),
        "system:reinstate": tk._(
            "The payment dispute was decided for the seller: access is open again."
        ),
    }
    return texts.get(body, body)


def dealroom_state_label(state: str) -> str:
    return {
        "requested": tk._("Requested"),
        "open": tk._("Negotiating"),
        "declined": tk._("Declined"),
        "agreed": tk._("Agreed, awaiting payment"),
        "active": tk._("Active"),
        "expired": tk._("Expired"),
        "revoked": tk._("Revoked"),
        "withdrawn": tk._("Withdrawn"),
    }.get(state, state)


def dealroom_stories(package_id: str) -> list[dict[str, Any]]:
    """Use cases both parties agreed to publish, for the dataset page."""
    rooms = (
        model.Session.query(Room)
        .filter(
            Room.package_id == package_id,
            Room.story_buyer.is_(True),
            Room.story_seller.is_(True),
            Room.state.in_(["agreed", "active", "expired"]),
        )
        .order_by(Room.updated.desc())
        .limit(10)
    )
    out = []
    for room in rooms:
        org = model.Group.get(room.buyer_org_id) if room.buyer_org_id else None
        out.append(
            {
                "use_case": room.use_case,
                "buyer": org.title if org else None,
                "date": room.created.date().isoformat(),
            }
        )
    return out


def dealroom_is_closed(package_id: str) -> bool:
    return model.Session.get(ClosedDataset, package_id) is not None


def dealroom_waiting_count() -> int:
    """Rooms waiting for the logged-in user's answer, shown in the header on every page:
    on the seller side a new request, a buyer's offer to answer or a payment to
    confirm; on the buyer side a seller's offer to answer or an agreed deal to pay."""
    if not tk.current_user or not tk.current_user.is_authenticated:
        return 0
    orgs = [
        o["id"]
        for o in tk.get_action("organization_list_for_user")(
            {"user": tk.current_user.name}, {"permission": "create_dataset"}
        )
    ]
    latest = (
        sa.select(Offer.side)
        .where(Offer.room_id == Room.id)
        .order_by(Offer.version.desc())
        .limit(1)
        .scalar_subquery()
    )
    seller_turn = sa.or_(
        Room.state.in_(["requested", "agreed"]),
        sa.and_(Room.state == "open", latest == "buyer"),
    )
    buyer_turn = sa.or_(Room.state == "agreed", sa.and_(Room.state == "open", latest == "seller"))
    mine = sa.and_(Room.buyer_user_id == tk.current_user.id, buyer_turn)
    if orgs:
        mine = sa.or_(mine, sa.and_(Room.seller_org_id.in_(orgs), seller_turn))
    return model.Session.query(Room).filter(mine).count()


def dealroom_default_currency() -> str:
    """The currency an offer is in unless another is chosen (ckanext-pricing's)."""
    return tk.get_action("pricing_terms_check")({"user": ""}, {})["currency"]


def dealroom_licence_ids() -> list[str]:
    return list(tk.get_action("pricing_licence_list")({"user": ""}, {}))


def dealroom_canonical_terms(terms: dict[str, Any]) -> str:
    """The contract's terms exactly as hashed (for checking the printed fingerprint)."""
    return contracts.canonical_json(terms)
