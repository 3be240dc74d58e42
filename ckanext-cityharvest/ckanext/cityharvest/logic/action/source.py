"""Harvest sources: the declared sources loaded into ckanext-harvest, and their settings."""

from __future__ import annotations

import json
from typing import Any

import ckan.plugins.toolkit as tk
from ckan import model
from ckan.types import Context, DataDict

from ckanext.cityexchange.context import site_context
from ckanext.cityharvest import mapping
from ckanext.cityharvest.logic.action._common import SOURCE_TYPES
from ckanext.cityharvest.logic.action.dataset import _organization

__all__ = ["cityharvest_source_load"]


FREQUENCIES = ("MANUAL", "MONTHLY", "WEEKLY", "BIWEEKLY", "DAILY", "ALWAYS")


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
    list are left as they are. Sysadmins only.

    :param sources: mappings with ``name``, ``title``, ``url``, ``type`` (``ckan``, the
        default, or ``dcat``), ``frequency`` (default ``DAILY``), optional
        ``organization``, ``description`` and ``config``
    :type sources: list of dictionaries
    :param organization: the organisation that owns the sources unless a source names
        its own (created if missing; default ``harvest-sources``)
    :type organization: string
    :returns: ``{"created": [names], "updated": [names], "unchanged": [names]}``
    :rtype: dictionary
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
