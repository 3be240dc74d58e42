"""Deal rooms: a buyer's request, the rooms a party sees, the moves before agreement,
a seller closing a dataset to new requests, and access periods that end."""

from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
import sqlalchemy as sa
from ckan import model
from ckan.types import Context, DataDict

from ckanext.cityexchange.context import commit
from ckanext.cityexchange.guard import validate as _validate
from ckanext.dealroom import access, states
from ckanext.dealroom.logic import schema
from ckanext.dealroom.logic.action._common import (
    _checked_terms,
    _move,
    _now,
    _pkg,
    _room,
    _room_dict,
    _site,
)
from ckanext.dealroom.model import (
    Audit,
    ClosedDataset,
    Message,
    Room,
)
from ckanext.dealroom.states import Side, State

__all__ = [
    "dealroom_accept_request",
    "dealroom_create",
    "dealroom_dataset_close",
    "dealroom_decline",
    "dealroom_expire_due",
    "dealroom_list",
    "dealroom_show",
    "dealroom_withdraw",
]


def dealroom_create(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Ask the seller for a dataset, around a use case. For logged-in users who may see the
    dataset and do not publish it, unless the seller has blocked their organisation or
    closed the dataset to new requests. A buyer (or buying organisation) has at most one
    open room per dataset.

    :param package_id: a ``priced`` or ``on_request`` dataset (id or name)
    :type package_id: string
    :param use_case: what the data is for (required)
    :type use_case: string
    :param intended_use: more detail (optional)
    :type intended_use: string
    :param buyer_org: the organisation buying (one the caller edits; optional)
    :type buyer_org: string
    :param resource_ids: the resources wanted (default: all locked ones)
    :type resource_ids: list of strings
    :param period_months: the period wanted (optional)
    :type period_months: integer
    :param deal_type: ``sale`` (default) or ``donation`` (free, public-interest use)
    :type deal_type: string
    :returns: the new room, ``requested``, as ``dealroom_show`` returns it
    :rtype: dictionary
    """
    tk.check_access("dealroom_create", context, data_dict)
    data = _validate(data_dict, schema.create(), context)
    user = context.get("user")
    uid = access.user_id(user)
    try:
        tk.check_access("package_show", {"user": user}, {"id": data["package_id"]})
    except tk.NotAuthorized:
        raise tk.ObjectNotFound(tk._("Dataset not found")) from None
    pkg = _pkg(data["package_id"])
    # ckanext-pricing decides who may deal for a dataset: not its publisher, not a buyer
    # whose organisation the seller blocked.
    check = tk.get_action("pricing_buyer_check")(
        {"user": user},
        {
            "package_id": pkg["id"],
            **({"organization": data["buyer_org"]} if data.get("buyer_org") else {}),
        },
    )
    if check["publisher"]:
        raise tk.ValidationError(
            {"package_id": [tk._("You publish this dataset: you cannot ask yourself for it")]}
        )
    if (pkg.get("access_tier") or "open") == "open":
        raise tk.ValidationError(
            {"package_id": [tk._("This dataset is open: download it, no deal needed")]}
        )
    if model.Session.get(ClosedDataset, pkg["id"]) is not None:
        raise tk.ValidationError(
            {"package_id": [tk._("The seller takes no new requests for this dataset")]}
        )
    buyer_org_id = None
    if data.get("buyer_org"):
        org = model.Group.get(data["buyer_org"])
        if org is None or not org.is_organization or not access.edits(org.id, user):
            raise tk.ValidationError(
                {"buyer_org": [tk._("Choose an organisation you are an editor or admin of")]}
            )
        buyer_org_id = org.id
    if not check["may_buy"]:
        raise tk.ValidationError(
            {
                "package_id": [
                    tk._("The seller does not deal with your organisation for this dataset")
                ]
            }
        )
    terms = _checked_terms(
        {
            "package_id": pkg["id"],
            "resource_ids": data.get("resource_ids"),
            "period_months": data.get("period_months"),
        }
    )
    wanted = set(terms.get("resource_ids") or [])
    period = terms.get("period_months")
    existing = _open_room(pkg["id"], uid, buyer_org_id)
    if existing is not None:
        raise tk.ValidationError(
            {
                "package_id": [tk._("You already have a deal room for this dataset")],
                "room_id": [existing.id],
            }
        )
    now = _now()
    room = Room(
        package_id=pkg["id"],
        seller_org_id=pkg["owner_org"],
        buyer_user_id=uid,
        buyer_org_id=buyer_org_id,
        deal_type=data["deal_type"],
        use_case=data["use_case"],
        intended_use=data.get("intended_use"),
        resource_ids=sorted(wanted),
        period_months=period,
        state=State.REQUESTED.value,
        story_buyer=False,
        story_seller=False,
        created=now,
        updated=now,
    )
    model.Session.add(room)
    try:
        model.Session.flush()  # one open room per buyer and dataset: the database decides
    except sa.exc.IntegrityError:
        model.Session.rollback()
        existing = _open_room(pkg["id"], uid, buyer_org_id)
        raise tk.ValidationError(
            {
                "package_id": [tk._("You already have a deal room for this dataset")],
                "room_id": [existing.id if existing else ""],
            }
        ) from None
    model.Session.add(
        Audit(
            room_id=room.id,
            actor_id=uid,
            action="create",
            from_state=None,
            to_state=State.REQUESTED.value,
            at=now,
        )
    )
    model.Session.add(Message(room_id=room.id, author_id=None, body="system:create", created=now))
    commit(context)
    tk.enqueue_job(
        "ckanext.dealroom.jobs.notify_sellers", [room.id], title=f"dealroom notify {room.id}"
    )
    return _room_dict(room, Side.BUYER)


def _open_room(package_id: str, user_id: str | None, buyer_org_id: str | None) -> Room | None:
    """The buyer's (or the buying organisation's) open room for a dataset, if any."""
    holder = (
        Room.buyer_org_id == buyer_org_id
        if buyer_org_id
        else sa.and_(Room.buyer_org_id.is_(None), Room.buyer_user_id == user_id)
    )
    return (
        model.Session.query(Room)
        .filter(
            Room.package_id == package_id,
            holder,
            Room.state.in_([s.value for s in states.open_room_states()]),
        )
        .first()
    )


@tk.side_effect_free
def dealroom_show(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """A room with its offers, messages, attachments, audit trail and contract. For the
    room's parties; anyone else is told it is not found.

    :param id: the room's id
    :type id: string
    :returns: the room: ``id``, ``state``, ``deal_type``, the terms asked for,
        ``dataset``, ``seller``, ``buyer``, ``buyer_org``, ``your_side``, ``story``,
        ``actions`` (what the caller may do now), ``offers`` and ``latest_offer``,
        ``messages`` (with their attachments), ``audit`` and ``contract``
    :rtype: dictionary
    """
    # Validated before the access check: the room it names decides who may act (a party to it).
    data = _validate(data_dict, schema.room(), context)
    room, side = _room(context, data["id"])
    tk.check_access("dealroom_show", context, {"id": room.id})
    return _room_dict(room, side)


@tk.side_effect_free
def dealroom_list(context: Context, data_dict: DataDict) -> list[dict[str, Any]]:
    """The caller's rooms, as buyer and as seller, most recently active first. For
    logged-in users.

    :param role: ``buyer`` or ``seller`` (default: both)
    :type role: string
    :returns: at most 500 rooms, each as ``dealroom_show`` returns it but without its
        offers, messages, audit trail and contract
    :rtype: list of dictionaries
    """
    tk.check_access("dealroom_list", context, data_dict)
    data = _validate(data_dict, schema.room_list(), context)
    user = context.get("user")
    uid = access.user_id(user)
    orgs = [
        o["id"]
        for o in tk.get_action("organization_list_for_user")(
            {"user": user}, {"permission": "create_dataset"}
        )
    ]
    clauses = []
    if data.get("role") in (None, "buyer"):
        clauses.append(Room.buyer_user_id == uid)
        if orgs:
            clauses.append(Room.buyer_org_id.in_(orgs))
    if data.get("role") in (None, "seller") and orgs:
        clauses.append(Room.seller_org_id.in_(orgs))
    if not clauses:
        return []
    rooms = (
        model.Session.query(Room).filter(sa.or_(*clauses)).order_by(Room.updated.desc()).limit(500)
    )
    out = []
    for room in rooms:
        side = access.side_of(user, room)
        if side is not None:
            out.append(_room_dict(room, side, full=False))
    return out


def _transition(context: Context, data_dict: DataDict, action: str, schema_: Any) -> dict[str, Any]:
    # Validated before the access check: the room it names decides who may act.
    data = _validate(data_dict, schema_, context)
    room, side = _room(context, data["id"], lock=True)
    tk.check_access(f"dealroom_{action}", context, {"id": room.id})
    _move(room, action, side, access.user_id(context.get("user")), reason=data.get("reason"))
    commit(context)
    return _room_dict(room, side)


def dealroom_accept_request(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """The seller agrees to negotiate: the requested room opens.

    :param id: the room's id
    :type id: string
    :returns: the room, now ``open``, as ``dealroom_show`` returns it
    :rtype: dictionary
    """
    return _transition(context, data_dict, "accept_request", schema.room())


def dealroom_decline(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """The seller declines (with a reason the buyer sees), while the room is requested or
    open.

    :param id: the room's id
    :type id: string
    :param reason: why (required)
    :type reason: string
    :returns: the room, now ``declined``, as ``dealroom_show`` returns it
    :rtype: dictionary
    """
    return _transition(context, data_dict, "decline", schema.room_with_reason())


def dealroom_withdraw(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Either party walks away before agreement.

    :param id: the room's id
    :type id: string
    :param reason: why (optional)
    :type reason: string
    :returns: the room, now ``withdrawn``, as ``dealroom_show`` returns it
    :rtype: dictionary
    """
    return _transition(context, data_dict, "withdraw", schema.room())


def dealroom_dataset_close(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Close (or reopen) a dataset to new deal rooms. Rooms already open carry on. For the
    seller's editors.

    :param package_id: the dataset (id or name)
    :type package_id: string
    :param closed: true to close, false to reopen
    :type closed: boolean
    :returns: the dataset's ``package_id`` and whether it is now ``closed``
    :rtype: dictionary
    """
    # Validated before the access check: the room it names decides who may act (a party to it).
    data = _validate(data_dict, schema.dataset_close(), context)
    tk.check_access("dealroom_dataset_close", context, data)
    pkg = model.Package.get(data["package_id"])
    row = model.Session.get(ClosedDataset, pkg.id)
    if data["closed"] and row is None:
        model.Session.add(
            ClosedDataset(
                package_id=pkg.id, closed_by=access.user_id(context.get("user")), created=_now()
            )
        )
    elif not data["closed"] and row is not None:
        model.Session.delete(row)
    commit(context)
    return {"package_id": pkg.id, "closed": bool(data["closed"])}


def dealroom_expire_due(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Move active rooms whose access period has ended to ``expired`` (sysadmins; run
    by ``ckan dealroom expire`` from cron). Running it again changes nothing. It takes
    no parameters.

    :returns: ``{"expired": [room ids]}``
    :rtype: dictionary
    """
    tk.check_access("dealroom_expire_due", context, data_dict)
    now = _now()
    expired = []
    # The deals' access whose period has ended, as ckanext-pricing keeps it: one call.
    ended = tk.get_action("pricing_entitlement_list")(
        _site(), {"source": "deal", "all_holders": True, "ended_before": now.isoformat()}
    )
    due = (
        model.Session.query(Room.id)
        .filter(
            Room.state == State.ACTIVE.value,
            Room.entitlement_id.in_([e["id"] for e in ended]),
        )
        .all()
    )
    for (room_id,) in due:
        room = Room.get(room_id, lock=True)
        if room is not None and room.state == State.ACTIVE.value:
            _move(room, "expire", Side.SELLER, None)
            expired.append(room.id)
    commit(context)
    return {"expired": expired}
