"""Portal-wide request hooks: the input guard before every request, security headers
after it. One route of its own: /da/ leads to the Danish pages."""

from __future__ import annotations

import json
from typing import Any

import ckan.plugins.toolkit as tk
from flask import Blueprint, Response, request, session

from ckanext.cityexchange import headers
from ckanext.cityexchange.guard import request_problems
from ckanext.cityexchange.helpers import cityexchange_csp_nonce

cityexchange = Blueprint("cityexchange", __name__)


# --- Sessions: a copied cookie is dead after logout -------------------------------------
#
# Sessions live in Redis (SESSION_TYPE = redis), so logout empties the session a copied
# session cookie points to. Flask-Login's "remember me" cookie holds only the user id and
# an HMAC: nothing on the server can revoke it. So it is never honoured: when a request
# carries one, Flask-Login is told to ignore it and delete it. The persistent server-side
# session (PERMANENT_SESSION_LIFETIME) is what keeps people logged in.
#
# This must happen before Flask-Login loads the user, and CKAN's own before_request
# (identify_user) loads it and is registered before any blueprint's before_app_request.
# Flask runs every url_value_preprocessor before the first before_request function
# (documented order), so the rule is registered as one.


@cityexchange.app_url_value_preprocessor
def _never_honour_remember_cookie(endpoint: str | None, values: dict[str, Any] | None) -> None:
    if tk.config.get("REMEMBER_COOKIE_NAME") in request.cookies:
        session["_remember"] = "clear"


# --- Security headers on every response --------------------------------------------------


@cityexchange.after_app_request
def _security_headers(response: Response) -> Response:
    headers.add_missing(
        response.headers,
        headers.security_headers(
            policy=tk.config.get("ckanext.cityexchange.content_security_policy") or "",
            nonce=cityexchange_csp_nonce(),
            report_only=tk.config.get("ckanext.cityexchange.content_security_policy_report_only"),
            frame_options=tk.config.get("ckanext.cityexchange.frame_options") or "",
            referrer_policy=tk.config.get("ckanext.cityexchange.referrer_policy") or "",
        ),
    )
    return response


# --- The input guard: hostile values are a 400 with the field, before any view runs ------


@cityexchange.before_app_request
def _input_guard() -> Any:
    found = request_problems(request)
    if not found:
        return None
    if request.path.startswith("/api/"):
        body = {
            "success": False,
            "help": request.url,
            "error": dict({"__type": "Validation Error"}, **found),
        }
        return Response(json.dumps(body), status=400, mimetype="application/json")
    fields = "; ".join(f"{name}: {', '.join(messages)}" for name, messages in sorted(found.items()))
    return tk.abort(400, tk._("The request was refused: {}").format(fields))


# --- Core's group bulk page: organizations only ------------------------------------------
#
# CKAN registers the bulk-process page on every group blueprint but raises a bare
# exception (a 500) when it is opened for a group that is not an organization. There is
# nothing to find there, so it is a 404 before the view runs.


@cityexchange.before_app_request
def _bulk_process_is_for_organizations() -> Any:
    endpoint = request.endpoint or ""
    if (
        endpoint.endswith(".bulk_process")
        and (request.view_args or {}).get("is_organization") is False
    ):
        return tk.abort(404, tk._("Bulk changes apply to organizations only"))
    return None


# --- Requests with an API token: never kept by a shared cache ------------------------------
#
# CKAN marks responses private only for users signed in with a cookie; an answer to a
# request with an API token (a seller's or sysadmin's view of a dataset) would go out as
# `Cache-Control: public`, and a shared cache could hand it to the next visitor.


@cityexchange.before_app_request
def _token_requests_are_private() -> None:
    if request.headers.get(tk.config.get("apitoken_header_name") or "Authorization"):
        request.environ["__no_cache__"] = True


# --- Core's login form posted without its fields: a 400 -------------------------------------
#
# CKAN 2.12's login view reads the posted fields unchecked and fails with a server error
# when a client leaves them out (the form in a browser always sends them).


@cityexchange.before_app_request
def _login_needs_its_fields() -> Any:
    if request.endpoint == "user.login" and request.method == "POST":
        missing = [name for name in ("login", "password") if name not in request.form]
        if missing:
            return tk.abort(400, tk._("Missing value") + ": " + ", ".join(missing))
    return None


# --- ckanext-dcat's formats: an unknown one is a 404 ----------------------------------------
#
# /dataset/<id>.<format> and /catalog.<format> take any extension; ckanext-dcat answers one
# it has no serializer for (.nt, .json) with a server error.

_DCAT_ENDPOINTS = {"dcat.read_dataset", "dcat.read_dataset_series", "dcat.read_catalog"}


@cityexchange.before_app_request
def _dcat_formats() -> Any:
    if request.endpoint not in _DCAT_ENDPOINTS:
        return None
    from ckanext.dcat.utils import CONTENT_TYPES

    fmt = (request.view_args or {}).get("_format")
    if fmt is not None and fmt not in CONTENT_TYPES:
        return tk.abort(404, tk._("Not found"))
    return None


# --- Core's dashboard: an unknown followee type is a 400 -----------------------------------
#
# The dashboard's activity filter looks its `type` up in a fixed table, unchecked: any other
# value is a server error.

_FOLLOWEE_TYPES = ("dataset", "user", "group", "organization")


@cityexchange.before_app_request
def _dashboard_filter() -> Any:
    if request.endpoint != "activity.dashboard":
        return None
    followee_type = request.args.get("type", "")
    if followee_type and followee_type not in _FOLLOWEE_TYPES:
        return tk.abort(400, tk._("Invalid value") + ": type")
    return None


# --- ckanext-charts: a chart needs a DataStore table ---------------------------------------
#
# ckanext-charts' routes read the table of the resource they are given (in the path or the
# query) unchecked: a resource without one, or no resource at all, is a server error. They
# answer 404 and 400 instead. (What a visitor may see of a table is the paywall's guard's
# business, in ckanext-pricing.)


@cityexchange.before_app_request
def _charts_need_a_table() -> Any:
    endpoint = request.endpoint or ""
    if not endpoint.startswith("charts_view."):
        return None
    resource_id = (request.view_args or {}).get("resource_id") or request.values.get("resource_id")
    if not resource_id:
        return None if endpoint == "charts_view.update_form" else _missing("resource_id")
    if endpoint == "charts_view.update_chart" and "resource_id" not in request.values:
        return _missing("resource_id")  # read from the query, whatever the path says
    user = tk.current_user.name if tk.current_user.is_authenticated else ""
    try:
        resource = tk.get_action("resource_show")({"user": user}, {"id": resource_id})
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Resource not found"))
    except tk.NotAuthorized:
        return None  # ckanext-charts' own check answers 403
    if not resource.get("datastore_active"):
        return tk.abort(404, tk._("This resource has no table to chart"))
    return None


def _missing(field: str) -> Any:
    return tk.abort(400, tk._("Missing value") + ": " + field)


# --- The licences' pages: the IRIs the DCAT output names ----------------------------------


@cityexchange.route("/licences/<licence_id>")
def licence(licence_id: str) -> Any:
    """A licence of the register (``licenses_group_url``): its title and, where it has
    one, its text's address. The DCAT output names this page for a licence without one."""
    found = next(
        (
            entry
            for entry in tk.get_action("license_list")({"user": ""}, {})
            if entry.get("id") == licence_id
        ),
        None,
    )
    if found is None:
        return tk.abort(404, tk._("Licence not found"))
    return tk.render("cityexchange/licence.html", {"licence": found})


# --- Errors a view did not catch: the right status, never a server error -----------------
#
# Views call actions; an action refuses bad input (ValidationError), missing objects
# (ObjectNotFound) and missing rights (NotAuthorized). A view that lets one through would
# answer 500; these handlers answer 400, 404 and 403 with the action's message instead.

_STATUS = (
    (tk.ValidationError, 400, "Bad request"),
    (tk.ObjectNotFound, 404, "Not found"),
    (tk.NotAuthorized, 403, "Forbidden"),
)


def _refusal(error: Exception) -> Any:
    code, name = next((c, n) for kind, c, n in _STATUS if isinstance(error, kind))
    if isinstance(error, tk.ValidationError):
        summary = getattr(error, "error_summary", None) or {}
        content = "; ".join(f"{field}: {message}" for field, message in summary.items()) or str(
            error
        )
    else:
        content = str(error) or tk._(name)
    if request.path.startswith("/api/"):
        body = {"success": False, "error": {"__type": name, "message": content}}
        return Response(json.dumps(body), status=code, mimetype="application/json")
    page = tk.render(
        "error_document_template.html", {"code": code, "content": content, "name": tk._(name)}
    )
    return Response(page, status=code, mimetype="text/html")


for _kind, _code, _name in _STATUS:
    cityexchange.app_errorhandler(_kind)(_refusal)


# --- /da/: the Danish pages ---------------------------------------------------------------
#
# A language's pages live under the name of its catalog, /da_DK/; /da/ is what people type
# and link to, and CKAN would answer it with an English 404. Core leads its legacy locale
# codes (/zh_TW/, /no/) to their pages with home.redirect_locale; /da/ is led the same way.


def _redirect_locale(target_locale: str, path: str | None = None) -> Any:
    from ckan.views.home import redirect_locale

    return redirect_locale(target_locale, path)


for _rule in ("/da/", "/da/<path:path>"):
    cityexchange.add_url_rule(
        _rule,
        "redirect_locale",
        view_func=_redirect_locale,
        defaults={"target_locale": "da_DK"},
    )
