"""Who is a party to a room, wired to CKAN's organisations. Everyone else must not learn
that the room exists."""

from __future__ import annotations

from ckan import authz, model

from ckanext.dealroom.model import Room
from ckanext.dealroom.states import Side


def user_id(user_name: str | None) -> str | None:
    if not user_name:
        return None
    user = model.User.get(user_name)
    return user.id if user is not None and user.state == "active" else None


def edits(org_id: str | None, user_name: str | None) -> bool:
    """An admin or editor of the organisation (members without editor rights are not)."""
    return bool(org_id and user_name) and authz.has_user_permission_for_group_or_org(
        org_id, user_name, "create_dataset"
    )


def side_of(user_name: str | None, room: Room) -> Side | None:
    """The caller's side of the room, or None for anyone who is not a party. Sysadmins,
    as the portal's brokers, act on the seller side."""
    uid = user_id(user_name)
    if uid is None:
        return None
    if authz.is_sysadmin(user_name) or edits(room.seller_org_id, user_name):
        return Side.SELLER
    if uid == room.buyer_user_id or (room.buyer_org_id and edits(room.buyer_org_id, user_name)):
        return Side.BUYER
    return None
