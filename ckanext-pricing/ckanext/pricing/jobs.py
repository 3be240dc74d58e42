"""Background jobs of the pricing plugin (CKAN's worker)."""

from __future__ import annotations

import logging

import ckan.plugins.toolkit as tk

from ckanext.cityexchange.context import site_context
from ckanext.pricing import access

log = logging.getLogger(__name__)


def drop_unchosen_rows(resource_id: str) -> None:
    """Delete a resource's DataStore table once its rows may no longer be loaded: the file
    became locked (its dataset priced, or the resource no longer a sample) and its seller
    did not choose to load it (``rules.may_load_rows``). Asked again when the job runs, so
    a change back in the meantime keeps the table."""
    if access.rows_may_be_loaded(resource_id):
        return
    try:
        tk.get_action("datastore_delete")(
            dict(site_context()), {"resource_id": resource_id, "force": True}
        )
    except tk.ObjectNotFound:
        return  # no table (any more)
    log.info("pricing: the DataStore table of locked resource %s was deleted", resource_id)


def enqueue_drops(resource_ids: list[str]) -> None:
    for resource_id in resource_ids:
        tk.enqueue_job(
            drop_unchosen_rows,
            [resource_id],
            title=f"pricing drop rows {resource_id}",
        )
