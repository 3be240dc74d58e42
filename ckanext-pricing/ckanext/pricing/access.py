"""The paywall's one decision, wired to CKAN: who is asking, what they hold, what they get.

Every surface calls :func:`levels_for` or :func:`resource_level`; the rules
themselves are in :mod:`ckanext.pricing.rules`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import time
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode

import ckan.plugins as p
import ckan.plugins.toolkit as tk
import sqlalchemy as sa
from ckan import authz, model
from ckan.lib.dictization import model_dictize
from ckan.types import Context

from ckanext.pricing import redact, rules
from ckanext.pricing.interfaces import IPricingHolds
from ckanext.pricing.model import Block, Download, Entitlement
from ckanext.pricing.rules import Access, Grant, Viewer

log = logging.getLogger(__name__)

# Shown when a plugin that holds resources could not answer: the decision fails closed.
UNCHECKED_HOLD = (
    "This file is withheld for now: the portal could not check whether it is held for review"
)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def site_url() -> str:
    """The portal's address, without a trailing slash."""
    return str(tk.config.get("ckan.site_url") or "").rstrip("/")


def viewer_for(user_name: str | None, package_id: str | None = None) -> Viewer:
    """The facts about a user that the decision needs. ``ignore_auth`` plays no part:
    being allowed to call an action is not an entitlement."""
    return viewer_and_grants(user_name, package_id, with_grants=False)[0]


def _viewer_statement(with_grants: bool) -> Any:
    """One SELECT for the user, their organisations and (optionally) their grants on a
    dataset. Built once: SQLAlchemy caches its compiled form."""
    user, member, group = model.User.__table__, model.Member.__table__, model.Group.__table__
    grant = Entitlement.__table__
    columns = [user.c.id, user.c.sysadmin, group.c.id.label("org_id")]
    joined = user.outerjoin(
        member,
        sa.and_(
            member.c.table_id == user.c.id,
            member.c.table_name == "user",
            member.c.state == "active",
        ),
    ).outerjoin(
        group,
        sa.and_(
            group.c.id == member.c.group_id,
            group.c.state == "active",
            group.c.is_organization.is_(True),
        ),
    )
    if with_grants:
        columns += [
            grant.c.id.label("grant_id"),
            grant.c.holder_type,
            grant.c.holder_id,
            grant.c.resource_ids,
            grant.c.valid_from,
            grant.c.valid_until,
            grant.c.revoked_at,
        ]
        joined = joined.outerjoin(
            grant,
            sa.and_(
                grant.c.package_id == sa.bindparam("package_id"),
                sa.or_(
                    sa.and_(grant.c.holder_type == "user", grant.c.holder_id == user.c.id),
                    sa.and_(grant.c.holder_type == "organization", grant.c.holder_id == group.c.id),
                ),
            ),
        )
    return (
        sa.select(*columns)
        .select_from(joined)
        .where(
            sa.or_(user.c.name == sa.bindparam("user"), user.c.id == sa.bindparam("user")),
            user.c.state == "active",
        )
    )


_STATEMENTS: dict[bool, Any] = {}


def viewer_and_grants(
    user_name: str | None, package_id: str | None, with_grants: bool = True
) -> tuple[Viewer, list[Grant] | None]:
    """The viewer, and their entitlements to one dataset, in one database round trip."""
    if not user_name:
        return Viewer(user_id=None), []
    with_grants = bool(with_grants and package_id)
    if with_grants not in _STATEMENTS:
        _STATEMENTS[with_grants] = _viewer_statement(with_grants)
    params = {"user": user_name, **({"package_id": package_id} if with_grants else {})}
    rows = model.Session.execute(_STATEMENTS[with_grants], params).fetchall()
    if not rows:
        return Viewer(user_id=None), []
    user_id, sysadmin = rows[0].id, bool(rows[0].sysadmin)
    org_ids = frozenset(row.org_id for row in rows if row.org_id)
    grants: list[Grant] | None = None
    if with_grants:
        seen = {row.grant_id: row for row in rows if row.grant_id}
        grants = [to_grant(row) for row in seen.values()]
    can_edit = False
    if package_id and not sysadmin and authz.check_config_permission("allow_dataset_collaborators"):
        can_edit = authz.is_authorized_boolean(
            "package_update", {"user": user_name, "model": model}, {"id": package_id}
        )
    viewer = Viewer(user_id=user_id, sysadmin=sysadmin, organization_ids=org_ids, can_edit=can_edit)
    return viewer, grants


def _context_user(context: Context | None) -> str | None:
    if context and "user" in context:
        return context.get("user") or None
    try:
        user = tk.current_user
        return user.name if user and user.is_authenticated else None
    except (RuntimeError, AttributeError):
        return None


def to_grant(row: Any) -> Grant:
    """An entitlement (model object or result row) as the decision sees it."""
    return Grant(
        holder_type=row.holder_type,
        holder_id=row.holder_id,
        resource_ids=tuple(row.resource_ids) if row.resource_ids else None,
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        revoked_at=row.revoked_at,
    )


def is_publisher(user_name: str | None, package_id: str) -> bool:
    """Whoever may edit the dataset (its organisation's editors and admins, collaborators,
    sysadmins): it is theirs already, they do not buy it or ask for it."""
    return bool(user_name) and authz.is_authorized_boolean(
        "package_update", {"user": user_name, "model": model}, {"id": package_id}
    )


def blocked_organization_ids(package_id: str) -> set[str]:
    return {
        row[0]
        for row in model.Session.query(Block.organization_id).filter(Block.package_id == package_id)
    }


def holds_for(pkg_dict: dict[str, Any]) -> dict[str, str]:
    """The dataset's resources withheld for review (``IPricingHolds``): resource id ->
    reason. Fails closed: if a plugin cannot answer, every resource is withheld."""
    ids = [r["id"] for r in pkg_dict.get("resources") or [] if isinstance(r, dict) and r.get("id")]
    if not ids or not pkg_dict.get("id"):
        return {}
    out: dict[str, str] = {}
    for plugin in p.PluginImplementations(IPricingHolds):
        try:
            found = plugin.pricing_resource_holds(pkg_dict) or {}
        except Exception:
            log.exception("pricing: %s could not say which resources are held", plugin.name)
            return dict.fromkeys(ids, UNCHECKED_HOLD)
        for rid, reason in found.items():
            if rid in ids:
                out.setdefault(rid, reason)
    return out


def sales_paused(pkg_dict: dict[str, Any]) -> str | None:
    """Why the dataset may not be sold now (``IPricingHolds``), or None. Fails closed."""
    for plugin in p.PluginImplementations(IPricingHolds):
        try:
            reason = plugin.pricing_sales_paused(pkg_dict)
        except Exception:
            log.exception("pricing: %s could not say whether sales are paused", plugin.name)
            return UNCHECKED_HOLD
        if reason:
            return reason
    return None


def levels_for(
    user_name: str | None, pkg_dict: dict[str, Any], held: dict[str, str] | None = None
) -> tuple[Viewer, dict[str, Access]]:
    """Who is asking, and their access to each locked or held resource of a dataset dict
    (``held``: :func:`holds_for`, when the caller has it already)."""
    held = holds_for(pkg_dict) if held is None else held
    if (pkg_dict.get("access_tier") or rules.OPEN) == rules.OPEN and not held:
        return viewer_for(user_name), {}
    viewer, grants = viewer_and_grants(user_name, pkg_dict.get("id"))
    return viewer, package_levels(viewer, pkg_dict, grants or [], held)


def package_levels(
    viewer: Viewer,
    pkg_dict: dict[str, Any],
    grants: list[Grant],
    held: dict[str, str] | None = None,
) -> dict[str, Access]:
    """The viewer's access to each locked or held resource of a dataset dict, given the
    viewer's entitlements to it and the dataset's holds (resource id -> reason)."""
    tier = pkg_dict.get("access_tier")
    held = held or {}
    locked = [
        r
        for r in pkg_dict.get("resources") or []
        if rules.is_locked(tier, r) or r.get("id") in held
    ]
    if not locked:
        return {}
    owner_org = pkg_dict.get("owner_org")
    manager = rules.is_manager(viewer, owner_org)
    blocked: set[str] = set()
    if grants and not manager and viewer.organization_ids:
        # Blocks are on organisations: they matter only to members of one, holding a grant.
        blocked = blocked_organization_ids(pkg_dict["id"])
    now = _now()
    return {
        r["id"]: rules.decide(
            viewer,
            access_tier=tier,
            owner_org=owner_org,
            resource=r,
            grants=grants,
            blocked_organization_ids=blocked,
            now=now,
            held=r["id"] in held,
        )
        for r in locked
    }


def _real_urls(package_id: str, resource_ids: Iterable[str]) -> dict[str, str]:
    """The URLs CKAN itself would show, read from the database (not the search index)."""
    ids = list(resource_ids)
    if not ids:
        return {}
    context: Context = {"model": model, "session": model.Session}
    out = {}
    for res in model.Session.query(model.Resource).filter(model.Resource.id.in_(ids)):
        out[res.id] = model_dictize.resource_dictize(res, context)["url"]
    return out


def real_url(resource_id: str) -> str | None:
    """The stored URL of a linked resource (never sent to a browser; used by the proxy)."""
    res = model.Resource.get(resource_id)
    return res.url if res is not None and res.url_type != "upload" else None


def signed_link(user_id: str, resource_id: str, expires: int | None = None) -> str:
    ttl = tk.config.get("ckanext.pricing.signed_link_ttl")
    expires = expires or int(time.time()) + ttl
    sig = _signature(user_id, resource_id, expires)
    query = urlencode({"u": user_id, "e": expires, "s": sig})
    return f"{site_url()}{redact.SIGNED_PATH}{resource_id}?{query}"


def _signature(user_id: str, resource_id: str, expires: int) -> str:
    key = (tk.config.get("ckanext.pricing.link_secret") or tk.config.get("SECRET_KEY")).encode()
    msg = f"{user_id}\n{resource_id}\n{expires}".encode()
    return hmac.new(key, msg, hashlib.sha256).hexdigest()


def verify_signed_link(user_id: str, resource_id: str, expires: str, sig: str) -> bool:
    try:
        expires_at = int(expires)
    except (TypeError, ValueError):
        return False
    if expires_at < time.time():
        return False
    return hmac.compare_digest(_signature(user_id, resource_id, expires_at), sig or "")


def apply_to_package(context: Context | None, pkg_dict: dict[str, Any]) -> None:
    """Give the viewer what they may see of a dataset dict, in place.

    Managers get the real URLs (restored from the database when the dict came from the
    search index, which never holds them); entitled buyers get the upload's download URL
    or a signed link; everyone else gets the purchase placeholder. A resource held for
    review carries ``pricing_held`` (the reason), for everyone; only managers keep its URL.
    """
    if not pkg_dict.get("resources") or not pkg_dict.get("id"):
        return
    held = holds_for(pkg_dict)
    for res in pkg_dict["resources"]:
        res.pop("pricing_held", None)  # never trust a stored or written-back copy
        res.pop("pricing_withheld", None)
        if res.get("id") in held:
            res["pricing_held"] = held[res["id"]]
    viewer, levels = levels_for(_context_user(context), pkg_dict, held)
    if not levels:
        return
    resources = pkg_dict["resources"]
    restore = [
        r["id"]
        for r in resources
        if r["id"] in levels
        and redact.is_substitute(r.get("url"), r["id"])
        and (
            levels[r["id"]] is Access.MANAGE
            or (levels[r["id"]] is Access.ENTITLED and r.get("url_type") == "upload")
        )
    ]
    for rid, url in _real_urls(pkg_dict["id"], restore).items():
        for r in resources:
            if r["id"] == rid:
                r["url"] = url
    replacements = redact_resource_list(viewer.user_id, resources, levels)
    if replacements:
        for key in list(pkg_dict):
            if key != "resources":
                pkg_dict[key] = redact.scrub(pkg_dict[key], replacements)
        for res in resources:
            for key in list(res):
                if key != "url":
                    res[key] = redact.scrub(res[key], replacements)


def redact_resource_list(
    user_id: str | None, resources: list[dict[str, Any]], levels: dict[str, Access]
) -> dict[str, str]:
    """Apply the viewer's levels to resource dicts, in place (see redact.redact_resources)."""
    return redact.redact_resources(
        resources,
        levels,
        placeholder=lambda rid: redact.placeholder_url(site_url(), rid),
        signed=lambda res: signed_link(user_id or "", res["id"]),
    )


def _dataset_as_site(package_id: str) -> dict[str, Any]:
    """A dataset dict read as the site user (unredacted, every resource)."""
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]
    pkg: dict[str, Any] = tk.get_action("package_show")(
        {"user": site_user, "ignore_auth": True, "use_cache": False}, {"id": package_id}
    )
    return pkg


def _dataset_of(resource_id: str) -> dict[str, Any] | None:
    """The dataset dict of a resource, read as the site user (unredacted)."""
    res = model.Resource.get(resource_id)
    if res is None or res.package is None:
        return None
    return _dataset_as_site(res.package_id)


def resource_level(user_name: str | None, resource_id: str) -> tuple[Access, dict[str, Any] | None]:
    """The viewer's access to one resource, and its dataset dict (read as the site user)."""
    pkg_dict = _dataset_of(resource_id)
    if pkg_dict is None:
        return Access.PUBLIC, None
    _viewer, levels = levels_for(user_name, pkg_dict)
    return levels.get(resource_id, Access.PUBLIC), pkg_dict


def _opted_in(resource: dict[str, Any]) -> bool:
    """The seller chose to load this locked file into the DataStore (``datastore_load``;
    a form leaves it empty)."""
    return str(resource.get("datastore_load") or "").strip().lower() == "true"


def rows_may_be_loaded(resource_id: str) -> bool:
    """May this resource's file be loaded into the DataStore? (``rules.may_load_rows``
    with whether it is locked and the seller's ``datastore_load`` choice.)"""
    pkg = _dataset_of(resource_id)
    if pkg is None:
        return False
    resource: dict[str, Any] = next(
        (r for r in pkg.get("resources") or [] if r.get("id") == resource_id), {}
    )
    return rules.may_load_rows(
        rules.is_locked(pkg.get("access_tier"), resource),
        _opted_in(resource),
    )


def tables_to_drop(package_id: str) -> list[str]:
    """The resources of a dataset just saved that have a DataStore table their rows may
    no longer be in (``rules.may_load_rows``). Read from the database: CKAN 2.12 hands an
    update's hooks only the resources it changed, and a dataset that becomes priced
    changes none."""
    pkg_dict = _dataset_as_site(package_id)
    tier = pkg_dict.get("access_tier")
    out = []
    for resource in pkg_dict.get("resources") or []:
        if rules.may_load_rows(rules.is_locked(tier, resource), _opted_in(resource)):
            continue
        stored = model.Resource.get(resource.get("id") or "")
        if stored is not None and (stored.extras or {}).get("datastore_active") in (True, "true"):
            out.append(stored.id)
    return out


def log_download(package_id: str, resource_id: str, user_name: str | None, via: str) -> None:
    user = model.User.get(user_name) if user_name else None
    model.Session.add(
        Download(
            package_id=package_id,
            resource_id=resource_id,
            user_id=user.id if user else None,
            via=via,
        )
    )
    model.Session.commit()


def index_secrets(pkg_dict: dict[str, Any]) -> dict[str, str]:
    """For the search index: every locked or held resource's real URL, and its placeholder."""
    tier = pkg_dict.get("access_tier")
    held = holds_for(pkg_dict)
    locked = [
        r
        for r in pkg_dict.get("resources") or []
        if rules.is_locked(tier, r) or r.get("id") in held
    ]
    real = _real_urls(pkg_dict["id"], [r["id"] for r in locked])
    out: dict[str, str] = {}
    for res in locked:
        placeholder = redact.placeholder_url(site_url(), res["id"])
        for url in {res.get("url"), real.get(res["id"])}:
            if isinstance(url, str) and url and not redact.is_substitute(url, res["id"]):
                out[url] = placeholder
    return out


# --- stored copies: what the activity stream keeps of a priced dataset -------------------


def _placeholder(resource_id: str) -> str:
    return redact.placeholder_url(site_url(), resource_id)


def locked_state(pkg_dict: dict[str, Any]) -> tuple[set[str], dict[str, str]]:
    """A dataset dict's locked and held resource ids, and every real URL of them (from the
    dict and the database) with its placeholder. (A file held for review is withheld from
    stored copies as from everything else.)"""
    tier = pkg_dict.get("access_tier")
    locked = set(rules.locked_resources(tier, pkg_dict.get("resources") or [])) | set(
        holds_for(pkg_dict)
    )
    return locked, (index_secrets(pkg_dict) if locked else {})


def _dataset_of_activity(data: dict[str, Any], object_id: str | None) -> dict[str, Any] | None:
    """The dataset an activity is about, as it is now: the snapshot it carries (taken a
    moment ago by the activity plugin) or, for resource view activities, the stored
    dataset. None when the object is not a dataset."""
    snapshot = data.get("package")
    if isinstance(snapshot, dict) and snapshot.get("id"):
        return snapshot
    pkg = model.Package.get(object_id) if object_id else None
    if pkg is None:
        return None
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]
    return tk.get_action("package_show")(
        {"user": site_user, "ignore_auth": True, "use_cache": False}, {"id": pkg.id}
    )


def redact_new_activity(data: Any, object_id: str | None) -> Any:
    """The data of an activity about to be stored, with no locked URL in it. When the
    dataset's locked URLs are still held by earlier activities (it was open then, or
    stored before this rule), those are scrubbed too, in the same transaction."""
    if not isinstance(data, dict):
        return data
    pkg = _dataset_of_activity(data, object_id)
    if pkg is None:
        return data
    locked, secrets = locked_state(pkg)
    if not locked:
        return data
    scrub_activities(pkg["id"], locked, secrets, only_if_held=True)
    return redact.redact_stored(data, locked, secrets, _placeholder)


def _activity_model() -> Any:
    from ckanext.activity.model import Activity  # core's activity plugin; loaded with it

    return Activity


def scrub_activities(
    package_id: str, locked: set[str], secrets: dict[str, str], only_if_held: bool = False
) -> int:
    """Redact every stored activity of a dataset. Returns how many were rewritten.

    With ``only_if_held``, nothing is read unless an activity still holds one of the real
    URLs, or the latest dataset snapshot still shows a locked resource's URL: every
    activity stored through :func:`redact_new_activity` is clean, so when the latest
    snapshot is, so are those before it.
    """
    activity = _activity_model()
    query = model.Session.query(activity).filter(activity.object_id == package_id)
    if only_if_held:
        patterns = [f"%{s}%" for s in secrets if len(s) >= redact.MIN_SECRET_LENGTH]
        holds_url = (
            patterns
            and model.Session.query(
                query.filter(
                    sa.or_(*[activity.data.cast(sa.Text).like(p) for p in patterns])
                ).exists()
            ).scalar()
        )
        latest = (
            query.filter(activity.activity_type.like("% package"))
            .order_by(activity.timestamp.desc())
            .first()
        )
        stale = (
            latest is not None
            and isinstance(latest.data, dict)
            and redact.redact_stored(latest.data, locked, secrets, _placeholder) != latest.data
        )
        if not holds_url and not stale:
            return 0
    rewritten = 0
    for row in query:
        if not isinstance(row.data, dict):
            continue
        clean = redact.redact_stored(row.data, locked, secrets, _placeholder)
        if clean != row.data:
            row.data = clean
            rewritten += 1
    return rewritten
