from __future__ import annotations

from typing import Any

import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan.lib.plugins import DefaultTranslation
from ckan.types import Context

from ckanext.cityexchange.guard import guard_all, public_functions
from ckanext.cityexchange.interfaces import ICityexchangeNavigation, NavLink
from ckanext.pricing import access, helpers, indexing, jobs
from ckanext.pricing.logic import action, auth, hold_auth, order_auth
from ckanext.xloader.interfaces import IXloader


@tk.blanket.actions(lambda: guard_all(public_functions(*action.MODULES)))
@tk.blanket.auth_functions(lambda: public_functions(auth, order_auth, hold_auth))
@tk.blanket.cli
@tk.blanket.validators
@tk.blanket.helpers
@tk.blanket.blueprints
@tk.blanket.config_declarations
class PricingPlugin(p.SingletonPlugin, DefaultTranslation):
    """Priced and restricted datasets: offers, samples, entitlements and the paywall."""

    p.implements(p.IConfigurer)
    p.implements(p.IPackageController, inherit=True)
    p.implements(p.IFacets, inherit=True)
    p.implements(p.ITranslation)
    p.implements(ICityexchangeNavigation, inherit=True)
    p.implements(IXloader, inherit=True)

    # IXloader: a locked file's rows reach the DataStore only if its seller chose so (and
    # are then served through the paywall like its file); a held file's never.
    def can_upload(self, resource_id: str) -> bool:
        return access.rows_may_be_loaded(resource_id)

    # ICityexchangeNavigation: what the user bought and, for a seller's editors, sold.
    def cityexchange_user_links(self, user_name: str) -> list[NavLink]:
        return helpers.user_links(user_name)

    # IConfigurer
    def update_config(self, config: Any) -> None:
        tk.add_template_directory(config, "templates")
        tk.add_resource("assets", "pricing")

    # IPackageController: the search index never receives a locked resource's URL...
    def before_dataset_index(self, pkg_dict: dict[str, Any]) -> dict[str, Any]:
        return indexing.before_index(pkg_dict)

    # A file that became locked without its seller choosing to load it leaves the
    # DataStore (in the worker).
    def after_dataset_update(self, context: Context, pkg_dict: dict[str, Any]) -> None:
        if pkg_dict.get("id"):
            jobs.enqueue_drops(access.tables_to_drop(pkg_dict["id"]))

    # ...and every dataset dict read from the database or the index is redacted per viewer.
    def after_dataset_show(self, context: Context, pkg_dict: dict[str, Any]) -> None:
        access.apply_to_package(context, pkg_dict)

    def after_dataset_search(
        self, search_results: dict[str, Any], search_params: dict[str, Any]
    ) -> dict[str, Any]:
        return indexing.label_facets(search_results)

    # IFacets
    def dataset_facets(self, facets_dict: dict[str, Any], package_type: str) -> dict[str, Any]:
        return indexing.add_facets(facets_dict)

    def organization_facets(
        self, facets_dict: dict[str, Any], organization_type: str, package_type: str | None
    ) -> dict[str, Any]:
        return indexing.add_facets(facets_dict)

    def group_facets(
        self, facets_dict: dict[str, Any], group_type: str, package_type: str | None
    ) -> dict[str, Any]:
        return indexing.add_facets(facets_dict)
