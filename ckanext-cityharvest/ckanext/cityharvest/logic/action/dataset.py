"""Harvested datasets imported and withdrawn, one remote dataset at a time.

The harvesters (``harvesters.py``) call ``cityharvest_dataset_import`` and
``cityharvest_dataset_withdraw`` for each harvest object, whether the run comes from the
harvest queues (scheduled runs) or from ``cityharvest_source_run`` (the CLI)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import ckan.plugins.toolkit as tk
import sqlalchemy as sa
from ckan import model
from ckan.types import Context, DataDict

from ckanext.cityexchange.context import commit, site_context
from ckanext.cityexchange.guard import validate as _validate
from ckanext.cityharvest import mapping
from ckanext.cityharvest.logic import schema
from ckanext.cityharvest.logic.action._common import _source_checklist, source_settings
from ckanext.cityharvest.model import Record

__all__ = ["cityharvest_dataset_import", "cityharvest_dataset_withdraw"]


def _lock(identity: str) -> None:
    """Serialise imports of one dataset across processes until the transaction ends."""
    model.Session.execute(
        sa.text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"cityharvest:{identity}"}
    )


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
    try:
        created = tk.get_action("organization_create")(
            dict(site),
            {
                "name": org.name,
                "title": org.title,
                "description": org.description,
                "image_url": org.image_url
                if org.image_url.startswith(("http://", "https://"))
                else "",
            },
        )
        return created["id"]
    except tk.ValidationError:
        # Another worker created it a moment ago.
        model.Session.rollback()
        found = model.Group.get(org.name)
        if found is None:
            raise mapping.MappingError("organization", f"could not create {org.name!r}") from None
        return found.id


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
    :returns: ``{"result": "created" | "updated" | "duplicate", "package_id": ...}``, with
        the local dataset's id
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
            known_licences=model.Package.get_license_register().keys(),
            checklist=_source_checklist(),
            harvested_at=now.strftime("%Y-%m-%dT%H:%M:%S"),
        )
        org = mapping.organization(remote, source)
    except mapping.MappingError as error:
        raise tk.ValidationError({error.field: [error.message]}) from error

    _lock(ident)
    mine = model.Session.get(Record, (source.id, remote_id))
    owner = (
        model.Session.query(Record).filter(Record.identity == ident, Record.owner.is_(True)).first()
    )
    owner_pkg = model.Package.get(owner.package_id) if owner and owner.package_id else None
    if (
        owner is not None
        and owner.source_id != source.id
        and owner_pkg is not None
        and owner_pkg.state == "active"
    ):
        if mine is None:
            mine = Record(source_id=source.id, remote_id=remote_id)
            model.Session.add(mine)
        mine.identity, mine.package_id, mine.owner = ident, owner_pkg.id, False
        mine.stamp, mine.remote_url, mine.harvested = (
            data.get("stamp") or "",
            local["cityharvest_remote_url"],
            now,
        )
        commit(context)
        return {"result": "duplicate", "package_id": owner_pkg.id}
    if owner is not None and owner is not mine:
        owner.owner = False  # its source lost the dataset: this source takes it over
        model.Session.flush()

    site = site_context()
    local["owner_org"] = _organization(org, site)
    existing = owner_pkg or (
        model.Package.get(mine.package_id) if mine and mine.package_id else None
    )
    action_context: Context = dict(site, return_id_only=True, defer_commit=True)
    if existing is not None:
        local.update(id=existing.id, name=existing.name, state="active")
        _keep_free_ids(local, existing.id)
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
        data.get("stamp") or "",
        local["cityharvest_remote_url"],
        now,
    )
    commit(context)
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
    _lock(mine.identity)
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
