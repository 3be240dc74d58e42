"""Harvested datasets imported and withdrawn, one remote dataset at a time.

The harvesters (``harvesters.py``) call ``cityharvest_dataset_import`` and
``cityharvest_dataset_withdraw`` for each harvest object, whether the run comes from the
harvest queues (scheduled runs) or from ``cityharvest_source_run`` (the CLI)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

import ckan.plugins.toolkit as tk
import sqlalchemy as sa
from ckan import model
from ckan.types import Context, DataDict

from ckanext.cityexchange import compat
from ckanext.cityexchange.context import commit, site_context
from ckanext.cityexchange.guard import validate as _validate
from ckanext.cityharvest import mapping
from ckanext.cityharvest.logic import schema
from ckanext.cityharvest.logic.action._common import (
    _source_checklist,
    lock_identity,
    source_settings,
)
from ckanext.cityharvest.model import Match, Record

__all__ = ["cityharvest_dataset_import", "cityharvest_dataset_withdraw"]


def _organization(org: mapping.Organization, site: Context) -> str:
    found = model.Group.get(org.name)
    if found is not None and found.is_organization:
        if found.state != "active":
            found.state = "active"
        return found.id
    if found is not None:  # a group of that name: keep the organisation apart
        org = mapping.Organization(
            name=f"{org.name}-org",
            title=org.title,
            description=org.description,
            image_url=org.image_url,
        )
        again = model.Group.get(org.name)
        if again is not None and again.is_organization:
            return again.id
    _create_once(
        "organization_create",
        {
            "name": org.name,
            "title": org.title,
            "description": org.description,
            "image_url": org.image_url if org.image_url.startswith(("http://", "https://")) else "",
        },
        site,
    )
    found = model.Group.get(org.name)
    if found is None:
        raise mapping.MappingError("organization", f"could not create {org.name!r}")
    return found.id


def _create_once(action: str, data_dict: dict[str, Any], site: Context) -> None:
    """Create an organisation or group inside the import's transaction (so that the
    dataset's lock holds until the import commits), in a savepoint: if another worker
    created the same one a moment ago, only the savepoint is rolled back."""
    try:
        with model.Session.begin_nested():
            tk.get_action(action)(dict(site, defer_commit=True), data_dict)
    except (tk.ValidationError, sa.exc.IntegrityError):
        pass  # it exists now; the caller reads it


def _link_object(object_id: str, source_id: str, package_id: str) -> None:
    """Make the harvest object the dataset's current one before the import commits: the
    dataset is indexed at commit, and ckanext-harvest's index hook reads the harvest
    source from the current object (linked only after the commit, a new dataset's
    search result would lack it until its next change)."""
    from ckanext.harvest.model import HarvestObject

    harvest_object = model.Session.get(HarvestObject, object_id)
    if harvest_object is None or harvest_object.harvest_source_id != source_id:
        return
    model.Session.query(HarvestObject).filter(
        HarvestObject.package_id == package_id, HarvestObject.id != object_id
    ).update({"current": False}, synchronize_session=False)
    harvest_object.package_id, harvest_object.current = package_id, True
    model.Session.flush()


def _theme_groups(themes: list[mapping.Theme], site: Context) -> list[dict[str, str]]:
    """The portal's groups for the EU data themes, created on first use (titled in the
    portal's default language, both labels in the description). A theme whose group an
    operator deleted, or whose name an organisation holds, is left out."""
    danish = str(tk.config.get("ckan.locale_default") or "").startswith("da")
    groups = []
    for theme in sorted(themes, key=lambda theme: theme.name):  # one order: no deadlock
        found = model.Group.get(theme.name)
        if found is None:
            _create_once(
                "group_create",
                {
                    "name": theme.name,
                    "title": theme.da if danish else theme.en,
                    "description": f"{theme.da} / {theme.en} ({theme.uri})",
                },
                site,
            )
            found = model.Group.get(theme.name)
        if found is not None and not found.is_organization and found.state == "active":
            groups.append({"id": found.id})
    return groups


def _free_name(wanted: str, own_id: str | None) -> str:
    name, n = wanted[: mapping.NAME_MAX], 1
    while True:
        holder = model.Session.query(model.Package.id).filter(model.Package.name == name).scalar()
        if holder is None or holder == own_id:
            return name
        n += 1
        suffix = f"-{n}"
        name = wanted[: mapping.NAME_MAX - len(suffix)] + suffix


def _keep_free_ids(local: dict[str, Any], package_id: str) -> None:
    """Remote resource ids are kept (stable links) unless another dataset here uses one."""
    ids = [r["id"] for r in local["resources"] if r.get("id")]
    if not ids:
        return
    taken = {
        rid
        for rid, pid in model.Session.query(model.Resource.id, model.Resource.package_id).filter(
            model.Resource.id.in_(ids)
        )
        if pid != package_id
    }
    for resource in local["resources"]:
        if resource.get("id") in taken:
            resource.pop("id")


@dataclass(frozen=True)
class _Keys:
    """What recognises a copy of a dataset that has no identifier (``mapping.compare``)."""

    publisher: str
    title: str
    urls: list[str]


def _keep_keys(record: Record, explicit: bool, keys: _Keys) -> None:
    record.explicit = explicit
    record.publisher_key, record.title_key, record.urls = keys.publisher, keys.title, keys.urls


def _active_owner(ident: str) -> Record | None:
    """The record of the source that imports the dataset of this identity, if the
    dataset is here and active."""
    return (
        model.Session.query(Record)
        .join(model.Package, model.Package.id == Record.package_id)
        .filter(Record.identity == ident, Record.owner.is_(True), model.Package.state == "active")
        .first()
    )


def _recognise(
    source_id: str, remote_id: str, explicit: bool, keys: _Keys
) -> tuple[Record | None, list[Record]]:
    """Another source's dataset that a remote dataset without a shared identity is a
    copy of: the one the operator merged it with, else one that ``mapping.compare``
    finds the same; and the ones it finds uncertain (listed for the operator, never
    merged). Two datasets that each state an identity of their own are never the same."""
    decisions = dict(
        model.Session.query(Match.candidate_id, Match.decision).filter(
            Match.source_id == source_id,
            Match.remote_id == remote_id,
            Match.decision.isnot(None),
        )
    )
    for candidate_id, decision in decisions.items():
        if decision == "merge":
            chosen = (
                model.Session.query(Record)
                .filter(Record.package_id == candidate_id, Record.owner.is_(True))
                .first()
            )
            if chosen is not None:
                return chosen, []
    if not keys.publisher:
        return None, []
    candidates = (
        model.Session.query(Record)
        .join(model.Package, model.Package.id == Record.package_id)
        .filter(
            Record.owner.is_(True),
            Record.source_id != source_id,
            model.Package.state == "active",
            Record.publisher_key == keys.publisher,
            sa.or_(Record.title_key == keys.title, Record.urls.overlap(keys.urls or [""])),
        )
        .order_by(Record.harvested)
    )
    uncertain = []
    for candidate in candidates:
        if (explicit and candidate.explicit) or decisions.get(candidate.package_id) == "apart":
            continue
        verdict = mapping.compare(
            (keys.publisher, keys.title, keys.urls),
            (candidate.publisher_key, candidate.title_key, candidate.urls),
        )
        if verdict == mapping.SAME:
            return candidate, []
        if verdict == mapping.UNCERTAIN:
            uncertain.append(candidate)
    return None, uncertain


def _note_match(
    source_id: str, remote_id: str, package_id: str, candidate_id: str, now: dt.datetime
) -> None:
    """List a pair the harvest could not decide on, once."""
    exists = (
        model.Session.query(Match.id)
        .filter_by(source_id=source_id, remote_id=remote_id, candidate_id=candidate_id)
        .first()
    )
    if exists is None:
        model.Session.add(
            Match(
                id=str(uuid.uuid4()),
                source_id=source_id,
                remote_id=remote_id,
                package_id=package_id,
                candidate_id=candidate_id,
                created=now,
            )
        )


def cityharvest_dataset_import(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Create or update the local copy of one remote dataset (for the harvesters, which
    act as the site user; sysadmins only).

    The dataset's identity (``mapping.identity``) decides whether it is new here: if
    another source already imports it, this source is recorded beside it and nothing
    else changes (``duplicate``). A remote dataset this catalog cannot take raises a
    ValidationError naming the field.

    :param source_id: the harvest source's id
    :type source_id: string
    :param remote: the remote dataset (CKAN ``package_show`` or ckanext-dcat parser form)
    :type remote: dictionary
    :param stamp: its version stamp from the source's listing (optional)
    :type stamp: string
    :param harvest_object_id: the harvest object it came in (optional): linked to the
        dataset in the same transaction, so that the search index carries the harvest
        source from the first import on
    :type harvest_object_id: string
    :returns: ``{"result": "created" | "updated" | "duplicate" | "unchanged",
        "package_id": ...}``, with the local dataset's id (``unchanged``: this source
        imported this version, by its stamp, already)
    :rtype: dictionary
    """
    from ckanext.harvest.model import HarvestSource

    tk.check_access("cityharvest_dataset_import", context, data_dict)
    data = _validate(data_dict, schema.dataset_import(), context)
    remote = data_dict["remote"]
    if not isinstance(remote, dict):
        raise tk.ValidationError({"remote": [tk._("Must be a dataset object")]})
    source_row = HarvestSource.get(data["source_id"])
    if source_row is None:
        raise tk.ObjectNotFound(tk._("Harvest source not found"))
    source = source_settings(source_row)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    try:
        ident = mapping.identity(remote)
        remote_id = str(remote.get("id") or ident)
        local = mapping.to_local(
            remote,
            source,
            known_licences={
                lic.id: (lic.title, getattr(lic, "url", "") or "")
                for lic in model.Package.get_license_register().values()
            },
            checklist=_source_checklist(remote),
            harvested_at=now.strftime("%Y-%m-%dT%H:%M:%S"),
        )
        org = mapping.organization(remote, source)
    except mapping.MappingError as error:
        raise tk.ValidationError({error.field: [error.message]}) from error

    explicit = mapping.explicit_identity(remote) is not None
    keys = _Keys(
        mapping.publisher_key(remote), mapping.title_key(remote), mapping.resource_urls(remote)
    )
    if keys.publisher and keys.title:
        # Copies without an identifier are recognised by publisher and title: imports of
        # datasets with the same publisher and title wait for each other (this lock is
        # always taken before any identity's).
        lock_identity(f"fingerprint:{keys.publisher}|{keys.title}")
    # Two workers given the same object wait for each other before reading its record.
    lock_identity(f"record:{source.id}:{remote_id}")
    mine = model.Session.get(Record, (source.id, remote_id), populate_existing=True)
    if mine is not None and not explicit:
        ident = mine.identity  # a copy recognised earlier stays with the dataset it joined
    lock_identity(ident)
    stamp = data.get("stamp") or ""
    if mine is not None and mine.owner and stamp and mine.stamp == stamp and mine.package_id:
        held = model.Package.get(mine.package_id)
        if held is not None and held.state == "active":
            # This version is here already: a second worker given the same object, or
            # a run that overlapped another, changes nothing (no second activity).
            return {"result": "unchanged", "package_id": held.id}
    owner = _active_owner(ident)
    uncertain: list[Record] = []
    if owner is None and not (mine is not None and mine.owner):
        found, uncertain = _recognise(source.id, remote_id, explicit, keys)
        if found is not None:
            ident = found.identity
            lock_identity(ident)
            owner = _active_owner(ident)
    owner_pkg = model.Package.get(owner.package_id) if owner and owner.package_id else None
    if owner is not None and owner.source_id != source.id and owner_pkg is not None:
        if mine is None:
            mine = Record(source_id=source.id, remote_id=remote_id)
            model.Session.add(mine)
        mine.identity, mine.package_id, mine.owner = ident, owner_pkg.id, False
        mine.stamp, mine.remote_url, mine.harvested = (
            stamp,
            local["cityharvest_remote_url"],
            now,
        )
        _keep_keys(mine, explicit, keys)
        commit(context)
        return {"result": "duplicate", "package_id": owner_pkg.id}
    stale = (
        model.Session.query(Record).filter(Record.identity == ident, Record.owner.is_(True)).first()
    )
    if stale is not None and stale is not mine:
        stale.owner = False  # its source lost the dataset: this source takes it over
        model.Session.flush()
        owner_pkg = model.Package.get(stale.package_id) if stale.package_id else None

    site = site_context()
    try:
        local["owner_org"] = _organization(org, site)
    except mapping.MappingError as error:
        raise tk.ValidationError({error.field: [error.message]}) from error
    local["groups"] = _theme_groups(mapping.themes(remote), site)
    # Only a dataset this source imports (or takes over) is updated: never one that
    # another source imports and this one was only recorded beside.
    existing = owner_pkg or (
        model.Package.get(mine.package_id) if mine and mine.owner and mine.package_id else None
    )
    action_context: Context = dict(site, return_id_only=True, defer_commit=True)
    if existing is not None:
        # Groups an operator added by hand stay; the themes follow the source.
        themes = {theme.name for theme in mapping.THEMES}
        local["groups"] += [
            {"id": group.id} for group in existing.get_groups("group") if group.name not in themes
        ]
        local.update(id=existing.id, name=existing.name, state="active")
        _keep_free_ids(local, existing.id)
        # The dataset changed at its source: its activity is due. CKAN 2.12 marks the
        # change (which ckanext-activity reads) only for updates it commits itself.
        action_context["changed_entities"] = {"packages": {existing.id}}
        package_id = tk.get_action("package_update")(action_context, local)
        result = "updated"
    else:
        wanted_id = remote.get("id") if isinstance(remote.get("id"), str) else None
        if not wanted_id or not mapping._UUID.fullmatch(wanted_id) or model.Package.get(wanted_id):
            wanted_id = str(uuid.uuid4())
        local["id"] = wanted_id
        local["name"] = _free_name(mapping.preferred_name(remote), None)
        _keep_free_ids(local, wanted_id)
        package_id = tk.get_action("package_create")(action_context, local)
        result = "created"
    if isinstance(package_id, dict):
        package_id = package_id["id"]
    if mine is None:
        mine = Record(source_id=source.id, remote_id=remote_id)
        model.Session.add(mine)
    mine.identity, mine.package_id, mine.owner = ident, package_id, True
    mine.stamp, mine.remote_url, mine.harvested = (
        stamp,
        local["cityharvest_remote_url"],
        now,
    )
    mine.unmapped_licence = mapping.unmapped_licence(remote, local["license_id"])
    _keep_keys(mine, explicit, keys)
    if data.get("harvest_object_id"):
        _link_object(data["harvest_object_id"], source.id, package_id)
    for candidate in uncertain:
        if candidate.package_id:
            _note_match(source.id, remote_id, package_id, candidate.package_id, now)
    commit(context)
    if not context.get("defer_commit"):
        compat.index_committed(package_id)  # CKAN 2.12 skips it for the deferred write
    return {"result": result, "package_id": package_id}


def cityharvest_dataset_withdraw(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """A remote dataset was deleted or made private at its source: withdraw it here.
    Sysadmins only (the harvesters act as the site user).

    The local dataset is deleted (it stays in the trash, so nothing is lost) unless
    another source still lists the same dataset: then that source takes it over.

    :param source_id: the harvest source's id
    :type source_id: string
    :param remote_id: the remote dataset's id at that source
    :type remote_id: string
    :returns: ``{"result": "withdrawn" | "handed_over" | "forgotten", "package_id": ...}``
        (``forgotten``: this source did not import the dataset, and only its record of it
        goes; ``package_id`` is None when the source never listed it)
    :rtype: dictionary
    """
    tk.check_access("cityharvest_dataset_withdraw", context, data_dict)
    data = _validate(data_dict, schema.withdraw(), context)
    mine = model.Session.get(Record, (data["source_id"], data["remote_id"]))
    if mine is None:
        return {"result": "forgotten", "package_id": None}
    lock_identity(mine.identity)
    package_id = mine.package_id
    if not mine.owner:
        model.Session.delete(mine)
        commit(context)
        return {"result": "forgotten", "package_id": package_id}
    heir = (
        model.Session.query(Record)
        .filter(Record.identity == mine.identity, Record.owner.is_(False))
        .order_by(Record.harvested.desc())
        .first()
    )
    if heir is not None:
        model.Session.delete(mine)
        model.Session.flush()
        # The heir imports the dataset again at its next run, with its own provenance.
        heir.owner, heir.package_id, heir.stamp = True, package_id, ""
        commit(context)
        return {"result": "handed_over", "package_id": package_id}
    # The record stays: if the dataset comes back at the source, it comes back here as
    # the same dataset (same id and name), not as a new one.
    mine.stamp = ""
    package = model.Package.get(package_id) if package_id else None
    if package is not None and package.state == "active":
        tk.get_action("package_delete")(dict(site_context(), defer_commit=True), {"id": package_id})
    commit(context)
    return {"result": "withdrawn", "package_id": package_id}
