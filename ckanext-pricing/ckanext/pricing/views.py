"""Pages and routes of the pricing plugin. Views only call actions and render.

- ``/pricing/locked/<resource_id>``: what a locked resource's URL points to for those
  who have not bought it: the offers and a way to buy.
- ``/pricing/fetch/<resource_id>``: the signed, short-lived link through which an
  entitled buyer gets a linked resource; the upstream URL is never revealed.
- ``/pricing/my-data``: a buyer's entitlements and their expiry.
- A guard on CKAN's download and DataStore dump routes: they check only that the
  resource's metadata may be seen, so the data needs its own entitlement check.
"""
from __future__ import annotations

from typing import Any, Iterator, Optional

import requests
from flask import Blueprint, Response, request, stream_with_context

import ckan.plugins.toolkit as tk

from ckanext.pricing import access
from ckanext.pricing.rules import Access

pricing = Blueprint("pricing", __name__)

_GUARDED_SUFFIX = "_resource.download"
_CHUNK = 64 * 1024


def _user() -> Optional[str]:
    user = tk.current_user
    return user.name if user and user.is_authenticated else None


@pricing.before_app_request
def guard_downloads() -> Any:
    endpoint = request.endpoint or ""
    if not (endpoint.endswith(_GUARDED_SUFFIX) or endpoint in ("resource.download", "datastore.dump")):
        return None
    resource_id = (request.view_args or {}).get("resource_id")
    if not resource_id:
        return None
    level, pkg = access.resource_level(_user(), resource_id)  # an unknown resource: core's 404
    if level is Access.LOCKED:
        return tk.redirect_to("pricing.locked", resource_id=resource_id)
    if level is Access.ENTITLED and pkg:
        res = next((r for r in pkg.get("resources", []) if r["id"] == resource_id), {})
        if endpoint != "datastore.dump" and res.get("url_type") != "upload":
            # A link: never redirect to the upstream URL, hand out the signed proxy link.
            return tk.redirect_to(access.signed_link(tk.current_user.id, resource_id))
        access.log_download(pkg["id"], resource_id, _user(), "dump" if endpoint == "datastore.dump" else "download")
    return None


@pricing.route("/pricing/locked/<resource_id>")
def locked(resource_id: str) -> Any:
    try:
        resource = tk.get_action("resource_show")({"user": _user() or ""}, {"id": resource_id})
        pkg = tk.get_action("package_show")({"user": _user() or ""}, {"id": resource["package_id"]})
    except (tk.ObjectNotFound, tk.NotAuthorized):
        return tk.abort(404, tk._("Resource not found"))
    body = tk.render("pricing/locked.html", {"pkg_dict": pkg, "resource": resource})
    return Response(body, status=402, mimetype="text/html")


@pricing.route("/pricing/fetch/<resource_id>")
def fetch(resource_id: str) -> Any:
    user_id = request.args.get("u", "")
    if not access.verify_signed_link(user_id, resource_id, request.args.get("e", ""),
                                     request.args.get("s", "")):
        return tk.abort(403, tk._("This link has expired or is not valid. Open the dataset page again to get a new one."))
    # The signature binds the link to this user: their access is checked again now.
    level, pkg = access.resource_level(user_id or None, resource_id)
    if level is Access.LOCKED:
        return tk.abort(403, tk._("Your access to this resource has ended."))
    url = access.real_url(resource_id)
    if not pkg or not url:
        return tk.abort(404, tk._("Resource not found"))
    try:
        upstream = requests.get(url, stream=True, timeout=tk.config.get("ckanext.pricing.proxy_timeout"))
    except requests.RequestException:
        return tk.abort(502, tk._("The seller's server did not answer. Try again later."))
    if upstream.status_code >= 400:
        upstream.close()
        return tk.abort(502, tk._("The seller's server could not deliver the data."))
    access.log_download(pkg["id"], resource_id, user_id, "signed_link")

    def body() -> Iterator[bytes]:
        with upstream:
            yield from upstream.iter_content(_CHUNK)

    headers = {"Content-Type": upstream.headers.get("Content-Type", "application/octet-stream"),
               "Cache-Control": "private, no-store"}
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
        "pkg_dict": pkg, "pkg": pkg, "errors": errors,
        "entitlements": tk.get_action("pricing_entitlement_list")(context, {"package_id": pkg["id"]}),
        "blocks": tk.get_action("pricing_block_list")(context, {"package_id": pkg["id"]}),
        "downloads": tk.get_action("pricing_download_list")(context, {"package_id": pkg["id"]}),
    }
    return tk.render("pricing/buyers.html", extra)
