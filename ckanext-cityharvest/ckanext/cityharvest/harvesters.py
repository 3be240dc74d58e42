"""The two harvesters: CKAN-API portals and DCAT catalogs, with one sync and one mapping.

Both extend the stock harvesters (ckanext-harvest's ``CKANHarvester``, ckanext-dcat's
``DCATRDFHarvester``) and keep what those do well: the harvest job and object model, the
queues, the harvest pages, HTTP and RDF handling, the DCAT profiles. They change what
falls short for a catalog that must mirror its sources:

* gather lists the source's public datasets with their version stamps and plans the
  run (``sync.plan``): new, changed and withdrawn datasets get a harvest object, the
  unchanged ones none, so a run with no change costs one listing;
* datasets deleted or made private at the source are withdrawn here, but only after a
  complete listing;
* each remote dataset is mapped into the suite's schema (``mapping.py``) and imported
  once, whichever source reaches it first (``cityharvest_dataset_import``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

import ckan.plugins.toolkit as tk
import requests
from ckan import model

from ckanext.cityexchange import outbound
from ckanext.cityexchange.context import site_context
from ckanext.cityharvest import mapping, remote, sync
from ckanext.cityharvest.model import Record, Run
from ckanext.dcat.harvesters import base as _dcat_base
from ckanext.dcat.harvesters.rdf import DCATRDFHarvester
from ckanext.dcat.processors import RDFParser, RDFParserException
from ckanext.harvest.harvesters.ckanharvester import CKANHarvester
from ckanext.harvest.model import HarvestJob, HarvestObject, HarvestObjectExtra

log = logging.getLogger(__name__)

# The harvest job whose gather runs in this call stack for ``cityharvest_source_run``,
# which then imports the objects itself.
COMMAND_JOB: ContextVar[str | None] = ContextVar("cityharvest_command_job", default=None)

_OPTIONS: dict[str, type | tuple[type, ...]] = {
    "organizations": dict,
    "default_organization": str,
    "licences": dict,
    "timeout": (int, float),
    "include_organizations": list,
    "rdf_format": str,
    "publishers": str,
}
PUBLISHER_RULES = ("create", "map", "default")


def _config(source: Any) -> dict[str, Any]:
    try:
        config = json.loads(source.config or "{}")
    except ValueError:
        return {}
    return config if isinstance(config, dict) else {}


def check_config(config: str) -> str:
    """A source's configuration: a JSON object with the options in ``_OPTIONS``."""
    if not config:
        return config
    try:
        values = json.loads(config)
    except ValueError as error:
        raise ValueError(f"the configuration is not valid JSON: {error}") from error
    if not isinstance(values, dict):
        raise ValueError("the configuration must be a JSON object")
    for key, value in values.items():
        expected = _OPTIONS.get(key)
        if expected is None:
            raise ValueError(f"unknown option {key!r}; known: {', '.join(sorted(_OPTIONS))}")
        if not isinstance(value, expected) or isinstance(value, bool):
            raise ValueError(f"{key}: wrong type")
    if "timeout" in values and not 0 < values["timeout"] <= 600:
        raise ValueError("timeout: between 0 and 600 seconds")
    if "publishers" in values and values["publishers"] not in PUBLISHER_RULES:
        raise ValueError("publishers: one of " + ", ".join(PUBLISHER_RULES))
    if values.get("publishers") in ("map", "default") and not values.get("default_organization"):
        raise ValueError(f"publishers: {values['publishers']!r} needs a default_organization")
    return config


class _Planner:
    """A run's plan, made page by page: each page of the listing gives harvest objects
    for its new and changed datasets at once (stored and let go, so a catalog of any
    size is gathered in bounded memory: only ids and stamps are kept), and the end of
    the listing the withdrawals (only from a complete listing) and the run's counts."""

    def __init__(self, job: Any, save_gather_error: Callable[..., Any]) -> None:
        self.job = job
        self.save_gather_error = save_gather_error
        # What this source holds here: records whose dataset is still active (a dataset
        # deleted here, or purged by clearing the source, is imported again).
        self.records: dict[str, str] = dict(
            model.Session.query(Record.remote_id, Record.stamp)
            .join(model.Package, model.Package.id == Record.package_id)
            .filter(Record.source_id == job.source.id, model.Package.state == "active")
        )
        # Objects are created claimed (FETCH, the state the fetch consumer gives what
        # it takes), so that ckanext-harvest's periodic resubmission of WAITING objects
        # hands none to a consumer while gather goes on: a command-line run imports
        # its objects itself; a queued run's are set WAITING when gather ends, and
        # ckanext-harvest then queues them once.
        self.command = COMMAND_JOB.get() == job.id
        self.seen: dict[str, str] = {}
        self.object_ids: list[str] = []
        self.new = self.changed = 0

    def page(
        self,
        stamps: dict[str, str],
        contents: dict[str, str] | None = None,
        fetch: remote.CkanPortal | None = None,
    ) -> None:
        """One page of the listing; a dataset listed twice counts once (the first)."""
        fresh = {k: v for k, v in stamps.items() if k not in self.seen}
        self.seen.update(fresh)
        plan = sync.plan(fresh, self.records, complete=False)
        self.new += len(plan.new)
        self.changed += len(plan.changed)
        work = [("new", i) for i in plan.new] + [("change", i) for i in plan.changed]
        for start in range(0, len(work), remote.BATCH):
            batch = work[start : start + remote.BATCH]
            found = _prefetch(fetch, [i for _, i in batch]) if fetch is not None else contents or {}
            self._store([(status, i, found.get(i)) for status, i in batch])

    def _store(self, items: list[tuple[str, str, str | None]]) -> None:
        objects = [
            HarvestObject(
                guid=remote_id,
                job=self.job,
                state="FETCH",
                content=content,
                extras=[
                    HarvestObjectExtra(key="status", value=status),
                    HarvestObjectExtra(key="stamp", value=self.seen.get(remote_id, "")),
                ],
            )
            for status, remote_id, content in items
        ]
        model.Session.add_all(objects)
        model.Session.commit()
        self.object_ids.extend(obj.id for obj in objects)
        for obj in objects:
            model.Session.expunge(obj)  # let the content go

    def _release(self) -> None:
        """A queued run's objects become WAITING, for the fetch queue, once gather ends."""
        if not self.command and self.object_ids:
            model.Session.query(HarvestObject).filter(
                HarvestObject.harvest_job_id == self.job.id, HarvestObject.state == "FETCH"
            ).update({"state": "WAITING"}, synchronize_session=False)
            model.Session.commit()

    def finish(self, complete: bool) -> list[str]:
        job = self.job
        if complete and not self.seen and self.records:
            self.save_gather_error(
                "The source lists no public datasets at all; nothing was "
                "withdrawn (a portal that lost its index looks like this)",
                job,
            )
            self._release()
            return self.object_ids
        plan = sync.plan(self.seen, self.records, complete=complete)
        if not complete and self.records:
            self.save_gather_error(
                "The listing of the source was not complete; withdrawals "
                "wait for a complete listing",
                job,
            )
        model.Session.add(
            Run(
                job_id=job.id,
                source_id=job.source.id,
                mode="command" if self.command else "queue",
                planned_new=self.new,
                planned_changed=self.changed,
                planned_unchanged=len(plan.unchanged),
                planned_withdrawn=len(plan.withdrawn),
                listing_complete=complete,
                created=dt.datetime.now(dt.UTC).replace(tzinfo=None),
            )
        )
        self._store([("delete", remote_id, None) for remote_id in plan.withdrawn])
        self._release()
        log.info(
            "%s: %d new, %d changed, %d unchanged, %d withdrawn",
            job.source.url,
            self.new,
            self.changed,
            len(plan.unchanged),
            len(plan.withdrawn),
        )
        return self.object_ids


def _prefetch(portal: remote.CkanPortal, remote_ids: list[str]) -> dict[str, str]:
    """Datasets to import, fetched in one search. A page that fails is left to the fetch
    stage, which asks for its datasets one by one and reports each."""
    try:
        found = portal.datasets(remote_ids)
    except remote.RemoteError as error:
        log.info(
            "%s: a page of datasets failed (%s); fetching them one by one",
            portal.base_url,
            error,
        )
        return {}
    return {key: json.dumps(value) for key, value in found.items()}


class _Sync:
    """The gather planning and the import shared by both harvesters."""

    # These come from ckanext-harvest's HarvesterBase, which each harvester here extends.
    _save_gather_error: Callable[..., Any]
    _save_object_error: Callable[..., Any]

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        # CKAN's SingletonPlugin keeps its instance in a class attribute that subclasses
        # inherit: once the stock harvester exists, our subclass would return it. Each
        # harvester class here keeps its own instance.
        if "_instance" not in cls.__dict__:
            cls._instance = object.__new__(cls)
        return cls._instance

    def _planner(self, job: Any) -> _Planner:
        return _Planner(job, self._save_gather_error)

    def _first_in_line(self, job: Any) -> bool:
        """One run per source at a time. ckanext-harvest refuses a second job while one
        is waiting or under way, but its check and the job's creation are two steps:
        the scheduler and a command could both pass it. Whichever job gathers, the older
        one goes on and the newer one stops here, before listing anything."""
        older = (
            model.Session.query(HarvestJob.id)
            .filter(
                HarvestJob.source_id == job.source_id,
                HarvestJob.id != job.id,
                HarvestJob.status.in_(("New", "Running")),
                HarvestJob.created < job.created,
            )
            .first()
        )
        if older is None:
            return True
        self._save_gather_error(
            f"Another run of this source is waiting or under way (job {older[0]}); "
            "this one stops without listing anything",
            job,
        )
        return False

    def _plan_objects(
        self,
        job: Any,
        stamps: dict[str, str],
        complete: bool,
        fetch: remote.CkanPortal | None = None,
    ) -> list[str]:
        """The whole listing at once (a CKAN portal's ids and stamps): the datasets to
        import are fetched and stored 50 at a time."""
        planner = self._planner(job)
        planner.page(stamps, fetch=fetch)
        return planner.finish(complete)

    def _extra(self, harvest_object: Any, key: str) -> str:
        for extra in harvest_object.extras:
            if extra.key == key:
                return extra.value or ""
        return ""

    def _import(self, harvest_object: Any) -> Any:
        source_id = harvest_object.source.id
        if self._extra(harvest_object, "status") == "delete":
            result = tk.get_action("cityharvest_dataset_withdraw")(
                site_context(), {"source_id": source_id, "remote_id": harvest_object.guid}
            )
            harvest_object.package_id = result["package_id"]
            harvest_object.current = False
            if result["package_id"]:
                model.Session.query(HarvestObject).filter(
                    HarvestObject.package_id == result["package_id"]
                ).update({"current": False})
            harvest_object.save()
            return True
        try:
            remote_dict = json.loads(harvest_object.content or "")
        except ValueError:
            self._save_object_error(
                "The fetched dataset is not valid JSON", harvest_object, "Import"
            )
            return False
        title = remote_dict.get("title") or remote_dict.get("name") or harvest_object.guid
        try:
            result = tk.get_action("cityharvest_dataset_import")(
                site_context(),
                {
                    "source_id": source_id,
                    "remote": remote_dict,
                    "stamp": self._extra(harvest_object, "stamp"),
                    "harvest_object_id": harvest_object.id,
                },
            )
        except tk.ValidationError as error:
            model.Session.rollback()
            problems = "; ".join(
                f"{field}: {', '.join(map(str, msgs)) if isinstance(msgs, list) else msgs}"
                for field, msgs in (error.error_dict or {}).items()
            )
            self._save_object_error(f"{title}: {problems}", harvest_object, "Import")
            return False
        if result["result"] == "duplicate":
            harvest_object.package_id = None
            harvest_object.save()
            return "unchanged"
        if result["result"] == "unchanged":
            # This version was imported already (by another worker given the same
            # object, or an earlier run): nothing changed here.
            harvest_object.package_id = result["package_id"]
            harvest_object.save()
            return "unchanged"
        model.Session.query(HarvestObject).filter(
            HarvestObject.package_id == result["package_id"], HarvestObject.id != harvest_object.id
        ).update({"current": False})
        harvest_object.package_id = result["package_id"]
        harvest_object.current = True
        harvest_object.save()
        return True


class CkanPortalHarvester(_Sync, CKANHarvester):
    """CKAN-API portals (opendata.dk and the municipal CKAN sites)."""

    def info(self) -> dict[str, str]:
        return {
            "name": "cityharvest_ckan",
            "title": "CKAN portal (City Data Exchange)",
            "description": "Public datasets of a CKAN portal, mapped into this catalog, "
            "kept in sync (updates and withdrawals), one dataset per identity",
        }

    def validate_config(self, config: str) -> str:
        return check_config(config)

    def _portal(self, source: Any) -> remote.CkanPortal:
        timeout = float(
            _config(source).get("timeout") or tk.config.get("ckanext.cityharvest.timeout")
        )
        return remote.CkanPortal(source.url, timeout, session=outbound.session())

    def gather_stage(self, harvest_job: Any) -> list[str] | None:
        if not self._first_in_line(harvest_job):
            return []
        config = _config(harvest_job.source)
        orgs = config.get("include_organizations") or []
        fq = "+dataset_type:dataset" + (
            " +organization:(" + " OR ".join(str(o) for o in orgs) + ")" if orgs else ""
        )
        portal = self._portal(harvest_job.source)
        try:
            listing = portal.listing(fq)
        except remote.RemoteError as error:
            self._save_gather_error(
                f"Could not list the datasets of {harvest_job.source.url}: {error}", harvest_job
            )
            return None
        return self._plan_objects(harvest_job, listing.stamps, listing.complete, fetch=portal)

    def fetch_stage(self, harvest_object: Any) -> Any:
        if self._extra(harvest_object, "status") == "delete" or harvest_object.content:
            return True
        try:
            dataset = self._portal(harvest_object.source).dataset(harvest_object.guid)
        except remote.RemoteError as error:
            self._save_object_error(f"{harvest_object.guid}: {error}", harvest_object, "Fetch")
            return False
        harvest_object.content = json.dumps(dataset)
        harvest_object.save()
        return True

    def import_stage(self, harvest_object: Any) -> Any:
        return self._import(harvest_object)


class _GuardedRequests:
    """``requests`` as ckanext-dcat's fetch uses it, with guarded sessions."""

    Session = staticmethod(outbound.session)
    exceptions = requests.exceptions


class DcatCatalogHarvester(_Sync, DCATRDFHarvester):
    """DCAT-AP and DCAT-AP-DK catalogs (RDF/XML, Turtle, JSON-LD), read with
    ckanext-dcat's parser and profiles; paged catalogs (Hydra) are followed."""

    def info(self) -> dict[str, str]:
        return {
            "name": "cityharvest_dcat",
            "title": "DCAT catalog (City Data Exchange)",
            "description": "Datasets of a DCAT-AP catalog, mapped into this catalog, "
            "kept in sync, one dataset per identity",
        }

    def validate_config(self, config: str) -> str:
        return check_config(config)

    @staticmethod
    def _stamp(dataset: dict[str, Any]) -> str:
        modified = mapping.value(dataset, "modified") or mapping.value(dataset, "metadata_modified")
        if isinstance(modified, str) and modified.strip():
            return modified.strip()
        return "sha1:" + hashlib.sha1(json.dumps(dataset, sort_keys=True).encode()).hexdigest()

    def _get_content_and_type(
        self, url: str, harvest_job: Any, page: int = 1, content_type: str | None = None
    ) -> tuple[str | None, str | None]:
        """ckanext-dcat's fetch of a catalog page, through the outbound guard: http and
        https only (the stock one also opens local files), public addresses unless
        ``ckanext.cityexchange.outbound_allow`` lists them, every redirect hop checked.

        ckanext-dcat builds its own ``requests.Session`` (its ``update_session`` hook is
        for plugins registered as ``IDCATRDFHarvester``, which a subclass of a registered
        harvester cannot be); for the length of this call its module's ``requests`` is
        one whose sessions are the guarded session. Gather runs one job at a time per
        process, so nothing else sees the swap."""
        if not url.lower().startswith(("http://", "https://")):
            self._save_gather_error(
                f"Could not get content from {url}: only http and https URLs are fetched",
                harvest_job,
            )
            return None, None
        original = _dcat_base.requests
        _dcat_base.requests = _GuardedRequests
        try:
            return super()._get_content_and_type(url, harvest_job, page, content_type)
        except outbound.Refused as refused:
            self._save_gather_error(f"Could not get content from {url}: {refused}", harvest_job)
            return None, None
        finally:
            _dcat_base.requests = original

    def gather_stage(self, harvest_job: Any) -> list[str] | None:
        if not self._first_in_line(harvest_job):
            return []
        rdf_format = _config(harvest_job.source).get("rdf_format")
        url: str | None = harvest_job.source.url
        planner = self._planner(harvest_job)
        pages: set[str] = set()
        while url and url not in pages:
            pages.add(url)
            content, found_format = self._get_content_and_type(
                url, harvest_job, 1, content_type=rdf_format
            )
            if not content:
                # _get_content_and_type saved the gather error; nothing is withdrawn.
                return planner.finish(complete=False)
            parser = RDFParser()
            try:
                parser.parse(content, _format=found_format)
                datasets = list(parser.datasets())
            except (RDFParserException, Exception) as error:  # rdflib raises many kinds
                self._save_gather_error(
                    f"Could not read the catalog at {url}: {error}", harvest_job
                )
                return planner.finish(complete=False)
            del content
            stamps: dict[str, str] = {}
            contents: dict[str, str] = {}
            for dataset in datasets:
                try:
                    ident = mapping.identity(dataset)
                except mapping.MappingError as error:
                    self._save_gather_error(
                        f"A dataset without identity at {url}: {error.message}", harvest_job
                    )
                    continue
                dataset["id"] = ident
                stamps.setdefault(ident, self._stamp(dataset))
                contents.setdefault(ident, json.dumps(dataset))
            # This page's new and changed datasets are stored now; only ids and stamps
            # are kept for the next pages (Hydra's next page, as ckanext-dcat reads it).
            planner.page(stamps, contents)
            url = parser.next_page()
        return planner.finish(complete=True)

    def fetch_stage(self, harvest_object: Any) -> Any:
        return True

    def import_stage(self, harvest_object: Any) -> Any:
        return self._import(harvest_object)
