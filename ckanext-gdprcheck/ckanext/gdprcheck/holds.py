"""Quarantine: a file whose scan contradicts the checklist of a public or for-sale
dataset is withheld at once, through the paywall's ``IPricingHolds`` interface.

The rule is :func:`ckanext.gdprcheck.checklist.hold_reason`; this module keeps
``gdprcheck_hold`` in step with it (:func:`reconcile`, after every scan and every change
of a dataset), and does what a hold or a release sets in motion through pricing's and
CKAN's actions: open checkouts expired, entitlements extended by the hold's length, the
publisher's editors told. Nothing is deleted: a release is written on the hold's row.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from typing import Any

import ckan.plugins.toolkit as tk
import sqlalchemy as sa
from ckan import model

from ckanext.gdprcheck import checklist, status
from ckanext.gdprcheck.model import Hold, Scan

log = logging.getLogger(__name__)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _site_context(**extra: Any) -> dict[str, Any]:
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]
    return {"user": site_user, "ignore_auth": True, **extra}


def active(package_id: str | None) -> list[Hold]:
    if not package_id:
        return []
    return (
        model.Session.query(Hold)
        .filter(Hold.package_id == package_id, Hold.released_at.is_(None))
        .order_by(Hold.held_at)
        .all()
    )


def held_resources(package_id: str | None) -> dict[str, str]:
    """resource id -> reason, for the active holds of a dataset (one indexed query)."""
    if not package_id:
        return {}
    rows = model.Session.query(Hold.resource_id, Hold.reason).filter(
        Hold.package_id == package_id, Hold.released_at.is_(None)
    )
    return dict(rows)


def scanning(pkg: dict[str, Any]) -> dict[str, str]:
    """Files of a public or priced dataset not yet exposed because their scan has not
    finished (resource id -> reason): new or replaced uploads, and links with
    ``link_policy = scan_first``. Harvested datasets are not scanned (their source
    declares the checklist)."""
    package_id = pkg.get("id")
    if not package_id or pkg.get("gdpr_declared_by") == "source":
        return {}
    public = not tk.asbool(pkg.get("private") or False)
    if not (public or (pkg.get("access_tier") or "open") == "priced"):
        return {}
    links_too = tk.config.get("ckanext.gdprcheck.link_policy") == "scan_first"
    from ckanext.gdprcheck import jobs

    res = model.Resource
    rows = (
        model.Session.query(
            res.id,
            res.url,
            res.last_modified,
            res.size,
            res.url_type,
            res.format,
            Scan.source,
            Scan.state,
        )
        .outerjoin(Scan, Scan.resource_id == res.id)
        .filter(res.package_id == package_id, res.state == "active")
    )
    out = {}
    for row in rows:
        if row.url_type != "upload" and not (links_too and not row.url_type):
            continue
        if jobs.format_of({"format": row.format, "url": row.url}) is None:
            continue
        if row.state is None or row.source != jobs.fingerprint(
            row.url, row.last_modified, row.size, row.url_type
        ):
            out[row.id] = checklist.SCANNING
    return out


def trail(package_id: str) -> list[dict[str, Any]]:
    """Every hold of a dataset and how it ended, newest first."""
    return [
        h.dictize()
        for h in model.Session.query(Hold)
        .filter(Hold.package_id == package_id)
        .order_by(Hold.held_at.desc())
    ]


def _overridden(resource_id: str, scan_source: str | None) -> bool:
    """A sysadmin released a hold on this very file: the same scan does not hold it again."""
    return model.Session.query(
        model.Session.query(Hold)
        .filter(
            Hold.resource_id == resource_id,
            Hold.release_kind == "sysadmin",
            Hold.scan_source == scan_source,
        )
        .exists()
    ).scalar()


def resource_ids_of(pkg: dict[str, Any]) -> list[str]:
    """The dataset's active resources, as stored (flushed in the caller's transaction),
    and any the dict names besides. Not the dict alone: CKAN 2.12 hands the hooks of an
    update only the resources it changed, and a file left out is not a file removed."""
    ids = [r["id"] for r in pkg.get("resources") or [] if isinstance(r, dict) and r.get("id")]
    package_id = pkg.get("id")
    if package_id:
        stored = model.Session.query(model.Resource.id).filter(
            model.Resource.package_id == package_id, model.Resource.state == "active"
        )
        ids += [rid for (rid,) in stored if rid not in ids]
    return ids


def reconcile(pkg: dict[str, Any], *, cause: str) -> tuple[list[Hold], list[Hold]]:
    """Hold what the rule holds and release what it no longer holds, in the caller's
    transaction (not committed). ``cause``: ``scan`` (a scan finished) or ``update`` (the
    dataset changed). Returns (new holds, released holds)."""
    package_id = pkg.get("id")
    if not package_id:
        return [], []
    answers = status.answers_of(pkg)
    public = not tk.asbool(pkg.get("private") or False) and pkg.get("state", "active") == "active"
    resource_ids = set(resource_ids_of(pkg))
    scans = {
        s.resource_id: s for s in model.Session.query(Scan).filter(Scan.package_id == package_id)
    }
    current = {h.resource_id: h for h in active(package_id)}
    new: list[Hold] = []
    released: list[Hold] = []
    for rid in resource_ids | set(current):
        scan = scans.get(rid)
        found = (scan.detected or []) if scan is not None and scan.state == "done" else []
        reason = None
        if rid in resource_ids:
            reason = checklist.hold_reason(
                answers, public=public, access_tier=pkg.get("access_tier"), scan_findings=found
            )
        hold = current.get(rid)
        if reason and hold is None and not _overridden(rid, scan.source if scan else None):
            hold = Hold(
                id=str(uuid.uuid4()),
                package_id=package_id,
                resource_id=rid,
                detected=sorted(found),
                reason=reason,
                scan_source=scan.source if scan else None,
                held_at=_now(),
                entitlements_extended=0,
            )
            model.Session.add(hold)
            new.append(hold)
        elif not reason and hold is not None:
            if rid not in resource_ids:
                kind = "removed"
            elif scan is not None and scan.source != hold.scan_source:
                kind = "replaced"
            else:
                kind = "corrected"
            release(hold, kind=kind, by=None, reason=None)
            released.append(hold)
    model.Session.flush()
    return new, released


def release(hold: Hold, *, kind: str, by: str | None, reason: str | None) -> None:
    """End a hold (not committed) and extend the buyers' entitlements by its length,
    through pricing's action, in the same transaction."""
    hold.released_at = _now()
    hold.release_kind = kind
    hold.released_by = by
    hold.release_reason = reason
    try:
        extend = tk.get_action("pricing_entitlement_extend")
    except KeyError:  # the pricing plugin is not loaded: no entitlements to extend
        return
    result = extend(
        _site_context(defer_commit=True),
        {
            "package_id": hold.package_id,
            "resource_ids": [hold.resource_id],
            "held_from": hold.held_at.isoformat(),
            "held_until": hold.released_at.isoformat(),
        },
    )
    hold.entitlements_extended = len(result["extended"])


def after_holding(package_id: str, new: list[Hold]) -> None:
    """After the commit that held files (the scan job's own): close the dataset's open
    checkouts, take the held files' addresses out of the dataset's stored activities, and
    tell the publisher's editors (an e-mail job each; the dashboard shows the notice)."""
    if not new:
        return
    try:
        expire = tk.get_action("pricing_checkout_expire")
        scrub = tk.get_action("pricing_activity_scrub")
    except KeyError:  # the pricing plugin is not loaded: nothing is sold or redacted
        expire = scrub = None
    if expire is not None and scrub is not None:
        try:
            expire(_site_context(), {"package_id": package_id, "reason": checklist.SALES_PAUSED})
        except Exception:
            model.Session.rollback()
            log.exception("gdprcheck: could not expire the checkouts of dataset %s", package_id)
        try:
            # Earlier versions in the activity stream still show a held link's address.
            scrub(_site_context(), {"package_id": package_id})
        except Exception:
            model.Session.rollback()
            log.exception(
                "gdprcheck: could not scrub the activity stream of dataset %s", package_id
            )
    from ckanext.gdprcheck import jobs

    for hold in new:
        tk.enqueue_job(jobs.notify_hold, [hold.id], title=f"gdprcheck hold notice {hold.id}")


def after_commit_holding(package_id: str, new: list[Hold]) -> None:
    """For holds made inside someone else's transaction (a dataset update): the same work
    as :func:`after_holding`, in the worker, queued only once that transaction has
    committed (so the job finds the holds; a rolled back update queues nothing)."""
    if not new:
        return
    from ckanext.gdprcheck import jobs

    ids = [hold.id for hold in new]

    def queue(_session: Any) -> None:
        tk.enqueue_job(
            jobs.after_holding_job, [package_id, ids], title=f"gdprcheck holding {package_id}"
        )

    def forget(_session: Any) -> None:
        if sa.event.contains(session, "after_commit", queue):
            sa.event.remove(session, "after_commit", queue)

    session = model.Session()
    sa.event.listen(session, "after_commit", queue, once=True)
    sa.event.listen(session, "after_rollback", forget, once=True)


def reindex(package_id: str) -> None:
    from ckan.lib.search import rebuild

    rebuild(package_id)


def editors_of(package_id: str) -> list[model.User]:
    """Who is told about a hold: the owning organisation's editors and admins."""
    pkg = model.Package.get(package_id)
    if pkg is None or not pkg.owner_org:
        return []
    members = model.Session.query(model.Member.table_id).filter(
        model.Member.group_id == pkg.owner_org,
        model.Member.table_name == "user",
        model.Member.state == "active",
        model.Member.capacity.in_(("editor", "admin")),
    )
    users = [model.User.get(uid) for (uid,) in members]
    return [u for u in users if u is not None and u.state == "active"]


def held_for_user(user_name: str | None) -> list[dict[str, Any]]:
    """Active holds on the datasets a user may edit (sysadmins: all), for the dashboard."""
    if not user_name:
        return []
    user = model.User.get(user_name)
    if user is None:
        return []
    query = (
        model.Session.query(Hold, model.Package)
        .join(model.Package, model.Package.id == Hold.package_id)
        .filter(Hold.released_at.is_(None))
    )
    if not user.sysadmin:
        orgs = tk.get_action("organization_list_for_user")(
            {"user": user.name}, {"permission": "update_dataset"}
        )
        ids = [o["id"] for o in orgs]
        if not ids:
            return []
        query = query.filter(model.Package.owner_org.in_(ids))
    return [
        dict(h.dictize(), package_name=p.name, package_title=p.title or p.name)
        for h, p in query.order_by(Hold.held_at.desc()).limit(50)
    ]
