"""What a buyer may do: sellers' blocks, the buyer check other extensions ask before a
deal, the licences offers may name."""

from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from babel.numbers import get_currency_precision
from ckan import model
from ckan.types import Context, DataDict

from ckanext.cityexchange.context import commit
from ckanext.pricing import access, licences, offers, rules
from ckanext.pricing.logic import schema
from ckanext.pricing.logic.action._common import _dataset
from ckanext.pricing.logic.action.entitlement import _holder
from ckanext.pricing.logic.util import validate as _validate
from ckanext.pricing.model import Block

__all__ = [
    "pricing_block_create",
    "pricing_block_delete",
    "pricing_block_list",
    "pricing_buyer_check",
    "pricing_licence_list",
    "pricing_terms_check",
]


def pricing_block_create(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Block an organisation (e.g. a competitor) from buying or being granted a dataset.
    For the seller's editors. A seller cannot block its own organisation; blocking an
    organisation that is blocked already changes nothing.

    :param package_id: the dataset (id or name)
    :type package_id: string
    :param organization: the organisation's id or name
    :type organization: string
    :returns: the block: ``package_id``, ``organization_id`` and ``organization`` (the
        organisation's name)
    :rtype: dictionary
    """
    # Validated before the access check: the dataset it names decides who may act.
    data = _validate(data_dict, schema.block(), context)
    tk.check_access("pricing_block_create", context, data)
    pkg = model.Package.get(data["package_id"])
    org_id, org_name = _holder("organization", data["organization"])
    if org_id == pkg.owner_org:
        raise tk.ValidationError(
            {"organization": [tk._("A seller cannot block its own organisation")]}
        )
    if model.Session.get(Block, (pkg.id, org_id)) is None:
        user = model.User.get(context.get("user")) if context.get("user") else None
        model.Session.add(
            Block(package_id=pkg.id, organization_id=org_id, created_by=user.id if user else None)
        )
        commit(context)
    return {"package_id": pkg.id, "organization_id": org_id, "organization": org_name}


def pricing_block_delete(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Lift a block: the organisation may buy or be granted the dataset again. For the
    seller's editors.

    :param package_id: the dataset (id or name)
    :type package_id: string
    :param organization: the organisation's id or name
    :type organization: string
    :returns: the block lifted: ``package_id``, ``organization_id`` and ``organization``
        (the organisation's name)
    :rtype: dictionary
    :raises: ``ObjectNotFound`` when that organisation is not blocked
    """
    # Validated before the access check: the dataset it names decides who may act.
    data = _validate(data_dict, schema.block(), context)
    tk.check_access("pricing_block_delete", context, data)
    pkg = model.Package.get(data["package_id"])
    org_id, org_name = _holder("organization", data["organization"])
    block = model.Session.get(Block, (pkg.id, org_id))
    if block is None:
        raise tk.ObjectNotFound(tk._("That organisation is not blocked"))
    model.Session.delete(block)
    commit(context)
    return {"package_id": pkg.id, "organization_id": org_id, "organization": org_name}


@tk.side_effect_free
def pricing_block_list(context: Context, data_dict: DataDict) -> list[dict[str, Any]]:
    """The organisations blocked from a dataset (seller's editors only).

    :param package_id: the dataset (id or name)
    :type package_id: string
    :returns: the blocks, oldest first, each with ``organization_id``, ``organization``
        (its name), ``title`` and ``created`` (ISO date-time)
    :rtype: list of dictionaries
    """
    # Validated before the access check: the dataset it names decides who may act.
    data = _validate(data_dict, schema.package_only(), context)
    tk.check_access("pricing_block_list", context, data)
    pkg = model.Package.get(data["package_id"])
    out = []
    for block in (
        model.Session.query(Block).filter(Block.package_id == pkg.id).order_by(Block.created)
    ):
        org = model.Group.get(block.organization_id)
        out.append(
            {
                "organization_id": block.organization_id,
                "organization": org.name if org else None,
                "title": org.title if org else None,
                "created": block.created.isoformat(),
            }
        )
    return out


@tk.side_effect_free
def pricing_licence_list(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """The licences offers and deals may name, with their titles and texts in English
    and Danish (deal rooms print them into contracts). Anyone may read them.

    :returns: licence id -> ``{"en": {"title", "text"}, "da": {"title", "text"}}``, in
        the order they are offered
    :rtype: dictionary
    """
    tk.check_access("pricing_licence_list", context, data_dict)
    return {
        licence_id: {lang: dict(entry) for lang, entry in texts.items()}
        for licence_id, texts in licences.LICENCES.items()
    }


@tk.side_effect_free
def pricing_buyer_check(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Whether the caller (or the organisation they buy for) may buy a dataset, and what
    there is to buy: its locked resources. Deal rooms ask it before a request and an
    offer. For anyone who may see the dataset.

    :param package_id: the dataset (id or name)
    :type package_id: string
    :param organization: the buying organisation (optional; default: any of the
        caller's organisations counts)
    :type organization: string
    :returns: ``may_buy`` (false when the caller publishes the dataset or the seller
        has blocked the buyer's organisation), ``publisher`` (the caller may edit the
        dataset: it is theirs already), ``reason`` and ``locked_resources`` (resource
        id -> name)
    :rtype: dictionary
    """
    # Validated before the access check: the dataset it names decides who may act.
    data = _validate(data_dict, schema.buyer_check(), context)
    tk.check_access("pricing_buyer_check", context, data)
    pkg = _dataset(data["package_id"])
    tier = pkg.get("access_tier") or rules.OPEN
    locked = rules.locked_resources(tier, pkg.get("resources") or [])
    if data.get("organization"):
        org = model.Group.get(data["organization"])
        buying = {org.id} if org is not None else set()
    else:
        buying = set(access.viewer_for(context.get("user")).organization_ids)
    publisher = access.is_publisher(context.get("user"), pkg["id"])
    blocked = rules.is_blocked(buying, access.blocked_organization_ids(pkg["id"]))
    reason = None
    if publisher:
        reason = tk._("You publish this dataset: it is yours already")
    elif blocked:
        reason = tk._("The seller has blocked your organisation for this dataset")
    return {
        "may_buy": not (publisher or blocked),
        "publisher": publisher,
        "locked_resources": locked,
        "reason": reason,
    }


@tk.side_effect_free
def pricing_terms_check(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Check terms agreed one to one (a deal room's request or offer) by the rules of
    priced datasets' offers, and return them clean. Anyone may check terms.

    :param currency: one of ``ckanext.pricing.currencies`` (optional; default:
        ``ckanext.pricing.default_currency``)
    :type currency: string
    :param licence: one of the licences ``pricing_licence_list`` returns (optional)
    :type licence: string
    :param period_months: how long access lasts, 1 to 120 months (optional)
    :type period_months: integer
    :param package_id: the dataset the terms are for (needed with ``resource_ids``)
    :type package_id: string
    :param resource_ids: locked resources of the dataset the terms cover (optional)
    :type resource_ids: list of strings
    :param price: a price in major units as people type it (``1250``, ``1.250,50``;
        optional): returned as ``amount`` in minor units
    :type price: string
    :returns: the clean terms: ``currency`` and each of ``licence``, ``period_months``
        and ``resource_ids`` that was given, and ``amount`` for a ``price``
    :rtype: dictionary
    :raises: ``ValidationError`` with an error per field that breaks a rule
    """
    tk.check_access("pricing_terms_check", context, data_dict)
    data = _validate(data_dict, schema.terms_check(), context)
    if data.get("resource_ids") and not data.get("package_id"):
        raise tk.ValidationError({"package_id": [tk._("Missing value")]})
    locked = None
    if data.get("package_id"):
        pkg = _dataset(data["package_id"])
        locked = rules.locked_resources(pkg.get("access_tier") or rules.OPEN, pkg["resources"])
    clean, problems = offers.check_terms(
        {**data, "resources": data.get("resource_ids")},
        default_currency=tk.config.get("ckanext.pricing.default_currency"),
        currencies=tk.config.get("ckanext.pricing.currencies"),
        locked_resource_ids=locked,
    )
    errors = {
        "resource_ids" if field == "resources" else field: [
            tk._(problem.template).format(problem.argument)
        ]
        for field, problem in problems.items()
    }
    if data.get("price") not in (None, ""):
        currency = clean.get("currency") or tk.config.get("ckanext.pricing.default_currency")
        amount, message = offers.parse_price(data["price"], get_currency_precision(currency))
        if message:
            errors["price"] = [tk._(message)]
        else:
            clean["amount"] = amount
    if errors:
        raise tk.ValidationError(errors)
    if "resources" in clean:
        clean["resource_ids"] = clean.pop("resources")
    return clean
