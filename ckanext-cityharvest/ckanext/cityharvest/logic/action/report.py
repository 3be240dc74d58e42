"""What the harvest did: the sources' summary for the status page, and the records of
harvested datasets."""

from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
import sqlalchemy as sa
from ckan import model
from ckan.types import Context, DataDict

from ckanext.cityexchange.guard import validate as _validate
from ckanext.cityharvest.logic import schema
from ckanext.cityharvest.logic.action._common import SOURCE_TYPES, run_counts
from ckanext.cityharvest.model import Record

__all__ = ["cityharvest_record_list", "cityharvest_source_summary"]


def _last_job_errors(job_id: str, limit: int) -> list[dict[str, str]]:
    from ckanext.harvest.model import HarvestGatherError, HarvestObject, HarvestObjectError

    errors = [
        {"stage": "Gather", "guid": "", "message": e.message}
        for e in model.Session.query(HarvestGatherError)
        .filter_by(harvest_job_id=job_id)
        .order_by(HarvestGatherError.created)
        .limit(limit)
    ]
    rows = (
        model.Session.query(HarvestObjectError, HarvestObject.guid)
        .join(HarvestObject, HarvestObject.id == HarvestObjectError.harvest_object_id)
        .filter(HarvestObject.harvest_job_id == job_id)
        .order_by(HarvestObjectError.created)
        .limit(limit)
    )
    errors.extend({"stage": e.stage or "", "guid": guid, "message": e.message} for e, guid in rows)
    return errors[:limit]


@tk.side_effect_free
def cityharvest_source_summary(context: Context, data_dict: DataDict) -> list[dict[str, Any]]:
    """Each active harvest source with its last run (status, times, counts) and the
    number of datasets it holds here. Anyone may see it, like the harvest pages;
    the errors of the last run are listed for those who may edit the source, and the
    files in whose sample the personal-data scan found something (``personal_data``,
    from ckanext-gdprcheck's ``gdprcheck_sample_list``) for the operator (sysadmins;
    None for everyone else).

    :param errors: how many errors to list per source (default 20, at most 200)
    :type errors: integer
    :returns: the sources, by title, each with ``id``, ``name``, ``title``, ``url``,
        ``type``, ``frequency``, ``next_run``, ``datasets`` (those it imports),
        ``shared`` (those it lists but another source imports), ``last_run`` (None before
        the first run; its ``counts``: added, updated, withdrawn, unchanged, shared and
        errors; its ``errors`` None for those who may not edit the source),
        ``personal_data`` and ``unmapped_licences`` (each licence the source names that
        this portal's register has no match for, with its ``datasets``: name and title)
    :rtype: list of dictionaries
    """
    from ckanext.harvest.model import HarvestJob, HarvestSource

    tk.check_access("cityharvest_source_summary", context, data_dict)
    try:
        limit = max(0, min(200, int(data_dict.get("errors", 20))))
    except (TypeError, ValueError):
        raise tk.ValidationError({"errors": [tk._("Must be a whole number")]}) from None
    held = dict(
        model.Session.query(Record.source_id, sa.func.count())
        .join(model.Package, model.Package.id == Record.package_id)
        .filter(Record.owner.is_(True), model.Package.state == "active")
        .group_by(Record.source_id)
    )
    shared = dict(
        model.Session.query(Record.source_id, sa.func.count())
        .filter(Record.owner.is_(False))
        .group_by(Record.source_id)
    )
    samples = _sample_findings(context)
    unmapped = _unmapped_licences()
    summary = []
    for source in (
        model.Session.query(HarvestSource)
        .filter(HarvestSource.active.is_(True))
        .order_by(HarvestSource.title)
    ):
        if source.type not in SOURCE_TYPES.values():
            continue
        package = model.Package.get(source.id)
        if package is None or package.state != "active":
            continue
        job = (
            model.Session.query(HarvestJob)
            .filter_by(source_id=source.id)
            .order_by(HarvestJob.created.desc())
            .first()
        )
        last: dict[str, Any] | None = None
        if job is not None:
            job_dict = tk.get_action("harvest_job_show")({"ignore_auth": True}, {"id": job.id})
            last = {
                k: job_dict.get(k)
                for k in (
                    "id",
                    "status",
                    "created",
                    "gather_started",
                    "gather_finished",
                    "finished",
                    "stats",
                )
            }
            last["counts"] = run_counts(job.id)
            try:
                tk.check_access("harvest_source_update", dict(context), {"id": source.id})
                last["errors"] = _last_job_errors(job.id, limit)
            except tk.NotAuthorized:
                last["errors"] = None
        summary.append(
            {
                "id": source.id,
                "name": package.name,
                "title": source.title,
                "url": source.url,
                "type": source.type,
                "frequency": source.frequency,
                "next_run": source.next_run.isoformat() if source.next_run else None,
                "datasets": held.get(source.id, 0),
                "shared": shared.get(source.id, 0),
                "last_run": last,
                "personal_data": None if samples is None else samples.get(source.id, []),
                "unmapped_licences": unmapped.get(source.id, []),
            }
        )
    return summary


def _unmapped_licences(per_value: int = 20) -> dict[str, list[dict[str, Any]]]:
    """Licences the sources name that this portal's register has no match for (their
    datasets show "License not specified"), by source and value, with the datasets."""
    rows = (
        model.Session.query(
            Record.source_id, Record.unmapped_licence, model.Package.name, model.Package.title
        )
        .join(model.Package, model.Package.id == Record.package_id)
        .filter(
            Record.owner.is_(True),
            Record.unmapped_licence.isnot(None),
            model.Package.state == "active",
        )
        .order_by(Record.source_id, Record.unmapped_licence, model.Package.name)
    )
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for source_id, licence, name, title in rows:
        entry = out.setdefault(source_id, {}).setdefault(
            licence, {"licence": licence, "count": 0, "datasets": []}
        )
        entry["count"] += 1
        if len(entry["datasets"]) < per_value:
            entry["datasets"].append({"name": name, "title": title or name})
    return {source_id: list(values.values()) for source_id, values in out.items()}


def _sample_findings(context: Context) -> dict[str, list[dict[str, Any]]] | None:
    """Harvested files in whose sample ckanext-gdprcheck found personal data, by source;
    None for those who may not see them (only the operator may) or without gdprcheck."""
    try:
        samples = tk.get_action("gdprcheck_sample_list")(
            {"user": context.get("user")}, {"only_findings": True, "limit": 1000}
        )
    except (KeyError, tk.NotAuthorized):
        return None
    if not samples:
        return {}
    rows = (
        model.Session.query(
            Record.source_id, Record.package_id, model.Package.name, model.Package.title
        )
        .join(model.Package, model.Package.id == Record.package_id)
        .filter(Record.package_id.in_({s["package_id"] for s in samples}), Record.owner.is_(True))
    )
    datasets: dict[str, list[tuple[str, str, str]]] = {}
    for source_id, package_id, name, title in rows:
        datasets.setdefault(package_id, []).append((source_id, name, title or name))
    out: dict[str, list[dict[str, Any]]] = {}
    for sample in samples:
        for source_id, name, title in datasets.get(sample["package_id"], []):
            out.setdefault(source_id, []).append(
                {
                    "dataset": name,
                    "title": title,
                    "resource_id": sample["resource_id"],
                    "detected": sample["detected"],
                    "findings": sample["findings"],
                    "truncated": sample["truncated"],
                    "updated": sample["updated"],
                }
            )
    return out


@tk.side_effect_free
def cityharvest_record_list(context: Context, data_dict: DataDict) -> list[dict[str, Any]]:
    """The sources a dataset was harvested from (the importing one first), for anyone
    who may see the dataset.

    :param id: the dataset (id or name)
    :type id: string
    :returns: the harvest records, each with ``source_id``, ``remote_id``, ``identity``,
        ``package_id``, ``owner`` (true for the importing source), ``stamp``,
        ``remote_url``, ``harvested``, ``source_title`` and ``source_url``
    :rtype: list of dictionaries
    """
    from ckanext.harvest.model import HarvestSource

    tk.check_access("cityharvest_record_list", context, data_dict)
    data = _validate(data_dict, schema.id_only(), context)
    package = model.Package.get(data["id"])
    if package is None:
        raise tk.ObjectNotFound(tk._("Dataset not found"))
    rows = (
        model.Session.query(Record, HarvestSource.title, HarvestSource.url)
        .join(HarvestSource, HarvestSource.id == Record.source_id)
        .filter(Record.package_id == package.id)
        .order_by(Record.owner.desc(), HarvestSource.title)
    )
    return [
        dict(record.dictize(), source_title=title, source_url=url) for record, title, url in rows
    ]
