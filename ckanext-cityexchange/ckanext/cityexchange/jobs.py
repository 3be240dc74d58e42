"""Background jobs of the cityexchange plugin (CKAN's worker)."""

from __future__ import annotations

import logging

import ckan.plugins.toolkit as tk
from ckan.lib.uploader import get_resource_uploader

from ckanext.cityexchange import geo
from ckanext.cityexchange.context import site_context

log = logging.getLogger(__name__)

GEOJSON_FORMATS = {"geojson", "application/geo+json", "application/vnd.geo+json"}


def is_geojson(resource: dict[str, object]) -> bool:
    fmt = str(resource.get("format") or "").strip().lower()
    url = str(resource.get("url") or "").lower()
    return fmt in GEOJSON_FORMATS or url.endswith(".geojson")


def fill_spatial(resource_id: str) -> None:
    """Give a dataset without a geometry the extent of its GeoJSON file, so that map search
    finds it. Only a file every visitor may get is read (the paywall's own answer, asked
    as an anonymous visitor): the extent of locked data is the seller's to publish. Only
    an uploaded file is read; a geometry already set is never replaced."""
    site = site_context()
    try:
        resource = tk.get_action("resource_show")(dict(site), {"id": resource_id})
        dataset = tk.get_action("package_show")(dict(site), {"id": resource["package_id"]})
    except tk.ObjectNotFound:
        return
    if dataset.get("spatial") or resource.get("url_type") != "upload" or not is_geojson(resource):
        return
    try:
        answer = tk.get_action("pricing_entitlement_check")(
            {"user": ""}, {"resource_id": resource_id}
        )
    except KeyError:  # no paywall in this portal: every file is public
        answer = {"access": "public"}
    if answer.get("access") != "public":
        return
    path = get_resource_uploader(resource).get_path(resource_id)
    try:
        with open(path, "rb") as stored:
            data = stored.read(geo.MAX_EXTENT_BYTES + 1)
    except OSError as error:
        log.warning("GeoJSON of resource %s not readable: %s", resource_id, error)
        return
    extent = geo.extent_of_geojson(data)
    if extent:
        tk.get_action("package_patch")(dict(site), {"id": dataset["id"], "spatial": extent})
        log.info(
            "dataset %s: spatial set from the GeoJSON of resource %s", dataset["id"], resource_id
        )
