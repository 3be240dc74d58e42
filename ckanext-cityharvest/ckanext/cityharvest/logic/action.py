"""Actions of ckanext-cityharvest: load the declared sources, run a source, import and
withdraw harvested datasets, and report on the sources.

The harvesters (``harvesters.py``) call ``cityharvest_dataset_import`` and
``cityharvest_dataset_withdraw`` for each harvest object, whether the run comes from the
harvest queues (scheduled runs) or from ``cityharvest_source_run`` (the CLI).
"""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import ckan.plugins.toolkit as tk
import sqlalchemy as sa
from ckan import model
from ckan.types import Context, DataDict

from ckanext.cityexchange.guard import validate as _validate
from ckanext.cityexchange.guard import whole_number
from ckanext.cityharvest import mapping
from ckanext.cityharvest.model import Record

__all__ = [
    "cityharvest_dataset_import",
    "cityharvest_dataset_withdraw",
    "cityharvest_record_list",
    "cityharvest_source_load",
    "cityharvest_source_run",
    "cityharvest_source_summary",
]

SOURCE_TYPES = {"ckan": "cityharvest_ckan", "dcat": "cityharvest_dcat"}
FREQUENCIES = ("MANUAL", "MONTHLY", "WEEKLY", "BIWEEKLY", "DAILY", "ALWAYS")
Progress = Callable[[str, int, int], None]


def site_context() -> Context:
    """The site user's context: the harvesters and the CLI act as the site user."""
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
    return {"user": site_user["name"]}


def source_settings(source: Any) -> mapping.Source:
    """The mapping's view of a harvest source (a ``HarvestSource`` row)."""
    try:
        config = json.loads(source.config or "{}")
    except ValueError:
        config = {}
    return mapping.Source(
        id=source.id,
        title=source.title or source.url,
        url=source.url,
        organizations=dict(config.get("organizations") or {}),
        default_organization=config.get("default_organization"),
        licences=dict(config.get("licences") or {}),
    )


# --- sources -----------------------------------------------------------------------


def _source_fields(value: Any) -> dict[str, Any]:
    """Checks one entry of the sources file; raises ``tk.Invalid`` naming the field."""
    if not isinstance(value, dict):
        raise tk.Invalid(tk._("Each source must be a mapping"))
    name = value.get("name")
    if not isinstance(name, str) or mapping.dataset_name(name) != name:
        raise tk.Invalid(tk._("name: use lowercase letters, digits and hyphens"))
    url = value.get("url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise tk.Invalid(tk._("{name}: url must start with http:// or https://").format(name=name))
    kind = value.get("type", "ckan")
    if kind not in SOURCE_TYPES:
        raise tk.Invalid(tk._("{name}: type must be ckan or dcat").format(name=name))
    frequency = str(value.get("frequency", "DAILY")).upper()
    if frequency not in FREQUENCIES:
        raise tk.Invalid(
            tk._("{name}: frequency must be one of {choices}").format(
                name=name, choices=", ".join(FREQUENCIES)
            )
        )
    config = value.get("config") or {}
    if not isinstance(config, dict):
        raise tk.Invalid(tk._("{name}: config must be a mapping").format(name=name))
    return {
        "name": name,
        "title": str(value.get("title") or name),
        "url": url.rstrip("/"),
        "source_type": SOURCE_TYPES[kind],
        "frequency": frequency,
        "notes": str(value.get("description") or ""),
        "owner_org": value.get("organization"),
        "config": json.dumps(config, sort_keys=True, ensure_ascii=False),
    }


def cityharvest_source_load(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Create or update the harvest sources declared in ``config/harvest-sources.yaml``
    (the CLI reads the file and passes its ``sources`` list). Sources missing from the
    list are left as they are.

    :param sources: list of mappings with ``name``, ``title``, ``url``, ``type``
        (``ckan`` or ``dcat``), ``frequency``, optional ``organization``,
        ``description`` and ``config``
    :param organization: the organisation that owns the sources unless a source names
        its own (created if missing; default ``harvest-sources``)
    :returns: ``{"created": [names], "updated": [names], "unchanged": [names]}``
    """
    tk.check_access("cityharvest_source_load", context, data_dict)
    sources = data_dict.get("sources")
    if not isinstance(sources, list):
        raise tk.ValidationError({"sources": [tk._("A list of sources is required")]})
    default_org = data_dict.get("organization") or "harvest-sources"
    if not isinstance(default_org, str) or mapping.dataset_name(default_org) != default_org:
        raise tk.ValidationError(
            {"organization": [tk._("Use lowercase letters, digits and hyphens")]}
        )
    wanted, errors = [], []
    for number, entry in enumerate(sources, start=1):
        try:
            if isinstance(entry, dict):
                wanted.append(
                    _source_fields(
                        dict(entry, organization=entry.get("organization") or default_org)
                    )
                )
            else:
                wanted.append(_source_fields(entry))
        except tk.Invalid as error:
            errors.append(f"{number}: {error.error}")
    names = [w["name"] for w in wanted]
    if len(set(names)) != len(names):
        errors.append(tk._("Source names must be unique"))
    if errors:
        raise tk.ValidationError({"sources": errors})
    result: dict[str, list[str]] = {"created": [], "updated": [], "unchanged": []}
    site = site_context()
    for org_name in sorted({w["owner_org"] for w in wanted}):
        fields_org = mapping.Organization(
            name=org_name,
            title=tk._("Harvested portals") if org_name == "harvest-sources" else org_name,
        )
        _organization(fields_org, site)
    for fields in wanted:
        fields["owner_org"] = model.Group.get(fields["owner_org"]).id
        try:
            current = tk.get_action("harvest_source_show")(dict(site), {"id": fields["name"]})
        except tk.ObjectNotFound:
            tk.get_action("harvest_source_create")(dict(site), fields)
            result["created"].append(fields["name"])
            continue
        same = (
            all((current.get(k) or None) == (v or None) for k, v in fields.items())
            and current.get("state") == "active"
        )
        if same:
            result["unchanged"].append(fields["name"])
        else:
            tk.get_action("harvest_source_update")(
                dict(site), dict(fields, id=current["id"], state="active")
            )
            result["updated"].append(fields["name"])
    return result


@tk.validator_args
def _id_schema(not_empty: Any, unicode_safe: Any) -> dict[str, Any]:
    return {"id": [not_empty, unicode_safe]}


@tk.validator_args
def _run_schema(
    not_empty: Any, unicode_safe: Any, ignore_missing: Any, limit_to_configured_maximum: Any
) -> dict[str, Any]:
    return {
        "id": [not_empty, unicode_safe],
        "workers": [
            ignore_missing,
            whole_number(1),
            limit_to_configured_maximum("ckanext.cityharvest.max_workers", 8),
        ],
    }


# A run's import stage in worker processes: each builds the application from the same
# configuration file, as a CKAN command does, and imports a share of the objects.
_WORKER_CONTEXT: list[Any] = []
PARALLEL_FROM = 100  # fewer objects than this are imported in the calling process


def _worker_start(config_file: str) -> None:
    from ckan.cli import load_config
    from ckan.config.middleware import make_app

    app = make_app(load_config(config_file))
    request_context = app._wsgi_app.test_request_context()
    request_context.push()
    _WORKER_CONTEXT.append(request_context)


def _import_objects(object_ids: list[str]) -> int:
    from ckanext.harvest import queue
    from ckanext.harvest.model import HarvestObject

    for object_id in object_ids:
        harvest_object = HarvestObject.get(object_id)
        queue.fetch_and_import_stages(
            queue.get_harvester(harvest_object.source.type), harvest_object
        )
        model.Session.remove()
    return len(object_ids)


def _import_in_workers(object_ids: list[str], workers: int, progress: Progress | None) -> None:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    chunk = 10
    done, total = 0, len(object_ids)
    with ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_worker_start,
        initargs=(tk.config["__file__"],),
    ) as pool:
        futures = [
            pool.submit(_import_objects, object_ids[i : i + chunk]) for i in range(0, total, chunk)
        ]
        for future in as_completed(futures):
            done += future.result()
            if progress:
                progress("import", done, total)


def cityharvest_source_run(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Run a harvest source now, in this process: gather, then fetch and import each
    dataset, then close the job. The CLI's ``ckan cityharvest run`` calls it; scheduled
    runs go through the harvest queues instead. A callable in the context under
    ``cityharvest.progress`` is told ``(stage, done, total)`` as the run goes.

    :param id: the harvest source (id or name)
    :param workers: processes importing at once when a run has 100 objects or more
        (default ``ckanext.cityharvest.workers``; 1 imports in this process)
    :returns: the job's id and status, seconds taken and the counts of its report
    """
    from ckanext.harvest import queue
    from ckanext.harvest.logic import HarvestJobExists
    from ckanext.harvest.model import HarvestJob

    data = _validate(data_dict, _run_schema(), context)
    tk.check_access("cityharvest_source_run", context, data)
    progress: Progress | None = context.get("cityharvest.progress")
    site = site_context()
    source = tk.get_action("harvest_source_show")(dict(site), {"id": data["id"]})
    try:
        job_dict = tk.get_action("harvest_job_create")(
            dict(site), {"source_id": source["id"], "run": False}
        )
    except HarvestJobExists:
        raise tk.ValidationError(
            {"id": [tk._("A run of this source is already waiting or under way")]}
        ) from None
    harvester = queue.get_harvester(source["source_type"])
    if harvester is None:
        raise tk.ValidationError({"id": [tk._("No harvester for this source's type")]})
    started = time.monotonic()
    job = HarvestJob.get(job_dict["id"])
    job.status = "Running"
    job.save()
    if progress:
        progress("gather", 0, 0)
    object_ids = queue.gather_stage(harvester, job)
    if not isinstance(object_ids, list):
        object_ids = []
    total = len(object_ids)
    workers = data.get("workers") or tk.config.get("ckanext.cityharvest.workers")
    if workers > 1 and total >= PARALLEL_FROM:
        _import_in_workers(object_ids, workers, progress)
    else:
        for done, object_id in enumerate(object_ids, start=1):
            _import_objects([object_id])
            if progress:
                progress("import", done, total)
    tk.get_action("harvest_jobs_run")(dict(site), {"source_id": source["id"]})
    job = HarvestJob.get(job_dict["id"])
    report = tk.get_action("harvest_job_show")(dict(site), {"id": job.id})
    return {
        "job_id": job.id,
        "status": job.status,
        "seconds": round(time.monotonic() - started, 2),
        "objects": total,
        "stats": report.get("stats") or {},
        "gather_errors": [e.message for e in job.gather_errors],
    }


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
            }
        )
    return summary


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


# --- datasets ----------------------------------------------------------------------


def _source_checklist() -> dict[str, str]:
    """The GDPR checklist a harvested open dataset carries: declared by its source
    (ckanext-gdprcheck's, through its action; none without that plugin)."""
    try:
        return tk.get_action("gdprcheck_source_checklist")({"user": ""}, {})
    except KeyError:
        return {}


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


@tk.validator_args
def _import_schema(not_empty: Any, unicode_safe: Any, ignore_missing: Any) -> dict[str, Any]:
    return {
        "source_id": [not_empty, unicode_safe],
        "stamp": [ignore_missing, unicode_safe],
        "remote": [not_empty],
    }


def cityharvest_dataset_import(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Create or update the local copy of one remote dataset (for the harvesters).

    The dataset's identity (``mapping.identity``) decides whether it is new here: if
    another source already imports it, this source is recorded beside it and nothing
    else changes (``duplicate``). A remote dataset this catalog cannot take raises a
    ValidationError naming the field.

    :param source_id: the harvest source
    :param remote: the remote dataset (CKAN ``package_show`` or ckanext-dcat parser form)
    :param stamp: its version stamp from the source's listing
    :returns: ``{"result": "created" | "updated" | "duplicate", "package_id": ...}``
    """
    from ckanext.harvest.model import HarvestSource

    data = _validate(data_dict, _import_schema(), context)
    tk.check_access("cityharvest_dataset_import", context, data)
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
        model.Session.commit()
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
    model.Session.commit()
    return {"result": result, "package_id": package_id}


@tk.validator_args
def _withdraw_schema(not_empty: Any, unicode_safe: Any) -> dict[str, Any]:
    return {"source_id": [not_empty, unicode_safe], "remote_id": [not_empty, unicode_safe]}


def cityharvest_dataset_withdraw(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """A remote dataset was deleted or made private at its source: withdraw it here.

    The local dataset is deleted (it stays in the trash, so nothing is lost) unless
    another source still lists the same dataset: then that source takes it over.

    :param source_id: the harvest source
    :param remote_id: the remote dataset's id at that source
    :returns: ``{"result": "withdrawn" | "handed_over" | "forgotten", "package_id": ...}``
    """
    data = _validate(data_dict, _withdraw_schema(), context)
    tk.check_access("cityharvest_dataset_withdraw", context, data)
    mine = model.Session.get(Record, (data["source_id"], data["remote_id"]))
    if mine is None:
        return {"result": "forgotten", "package_id": None}
    _lock(mine.identity)
    package_id = mine.package_id
    if not mine.owner:
        model.Session.delete(mine)
        model.Session.commit()
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
        model.Session.commit()
        return {"result": "handed_over", "package_id": package_id}
    # The record stays: if the dataset comes back at the source, it comes back here as
    # the same dataset (same id and name), not as a new one.
    mine.stamp = ""
    package = model.Package.get(package_id) if package_id else None
    if package is not None and package.state == "active":
        tk.get_action("package_delete")(dict(site_context(), defer_commit=True), {"id": package_id})
    model.Session.commit()
    return {"result": "withdrawn", "package_id": package_id}


@tk.side_effect_free
def cityharvest_record_list(context: Context, data_dict: DataDict) -> list[dict[str, Any]]:
    """The sources a dataset was harvested from (the importing one first), for anyone
    who may see the dataset.

    :param id: the dataset (id or name)
    """
    from ckanext.harvest.model import HarvestSource

    data = _validate(data_dict, _id_schema(), context)
    tk.check_access("cityharvest_record_list", context, data)
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
