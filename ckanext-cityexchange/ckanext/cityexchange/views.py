"""Portal-wide request hooks: the input guard before every request, security headers
after it. No routes of its own."""
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
    headers.add_missing(response.headers, headers.security_headers(
        policy=tk.config.get("ckanext.cityexchange.content_security_policy") or "",
        nonce=cityexchange_csp_nonce(),
        report_only=tk.config.get("ckanext.cityexchange.content_security_policy_report_only"),
        frame_options=tk.config.get("ckanext.cityexchange.frame_options") or "",
        referrer_policy=tk.config.get("ckanext.cityexchange.referrer_policy") or "",
    ))
    return response


# --- The input guard: hostile values are a 400 with the field, before any view runs ------

@cityexchange.before_app_request
def _input_guard() -> Any:
    found = request_problems(request)
    if not found:
        return None
    if request.path.startswith("/api/"):
        body = {"success": False, "help": request.url,
                "error": dict({"__type": "Validation Error"}, **found)}
        return Response(json.dumps(body), status=400, mimetype="application/json")
    fields = "; ".join(f"{name}: {', '.join(messages)}" for name, messages in sorted(found.items()))
    return tk.abort(400, tk._("The request was refused: {}").format(fields))
