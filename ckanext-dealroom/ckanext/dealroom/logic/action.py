"""Actions of the deal room.

Every action that names a room first finds it for the caller: anyone who is not a party
(the buyer side, the seller organisation's admins and editors, sysadmins) gets "not
found", never "not allowed", so that a room's existence does not leak. Then it checks
access, validates, applies the rules of :mod:`ckanext.dealroom.states` and persists, with
an audit entry and a system message for every transition.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import ckan.plugins.toolkit as tk
import sqlalchemy as sa
from ckan import model
from ckan.types import Context, DataDict

from ckanext.cityexchange.context import commit, site_context
from ckanext.cityexchange.guard import validate as _validate
from ckanext.dealroom import access, contracts, states, storage
from ckanext.dealroom.logic import schema
from ckanext.dealroom.model import (
    Attachment,
    Audit,
    ClosedDataset,
    Contract,
    Message,
    Offer,
    Room,
    iso,
)
from ckanext.dealroom.states import Side, State

log = logging.getLogger(__name__)

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


# --- opening a room ------------------------------------------------------------------------


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


# --- transitions -----------------------------------------------------------------------------


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


def dealroom_message_create(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """A message in the room, optionally with one attachment (e.g. an NDA). For the room's
    parties, until the room is closed.

    :param id: the room's id
    :type id: string
    :param body: the text
    :type body: string
    :param upload: a file (PDF, Word, OpenDocument, Excel, text, CSV, PNG, JPEG; at most
        ``ckanext.dealroom.max_attachment_size`` MB; optional)
    :type upload: file upload (multipart/form-data)
    :returns: the message's ``id`` and its ``room_id``
    :rtype: dictionary
    """
    # Validated before the access check: the room it names decides who may act (a party to it).
    data = _validate(data_dict, schema.message(), context)
    room, _side = _room(context, data["id"])
    tk.check_access("dealroom_message_create", context, {"id": room.id})
    if State(room.state) in states.FINAL:
        raise tk.ValidationError({"state": [tk._("This room is closed")]})
    upload = data_dict.get("upload")
    tmp = None
    if upload is not None and getattr(upload, "filename", None):
        max_bytes = tk.config.get("ckanext.dealroom.max_attachment_size") * 1024 * 1024
        stream = getattr(upload, "stream", None) or getattr(upload, "file", None) or upload
        tmp, head, size, digest = storage.receive(stream, max_bytes)
        try:
            _ext, media_type = contracts.check_attachment(upload.filename, head, size, max_bytes)
        except ValueError as error:
            storage.discard(tmp)
            raise tk.ValidationError({"upload": [tk._(str(error))]}) from None
    elif upload not in (None, ""):
        raise tk.ValidationError({"upload": [tk._("Send the attachment as a file upload")]})
    message = Message(
        room_id=room.id,
        author_id=access.user_id(context.get("user")),
        body=data["body"],
        created=_now(),
    )
    model.Session.add(message)
    model.Session.flush()
    if tmp is not None:
        filename = upload.filename.replace("/", "_").replace("\\", "_")[-200:]
        attachment = Attachment(
            room_id=room.id,
            message_id=message.id,
            filename=filename,
            media_type=media_type,
            size=size,
            sha256=digest,
            created=_now(),
        )
        model.Session.add(attachment)
        model.Session.flush()
        storage.keep(tmp, room.id, attachment.id)
    room.updated = _now()
    commit(context)
    return {"id": message.id, "room_id": room.id}


def dealroom_offer_create(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Propose terms in an open room; the previous live offer is superseded. For the room's
    parties. The terms follow ckanext-pricing's rules for offers.

    :param id: the room's id
    :type id: string
    :param amount: price in minor units, excluding VAT (0 only for a data donation)
    :type amount: integer
    :param currency: ISO code (default: the portal's default currency)
    :type currency: string
    :param period_months: how long access lasts (optional: no end)
    :type period_months: integer
    :param resource_ids: the resources covered (default: the room's; all locked ones when
        the room names none)
    :type resource_ids: list of strings
    :param licence: a licence template id (one of those ``pricing_licence_list`` returns)
    :type licence: string
    :param clauses: custom clauses (optional)
    :type clauses: string
    :param dpa_required: whether a data processing agreement is required (default false)
    :type dpa_required: boolean
    :returns: the offer: ``id``, ``room_id``, ``version``, ``side``, ``author_id``, the
        terms, ``state`` (``live``), ``created``, ``resources`` (each with its ``id`` and
        ``name``) and ``price`` (as ``pricing_price_quote`` returns it)
    :rtype: dictionary
    """
    # Validated before the access check: the room it names decides who may act (a party to it).
    data = _validate(data_dict, schema.offer(), context)
    room, side = _room(context, data["id"], lock=True)
    tk.check_access("dealroom_offer_create", context, {"id": room.id})
    try:
        states.check_new_offer(State(room.state))
    except states.TransitionError as error:
        raise tk.ValidationError({"state": [str(error)]}) from None
    errors: dict[str, list[str]] = {}
    try:
        amount = contracts.parse_amount(data["amount"], allow_zero=room.deal_type == "donation")
        if room.deal_type == "donation" and amount != 0:
            errors["amount"] = [tk._("A data donation is free: the price must be 0")]
    except ValueError as error:
        errors["amount"] = [tk._(str(error))]
    # The terms follow ckanext-pricing's rules for offers (currency, licence, period,
    # locked resources: all of them when none are named).
    terms: dict[str, Any] = {}
    try:
        terms = _checked_terms(
            {
                "package_id": room.package_id,
                "currency": data.get("currency"),
                "licence": data["licence"],
                "period_months": data.get("period_months"),
                "resource_ids": data.get("resource_ids") or room.resource_ids,
            }
        )
    except tk.ValidationError as error:
        errors.update(error.error_dict)
    if errors:
        raise tk.ValidationError(errors)
    currency, period = terms["currency"], terms.get("period_months")
    locked = _locked(_pkg(room.package_id))
    resource_ids = terms.get("resource_ids") or sorted(locked)
    previous = (
        model.Session.query(sa.func.max(Offer.version)).filter(Offer.room_id == room.id).scalar()
        or 0
    )
    model.Session.query(Offer).filter(Offer.room_id == room.id, Offer.state == "live").update(
        {"state": "superseded"}, synchronize_session=False
    )
    offer = Offer(
        room_id=room.id,
        version=previous + 1,
        side=side.value,
        author_id=access.user_id(context.get("user")),
        amount=amount,
        currency=currency,
        period_months=period,
        resource_ids=resource_ids,
        licence=data["licence"],
        clauses=data.get("clauses"),
        dpa_required=bool(data.get("dpa_required")),
        state="live",
        created=_now(),
    )
    model.Session.add(offer)
    model.Session.add(
        Message(
            room_id=room.id,
            author_id=None,
            body="system:offer" if previous == 0 else "system:counter_offer",
            created=_now(),
        )
    )
    room.updated = _now()
    commit(context)
    return _offer_dict(offer, locked)


def _terms(room: Room, offer: Offer, accepted_by: str, at: dt.datetime) -> dict[str, Any]:
    """Everything agreed, as it will be hashed and printed: the resources by name, the
    period, the licence text as it reads now, and what the buyer pays (net, VAT, total)."""
    pkg = model.Package.get(room.package_id)
    licence = _licences().get(offer.licence, {})
    names = {
        r.id: r.name or r.id
        for r in model.Session.query(model.Resource).filter(
            model.Resource.package_id == room.package_id
        )
    }
    price = _quote(offer.amount, offer.currency)
    return {
        "room_id": room.id,
        "deal_type": room.deal_type,
        "use_case": room.use_case,
        "dataset": {"id": pkg.id, "name": pkg.name, "title": pkg.title},
        "seller": _name(model.Group, room.seller_org_id),
        "buyer": {
            "user": _name(model.User, room.buyer_user_id),
            "organization": _name(model.Group, room.buyer_org_id),
        },
        "offer": {
            "id": offer.id,
            "version": offer.version,
            "proposed_by": offer.side,
            "amount": offer.amount,
            "currency": offer.currency,
            "period_months": offer.period_months,
            "resource_ids": list(offer.resource_ids or []),
            "licence": offer.licence,
            "licence_text": licence,
            "clauses": offer.clauses,
            "dpa_required": offer.dpa_required,
            "resources": [
                {"id": rid, "name": names.get(rid, rid)} for rid in offer.resource_ids or []
            ],
            "price": {
                "net": price["net"],
                "vat": price["vat"],
                "vat_rate": price["vat_rate"],
                "total": price["charged"],
                "currency": offer.currency,
            },
        },
        "accepted_by": accepted_by,
        "accepted_at": at.replace(microsecond=0).isoformat() + "Z",
    }


def dealroom_offer_accept(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """The counterparty accepts the latest live offer: a contract is made, with the
    SHA-256 of its canonical JSON. A free deal (data donation) opens access at once.

    :param id: the room's id
    :type id: string
    :param offer_id: the offer's id
    :type offer_id: string
    :returns: the contract: ``id``, ``room_id``, ``offer_id``, ``terms``, ``sha256``,
        ``accepted_by``, ``accepted_at``, ``paid_at`` and ``payment`` (``free`` for a data
        donation)
    :rtype: dictionary
    """
    # Validated before the access check: the room it names decides who may act (a party to it).
    data = _validate(data_dict, schema.offer_accept(), context)
    room, side = _room(context, data["id"], lock=True)  # concurrent accepts queue here
    tk.check_access("dealroom_offer_accept", context, {"id": room.id})
    offers = model.Session.query(Offer).filter(Offer.room_id == room.id).all()
    refs = [states.OfferRef(o.id, o.version, Side(o.side), o.state) for o in offers]
    try:
        states.check_accept(State(room.state), refs, data["offer_id"], side)
    except states.TransitionError as error:
        raise tk.ValidationError({"offer_id": [str(error)]}) from None
    offer = next(o for o in offers if o.id == data["offer_id"])
    uid = access.user_id(context.get("user"))
    now = _now()
    _move(room, "accept_offer", side, uid)
    offer.state = "accepted"
    terms = _terms(room, offer, uid or "", now)
    contract = Contract(
        room_id=room.id,
        offer_id=offer.id,
        terms=terms,
        sha256=contracts.fingerprint(terms),
        accepted_by=uid,
        accepted_at=now,
    )
    model.Session.add(contract)
    if offer.amount == 0:
        contract.payment, contract.paid_at = "free", now
        _activate(room, offer, uid)
    commit(context)
    return contract.dictize()


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


@tk.side_effect_free
def dealroom_contract_show(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """The contract of an agreed room, with its SHA-256. For the room's parties.

    :param id: the room's id
    :type id: string
    :returns: the contract, as ``dealroom_offer_accept`` returns it
    :rtype: dictionary
    :raises: ``ObjectNotFound`` until the parties have agreed
    """
    # Validated before the access check: the room it names decides who may act (a party to it).
    data = _validate(data_dict, schema.room(), context)
    room, _side = _room(context, data["id"])
    tk.check_access("dealroom_contract_show", context, {"id": room.id})
    contract = model.Session.query(Contract).filter(Contract.room_id == room.id).first()
    if contract is None:
        raise tk.ObjectNotFound(tk._("No contract yet: the parties have not agreed"))
    return contract.dictize()


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


def dealroom_story_consent(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Consent (or not) to show the agreed use case on the dataset page; it is shown once
    both parties consent.

    :param id: the room's id
    :type id: string
    :param consent: true or false
    :type consent: boolean
    :returns: the room, as ``dealroom_list`` returns it, with ``story``: each side's
        consent and whether the use case is ``published``
    :rtype: dictionary
    """
    # Validated before the access check: the room it names decides who may act (a party to it).
    data = _validate(data_dict, schema.story(), context)
    room, side = _room(context, data["id"])
    tk.check_access("dealroom_story_consent", context, {"id": room.id})
    if side is Side.BUYER:
        room.story_buyer = bool(data["consent"])
    else:
        room.story_seller = bool(data["consent"])
    room.updated = _now()
    commit(context)
    return _room_dict(room, side, full=False)


@tk.side_effect_free
def dealroom_attachment_show(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """An attachment's details, for the room's parties. Where the file is stored is not
    part of the answer (the download route reads it through ``storage``).

    :param id: the room
    :type id: string
    :param attachment_id: the attachment
    :type attachment_id: string
    :returns: id, room_id, filename, media_type, size and sha256
    :rtype: dictionary
    """
    # Validated before the access check: the room it names decides who may act (a party to it).
    data = _validate(data_dict, schema.attachment(), context)
    room, _side = _room(context, data["id"])
    tk.check_access("dealroom_attachment_show", context, {"id": room.id})
    attachment = (
        model.Session.query(Attachment)
        .filter(Attachment.id == data["attachment_id"], Attachment.room_id == room.id)
        .first()
    )
    if attachment is None:
        raise tk.ObjectNotFound(tk._("Attachment not found"))
    return {
        "id": attachment.id,
        "room_id": room.id,
        "filename": attachment.filename,
        "media_type": attachment.media_type,
        "size": attachment.size,
        "sha256": attachment.sha256,
    }


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
