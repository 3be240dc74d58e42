from __future__ import annotations

import json
from typing import Any

import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan.lib.plugins import DefaultTranslation

from ckanext.cityexchange.guard import guard_all, public_functions
from ckanext.cityexchange.interfaces import ICityexchangeNavigation, NavLink
from ckanext.cityharvest.logic import action

LOCAL = "local"


@tk.blanket.actions(lambda: guard_all(public_functions(*action.MODULES)))
@tk.blanket.auth_functions
@tk.blanket.validators
@tk.blanket.helpers
@tk.blanket.blueprints
@tk.blanket.cli
@tk.blanket.config_declarations
class CityharvestPlugin(p.SingletonPlugin, DefaultTranslation):
    """Other portals' open data in this catalog: provenance, the "source" facet, the
    harvest status page and the ``ckan cityharvest`` commands. The harvesters
    themselves are the plugins ``cityharvest_ckan`` and ``cityharvest_dcat``."""

    p.implements(p.IConfigurer)
    p.implements(p.IPackageController, inherit=True)
    p.implements(p.IFacets, inherit=True)
    p.implements(p.ITranslation)
    p.implements(ICityexchangeNavigation, inherit=True)

    def update_config(self, config: Any) -> None:
        tk.add_template_directory(config, "templates")

    # ICityexchangeNavigation: the harvest status page, public, linked from every footer.
    def cityexchange_footer_links(self) -> list[NavLink]:
        return [{"url": tk.url_for("cityharvest.status"), "label": tk._("Harvested portals")}]

    # One facet for harvested and local datasets alike: the portal a dataset comes from.
    def before_dataset_index(self, pkg_dict: dict[str, Any]) -> dict[str, Any]:
        try:
            validated = json.loads(pkg_dict.get("validated_data_dict") or "{}")
        except ValueError:
            validated = {}
        pkg_dict["cityharvest_source"] = validated.get("cityharvest_source") or LOCAL
        return pkg_dict

    def after_dataset_search(
        self, search_results: dict[str, Any], search_params: dict[str, Any]
    ) -> dict[str, Any]:
        facets = search_results.get("search_facets") or {}
        for item in (facets.get("cityharvest_source") or {}).get("items", []):
            if item["name"] == LOCAL:
                item["display_name"] = tk._("This portal")
        # The harvest sources' own facets hold stored values ("DAILY", "cityharvest_ckan"):
        # the frequency as ckanext-harvest names it (_(frequency.title())), the type as this
        # portal does.
        for item in (facets.get("frequency") or {}).get("items", []):
            item["display_name"] = tk._(str(item["name"]).title())
        types = {"cityharvest_ckan": tk._("CKAN portal"), "cityharvest_dcat": tk._("DCAT catalog")}
        for item in (facets.get("source_type") or {}).get("items", []):
            item["display_name"] = types.get(item["name"], item["display_name"])
        return search_results

    def dataset_facets(self, facets_dict: dict[str, Any], package_type: str) -> dict[str, Any]:
        if package_type == "harvest":
            # ckanext-harvest (loaded before) names its facets in English, without gettext.
            for name, title in facets_dict.items():
                facets_dict[name] = tk._(title)
        facets_dict["cityharvest_source"] = tk._("Source")
        return facets_dict

    def organization_facets(
        self, facets_dict: dict[str, Any], organization_type: str, package_type: str | None
    ) -> dict[str, Any]:
        return self.dataset_facets(facets_dict, package_type or "dataset")
