"""Who may use the exchange's own actions: whoever may search datasets (core's
``package_search`` auth, asked rather than copied). ``may_search`` also serves the other
extensions' catalog actions (ckanext-pricing's Dataspace Protocol catalog)."""

from __future__ import annotations

import ckan.plugins.toolkit as tk
from ckan.types import AuthResult, Context, DataDict

__all__ = ["cityexchange_autocomplete", "cityexchange_search_suggest"]


def may_search(context: Context) -> AuthResult:
    """Whoever may search datasets (core's ``package_search`` auth)."""
    try:
        tk.check_access("package_search", context, {})
    except tk.NotAuthorized:
        return {"success": False, "msg": tk._("Not authorised to search datasets")}
    return {"success": True}


@tk.auth_allow_anonymous_access
def cityexchange_search_suggest(context: Context, data_dict: DataDict) -> AuthResult:
    return may_search(context)


@tk.auth_allow_anonymous_access
def cityexchange_autocomplete(context: Context, data_dict: DataDict) -> AuthResult:
    return may_search(context)
