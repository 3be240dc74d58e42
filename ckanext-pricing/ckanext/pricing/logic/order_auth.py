"""Auth functions of the buying actions. Seller-side checks chain core's auth functions
(``package_create`` in the organisation for its editors, ``organization_update`` for its
admins) rather than copy them."""

from __future__ import annotations

import ckan.plugins.toolkit as tk
from ckan import authz
from ckan.types import AuthResult, Context, DataDict

from ckanext.cityexchange.guard import is_true
from ckanext.pricing.model import Order

__all__ = [
    "pricing_checkout_create",
    "pricing_checkout_expire",
    "pricing_connect_onboard",
    "pricing_connect_status",
    "pricing_order_list",
    "pricing_order_reconcile",
    "pricing_order_show",
    "pricing_parked_list",
    "pricing_price_quote",
    "pricing_sales_list",
    "pricing_sales_summary",
    "pricing_stripe_event_apply",
]


def _logged_in(context: Context, message: str) -> AuthResult:
    if not context.get("user") or not authz.get_user_id_for_username(
        context["user"], allow_none=True
    ):
        return {"success": False, "msg": message}
    return {"success": True}


def _chain(context: Context, auth: str, data_dict: DataDict, message: str) -> AuthResult:
    try:
        tk.check_access(auth, context, data_dict)
    except tk.NotAuthorized:
        return {"success": False, "msg": message}
    return {"success": True}


def _seller_editor(context: Context, org_id: str | None) -> AuthResult:
    if not org_id:
        return {"success": False, "msg": tk._("An organisation is required")}
    return _chain(
        context,
        "package_create",
        {"owner_org": org_id},
        tk._("Only the seller organisation's editors can see its sales"),
    )


def pricing_checkout_create(context: Context, data_dict: DataDict) -> AuthResult:
    return _logged_in(context, tk._("Log in to buy data"))


def pricing_order_show(context: Context, data_dict: DataDict) -> AuthResult:
    """The buyer, members of the organisation the order was for, the seller's editors."""
    order = Order.get(data_dict.get("id") or "")
    user_id = authz.get_user_id_for_username(context.get("user") or "", allow_none=True)
    if order is None or not user_id:
        return {"success": False, "msg": tk._("Not your order")}
    if order.buyer_id == user_id:
        return {"success": True}
    if order.holder_type == "organization" and authz.has_user_permission_for_group_or_org(
        order.holder_id, context["user"], "read"
    ):
        return {"success": True}
    if _seller_editor(context, order.seller_org_id)["success"]:
        return {"success": True}
    return {"success": False, "msg": tk._("Not your order")}


def pricing_order_list(context: Context, data_dict: DataDict) -> AuthResult:
    """Anyone logged in lists their own orders; everyone's is for sysadmins (who pass
    every auth function before it is called)."""
    if is_true(data_dict.get("all")):
        return {"success": False, "msg": tk._("Only sysadmins can list every order")}
    return _logged_in(context, tk._("Log in to see your orders"))


def pricing_sales_list(context: Context, data_dict: DataDict) -> AuthResult:
    return _seller_editor(context, data_dict.get("organization_id"))


def pricing_sales_summary(context: Context, data_dict: DataDict) -> AuthResult:
    return _seller_editor(context, data_dict.get("organization_id"))


def pricing_stripe_event_apply(context: Context, data_dict: DataDict) -> AuthResult:
    """Sysadmins only; the webhook route calls it once Stripe's signature checks out."""
    return {"success": False, "msg": tk._("Payment events come from the payment provider")}


def pricing_order_reconcile(context: Context, data_dict: DataDict) -> AuthResult:
    return {"success": False, "msg": tk._("Only sysadmins can reconcile orders")}


def pricing_checkout_expire(context: Context, data_dict: DataDict) -> AuthResult:
    """Sysadmins, and plugins acting for the seller (deal rooms, the GDPR hold)."""
    return {"success": False, "msg": tk._("Only sysadmins can close checkouts")}


def pricing_parked_list(context: Context, data_dict: DataDict) -> AuthResult:
    return {"success": False, "msg": tk._("Only sysadmins can see parked payment events")}


@tk.auth_allow_anonymous_access
def pricing_price_quote(context: Context, data_dict: DataDict) -> AuthResult:
    """Anyone: the VAT rules are public."""
    return {"success": True}


def pricing_connect_onboard(context: Context, data_dict: DataDict) -> AuthResult:
    org_id = data_dict.get("organization_id")
    if not org_id:
        return {"success": False, "msg": tk._("An organisation is required")}
    return _chain(
        context,
        "organization_update",
        {"id": org_id},
        tk._("Only the seller organisation's admins can set up payouts"),
    )


def pricing_connect_status(context: Context, data_dict: DataDict) -> AuthResult:
    return _seller_editor(context, data_dict.get("organization_id"))
