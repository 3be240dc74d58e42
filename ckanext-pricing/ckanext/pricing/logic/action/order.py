"""Reading orders: a buyer's orders, a seller's sales and their summary."""

from __future__ import annotations

import datetime as dt
from typing import Any

import ckan.plugins.toolkit as tk
import sqlalchemy as sa
from ckan import authz, model
from ckan.types import Context, DataDict

from ckanext.pricing import orders
from ckanext.pricing.logic import schema
from ckanext.pricing.logic.action._common import _now, _user
from ckanext.pricing.logic.util import validate as _validate
from ckanext.pricing.model import Order
from ckanext.pricing.orders import State

__all__ = [
    "pricing_order_list",
    "pricing_order_show",
    "pricing_sales_list",
    "pricing_sales_summary",
]


def _order_dict(order: Order, *, for_seller: bool = False) -> dict[str, Any]:
    item = order.dictize()
    pkg = model.Package.get(order.package_id)
    seller = model.Group.get(order.seller_org_id) if order.seller_org_id else None
    buyer = model.User.get(order.buyer_id)
    holder = (
        model.User.get(order.holder_id)
        if order.holder_type == "user"
        else model.Group.get(order.holder_id)
    )
    item.update(
        package_name=pkg.name if pkg else None,
        package_title=pkg.title if pkg else None,
        seller_name=seller.name if seller else None,
        seller_title=seller.title if seller else None,
        buyer_name=buyer.name if buyer else None,
        buyer_display_name=buyer.display_name if buyer else None,
        holder_name=getattr(holder, "name", None),
        holder_title=getattr(holder, "title", None) or getattr(holder, "display_name", None),
    )
    if not for_seller:
        item.pop("platform_fee", None)
    return item


def pricing_order_show(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """One order with its receipt details, for its buyer, the holding organisation's
    members, the seller's editors and sysadmins.

    :param id: the order's id
    :type id: string
    :returns: the order (``id``, ``state``, ``offer``, ``currency``, ``net``, ``vat``,
        ``gross``, ``charged``, ``refunded``, ``paid_at`` and more), with the names and
        titles of its dataset, seller, buyer and holder; ``platform_fee`` only for the
        seller's editors and sysadmins
    :rtype: dictionary
    """
    # Validated before the access check: the order it names decides who may act.
    data = _validate(data_dict, schema.order_show(), context)
    order = Order.get(data["id"])
    if order is None:
        raise tk.ObjectNotFound(tk._("Order not found"))
    tk.check_access("pricing_order_show", context, {"id": order.id})
    seller_side = order.seller_org_id is not None and authz.has_user_permission_for_group_or_org(
        order.seller_org_id, context.get("user"), "create_dataset"
    )
    return _order_dict(order, for_seller=seller_side or authz.is_sysadmin(context.get("user")))


@tk.side_effect_free
def pricing_order_list(context: Context, data_dict: DataDict) -> list[dict[str, Any]]:
    """The caller's orders, newest first; with ``all`` (sysadmins), everyone's.

    :param all: every buyer's orders (sysadmins only; optional, default false)
    :type all: boolean
    :param state: only orders in this state: ``pending``, ``paid``, ``fulfilled``,
        ``failed``, ``refunded`` or ``disputed`` (optional)
    :type state: string
    :param since_hours: only orders created in the last so many hours (optional)
    :type since_hours: integer
    :param limit: at most this many (default 100; up to ``ckan.search.rows_max``)
    :type limit: integer
    :param offset: skip this many (default 0)
    :type offset: integer
    :returns: the orders, newest first, each as ``pricing_order_show`` returns it
        (``platform_fee`` only with ``all``)
    :rtype: list of dictionaries
    """
    tk.check_access("pricing_order_list", context, data_dict)
    data = _validate(data_dict, schema.order_list(), context)
    query = model.Session.query(Order)
    if not data.get("all"):
        user = _user(context)
        query = query.filter(Order.buyer_id == (user.id if user else ""))
    if data.get("state"):
        query = query.filter(Order.state == data["state"])
    if data.get("since_hours") is not None:
        query = query.filter(Order.created >= _now() - dt.timedelta(hours=data["since_hours"]))
    rows = (
        query.order_by(Order.created.desc())
        .offset(data.get("offset", 0))
        .limit(data.get("limit", 100))
    )
    return [_order_dict(row, for_seller=bool(data.get("all"))) for row in rows]


def _org_id(name_or_id: str) -> str:
    org = model.Group.get(name_or_id)
    if org is None or not org.is_organization:
        raise tk.ObjectNotFound(tk._("Organisation not found"))
    return org.id


@tk.side_effect_free
def pricing_sales_list(context: Context, data_dict: DataDict) -> list[dict[str, Any]]:
    """A seller organisation's orders (all states), newest first, for its editors.

    :param organization_id: the seller organisation (id or name)
    :type organization_id: string
    :param limit: at most this many (default 100; up to ``ckan.search.rows_max``)
    :type limit: integer
    :param offset: skip this many (default 0)
    :type offset: integer
    :returns: the orders, newest first, each as ``pricing_order_show`` returns it to the
        seller (with ``platform_fee``)
    :rtype: list of dictionaries
    """
    # Validated before the access check: the organisation it names, by name or id, decides who may act.
    data = _validate(data_dict, schema.sales_list(), context)
    org_id = _org_id(data["organization_id"])
    tk.check_access("pricing_sales_list", context, {"organization_id": org_id})
    rows = (
        model.Session.query(Order)
        .filter(Order.seller_org_id == org_id)
        .order_by(Order.created.desc())
        .offset(data.get("offset", 0))
        .limit(data.get("limit", 100))
    )
    return [_order_dict(row, for_seller=True) for row in rows]


@tk.side_effect_free
def pricing_sales_summary(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """A seller's revenue per month and currency (net of VAT, from fulfilled orders) and
    the count of orders per state. For the seller organisation's editors.

    :param organization_id: the seller organisation (id or name)
    :type organization_id: string
    :returns: ``months``, oldest first, each with ``month`` (``YYYY-MM``), ``currency``
        and ``amount`` (in minor units), and ``states``: each order state and how many
        orders are in it
    :rtype: dictionary
    """
    # Validated before the access check: the organisation it names, by name or id, decides who may act.
    data = _validate(data_dict, schema.organization_only(), context)
    org_id = _org_id(data["organization_id"])
    tk.check_access("pricing_sales_summary", context, {"organization_id": org_id})
    paid = model.Session.query(Order.paid_at, Order.net, Order.currency).filter(
        Order.seller_org_id == org_id,
        Order.state == State.FULFILLED.value,
        Order.paid_at.isnot(None),
    )
    states = dict(
        model.Session.query(Order.state, sa.func.count(Order.id))
        .filter(Order.seller_org_id == org_id)
        .group_by(Order.state)
        .all()
    )
    return {
        "months": orders.monthly_revenue([(row.paid_at, row.net, row.currency) for row in paid]),
        "states": {state.value: states.get(state.value, 0) for state in State},
    }
