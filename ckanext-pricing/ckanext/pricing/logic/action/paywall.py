"""The paywall on core's actions: resource search, resource views and the activity stream
never carry a locked resource's URL (chained actions), and the scrub of stored
activities."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import ckan.plugins.toolkit as tk
from ckan import model
from ckan.types import Context, DataDict

from ckanext.cityexchange import compat
from ckanext.cityexchange.context import commit
from ckanext.pricing import access, redact, rules
from ckanext.pricing.logic import schema
from ckanext.pricing.logic.action._common import _dataset
from ckanext.pricing.logic.util import validate as _validate
from ckanext.pricing.rules import Access

__all__ = [
    "activity_create",
    "activity_data_show",
    "activity_diff",
    "activity_show",
    "dashboard_activity_list",
    "dcat_dataset_show",
    "group_activity_list",
    "organization_activity_list",
    "package_activity_list",
    "pricing_activity_scrub",
    "recently_changed_packages_activity_list",
    "resource_search",
    "resource_view_list",
    "resource_view_show",
    "user_activity_list",
]


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
        ids = compat.package_ids_with_extra("access_tier", [rules.PRICED, rules.ON_REQUEST])
    rewritten = 0
    for package_id in ids:
        locked, secrets = access.locked_state(_dataset(package_id))
        if locked:
            rewritten += access.scrub_activities(package_id, locked, secrets)
    commit(context)
    return {"datasets": len(ids), "activities": rewritten}


@tk.chained_action
@tk.side_effect_free
def dcat_dataset_show(up: Callable[..., Any], context: Context, data_dict: DataDict) -> Any:
    """A dataset in RDF (ckanext-dcat), whatever ``profiles`` the caller names: the
    ``pricing`` profile keeps locked URLs out when it is among them; here they are taken
    out of the serialised text in any case (the real URLs and a buyer's signed links, in
    every format's escaping), so that the output is the same for every reader."""
    output = up(context, data_dict)
    ref = data_dict.get("id")
    if not isinstance(output, str) or not isinstance(ref, str) or not ref:
        return output
    try:
        pkg = _dataset(ref)
    except tk.ObjectNotFound:
        return output
    locked, secrets = access.locked_state(pkg)
    if not locked:
        return output
    site_url = str(tk.config.get("ckan.site_url") or "")
    text = redact.scrub(output, {**secrets, **{_json_escaped(k): v for k, v in secrets.items()}})
    return redact.scrub_signed_links(text, site_url, locked)


def _json_escaped(text: str) -> str:
    return json.dumps(text)[1:-1]
