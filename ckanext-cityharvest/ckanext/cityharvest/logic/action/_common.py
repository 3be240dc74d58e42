"""Helpers the cityharvest action modules share."""

from __future__ import annotations

import json
from typing import Any

import ckan.plugins.toolkit as tk
import sqlalchemy as sa

from ckanext.cityharvest import mapping

SOURCE_TYPES = {"ckan": "cityharvest_ckan", "dcat": "cityharvest_dcat"}


def lock_identity(key: str) -> None:
    """Serialise the imports (and merges) of one dataset across processes until the
    transaction ends (a PostgreSQL advisory lock)."""
    from ckan import model

    model.Session.execute(
        sa.text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"cityharvest:{key}"}
    )


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
        publishers=config.get("publishers") or "create",
    )


def _source_checklist(remote: dict[str, Any]) -> dict[str, str]:
    """The GDPR checklist a harvested dataset carries: what its source declared
    (ckanext-gdprcheck reads the declaration, through its action; none without that
    plugin). A source that declares nothing gets no answer, never "no personal data"."""
    try:
        return tk.get_action("gdprcheck_source_checklist")({"user": ""}, {"dataset": remote})
    except KeyError:
        return {}


def run_counts(job_id: str) -> dict[str, int]:
    """What a run did, for the status page, the CLI and the run's result: datasets
    ``added``, ``updated``, ``withdrawn``, ``unchanged`` (left alone because the source
    did not change them, or already imported in this version), ``shared`` (imported
    through another source) and ``errors``. Unchanged datasets get no harvest object, so
    their number comes from the run's plan (``Run``)."""
    from ckan import model

    from ckanext.cityharvest.model import Run
    from ckanext.harvest.model import HarvestObject

    counts = dict.fromkeys(("added", "updated", "withdrawn", "unchanged", "shared", "errors"), 0)
    rows = (
        model.Session.query(
            HarvestObject.report_status,
            HarvestObject.package_id.is_(None),
            sa.func.count(),
        )
        .filter(HarvestObject.harvest_job_id == job_id)
        .group_by(HarvestObject.report_status, HarvestObject.package_id.is_(None))
    )
    for status, no_package, number in rows:
        if status == "added":
            counts["added"] += number
        elif status == "updated":
            counts["updated"] += number
        elif status == "deleted":
            counts["withdrawn"] += number
        elif status == "errored":
            counts["errors"] += number
        elif status == "not modified":
            counts["shared" if no_package else "unchanged"] += number
    run = model.Session.get(Run, job_id)
    if run is not None:
        counts["unchanged"] += run.planned_unchanged
    return counts
