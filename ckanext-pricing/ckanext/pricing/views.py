"""Pages and routes of the pricing plugin. Views call actions and render, with one
exception: the paywall's enforcement points (the download guard and the signed-link proxy)
read ``access`` directly. As actions they would put a locked resource's real URL and the
signing of links on the action API, one more surface through which data could leave.

- ``/pricing/locked/<resource_id>``: what a locked resource's URL points to for those
  who have not bought it: the offers and a way to buy.
- ``/pricing/fetch/<resource_id>``: the signed, short-lived link through which an
  entitled buyer gets a linked resource; the upstream URL is never revealed.
- ``/pricing/my-data``: a buyer's entitlements and their expiry.
- A guard on the routes that hand out a resource's data: CKAN's download, DataStore dump
  and resource view routes, and ckanext-charts' chart routes. They check only that the
  resource's metadata may be seen (the view route even renders a view configuration
  given in the query, and the chart routes read DataStore tables directly), so the data
  needs its own entitlement check.
- Buying: ``/dataset/<id>/buy`` (the Buy button), the checkout's return pages, the
  buyer's orders and receipts under ``/pricing/orders``, the seller's sales under
  ``/organization/sales/<id>``, and Stripe's webhook ``/pricing/stripe/webhook``.
- ``/pricing/licences/<id>``: an offer licence's text (the IRI the machine-readable
  offers name).
- The Dataspace Protocol 2025-1 catalog, read-only: ``/.well-known/dspace-version``,
  ``POST /dsp/catalog/request`` (paged with ``Link``) and ``GET
  /dsp/catalog/datasets/<id>``; errors as the protocol's ``CatalogError``.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import ckan.plugins.toolkit as tk
import requests
from ckan.config.middleware.flask_app import csrf
from flask import Blueprint, Response, jsonify, request, stream_with_context

from ckanext.cityexchange import outbound
from ckanext.pricing import access, dataspace, payments
from ckanext.pricing.orders import without_nul
from ckanext.pricing.rules import Access

log = logging.getLogger(__name__)
pricing = Blueprint("pricing", __name__)

# The routes that hand out a resource's data, whatever the dataset type's blueprint:
# CKAN's download and view routes (``resource.*`` and ``<type>_resource.*``), the
# DataStore dump, and every route of ckanext-charts' blueprint (its charts are built on
# the server from the DataStore table; the resource id is in the path or in the query).
_DOWNLOADS = ("download",)
_VIEWS = ("view",)
_DATA_BLUEPRINTS = ("charts_view",)
_CHUNK = 64 * 1024


def _user() -> str | None:
    user = tk.current_user
    return user.name if user and user.is_authenticated else None


def _guarded(endpoint: str) -> str | None:
    """What kind of data route this is (``download``, ``dump``, ``view``, ``chart``)."""
    blueprint, _dot, name = endpoint.rpartition(".")
    if endpoint == "datastore.dump":
        return "dump"
    if blueprint in _DATA_BLUEPRINTS:
        return "chart"
    if blueprint == "resource" or blueprint.endswith("_resource"):
        if name in _DOWNLOADS:
            return "download"
        if name in _VIEWS:
            return "view"
    return None


@pricing.before_app_request
def guard_downloads() -> Any:
    endpoint = request.endpoint or ""
    kind = _guarded(endpoint)
    if kind is None:
        return None
    resource_id = (request.view_args or {}).get("resource_id")
    if kind == "chart" and not resource_id:
        resource_id = request.values.get("resource_id")
    if not resource_id or not isinstance(resource_id, str):
        return None
    level, pkg = access.resource_level(_user(), resource_id)  # an unknown resource: core's 404
    if level is Access.HELD and pkg:
        return _held_page(pkg, resource_id)
    if level is Access.LOCKED:
        return tk.redirect_to("pricing.locked", resource_id=resource_id)
    if level is Access.ENTITLED and pkg and kind in ("download", "dump"):
        res: dict[str, Any] = next(
            (r for r in pkg.get("resources", []) if r["id"] == resource_id), {}
        )
        if kind == "download" and res.get("url_type") != "upload":
            # A link: never redirect to the upstream URL, hand out the signed proxy link.
            return tk.redirect_to(access.signed_link(tk.current_user.id, resource_id))
        access.log_download(pkg["id"], resource_id, _user(), kind)
    return None


def _held_page(pkg: dict[str, Any], resource_id: str) -> Response:
    """A resource withheld for review (``IPricingHolds``): what it is, and why it is held.
    403 for everyone it is withheld from, entitled buyers included."""
    resource: dict[str, Any] = next(
        (r for r in pkg.get("resources") or [] if r.get("id") == resource_id), {}
    )
    reason = access.holds_for(pkg).get(resource_id) or access.UNCHECKED_HOLD
    body = tk.render("pricing/held.html", {"pkg_dict": pkg, "resource": resource, "reason": reason})
    return Response(
        body, status=403, mimetype="text/html", headers={"Cache-Control": "private, no-store"}
    )


@pricing.route("/pricing/locked/<resource_id>")
def locked(resource_id: str) -> Any:
    try:
        resource = tk.get_action("resource_show")({"user": _user() or ""}, {"id": resource_id})
        pkg = tk.get_action("package_show")({"user": _user() or ""}, {"id": resource["package_id"]})
    except (tk.ObjectNotFound, tk.NotAuthorized):
        return tk.abort(404, tk._("Resource not found"))
    if resource.get("pricing_held") and resource.get("pricing_withheld"):
        return _held_page(pkg, resource_id)
    body = tk.render("pricing/locked.html", {"pkg_dict": pkg, "resource": resource})
    return Response(body, status=402, mimetype="text/html")


@pricing.route("/pricing/fetch/<resource_id>")
def fetch(resource_id: str) -> Any:
    user_id = request.args.get("u", "")
    if not access.verify_signed_link(
        user_id, resource_id, request.args.get("e", ""), request.args.get("s", "")
    ):
        return tk.abort(
            403,
            tk._(
                "This link has expired or is not valid. Open the dataset page again to get a new one."
            ),
        )
    # The signature binds the link to this user: their access is checked again now.
    level, pkg = access.resource_level(user_id or None, resource_id)
    if level is Access.HELD and pkg:
        return _held_page(pkg, resource_id)
    if level is Access.LOCKED:
        return tk.abort(403, tk._("Your access to this resource has ended."))
    url = access.real_url(resource_id)
    if not pkg or not url:
        return tk.abort(404, tk._("Resource not found"))
    try:
        # The seller wrote the URL: only public addresses (or the allow-list), each
        # redirect hop checked (ckanext.cityexchange.outbound).
        upstream = outbound.session().get(
            url, stream=True, timeout=tk.config.get("ckanext.pricing.proxy_timeout")
        )
    except outbound.Refused as refused:
        log.warning("pricing: signed link of resource %s refused: %s", resource_id, refused)
        return tk.abort(
            502, tk._("The seller's link points to an address this portal does not fetch from.")
        )
    except requests.RequestException:
        return tk.abort(502, tk._("The seller's server did not answer. Try again later."))
    if upstream.status_code >= 400:
        upstream.close()
        return tk.abort(502, tk._("The seller's server could not deliver the data."))
    access.log_download(pkg["id"], resource_id, user_id, "signed_link")

    def body() -> Iterator[bytes]:
        with upstream:
            yield from upstream.iter_content(_CHUNK)

    headers = {
        "Content-Type": upstream.headers.get("Content-Type", "application/octet-stream"),
        "Cache-Control": "private, no-store",
    }
    if upstream.headers.get("Content-Length"):
        headers["Content-Length"] = upstream.headers["Content-Length"]
    return Response(stream_with_context(body()), status=200, headers=headers)


@pricing.route("/pricing/my-data")
def my_data() -> Any:
    if not _user():
        return tk.redirect_to("user.login", came_from=request.path)
    entitlements = tk.get_action("pricing_entitlement_list")({"user": _user()}, {})
    return tk.render("pricing/my_data.html", {"entitlements": entitlements})


_BUYER_ACTIONS = {
    "grant": ("pricing_entitlement_grant", ("holder_type", "holder", "valid_until")),
    "revoke": ("pricing_entitlement_revoke", ("entitlement_id", "reason")),
    "block": ("pricing_block_create", ("organization",)),
    "unblock": ("pricing_block_delete", ("organization",)),
}


@pricing.route("/dataset/<id>/buyers", methods=["GET", "POST"])
def buyers(id: str) -> Any:
    """The seller's view of a dataset's buyers: entitlements, blocks and the download log."""
    context = {"user": _user() or ""}
    try:
        pkg = tk.get_action("package_show")(context, {"id": id})
        tk.check_access("pricing_entitlement_list", context, {"package_id": pkg["id"]})
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Dataset not found"))
    except tk.NotAuthorized:
        return tk.abort(403, tk._("Only the seller's editors can see this dataset's buyers"))
    errors: dict[str, Any] = {}
    if request.method == "POST":
        action, fields = _BUYER_ACTIONS.get(request.form.get("do", ""), (None, ()))
        if action:
            data = {f: request.form.get(f) for f in fields if request.form.get(f)}
            if "entitlement_id" in data:
                data["id"] = data.pop("entitlement_id")
            try:
                tk.get_action(action)(context, dict(data, package_id=pkg["id"]))
                return tk.redirect_to("pricing.buyers", id=pkg["name"])
            except tk.ValidationError as e:
                errors = e.error_dict
            except (tk.ObjectNotFound, tk.NotAuthorized) as e:
                errors = {"": [str(e)]}
    extra = {
        "pkg_dict": pkg,
        "pkg": pkg,
        "errors": errors,
        "entitlements": tk.get_action("pricing_entitlement_list")(
            context, {"package_id": pkg["id"]}
        ),
        "blocks": tk.get_action("pricing_block_list")(context, {"package_id": pkg["id"]}),
        "downloads": tk.get_action("pricing_download_list")(context, {"package_id": pkg["id"]}),
    }
    return tk.render("pricing/buyers.html", extra)


# --- buying ---------------------------------------------------------------------------------


def _context() -> dict[str, Any]:
    return {"user": _user() or ""}


def _flash_errors(error: tk.ValidationError) -> None:
    for messages in error.error_dict.values():
        for message in messages if isinstance(messages, list) else [messages]:
            tk.h.flash_error(message)


@pricing.route("/dataset/<id>/buy", methods=["POST"])
def buy(id: str) -> Any:
    """The Buy button: an order and its checkout page, or back to the dataset with why not."""
    if not _user():
        return tk.redirect_to("user.login", came_from=tk.url_for("dataset.read", id=id))
    data = {
        "package_id": id,
        "offer_id": request.form.get("offer_id", ""),
        "holder_type": request.form.get("holder_type") or "user",
    }
    if request.form.get("holder"):
        data["holder"] = request.form["holder"]
    try:
        result = tk.get_action("pricing_checkout_create")(_context(), data)
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Dataset not found"))
    except tk.NotAuthorized as error:
        return tk.abort(403, str(error))
    except tk.ValidationError as error:
        _flash_errors(error)
        return tk.redirect_to("dataset.read", id=id, _anchor="pricing")
    return tk.redirect_to(result["checkout_url"])


def _order(order_id: str) -> dict[str, Any]:
    try:
        return tk.get_action("pricing_order_show")(_context(), {"id": order_id})
    except (tk.ObjectNotFound, tk.NotAuthorized):
        return tk.abort(404, tk._("Order not found"))


@pricing.route("/pricing/checkout/<order_id>/<outcome>")
def checkout_done(order_id: str, outcome: str) -> Any:
    """Where Stripe sends the buyer back: after paying, or after giving up."""
    if outcome not in ("success", "cancel"):
        return tk.abort(404)
    if not _user():
        return tk.redirect_to("user.login", came_from=request.path)
    return tk.render("pricing/order.html", {"order": _order(order_id), "outcome": outcome})


@pricing.route("/pricing/orders")
def orders() -> Any:
    if not _user():
        return tk.redirect_to("user.login", came_from=request.path)
    return tk.render(
        "pricing/orders.html", {"orders": tk.get_action("pricing_order_list")(_context(), {})}
    )


@pricing.route("/pricing/orders/<order_id>")
def order(order_id: str) -> Any:
    if not _user():
        return tk.redirect_to("user.login", came_from=request.path)
    return tk.render("pricing/order.html", {"order": _order(order_id), "outcome": None})


def _sales_context(id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    try:
        org = tk.get_action("organization_show")(_context(), {"id": id, "include_datasets": False})
        tk.check_access("pricing_sales_list", _context(), {"organization_id": org["id"]})
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Organisation not found"))
    except tk.NotAuthorized:
        return tk.abort(403, tk._("Only the organisation's editors can see its sales"))
    return org, _context()


@pricing.route("/organization/sales/<id>")
def sales(id: str) -> Any:
    """A seller's sales: every order, revenue per month, and payout set-up."""
    org, context = _sales_context(id)
    summary = tk.get_action("pricing_sales_summary")(context, {"organization_id": org["id"]})
    return tk.render(
        "pricing/sales.html",
        {
            "group_dict": org,
            "group_type": "organization",
            "sales": tk.get_action("pricing_sales_list")(
                context, {"organization_id": org["id"], "limit": 200}
            ),
            "summary": summary,
            "payouts": tk.get_action("pricing_connect_status")(
                context, {"organization_id": org["id"]}
            ),
        },
    )


_CSV_FIELDS = (
    "created",
    "paid_at",
    "id",
    "state",
    "package_name",
    "offer_id",
    "buyer_name",
    "holder_name",
    "currency",
    "net",
    "vat",
    "gross",
    "platform_fee",
    "note",
)


@pricing.route("/organization/sales/<id>/export.csv")
def sales_csv(id: str) -> Any:
    """Every sale as CSV (amounts in minor units), for the seller's bookkeeping."""
    org, context = _sales_context(id)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=_CSV_FIELDS, extrasaction="ignore")
    writer.writeheader()
    offset = 0
    while True:
        page = tk.get_action("pricing_sales_list")(
            context, {"organization_id": org["id"], "limit": 1000, "offset": offset}
        )
        writer.writerows(page)
        if len(page) < 1000:
            break
        offset += 1000
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="sales-{org["name"]}.csv"',
            "Cache-Control": "private, no-store",
        },
    )


@pricing.route("/organization/sales/<id>/payouts", methods=["POST"])
def payouts(id: str) -> Any:
    """Start or finish the seller's payout account set-up at Stripe."""
    org, context = _sales_context(id)
    try:
        result = tk.get_action("pricing_connect_onboard")(context, {"organization_id": org["id"]})
    except tk.NotAuthorized:
        return tk.abort(403, tk._("Only the organisation's admins can set up payouts"))
    except tk.ValidationError as error:
        _flash_errors(error)
        return tk.redirect_to("pricing.sales", id=org["name"])
    return tk.redirect_to(result["url"])


_MAX_WEBHOOK_BYTES = 1024 * 1024


@pricing.route("/pricing/stripe/webhook", methods=["POST"])
def stripe_webhook() -> Any:
    """Stripe's events. The signature on the raw body is the authentication, so the
    route is exempt from CSRF; anything that does not verify is refused with 400."""
    payload = request.stream.read(_MAX_WEBHOOK_BYTES + 1)  # never more than the limit in memory
    if len(payload) > _MAX_WEBHOOK_BYTES:
        return jsonify({"error": "Body too large"}), 413
    try:
        event = payments.verify_event(payload, request.headers.get("Stripe-Signature"))
    except payments.SignatureError as error:
        return jsonify({"error": str(error)}), 400
    try:
        result = tk.get_action("pricing_stripe_event_apply")(
            {"ignore_auth": True, "user": ""}, {"event": without_nul(event)}
        )
    except tk.ValidationError as error:
        return jsonify({"error": error.error_dict}), 400
    return jsonify(result), 200


csrf.exempt(stripe_webhook)


@pricing.route("/pricing/licences/<licence_id>")
def licence(licence_id: str) -> Any:
    texts = tk.get_action("pricing_licence_list")({"user": _user() or ""}, {})
    if licence_id not in texts:
        return tk.abort(404, tk._("Licence not found"))
    language = "da" if (tk.h.lang() or "").startswith("da") else "en"
    return tk.render(
        "pricing/licence.html",
        {"licence": dict(texts[licence_id][language], id=licence_id), "texts": texts[licence_id]},
    )


_MAX_DSP_BYTES = 64 * 1024


def _dsp(
    body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    response = jsonify(body)
    response.status_code = status
    response.headers.update(headers or {})
    return response


def _dsp_error(status: int, code: str, reasons: list[str]) -> Response:
    return _dsp(dataspace.error(code, reasons), status)


@pricing.route("/.well-known/dspace-version")
def dsp_version() -> Any:
    return _dsp(dataspace.version_response(access.site_url()))


@pricing.route("/dsp/catalog/request", methods=["POST"])
def dsp_catalog() -> Any:
    """The protocol's catalog request. The body is the request message; there are no
    cookies or forms to protect, so the route is exempt from CSRF."""
    if request.mimetype not in ("application/json", "application/ld+json"):
        return _dsp_error(415, "415", ["The request message must be sent as application/json"])
    payload = request.stream.read(_MAX_DSP_BYTES + 1)  # never more than the limit in memory
    if len(payload) > _MAX_DSP_BYTES:
        return _dsp_error(413, "413", ["The request message is too large"])
    try:
        message = json.loads(payload.decode("utf-8")) if payload.strip() else None
    except (UnicodeDecodeError, ValueError):
        return _dsp_error(400, "400", ["The body is not JSON"])
    try:
        result = tk.get_action("pricing_dsp_catalog")(
            {"user": _user() or ""}, {"message": message, "page": request.args.get("page", "1")}
        )
    except tk.ValidationError as error:
        reasons = [
            f"{field}: {text}" for field, texts in error.error_dict.items() for text in texts
        ]
        return _dsp_error(400, "400", reasons)
    except tk.NotAuthorized:
        return _dsp_error(403, "403", [tk._("Not authorised to read the catalog")])
    url = f"{access.site_url()}{dataspace.PATH}/catalog/request"
    link = dataspace.link_header(url, result["page"], result["pages"])
    return _dsp(result["catalog"], headers={"Link": link} if link else None)


csrf.exempt(dsp_catalog)


@pricing.route("/dsp/catalog/request", methods=["GET", "PUT", "PATCH", "DELETE"])
@pricing.route(
    "/dsp/catalog/datasets/<path:dataset_id>", methods=["POST", "PUT", "PATCH", "DELETE"]
)
def dsp_method_not_allowed(dataset_id: str | None = None) -> Any:
    """The protocol's error for a method its binding does not define (not core's page)."""
    allowed = "POST" if request.path.endswith("/request") else "GET"
    response = _dsp_error(405, "405", [f"Use {allowed}"])
    response.headers["Allow"] = allowed
    return response


csrf.exempt(dsp_method_not_allowed)


@pricing.route("/dsp/catalog/datasets/", defaults={"dataset_id": ""})
@pricing.route("/dsp/catalog/datasets/<path:dataset_id>")
def dsp_dataset(dataset_id: str) -> Any:
    try:
        body = tk.get_action("pricing_dsp_dataset")({"user": _user() or ""}, {"id": dataset_id})
    except tk.ObjectNotFound:
        return _dsp_error(404, "404", [tk._("Dataset not found")])
    except tk.ValidationError:
        return _dsp_error(400, "400", [tk._("Dataset not found")])
    except tk.NotAuthorized:
        return _dsp_error(403, "403", [tk._("Not authorised to read the catalog")])
    return _dsp(body)
