"""Actions of the pricing plugin, and the core actions it chains to keep locked data in.

Own actions check access, validate with a schema, apply the rules and persist. Chained
core actions (``resource_search``, the activity actions, resource views) read from the
database rather than the search index, so they pass their results through the paywall.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

import ckan.plugins.toolkit as tk
import sqlalchemy as sa
from ckan import authz, model
from ckan.types import Context, DataDict

from ckanext.pricing import access, licences, orders, redact, rules
from ckanext.pricing.logic import schema
from ckanext.pricing.logic.util import site_context as _site_context
from ckanext.pricing.logic.util import validate as _validate
from ckanext.pricing.model import Block, Download, Entitlement
from ckanext.pricing.rules import Access

__all__ = [
    # chained core actions
    "activity_create",
    "activity_data_show",
    "activity_diff",
    "activity_show",
    "dashboard_activity_list",
    "group_activity_list",
    "organization_activity_list",
    "package_activity_list",
    "pricing_activity_scrub",
    "pricing_block_create",
    "pricing_block_delete",
    "pricing_block_list",
    "pricing_buyer_check",
    "pricing_download_list",
    "pricing_entitlement_check",
    "pricing_entitlement_grant",
    "pricing_entitlement_list",
    "pricing_entitlement_revoke",
    "pricing_licence_list",
    "recently_changed_packages_activity_list",
    "resource_search",
    "resource_view_list",
    "resource_view_show",
    "user_activity_list",
]


def _dataset(package_id: str) -> dict[str, Any]:
    return tk.get_action("package_show")(_site_context(), {"id": package_id})


def _commit(context: Context) -> None:
    """Commit, or with ``defer_commit`` only flush: the caller's transaction decides, and
    the returned dicts already carry their database-made ids."""
    if context.get("defer_commit"):
        model.Session.flush()
    else:
        model.repo.commit()


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
    """Grant a user or an organisation access to a dataset's locked resources.

    :param package_id: the dataset (id or name)
    :param holder_type: ``user`` (default) or ``organization``
    :param holder: the user's or organisation's id or name
    :param resource_ids: the locked resources covered (optional; default: all)
    :param valid_from: ISO date-time (optional; default: now)
    :param valid_until: ISO date-time (optional; default: no end)
    :param valid_months: instead of ``valid_until``: this many calendar months from the
        start (optional; deal rooms grant their agreed period so)
    :param source: ``grant`` (default); ``order`` and ``deal`` are set by checkout and
        deal rooms
    :param source_ref: the order or deal id (optional)
    :returns: the entitlement
    """
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
    locked = set(rules.locked_resources(tier, pkg["resources"]))
    unknown = sorted(set(data.get("resource_ids") or []) - locked)
    if unknown:
        raise tk.ValidationError(
            {
                "resource_ids": [
                    tk._("Not a locked resource of this dataset: {}").format(", ".join(unknown))
                ]
            }
        )
    holder_id, holder_name = _holder(data["holder_type"], data["holder"])
    blocked = access.blocked_organization_ids(pkg["id"])
    holder_orgs = (
        {holder_id} if data["holder_type"] == "organization" else _member_org_ids(holder_id)
    )
    if blocked & holder_orgs:
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
    _commit(context)
    return entitlement.dictize()


def pricing_entitlement_revoke(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Revoke an entitlement. The reason is shown to the holder.

    :param id: the entitlement
    :param reason: why (required)
    """
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
        _commit(context)
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
    ``package_id``, all of one dataset for its editors.

    :param package_id: a dataset (optional)
    :param include_inactive: include expired and revoked ones (default true)
    :param source_ref: only those an order or a deal room produced (optional)
    """
    tk.check_access("pricing_entitlement_list", context, data_dict)
    data = _validate(data_dict, schema.entitlement_list(), context)
    query = model.Session.query(Entitlement)
    if data.get("package_id"):
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
    if data.get("source_ref"):
        query = query.filter(Entitlement.source_ref == data["source_ref"])
    items = _with_dataset(query.order_by(Entitlement.created.desc()))
    if data.get("include_inactive") is False:
        items = [i for i in items if i["active"]]
    return items


@tk.side_effect_free
def pricing_entitlement_check(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """May a user get a resource's data now?

    :param resource_id: the resource
    :param user: whom to ask about (default: the caller; others need editor rights)
    :returns: ``{"access": "public" | "manage" | "entitled" | "locked" | "held", "entitled": bool}``
        (``held``: withheld for review, see ``IPricingHolds``)
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


def pricing_block_create(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Block an organisation (e.g. a competitor) from buying or being granted a dataset.

    :param package_id: the dataset
    :param organization: the organisation's id or name
    """
    data = _validate(data_dict, schema.block(), context)
    tk.check_access("pricing_block_create", context, data)
    pkg = model.Package.get(data["package_id"])
    org_id, org_name = _holder("organization", data["organization"])
    if org_id == pkg.owner_org:
        raise tk.ValidationError(
            {"organization": [tk._("A seller cannot block its own organisation")]}
        )
    if model.Session.query(Block).get((pkg.id, org_id)) is None:
        user = model.User.get(context.get("user")) if context.get("user") else None
        model.Session.add(
            Block(package_id=pkg.id, organization_id=org_id, created_by=user.id if user else None)
        )
        _commit(context)
    return {"package_id": pkg.id, "organization_id": org_id, "organization": org_name}


def pricing_block_delete(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Lift a block. :param package_id: the dataset :param organization: the organisation"""
    data = _validate(data_dict, schema.block(), context)
    tk.check_access("pricing_block_delete", context, data)
    pkg = model.Package.get(data["package_id"])
    org_id, org_name = _holder("organization", data["organization"])
    block = model.Session.query(Block).get((pkg.id, org_id))
    if block is None:
        raise tk.ObjectNotFound(tk._("That organisation is not blocked"))
    model.Session.delete(block)
    _commit(context)
    return {"package_id": pkg.id, "organization_id": org_id, "organization": org_name}


@tk.side_effect_free
def pricing_block_list(context: Context, data_dict: DataDict) -> list[dict[str, Any]]:
    """The organisations blocked from a dataset (seller's editors only)."""
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
def pricing_download_list(context: Context, data_dict: DataDict) -> list[dict[str, Any]]:
    """Who fetched a dataset's locked data, when, and which resource (seller's editors).

    :param package_id: the dataset
    :param limit: at most this many, newest first (default 100)
    :param offset: skip this many
    """
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


# ---------------------------------------------------------------------------------------
# Chained core actions: everything that returns resource URLs read from the database.


def _levels_and_replacements(
    context: Context, pkg: dict[str, Any], snapshot: dict[str, Any] | None = None
) -> tuple[str | None, dict[str, Access], dict[str, str]]:
    """The viewer's user id, their access to a dataset's locked resources (as now, and as
    in an older snapshot of it), and every real URL they may not see with its replacement."""
    merged = dict(pkg)
    if snapshot is not None:
        current = {r["id"]: r for r in pkg.get("resources") or []}
        tier = pkg.get("access_tier") or rules.OPEN
        if tier == rules.OPEN:
            tier = snapshot.get("access_tier") or rules.OPEN
        merged["access_tier"] = tier
        merged["resources"] = [
            dict(r, access=current.get(r.get("id"), r).get("access", r.get("access")))
            for r in snapshot.get("resources") or []
            if r.get("id")
        ] + [
            r
            for r in pkg.get("resources") or []
            if r["id"] not in {s.get("id") for s in snapshot.get("resources") or []}
        ]
    viewer, levels = access.levels_for(context.get("user"), merged)
    replacements: dict[str, str] = {}
    uploads = {r.get("id") for r in merged.get("resources") or [] if r.get("url_type") == "upload"}
    hidden = {
        rid
        for rid, level in levels.items()
        if rules.withheld(level) or (level is Access.ENTITLED and rid not in uploads)
    }
    if hidden:
        real = access.index_secrets(merged)  # real URLs, in the database and the snapshot
        for secret, placeholder in real.items():
            rid = placeholder.rsplit("/", 1)[-1]
            if rules.withheld(levels.get(rid, Access.PUBLIC)):
                replacements[secret] = placeholder
            elif rid in hidden:  # a buyer gets the data through the signed link, not upstream
                replacements[secret] = access.signed_link(viewer.user_id or "", rid)
    return viewer.user_id, levels, replacements


@tk.chained_action
@tk.side_effect_free
def resource_search(next_action: Callable[..., Any], context: Context, data_dict: DataDict) -> Any:
    result = next_action(context, data_dict)
    query = data_dict.get("query") or ""
    terms = [query] if isinstance(query, str) else list(query)
    probes_url = any(str(t).split(":", 1)[0].strip() == "url" for t in terms)
    packages: dict[str, tuple[str | None, dict[str, Access], dict[str, str]]] = {}
    kept = []
    for res in result.get("results", []):
        if not isinstance(res, dict):
            kept.append(res)
            continue
        pid = str(res.get("package_id"))
        if pid not in packages:
            packages[pid] = _levels_and_replacements(context, _dataset(pid))
        user_id, levels, replacements = packages[pid]
        if rules.withheld(levels.get(str(res.get("id")), Access.PUBLIC)) and probes_url:
            continue  # searching by URL must not reveal that a locked URL exists
        access.redact_resource_list(user_id, [res], levels)
        kept.append(redact.scrub(res, replacements))
    dropped = len(result.get("results", [])) - len(kept)
    result["results"] = kept
    result["count"] = max(0, result.get("count", 0) - dropped)
    return result


def _scrub_views(context: Context, views: Any, package_id: str | None) -> Any:
    if not package_id:
        return views
    _user_id, _levels, replacements = _levels_and_replacements(context, _dataset(package_id))
    return redact.scrub(views, replacements)


@tk.chained_action
@tk.side_effect_free
def resource_view_show(
    next_action: Callable[..., Any], context: Context, data_dict: DataDict
) -> Any:
    view = next_action(context, data_dict)
    return _scrub_views(context, view, view.get("package_id"))


@tk.chained_action
@tk.side_effect_free
def resource_view_list(
    next_action: Callable[..., Any], context: Context, data_dict: DataDict
) -> Any:
    views = next_action(context, data_dict)
    package_id = views[0].get("package_id") if views else None
    return _scrub_views(context, views, package_id)


def _snapshot(activity: dict[str, Any]) -> dict[str, Any] | None:
    data = activity.get("data")
    if isinstance(data, dict) and isinstance(data.get("package"), dict):
        return data["package"]
    return None


def _scrub_activities(context: Context, result: Any) -> Any:
    """Redact the dataset snapshots stored in activities, then every trace of the real
    URLs elsewhere in the result (titles, diffs)."""
    activities: list[dict[str, Any]]
    if isinstance(result, list):
        activities = [a for a in result if isinstance(a, dict)]
    elif isinstance(result, dict) and isinstance(result.get("activities"), list):
        activities = result["activities"]
    elif isinstance(result, dict):
        activities = [result]
    else:
        return result
    replacements: dict[str, str] = {}
    datasets: dict[str, dict[str, Any]] = {}
    for act in activities:
        snapshot = _snapshot(act)
        package_id = (snapshot or {}).get("id") or (
            act.get("object_id") if str(act.get("activity_type", "")).endswith("package") else None
        )
        if not package_id:
            continue
        if package_id not in datasets:
            try:
                datasets[package_id] = _dataset(package_id)
            except tk.ObjectNotFound:
                datasets[package_id] = {"id": package_id, "resources": []}
        user_id, levels, found = _levels_and_replacements(context, datasets[package_id], snapshot)
        replacements.update(found)
        if snapshot is not None:
            access.redact_resource_list(user_id, snapshot.get("resources") or [], levels)
    return redact.scrub(result, replacements)


def _chain_activity(name: str) -> Callable[..., Any]:
    @tk.chained_action
    @tk.side_effect_free
    def chained(next_action: Callable[..., Any], context: Context, data_dict: DataDict) -> Any:
        return _scrub_activities(context, next_action(context, data_dict))

    chained.__name__ = name
    chained.__doc__ = f"{name}, with locked resource URLs redacted from dataset snapshots."
    return chained


@tk.chained_action
@tk.side_effect_free
def activity_data_show(
    next_action: Callable[..., Any], context: Context, data_dict: DataDict
) -> Any:
    data = next_action(context, data_dict)
    if data_dict.get("object_type") == "package" and isinstance(data, dict):
        wrapped = _scrub_activities(
            context, {"data": {"package": data}, "activity_type": "package"}
        )
        return wrapped["data"]["package"]
    return _scrub_activities(context, {"data": data})["data"]


activity_show = _chain_activity("activity_show")
activity_diff = _chain_activity("activity_diff")
package_activity_list = _chain_activity("package_activity_list")
organization_activity_list = _chain_activity("organization_activity_list")
group_activity_list = _chain_activity("group_activity_list")
user_activity_list = _chain_activity("user_activity_list")
dashboard_activity_list = _chain_activity("dashboard_activity_list")
recently_changed_packages_activity_list = _chain_activity("recently_changed_packages_activity_list")


# ---------------------------------------------------------------------------------------
# Stored copies: the activity stream keeps no locked URL.


@tk.chained_action
def activity_create(next_action: Callable[..., Any], context: Context, data_dict: DataDict) -> Any:
    """activity_create, storing the activity with every locked resource's URL already
    replaced by its placeholder, so that nothing which reads ``activity.data`` (actions,
    core's history pages, any future route) can reveal it."""
    data = access.redact_new_activity(data_dict.get("data"), data_dict.get("object_id"))
    return next_action(context, dict(data_dict, data=data))


def pricing_activity_scrub(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Redact the activities stored before locked URLs were kept out of them: every
    dataset that is priced or on request, or one of them (also one with files held for
    review: ckanext-gdprcheck calls it when it holds a file).

    :param package_id: one dataset (id or name; optional, default: every priced or
        on-request dataset)
    :type package_id: string
    :returns: ``datasets`` (how many were looked at) and ``activities`` (how many
        stored activities were rewritten)
    :rtype: dictionary
    """
    tk.check_access("pricing_activity_scrub", context, data_dict)
    data = _validate(data_dict, schema.activity_scrub(), context)
    if data.get("package_id"):
        pkg = model.Package.get(data["package_id"])
        ids = [pkg.id] if pkg else []
    else:
        ids = [
            row[0]
            for row in model.Session.query(model.PackageExtra.package_id).filter(
                model.PackageExtra.key == "access_tier",
                model.PackageExtra.value.in_([rules.PRICED, rules.ON_REQUEST]),
            )
        ]
    rewritten = 0
    for package_id in ids:
        locked, secrets = access.locked_state(_dataset(package_id))
        if locked:
            rewritten += access.scrub_activities(package_id, locked, secrets)
    _commit(context)
    return {"datasets": len(ids), "activities": rewritten}


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
    :returns: ``may_buy`` (false when the seller has blocked the buyer's organisation),
        ``reason`` and ``locked_resources`` (resource id -> name)
    :rtype: dictionary
    """
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
    blocked = bool(access.blocked_organization_ids(pkg["id"]) & buying)
    return {
        "may_buy": not blocked,
        "locked_resources": locked,
        "reason": tk._("The seller has blocked your organisation for this dataset")
        if blocked
        else None,
    }
