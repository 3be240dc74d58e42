from __future__ import annotations

from typing import Any

import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan import model
from ckan.common import CKANConfig
from ckan.lib.plugins import DefaultTranslation

from ckanext.cityexchange import facets, geo, jobs
from ckanext.xloader.interfaces import IXloader


@tk.blanket.actions
@tk.blanket.auth_functions
@tk.blanket.blueprints
@tk.blanket.config_declarations
@tk.blanket.helpers
@tk.blanket.validators
class CityexchangePlugin(p.SingletonPlugin, DefaultTranslation):
    """Portal-wide rules of the suite: the request guard, security headers, sessions,
    the buyers' facets no one extension owns (update frequency, place), and the
    exchange's theme."""

    p.implements(p.IConfigurer)
    p.implements(p.ITranslation)
    p.implements(p.IFacets, inherit=True)
    p.implements(p.IPackageController, inherit=True)
    p.implements(p.IResourceController, inherit=True)
    p.implements(IXloader, inherit=True)

    # IXloader: only files uploaded to the portal are loaded into the DataStore. The
    # loader fetches a link itself, following redirects, without the portal's outbound
    # checks (ckanext.cityexchange.outbound): a link to an internal address would be
    # copied into a table its publisher can read.
    def can_upload(self, resource_id: str) -> bool:
        resource = model.Resource.get(resource_id)
        return resource is not None and resource.url_type == "upload"

    def update_config(self, config: CKANConfig) -> None:
        # The exchange's theme (home page, header, colours) and the core templates whose
        # inline scripts carry the CSP nonce (templates/).
        tk.add_template_directory(config, "templates")
        tk.add_public_directory(config, "public")
        tk.add_resource("assets", "cityexchange")

    def dataset_facets(self, facets_dict: dict[str, Any], package_type: str) -> dict[str, Any]:
        return facets.add(facets_dict)

    def organization_facets(
        self, facets_dict: dict[str, Any], organization_type: str, package_type: str | None
    ) -> dict[str, Any]:
        return facets.add(facets_dict)

    def group_facets(
        self, facets_dict: dict[str, Any], group_type: str, package_type: str | None
    ) -> dict[str, Any]:
        return facets.add(facets_dict)

    def after_resource_create(self, context: Any, resource: dict[str, Any]) -> None:
        self._fill_spatial_later(resource)

    def after_resource_update(self, context: Any, resource: dict[str, Any]) -> None:
        self._fill_spatial_later(resource)

    def _fill_spatial_later(self, resource: dict[str, Any]) -> None:
        # A GeoJSON upload can tell where a dataset without a geometry is (jobs.py).
        if resource.get("url_type") == "upload" and jobs.is_geojson(resource):
            tk.enqueue_job(
                jobs.fill_spatial, [resource["id"]], title=f"cityexchange spatial {resource['id']}"
            )

    def before_dataset_index(self, pkg_dict: dict[str, Any]) -> dict[str, Any]:
        # Map search (ckanext-spatial's bounding boxes, indexed after this plugin) finds
        # no geometry without area: a point is indexed as a small box (geo.py).
        # It reads the geometry from "spatial" once "extras_spatial" says there is one.
        # A dataset without a geometry is found where its geographic coverage names a
        # Danish municipality or region (geo.place_extent, a gazetteer of their boxes).
        if pkg_dict.get("extras_spatial"):
            extent = geo.searchable_extent(pkg_dict["extras_spatial"])
        else:
            extent = geo.place_extent(
                pkg_dict.get("extras_spatial_coverage") or pkg_dict.get("spatial_coverage")
            )
        if extent:
            pkg_dict["extras_spatial"] = pkg_dict["spatial"] = extent
        return pkg_dict

    def before_dataset_search(self, search_params: dict[str, Any]) -> dict[str, Any]:
        # Free-text searches weigh the schema's Danish fields beside CKAN's English ones
        # (solr/conf/schema.xml); a caller's own qf wins.
        search_params.setdefault("qf", tk.config.get("ckanext.cityexchange.search.query_fields"))
        return search_params

    def after_dataset_search(
        self, search_results: dict[str, Any], search_params: dict[str, Any]
    ) -> dict[str, Any]:
        return facets.label(search_results)

    def before_dataset_view(self, pkg_dict: dict[str, Any]) -> dict[str, Any]:
        # CKAN translates a licence title by passing it to gettext (h.license_options, its
        # built-in register's titles); the title a dataset dict carries is the register's
        # English one, as stored when it was indexed. The page shows it translated.
        if pkg_dict.get("license_title"):
            pkg_dict["license_title"] = tk._(pkg_dict["license_title"])
        return pkg_dict
