"""Pages of the deal room. Views only call actions and render; a room that the caller is
not a party to is "not found" on every route."""

from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from flask import Blueprint, request, send_file

from ckanext.dealroom import storage

dealroom = Blueprint("dealroom", __name__)


def _user() -> str | None:
    user = tk.current_user
    return user.name if user and user.is_authenticated else None


def _context() -> dict[str, Any]:
    return {"user": _user() or ""}


def _show(room_id: str) -> dict[str, Any]:
    try:
        return tk.get_action("dealroom_show")(_context(), {"id": room_id})
    except (tk.ObjectNotFound, tk.NotAuthorized):
        return tk.abort(404, tk._("Deal room not found"))


def _flash_errors(error: tk.ValidationError) -> None:
    for field, messages in error.error_dict.items():
        if field == "room_id":
            continue
        for message in messages if isinstance(messages, list) else [messages]:
            tk.h.flash_error(str(message))


@dealroom.route("/dataset/<id>/dealroom/new", methods=["GET", "POST"])
def new(id: str) -> Any:
    """The request form: use case, intended use, organisation, resources, period."""
    if not _user():
        return tk.redirect_to("user.login", came_from=request.path)
    try:
        pkg = tk.get_action("package_show")(_context(), {"id": id})
    except (tk.ObjectNotFound, tk.NotAuthorized):
        return tk.abort(404, tk._("Dataset not found"))
    errors: dict[str, Any] = {}
    data: dict[str, Any] = {}
    if request.method == "POST":
        data = {
            "package_id": pkg["id"],
            "use_case": request.form.get("use_case", ""),
            "intended_use": request.form.get("intended_use") or None,
            "resource_ids": request.form.getlist("resource_ids"),
            "deal_type": request.form.get("deal_type") or "sale",
        }
        if request.form.get("buyer_org"):
            data["buyer_org"] = request.form["buyer_org"]
        if request.form.get("period_months"):
            data["period_months"] = request.form["period_months"]
        data = {k: v for k, v in data.items() if v is not None}
        try:
            room = tk.get_action("dealroom_create")(_context(), data)
            return tk.redirect_to("dealroom.room", room_id=room["id"])
        except tk.ValidationError as error:
            if error.error_dict.get("room_id"):
                return tk.redirect_to("dealroom.room", room_id=error.error_dict["room_id"][0])
            errors = error.error_dict
    orgs = tk.get_action("organization_list_for_user")(_context(), {"permission": "create_dataset"})
    return tk.render(
        "dealroom/new.html",
        {
            "pkg_dict": pkg,
            "errors": errors,
            "data": data,
            "organizations": [o for o in orgs if o["id"] != pkg.get("owner_org")],
        },
    )


@dealroom.route("/dealroom")
def inbox() -> Any:
    if not _user():
        return tk.redirect_to("user.login", came_from=request.path)
    return tk.render(
        "dealroom/inbox.html", {"rooms": tk.get_action("dealroom_list")(_context(), {})}
    )


@dealroom.route("/dealroom/<room_id>")
def room(room_id: str) -> Any:
    return tk.render("dealroom/room.html", {"room": _show(room_id)})


_DO = {
    "accept_request": ("dealroom_accept_request", ()),
    "decline": ("dealroom_decline", ("reason",)),
    "withdraw": ("dealroom_withdraw", ("reason",)),
    "offer": (
        "dealroom_offer_create",
        ("price", "amount", "currency", "period_months", "licence", "clauses", "dpa_required"),
    ),
    "accept_offer": ("dealroom_offer_accept", ("offer_id",)),
    "mark_paid": ("dealroom_mark_paid", ()),
    "revoke": ("dealroom_revoke", ("reason",)),
    "story": ("dealroom_story_consent", ("consent",)),
}


@dealroom.route("/dealroom/<room_id>/do/<what>", methods=["POST"])
def do(room_id: str, what: str) -> Any:
    _show(room_id)  # 404 before anything else for non-parties
    if what == "message":
        data: dict[str, Any] = {"id": room_id, "body": request.form.get("body", "")}
        if request.files.get("upload") and request.files["upload"].filename:
            data["upload"] = request.files["upload"]
        action = "dealroom_message_create"
    elif what in _DO:
        action, fields = _DO[what]
        data = {
            "id": room_id,
            **{f: request.form[f] for f in fields if request.form.get(f) not in (None, "")},
        }
        if what == "offer":
            data["dpa_required"] = bool(request.form.get("dpa_required"))
            data["resource_ids"] = request.form.getlist("resource_ids")
    else:
        return tk.abort(404)
    try:
        tk.get_action(action)(_context(), data)
    except tk.ValidationError as error:
        _flash_errors(error)
    except tk.NotAuthorized as error:
        tk.h.flash_error(str(error))
    return tk.redirect_to("dealroom.room", room_id=room_id)


@dealroom.route("/dealroom/<room_id>/pay", methods=["POST"])
def pay(room_id: str) -> Any:
    """The buyer's "Pay by card": to Stripe Checkout, or back to the room with why not."""
    _show(room_id)
    try:
        result = tk.get_action("dealroom_checkout_create")(_context(), {"id": room_id})
    except tk.ValidationError as error:
        _flash_errors(error)
        return tk.redirect_to("dealroom.room", room_id=room_id)
    return tk.redirect_to(result["checkout_url"])


@dealroom.route("/dealroom/<room_id>/contract")
def contract(room_id: str) -> Any:
    room_dict = _show(room_id)
    try:
        contract_dict = tk.get_action("dealroom_contract_show")(_context(), {"id": room_id})
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("No contract yet"))
    return tk.render("dealroom/contract.html", {"room": room_dict, "contract": contract_dict})


@dealroom.route("/dealroom/<room_id>/attachment/<attachment_id>")
def attachment(room_id: str, attachment_id: str) -> Any:
    try:
        info = tk.get_action("dealroom_attachment_show")(
            _context(), {"id": room_id, "attachment_id": attachment_id}
        )
    except (tk.ObjectNotFound, tk.NotAuthorized):
        return tk.abort(404, tk._("Attachment not found"))
    # The action said who may have it; where it is stored never leaves the server.
    response = send_file(
        storage.path(info["room_id"], info["id"]),
        mimetype=info["media_type"],
        as_attachment=True,
        download_name=info["filename"],
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


@dealroom.route("/dataset/<id>/dealroom/close", methods=["POST"])
def close(id: str) -> Any:
    try:
        tk.get_action("dealroom_dataset_close")(
            _context(), {"package_id": id, "closed": request.form.get("closed", "true")}
        )
    except tk.NotAuthorized:
        return tk.abort(403, tk._("Only the seller's editors can close a dataset to new requests"))
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Dataset not found"))
    return tk.redirect_to("dataset.read", id=id)
