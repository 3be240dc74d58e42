"""Negotiation in a room: messages and attachments, offers, the contract an accepted
offer makes, and consent to tell the deal's story."""

from __future__ import annotations

import datetime as dt
from typing import Any

import ckan.plugins.toolkit as tk
import sqlalchemy as sa
from ckan import model
from ckan.types import Context, DataDict

from ckanext.cityexchange.context import commit
from ckanext.cityexchange.guard import validate as _validate
from ckanext.dealroom import access, contracts, states, storage
from ckanext.dealroom.logic import schema
from ckanext.dealroom.logic.action._common import (
    _checked_terms,
    _licences,
    _locked,
    _move,
    _name,
    _now,
    _offer_dict,
    _pkg,
    _quote,
    _room,
    _room_dict,
)
from ckanext.dealroom.logic.action.payment import _activate
from ckanext.dealroom.model import (
    Attachment,
    Contract,
    Message,
    Offer,
    Room,
)
from ckanext.dealroom.states import Side, State

__all__ = [
    "dealroom_attachment_show",
    "dealroom_contract_show",
    "dealroom_message_create",
    "dealroom_offer_accept",
    "dealroom_offer_create",
    "dealroom_story_consent",
]


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
    :param price: instead of ``amount``, the price in major units as people type it
        (``1250``, ``1.250,50``), excluding VAT
    :type price: string
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
    donation = room.deal_type == "donation"
    typed = data.get("price") not in (None, "") and not donation
    amount = 0
    if not typed and data.get("amount") in (None, "") and not donation:
        errors["price"] = [tk._("Missing value")]
    elif not typed:
        try:
            amount = contracts.parse_amount(data.get("amount"), allow_zero=donation)
            if donation and amount != 0:
                errors["amount"] = [tk._("A data donation is free: the price must be 0")]
        except ValueError as error:
            errors["amount"] = [tk._(str(error))]
    # The terms follow ckanext-pricing's rules for offers (currency, licence, period,
    # locked resources: all of them when none are named; a price typed in kroner).
    terms: dict[str, Any] = {}
    try:
        terms = _checked_terms(
            {
                "package_id": room.package_id,
                "currency": data.get("currency"),
                "licence": data["licence"],
                "period_months": data.get("period_months"),
                "resource_ids": data.get("resource_ids") or room.resource_ids,
                **({"price": data["price"]} if typed else {}),
            }
        )
    except tk.ValidationError as error:
        errors.update(error.error_dict)
    if errors:
        raise tk.ValidationError(errors)
    if typed:
        amount = terms["amount"]
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
