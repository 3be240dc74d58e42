"""Entitlements: granted, revoked, listed, checked and extended; the downloads they made."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import ckan.plugins.toolkit as tk
import sqlalchemy as sa
from ckan import authz, model
from ckan.types import Context, DataDict

from ckanext.cityexchange.context import commit
from ckanext.pricing import access, offers, orders, rules
from ckanext.pricing.logic import schema
from ckanext.pricing.logic.action._common import _dataset
from ckanext.pricing.logic.util import validate as _validate
from ckanext.pricing.model import Download, Entitlement

__all__ = [
    "pricing_download_list",
    "pricing_entitlement_check",
    "pricing_entitlement_extend",
    "pricing_entitlement_grant",
    "pricing_entitlement_list",
    "pricing_entitlement_revoke",
]


def _holder(holder_type: str, holder: str) -> tuple[str, str]:
    """(id, display name) of a user or an organisation, or a field error."""
    if holder_type == "user":
        user = model.User.get(holder)
        if user is None or user.state != "active":
            raise tk.ValidationError({"holder": [tk._("No such user")]})
        return user.id, user.name
    org = model.Group.get(holder)
    if org is None or not org.is_organization or org.state != "active":
        raise tk.ValidationError({"holder": [tk._("No such organisation")]})
    return org.id, org.name


def _member_org_ids(user_id: str) -> set[str]:
    return set(access.viewer_for(user_id).organization_ids)


def pricing_entitlement_grant(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Grant a user or an organisation access to a dataset's locked resources. For the
    dataset's editors. An open dataset needs no entitlement, and a holder whose
    organisation the seller has blocked gets none.

    :param package_id: the dataset (id or name)
    :type package_id: string
    :param holder_type: ``user`` (default) or ``organization``
    :type holder_type: string
    :param holder: the user's or organisation's id or name
    :type holder: string
    :param resource_ids: the locked resources covered (optional; default: all)
    :type resource_ids: list of strings
    :param valid_from: ISO date-time (optional; default: now)
    :type valid_from: string
    :param valid_until: ISO date-time, after the start (optional; default: no end)
    :type valid_until: string
    :param valid_months: instead of ``valid_until``: this many calendar months from the
        start, 1 to 1200 (optional; deal rooms grant their agreed period so)
    :type valid_months: integer
    :param source: ``grant`` (default); ``order`` and ``deal`` are set by checkout and
        deal rooms (sysadmins and plugins only)
    :type source: string
    :param source_ref: the order or deal id (optional)
    :type source_ref: string
    :returns: the entitlement: ``id``, ``holder_type``, ``holder_id``, ``package_id``,
        ``resource_ids``, ``source``, ``source_ref``, ``valid_from``, ``valid_until``,
        ``revoked_at``, ``revoke_reason`` and ``created``
    :rtype: dictionary
    """
    # Validated before the access check: the dataset it names decides who may act.
    data = _validate(data_dict, schema.entitlement_grant(), context)
    tk.check_access("pricing_entitlement_grant", context, data)
    if data["source"] != "grant" and not (
        context.get("ignore_auth") or authz.is_sysadmin(context.get("user"))
    ):
        raise tk.ValidationError(
            {"source": [tk._("Only checkout and deal rooms create order and deal entitlements")]}
        )
    pkg = _dataset(data["package_id"])
    tier = pkg.get("access_tier") or rules.OPEN
    if tier == rules.OPEN:
        raise tk.ValidationError({"package_id": [tk._("An open dataset needs no entitlement")]})
    unknown = offers.not_locked(
        data.get("resource_ids") or [], rules.locked_resources(tier, pkg["resources"])
    )
    if unknown:
        raise tk.ValidationError(
            {
                "resource_ids": [
                    tk._("Not a locked resource of this dataset: {}").format(", ".join(unknown))
                ]
            }
        )
    holder_id, holder_name = _holder(data["holder_type"], data["holder"])
    holder_orgs = (
        {holder_id} if data["holder_type"] == "organization" else _member_org_ids(holder_id)
    )
    if rules.is_blocked(holder_orgs, access.blocked_organization_ids(pkg["id"])):
        raise tk.ValidationError(
            {
                "holder": [
                    tk._(
                        "{} may not buy this dataset: the seller has blocked their organisation"
                    ).format(holder_name)
                ]
            }
        )
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    valid_from = data.get("valid_from") or now
    valid_until = data.get("valid_until")
    if data.get("valid_months") is not None:
        if valid_until is not None:
            raise tk.ValidationError(
                {"valid_months": [tk._("Give an end or a number of months, not both")]}
            )
        valid_until = orders.add_months(valid_from, data["valid_months"])
    if valid_until is not None and valid_until <= valid_from:
        raise tk.ValidationError({"valid_until": [tk._("Must be after the start")]})
    user = model.User.get(context.get("user")) if context.get("user") else None
    entitlement = Entitlement(
        holder_type=data["holder_type"],
        holder_id=holder_id,
        package_id=pkg["id"],
        resource_ids=sorted(data["resource_ids"]) if data.get("resource_ids") else None,
        source=data["source"],
        source_ref=data.get("source_ref"),
        valid_from=valid_from,
        valid_until=valid_until,
        created=now,
        created_by=user.id if user else None,
    )
    model.Session.add(entitlement)
    commit(context)
    return entitlement.dictize()


def pricing_entitlement_revoke(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Revoke an entitlement. The reason is shown to the holder. For the dataset's editors.
    Revoking an entitlement that is revoked already changes nothing (the first reason
    stays).

    :param id: the entitlement's id
    :type id: string
    :param reason: why (required)
    :type reason: string
    :returns: the entitlement, as ``pricing_entitlement_grant`` returns it, with
        ``revoked_at`` and ``revoke_reason``
    :rtype: dictionary
    """
    # Validated before the access check: the entitlement it names decides who may act.
    data = _validate(data_dict, schema.entitlement_revoke(), context)
    entitlement = Entitlement.get(data["id"])
    if entitlement is None:
        raise tk.ObjectNotFound(tk._("Entitlement not found"))
    tk.check_access("pricing_entitlement_revoke", context, data)
    if entitlement.revoked_at is None:
        user = model.User.get(context.get("user")) if context.get("user") else None
        entitlement.revoked_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        entitlement.revoked_by = user.id if user else None
        entitlement.revoke_reason = data["reason"]
        commit(context)
    return entitlement.dictize()


def _with_dataset(rows: Iterable[Entitlement]) -> list[dict[str, Any]]:
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    out = []
    for row in rows:
        item = row.dictize()
        pkg = model.Package.get(row.package_id)
        item["package_name"] = pkg.name if pkg else None
        item["package_title"] = pkg.title if pkg else None
        item["active"] = rules.is_active(access.to_grant(row), now)
        if row.holder_type == "user":
            holder = model.User.get(row.holder_id)
        else:
            holder = model.Group.get(row.holder_id)
        item["holder_name"] = holder.name if holder else None
        out.append(item)
    return out


@tk.side_effect_free
def pricing_entitlement_list(context: Context, data_dict: DataDict) -> list[dict[str, Any]]:
    """Entitlements: the caller's own (theirs and their organisations'), or, with
    ``package_id``, all of one dataset for its editors, or, with ``all_holders``, every
    one (sysadmins).

    :param package_id: a dataset (optional)
    :type package_id: string
    :param include_inactive: include expired and revoked ones (default true)
    :type include_inactive: boolean
    :param source: only those granted by hand (``grant``), bought (``order``) or agreed
        in a deal (``deal``) (optional)
    :type source: string
    :param source_ref: only those one order or one deal room produced (optional)
    :type source_ref: string
    :param ended_before: only those whose period ended before this ISO date-time
        (optional)
    :type ended_before: string
    :param all_holders: every holder's, not the caller's own (sysadmins; optional)
    :type all_holders: boolean
    :returns: the entitlements, newest first, each with its dataset's name and title
    :rtype: list of dictionaries
    """
    tk.check_access("pricing_entitlement_list", context, data_dict)
    data = _validate(data_dict, schema.entitlement_list(), context)
    query = model.Session.query(Entitlement)
    if data.get("all_holders"):
        pass  # sysadmins only (auth): no holder filter
    elif data.get("package_id"):
        pkg = model.Package.get(data["package_id"])
        query = query.filter(Entitlement.package_id == pkg.id)
    else:
        viewer = access.viewer_for(context.get("user"))
        holders = [
            sa.and_(Entitlement.holder_type == "user", Entitlement.holder_id == viewer.user_id)
        ]
        if viewer.organization_ids:
            holders.append(
                sa.and_(
                    Entitlement.holder_type == "organization",
                    Entitlement.holder_id.in_(viewer.organization_ids),
                )
            )
        query = query.filter(sa.or_(*holders))
    if data.get("source"):
        query = query.filter(Entitlement.source == data["source"])
    if data.get("source_ref"):
        query = query.filter(Entitlement.source_ref == data["source_ref"])
    if data.get("ended_before"):
        query = query.filter(Entitlement.valid_until < data["ended_before"])
    items = _with_dataset(query.order_by(Entitlement.created.desc()))
    if data.get("include_inactive") is False:
        items = [i for i in items if i["active"]]
    return items


@tk.side_effect_free
def pricing_entitlement_check(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """May a user get a resource's data now? Anyone may ask about themselves; asking about
    someone else is for the dataset's editors.

    :param resource_id: the resource's id
    :type resource_id: string
    :param user: whom to ask about, by name (default: the caller; others need editor
        rights)
    :type user: string
    :returns: ``resource_id``, ``access`` (``public``, ``manage``, ``entitled``,
        ``locked`` or ``held``: withheld for review, see ``IPricingHolds``) and
        ``entitled`` (true unless the access is ``locked`` or ``held``)
    :rtype: dictionary
    """
    tk.check_access("pricing_entitlement_check", context, data_dict)
    data = _validate(data_dict, schema.entitlement_check(), context)
    user = data.get("user") or context.get("user")
    level, _pkg = access.resource_level(user, data["resource_id"])
    return {
        "resource_id": data["resource_id"],
        "access": level.value,
        "entitled": not rules.withheld(level),
    }


@tk.side_effect_free
def pricing_download_list(context: Context, data_dict: DataDict) -> list[dict[str, Any]]:
    """Who fetched a dataset's locked data, when, and which resource (seller's editors).

    :param package_id: the dataset (id or name)
    :type package_id: string
    :param limit: at most this many, newest first (default 100; up to
        ``ckan.search.rows_max``)
    :type limit: integer
    :param offset: skip this many (default 0)
    :type offset: integer
    :returns: the downloads, newest first, each with ``resource_id``, ``user`` (the
        user's name, or None), ``via`` (``download``, ``dump`` or ``signed_link``) and
        ``at`` (ISO date-time)
    :rtype: list of dictionaries
    """
    # Validated before the access check: the dataset it names decides who may act.
    data = _validate(data_dict, schema.package_only(), context)
    tk.check_access("pricing_download_list", context, data)
    pkg = model.Package.get(data["package_id"])
    rows = (
        model.Session.query(Download)
        .filter(Download.package_id == pkg.id)
        .order_by(Download.at.desc())
        .offset(data.get("offset", 0))
        .limit(data.get("limit", 100))
    )
    out = []
    for row in rows:
        user = model.User.get(row.user_id) if row.user_id else None
        out.append(
            {
                "resource_id": row.resource_id,
                "user": user.name if user else None,
                "via": row.via,
                "at": row.at.isoformat(),
            }
        )
    return out


def _package_id(name_or_id: str) -> str:
    pkg = model.Package.get(name_or_id)
    if pkg is None:
        raise tk.ObjectNotFound(tk._("Dataset not found"))
    return pkg.id


def pricing_entitlement_extend(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Extend, by the length of a hold, every entitlement to a dataset that was valid
    during it (not revoked, with an end date after the hold began), so that buyers do not
    pay for the time its data was withheld. Unlimited entitlements stay unlimited.
    Sysadmins only (the plugin that held the data calls it as the site user). Commits
    unless ``defer_commit`` is set, so that the caller can make it part of its release.

    :param package_id: the dataset (id or name)
    :type package_id: string
    :param held_from: when the hold began (ISO 8601, UTC)
    :type held_from: string
    :param held_until: when it ended (default: now)
    :type held_until: string
    :param resource_ids: the held resources: entitlements to other resources of the
        dataset only are not extended (default: every entitlement to the dataset)
    :type resource_ids: list of strings
    :returns: ``{"extended": [entitlement ids], "seconds": length of the hold}``
    :rtype: dictionary
    """
    tk.check_access("pricing_entitlement_extend", context, data_dict)
    data = _validate(data_dict, schema.entitlement_extend(), context)
    package_id = _package_id(data["package_id"])
    held_from: dt.datetime = data["held_from"].replace(tzinfo=None)
    held_until: dt.datetime = (
        data.get("held_until") or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    ).replace(tzinfo=None)
    if held_until <= held_from:
        raise tk.ValidationError({"held_until": [tk._("The hold must end after it began")]})
    length = held_until - held_from
    wanted = set(data.get("resource_ids") or [])
    rows = (
        model.Session.query(Entitlement)
        .filter(
            Entitlement.package_id == package_id,
            Entitlement.revoked_at.is_(None),
            Entitlement.valid_until.isnot(None),
            Entitlement.valid_until > held_from,
            Entitlement.valid_from < held_until,
        )
        .with_for_update()
        .all()
    )
    extended = []
    for row in rows:
        if wanted and row.resource_ids and not wanted & set(row.resource_ids):
            continue
        row.valid_until = row.valid_until + length
        extended.append(row.id)
    commit(context)
    return {"extended": extended, "seconds": int(length.total_seconds())}
