"""Auth functions of the deal-room actions: parties only, some steps for the seller
side only. (The actions answer "not found" to non-parties before these run.)"""

from __future__ import annotations

import ckan.plugins.toolkit as tk
from ckan.types import AuthResult, Context, DataDict

from ckanext.dealroom import access
from ckanext.dealroom.model import Room
from ckanext.dealroom.states import Side

__all__ = [
    "dealroom_accept_request",
    "dealroom_attachment_show",
    "dealroom_checkout_create",
    "dealroom_contract_show",
    "dealroom_create",
    "dealroom_dataset_close",
    "dealroom_decline",
    "dealroom_expire_due",
    "dealroom_list",
    "dealroom_mark_paid",
    "dealroom_message_create",
    "dealroom_offer_accept",
    "dealroom_offer_create",
    "dealroom_revoke",
    "dealroom_show",
    "dealroom_story_consent",
    "dealroom_withdraw",
]


def _party(context: Context, data_dict: DataDict, only: Side | None = None) -> AuthResult:
    room = Room.get(data_dict.get("id") or "")
    side = access.side_of(context.get("user"), room) if room is not None else None
    if side is None:
        return {"success": False, "msg": tk._("Deal room not found")}
    if only is not None and side is not only:
        return {"success": False, "msg": tk._("Only the seller can do this")}
    return {"success": True}


def dealroom_create(context: Context, data_dict: DataDict) -> AuthResult:
    if access.user_id(context.get("user")) is None:
        return {"success": False, "msg": tk._("Log in to ask the seller")}
    return {"success": True}


def dealroom_list(context: Context, data_dict: DataDict) -> AuthResult:
    if access.user_id(context.get("user")) is None:
        return {"success": False, "msg": tk._("Log in to see your deal rooms")}
    return {"success": True}


def dealroom_show(context: Context, data_dict: DataDict) -> AuthResult:
    return _party(context, data_dict)


dealroom_withdraw = dealroom_message_create = dealroom_offer_create = dealroom_show
dealroom_offer_accept = dealroom_contract_show = dealroom_story_consent = dealroom_show
dealroom_attachment_show = dealroom_checkout_create = dealroom_show


def dealroom_accept_request(context: Context, data_dict: DataDict) -> AuthResult:
    return _party(context, data_dict, Side.SELLER)


dealroom_decline = dealroom_mark_paid = dealroom_revoke = dealroom_accept_request


def dealroom_dataset_close(context: Context, data_dict: DataDict) -> AuthResult:
    try:
        tk.check_access("package_update", context, {"id": data_dict.get("package_id")})
    except tk.NotAuthorized:
        return {
            "success": False,
            "msg": tk._("Only the seller's editors can close a dataset to new requests"),
        }
    return {"success": True}


def dealroom_expire_due(context: Context, data_dict: DataDict) -> AuthResult:
    """Sysadmins only (they pass every auth function before it runs)."""
    return {"success": False, "msg": tk._("Only sysadmins can expire deals")}
