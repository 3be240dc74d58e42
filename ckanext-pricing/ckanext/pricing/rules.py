"""Who may get a locked resource's data. Pure rules, no CKAN import.

The one decision of the paywall: every surface (API, search, templates, activity,
downloads, DataStore) asks :func:`decide`; none re-implements it.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

OPEN = "open"
PRICED = "priced"
ON_REQUEST = "on_request"
LOCKED = "locked"
SAMPLE = "sample"


class Access(enum.Enum):
    """What a viewer gets of a resource."""

    MANAGE = "manage"  # the seller side and sysadmins: the real URL, editable
    ENTITLED = "entitled"  # a buyer with a valid entitlement: the data, not the upstream URL
    LOCKED = "locked"  # everyone else: metadata and a purchase link
    PUBLIC = "public"  # open datasets and samples
    HELD = "held"  # withheld for review (IPricingHolds): metadata and the reason, for everyone but managers


@dataclass(frozen=True)
class Viewer:
    user_id: str | None
    sysadmin: bool = False
    organization_ids: frozenset[str] = field(default_factory=frozenset)
    can_edit: bool = False  # may update the dataset (e.g. a dataset collaborator)


@dataclass(frozen=True)
class Grant:
    """An entitlement, as far as the decision needs it."""

    holder_type: str  # "user" | "organization"
    holder_id: str
    resource_ids: tuple[str, ...] | None  # None: every locked resource of the dataset
    valid_from: dt.datetime
    valid_until: dt.datetime | None
    revoked_at: dt.datetime | None = None


def is_locked(access_tier: str | None, resource: Mapping[str, Any]) -> bool:
    """Locked unless the dataset is open or the resource is a sample. Fails closed:
    a resource of a priced dataset without an ``access`` value is locked."""
    if (access_tier or OPEN) == OPEN:
        return False
    return resource.get("access") != SAMPLE


def locked_resources(
    access_tier: str | None, resources: Iterable[Mapping[str, Any]]
) -> dict[str, str]:
    """A dataset's locked resources: id -> name (the id where there is no name)."""
    return {r["id"]: r.get("name") or r["id"] for r in resources if is_locked(access_tier, r)}


def access_right(access_tier: str | None, resource: Mapping[str, Any] | None = None) -> str:
    """The EU access-right code (``PUBLIC`` or ``RESTRICTED``) of a dataset, or of one of
    its resources: open data and free samples are public; what is sold or given on
    request is restricted."""
    if resource is None:
        return "PUBLIC" if (access_tier or OPEN) == OPEN else "RESTRICTED"
    return "RESTRICTED" if is_locked(access_tier, resource) else "PUBLIC"


def is_active(grant: Grant, now: dt.datetime) -> bool:
    if grant.revoked_at is not None and grant.revoked_at <= now:
        return False
    if grant.valid_from > now:
        return False
    return grant.valid_until is None or now < grant.valid_until


def covers(grant: Grant, resource_id: str) -> bool:
    return grant.resource_ids is None or resource_id in grant.resource_ids


def holds(viewer: Viewer, grant: Grant) -> bool:
    if grant.holder_type == "user":
        return viewer.user_id is not None and grant.holder_id == viewer.user_id
    if grant.holder_type == "organization":
        return grant.holder_id in viewer.organization_ids
    return False


def is_manager(viewer: Viewer, owner_org: str | None) -> bool:
    """Sysadmins, members of the seller organisation and anyone who may edit the dataset."""
    return (
        viewer.sysadmin
        or viewer.can_edit
        or (owner_org is not None and owner_org in viewer.organization_ids)
    )


def withheld(level: Access) -> bool:
    """Nothing of the data for this viewer: locked, or held for review."""
    return level in (Access.LOCKED, Access.HELD)


def may_load_rows(locked: bool, seller_opted_in: bool) -> bool:
    """Whether a file's rows may be copied into the DataStore (tables, charts, the
    DataStore API): open files and samples always, a locked file only when its seller
    chose it. Whoever reads the rows later is asked the paywall's one decision like for
    the file itself (a buyer's entitlement; a hold for review withholds them from all but
    the seller side, whether the hold came before or after the loading)."""
    return not locked or seller_opted_in


def is_blocked(organization_ids: Iterable[str], blocked_organization_ids: Iterable[str]) -> bool:
    """The seller blocked one of these organisations (the buyer's, or the one buying): no
    access, no purchase, no grant and no deal."""
    return not frozenset(organization_ids).isdisjoint(blocked_organization_ids)


def decide(
    viewer: Viewer,
    *,
    access_tier: str | None,
    owner_org: str | None,
    resource: Mapping[str, Any],
    grants: Sequence[Grant],
    blocked_organization_ids: Iterable[str],
    now: dt.datetime,
    held: bool = False,
) -> Access:
    """``held``: the resource is withheld for review (in any dataset, open ones too):
    only managers get it; entitled buyers do not."""
    if held:
        return Access.MANAGE if is_manager(viewer, owner_org) else Access.HELD
    if not is_locked(access_tier, resource):
        return Access.PUBLIC
    if is_manager(viewer, owner_org):
        return Access.MANAGE
    if viewer.user_id is None or is_blocked(viewer.organization_ids, blocked_organization_ids):
        return Access.LOCKED
    resource_id = resource.get("id") or ""
    for grant in grants:
        if holds(viewer, grant) and is_active(grant, now) and covers(grant, resource_id):
            return Access.ENTITLED
    return Access.LOCKED
