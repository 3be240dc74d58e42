"""Auth functions of the pricing actions, and the paywall's checks on core ones.

Seller-side actions chain core's ``package_update`` auth (editors of the owning
organisation, dataset collaborators, sysadmins) rather than copy it.
"""

from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from ckan.types import AuthResult, Context, DataDict

from ckanext.cityexchange.guard import is_true
from ckanext.cityexchange.logic.auth import may_search
from ckanext.pricing import access
from ckanext.pricing.model import Entitlement
from ckanext.pricing.rules import Access

__all__ = [
    "activity_show",
    "datastore_info",
    "datastore_search",
    "datastore_search_sql",
    "pricing_activity_scrub",
    "pricing_block_create",
    "pricing_block_delete",
    "pricing_block_list",
    "pricing_buyer_check",
    "pricing_download_list",
    "pricing_dsp_catalog",
    "pricing_dsp_dataset",
    "pricing_entitlement_check",
    "pricing_entitlement_grant",
    "pricing_entitlement_list",
    "pricing_entitlement_revoke",
    "pricing_licence_list",
    "pricing_terms_check",
]


def _may_edit_dataset(context: Context, package_id: Any) -> AuthResult:
    if not package_id:
        return {"success": False, "msg": tk._("A dataset is required")}
    try:
        tk.check_access("package_update", context, {"id": package_id})
    except tk.NotAuthorized:
        return {
            "success": False,
            "msg": tk._("Only the seller's editors can manage this dataset's buyers"),
        }
    return {"success": True}


def pricing_entitlement_grant(context: Context, data_dict: DataDict) -> AuthResult:
    return _may_edit_dataset(context, data_dict.get("package_id"))


def pricing_entitlement_revoke(context: Context, data_dict: DataDict) -> AuthResult:
    entitlement = Entitlement.get(data_dict.get("id")) if data_dict.get("id") else None
    if entitlement is None:
        return {"success": False, "msg": tk._("Entitlement not found")}
    return _may_edit_dataset(context, entitlement.package_id)


def pricing_entitlement_list(context: Context, data_dict: DataDict) -> AuthResult:
    """A holder lists their own; listing a dataset's entitlements is for its editors;
    listing every holder's (``all_holders``) is for sysadmins (no rule grants it)."""
    if is_true(data_dict.get("all_holders")):
        return {"success": False, "msg": tk._("Only sysadmins can list every entitlement")}
    if data_dict.get("package_id"):
        return _may_edit_dataset(context, data_dict["package_id"])
    if not context.get("user"):
        return {"success": False, "msg": tk._("Log in to see your data")}
    return {"success": True}


@tk.auth_allow_anonymous_access
def pricing_entitlement_check(context: Context, data_dict: DataDict) -> AuthResult:
    """Anyone may ask about themselves; asking about someone else is for the editors."""
    other = data_dict.get("user")
    if other and other != context.get("user"):
        resource = data_dict.get("resource_id")
        package_id = data_dict.get("package_id")
        if resource and not package_id:
            try:
                package_id = tk.get_action("resource_show")(
                    {"ignore_auth": True}, {"id": resource}
                )["package_id"]
            except tk.ObjectNotFound:
                return {"success": False, "msg": tk._("Resource not found")}
        return _may_edit_dataset(context, package_id)
    return {"success": True}


def pricing_block_create(context: Context, data_dict: DataDict) -> AuthResult:
    return _may_edit_dataset(context, data_dict.get("package_id"))


def pricing_block_delete(context: Context, data_dict: DataDict) -> AuthResult:
    return _may_edit_dataset(context, data_dict.get("package_id"))


def pricing_block_list(context: Context, data_dict: DataDict) -> AuthResult:
    return _may_edit_dataset(context, data_dict.get("package_id"))


def pricing_download_list(context: Context, data_dict: DataDict) -> AuthResult:
    return _may_edit_dataset(context, data_dict.get("package_id"))


def pricing_activity_scrub(context: Context, data_dict: DataDict) -> AuthResult:
    """Sysadmins only (run by ``ckan pricing scrub-activities``)."""
    return {"success": False, "msg": tk._("Only sysadmins can scrub the activity stream")}


def _locked_rows(context: Context, resource_id: Any) -> AuthResult | None:
    """Deny DataStore rows of a locked resource to anyone not entitled."""
    if not isinstance(resource_id, str):
        return None
    level, pkg = access.resource_level(context.get("user"), resource_id)
    if level is Access.HELD:
        reason = access.holds_for(pkg or {}).get(resource_id) or access.UNCHECKED_HOLD
        return {"success": False, "msg": tk._(reason)}
    if level is Access.LOCKED:
        return {"success": False, "msg": tk._("This resource's data is for buyers only")}
    return None


@tk.chained_auth_function
@tk.auth_allow_anonymous_access
def datastore_search(next_auth: Any, context: Context, data_dict: DataDict) -> AuthResult:
    return _locked_rows(context, data_dict.get("resource_id") or data_dict.get("id")) or next_auth(
        context, data_dict
    )


@tk.chained_auth_function
@tk.auth_allow_anonymous_access
def datastore_info(next_auth: Any, context: Context, data_dict: DataDict) -> AuthResult:
    return _locked_rows(context, data_dict.get("id") or data_dict.get("resource_id")) or next_auth(
        context, data_dict
    )


@tk.chained_auth_function
@tk.auth_allow_anonymous_access
def datastore_search_sql(next_auth: Any, context: Context, data_dict: DataDict) -> AuthResult:
    """SQL can name any table: with the paywall on, only managers of every table may
    use it. (Core disables the action unless ckan.datastore.sqlsearch.enabled.)"""
    result = next_auth(context, data_dict)
    if not result.get("success"):
        return result
    for resource_id in context.get("table_names", []) or []:
        denied = _locked_rows(context, resource_id)
        if denied:
            return denied
    return result


@tk.chained_auth_function
def activity_show(next_auth: Any, context: Context, data_dict: DataDict) -> AuthResult:
    """Core's check reads ``include_data`` unconditionally (a KeyError, so a server
    error, when it is left out); it is optional, as the action documents."""
    include = data_dict.get("include_data") in (True, 1, "true", "True", "1")
    return next_auth(context, dict(data_dict, include_data=include))


@tk.auth_allow_anonymous_access
def pricing_licence_list(context: Context, data_dict: DataDict) -> AuthResult:
    """Anyone: the licence texts are public."""
    return {"success": True}


@tk.auth_allow_anonymous_access
def pricing_buyer_check(context: Context, data_dict: DataDict) -> AuthResult:
    """Whoever may see the dataset (core's package_show decides)."""
    try:
        tk.check_access("package_show", context, {"id": data_dict.get("package_id")})
    except tk.NotAuthorized:
        return {"success": False, "msg": tk._("Dataset not found")}
    return {"success": True}


@tk.auth_allow_anonymous_access
def pricing_terms_check(context: Context, data_dict: DataDict) -> AuthResult:
    """Anyone: the rules for terms are public (the dataset's locked resources are read
    only for datasets the caller may see)."""
    if data_dict.get("package_id"):
        try:
            tk.check_access("package_show", context, {"id": data_dict.get("package_id")})
        except tk.NotAuthorized:
            return {"success": False, "msg": tk._("Dataset not found")}
    return {"success": True}


@tk.auth_allow_anonymous_access
def pricing_dsp_catalog(context: Context, data_dict: DataDict) -> AuthResult:
    return may_search(context)


@tk.auth_allow_anonymous_access
def pricing_dsp_dataset(context: Context, data_dict: DataDict) -> AuthResult:
    return may_search(context)
