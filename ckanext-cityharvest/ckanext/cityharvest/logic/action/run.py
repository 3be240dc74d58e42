"""Running a source from the command line: a harvest job gathered here and its objects
imported in a pool of worker processes."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import ckan.plugins.toolkit as tk
from ckan import model
from ckan.types import Context, DataDict

from ckanext.cityexchange.context import site_context
from ckanext.cityexchange.guard import validate as _validate
from ckanext.cityharvest.harvesters import COMMAND_JOB
from ckanext.cityharvest.logic import schema
from ckanext.cityharvest.logic.action._common import run_counts
from ckanext.cityharvest.model import Record

__all__ = ["cityharvest_source_run"]

log = logging.getLogger(__name__)


Progress = Callable[[str, int, int], None]


# A run's import stage in worker processes: each builds the application from the same
# configuration file, as a CKAN command does, and imports a share of the objects.
_WORKER_CONTEXT: list[Any] = []


PARALLEL_FROM = 100  # fewer objects than this are imported in the calling process


def _worker_start(config_file: str) -> None:
    from ckan.cli import load_config
    from ckan.config.middleware import make_app

    app = make_app(load_config(config_file))
    # CKAN offers no public accessor for the Flask app inside the app it makes; its own
    # CLI reaches it the same way (ckan/cli/cli.py). url_for needs a request context.
    request_context = app._wsgi_app.test_request_context()
    request_context.push()
    _WORKER_CONTEXT.append(request_context)


def _import_objects(object_ids: list[str]) -> int:
    from ckanext.harvest import queue
    from ckanext.harvest.model import HarvestObject

    for object_id in object_ids:
        harvest_object = HarvestObject.get(object_id)
        try:
            queue.fetch_and_import_stages(
                queue.get_harvester(harvest_object.source.type), harvest_object
            )
        except Exception as error:  # one dataset's failure must not stop the run
            log.exception("harvest object %s failed", object_id)
            model.Session.rollback()
            _give_up(object_id, f"{type(error).__name__}: {error}")
        model.Session.remove()
    return len(object_ids)


def _give_up(object_id: str, message: str) -> None:
    """Mark a harvest object that failed unexpectedly as an error (reported like any
    other), so that the run and its job can finish."""
    from ckanext.harvest.model import HarvestObject, HarvestObjectError

    harvest_object = HarvestObject.get(object_id)
    if harvest_object is None:
        return
    harvest_object.state, harvest_object.report_status = "ERROR", "errored"
    model.Session.add(
        HarvestObjectError(object=harvest_object, message=message[:1000], stage="Import")
    )
    model.Session.commit()


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
    Sysadmins only.

    :param id: the harvest source (id or name)
    :type id: string
    :param workers: processes importing at once when a run has 100 objects or more
        (default ``ckanext.cityharvest.workers``; at most
        ``ckanext.cityharvest.max_workers``; 1 imports in this process)
    :type workers: integer
    :param refresh: import every dataset the source lists again, changed or not (after
        the mapping changed, say a licence added to the register); default false
    :type refresh: boolean
    :returns: the job's id and status, seconds taken and what it did: ``job_id``,
        ``status``, ``seconds``, ``objects``, ``stats`` (ckanext-harvest's report),
        ``counts`` (added, updated, withdrawn, unchanged, shared, errors) and
        ``gather_errors``
    :rtype: dictionary
    """
    from ckanext.harvest import queue
    from ckanext.harvest.logic import HarvestJobExists
    from ckanext.harvest.model import HarvestJob, HarvestObject

    tk.check_access("cityharvest_source_run", context, data_dict)
    data = _validate(data_dict, schema.run(), context)
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
    if data.get("refresh"):
        # Forget the stamps: the plan then finds every listed dataset changed.
        model.Session.query(Record).filter(Record.source_id == source["id"]).update({"stamp": ""})
        model.Session.commit()
    started = time.monotonic()
    job = HarvestJob.get(job_dict["id"])
    # No action of ckanext-harvest marks a job running without queueing it; its own
    # in-process run (the run-test command) sets the status the same way. The queues'
    # consumers and harvest_jobs_run then treat the job as theirs.
    job.status = "Running"
    job.save()
    if progress:
        progress("gather", 0, 0)
    token = COMMAND_JOB.set(job.id)
    try:
        object_ids = queue.gather_stage(harvester, job)
    finally:
        COMMAND_JOB.reset(token)
    if not isinstance(object_ids, list):
        object_ids = []
    total = len(object_ids)
    workers = data.get("workers") or tk.config.get("ckanext.cityharvest.workers")
    try:
        if workers > 1 and total >= PARALLEL_FROM:
            _import_in_workers(object_ids, workers, progress)
        else:
            for done, object_id in enumerate(object_ids, start=1):
                _import_objects([object_id])
                if progress:
                    progress("import", done, total)
    finally:
        # Whatever stopped the run (a worker that died, an interrupt), nothing of it is
        # left claimed: its objects are errors, and the job can finish.
        model.Session.rollback()
        left = [
            oid
            for (oid,) in model.Session.query(HarvestObject.id).filter(
                HarvestObject.harvest_job_id == job_dict["id"],
                HarvestObject.state.in_(("WAITING", "FETCH", "IMPORT")),
            )
        ]
        for object_id in left:
            _give_up(object_id, "The run stopped before this dataset was imported")
    tk.get_action("harvest_jobs_run")(dict(site), {"source_id": source["id"]})
    job = HarvestJob.get(job_dict["id"])
    report = tk.get_action("harvest_job_show")(dict(site), {"id": job.id})
    return {
        "job_id": job.id,
        "status": job.status,
        "seconds": round(time.monotonic() - started, 2),
        "objects": total,
        "stats": report.get("stats") or {},
        "counts": run_counts(job.id),
        "gather_errors": [e.message for e in job.gather_errors],
    }
