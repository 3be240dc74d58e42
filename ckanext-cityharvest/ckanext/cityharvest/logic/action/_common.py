"""Helpers the cityharvest action modules share."""

from __future__ import annotations

import json
from typing import Any

import ckan.plugins.toolkit as tk

from ckanext.cityharvest import mapping

SOURCE_TYPES = {"ckan": "cityharvest_ckan", "dcat": "cityharvest_dcat"}


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


def _source_checklist() -> dict[str, str]:
    """The GDPR checklist a harvested open dataset carries: declared by its source
    (ckanext-gdprcheck's, through its action; none without that plugin)."""
    try:
        return tk.get_action("gdprcheck_source_checklist")({"user": ""}, {})
    except KeyError:
        return {}
