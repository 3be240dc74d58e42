from __future__ import annotations

import json
import logging
from typing import Any

import ckan.plugins as p
import ckan.plugins.toolkit as tk
from ckan.lib.plugins import DefaultTranslation
from ckan.types import Context

from ckanext.cityexchange.guard import guard_all, public_functions
from ckanext.gdprcheck import checklist, holds, jobs, status
from ckanext.gdprcheck.logic import action
from ckanext.pricing.interfaces import IPricingHolds

log = logging.getLogger(__name__)
_LABELS = {
    "complete": "GDPR checklist complete",
    "incomplete": "GDPR checklist incomplete",
    "blocked": "GDPR checklist blocked",
    "not_declared": "Personal data not declared by the source",
}


@tk.blanket.actions(lambda: guard_all(public_functions(action)))
@tk.blanket.auth_functions
@tk.blanket.validators
@tk.blanket.helpers
@tk.blanket.blueprints
@tk.blanket.config_declarations
class GdprcheckPlugin(p.SingletonPlugin, DefaultTranslation):
    """GDPR checklist metadata, a publishing gate, a personal-data scanner, and the
    quarantine of files whose scan contradicts the checklist."""

    p.implements(p.IConfigurer)
    p.implements(p.IPackageController, inherit=True)
    p.implements(p.IFacets, inherit=True)
    p.implements(p.ITranslation)
    p.implements(p.IResourceController, inherit=True)
    p.implements(IPricingHolds)

    def update_config(self, config: Any) -> None:
        tk.add_template_directory(config, "templates")

    # The status is a search facet; it is computed from the checklist and the scans.
    def before_dataset_index(self, pkg_dict: dict[str, Any]) -> dict[str, Any]:
        try:
            validated = json.loads(pkg_dict.get("validated_data_dict") or "{}")
        except ValueError:
            validated = {}
        validated.setdefault("id", pkg_dict.get("id"))
        pkg_dict["gdprcheck_status"] = status.evaluate(validated).status
        held = bool(holds.held_resources(pkg_dict.get("id")))
        if held:
            pkg_dict["gdprcheck_review"] = "held"  # facet: "held for review"
        if pkg_dict.get("validated_data_dict"):
            # Search results are read from this copy: they show the badges without a query.
            validated["gdprcheck_status"] = pkg_dict["gdprcheck_status"]
            validated["gdprcheck_held"] = held
            pkg_dict["validated_data_dict"] = json.dumps(validated)
        return pkg_dict

    def after_dataset_search(
        self, search_results: dict[str, Any], search_params: dict[str, Any]
    ) -> dict[str, Any]:
        facet = (search_results.get("search_facets") or {}).get("gdprcheck_status")
        for item in (facet or {}).get("items", []):
            item["display_name"] = tk._(_LABELS.get(item["name"], item["name"]))
        review = (search_results.get("search_facets") or {}).get("gdprcheck_review")
        for item in (review or {}).get("items", []):
            item["display_name"] = (
                tk._("Held for review") if item["name"] == "held" else item["name"]
            )
        return search_results

    def dataset_facets(self, facets_dict: dict[str, Any], package_type: str) -> dict[str, Any]:
        facets_dict["gdprcheck_status"] = tk._("GDPR checklist")
        facets_dict["gdprcheck_review"] = tk._("GDPR review")
        return facets_dict

    def organization_facets(
        self, facets_dict: dict[str, Any], organization_type: str, package_type: str | None
    ) -> dict[str, Any]:
        return self.dataset_facets(facets_dict, package_type or "dataset")

    # Every new or changed CSV, TSV, XLSX or JSON file is scanned in the background.
    # resource_create and resource_update go through package_update, so these two hooks
    # see every resource change.
    def after_dataset_create(self, context: Context, pkg_dict: dict[str, Any]) -> None:
        self._queue_scans(pkg_dict)

    def after_dataset_update(self, context: Context, pkg_dict: dict[str, Any]) -> None:
        self._queue_scans(pkg_dict)
        # A corrected checklist (or a dataset no longer public nor for sale) releases its
        # holds; one that now contradicts a finished scan holds the file. Same transaction.
        new, _released = holds.reconcile(pkg_dict, cause="update")
        holds.after_commit_holding(pkg_dict["id"], new)

    # Scan before exposure: a small upload is scanned in the request that stored it (these
    # hooks run after its commit); a larger one is withheld ("scanning") until the worker
    # has scanned it.
    def after_resource_create(self, context: Context, resource: dict[str, Any]) -> None:
        self._scan_in_request(resource)

    def after_resource_update(self, context: Context, resource: dict[str, Any]) -> None:
        self._scan_in_request(resource)

    @staticmethod
    def _scan_in_request(resource: dict[str, Any]) -> None:
        if not resource.get("id") or resource.get("url_type") != "upload":
            return
        try:
            jobs.scan_in_request(resource["id"])
        except Exception:
            log.exception("gdprcheck: in-request scan of resource %s failed", resource["id"])

    # IPricingHolds: the paywall withholds held files (and files not yet scanned) from
    # everyone but managers.
    def pricing_resource_holds(self, pkg_dict: dict[str, Any]) -> dict[str, str]:
        return {**holds.scanning(pkg_dict), **holds.held_resources(pkg_dict.get("id"))}

    def pricing_sales_paused(self, pkg_dict: dict[str, Any]) -> str | None:
        return checklist.SALES_PAUSED if holds.held_resources(pkg_dict.get("id")) else None

    @staticmethod
    def _queue_scans(pkg_dict: dict[str, Any]) -> None:
        # A harvested open dataset's checklist is declared by its source portal, and its
        # files stay on the source's servers: only a sample of each CSV or JSON file is
        # scanned, for the operator (never held; see jobs.sample_resource).
        ids = holds.resource_ids_of(pkg_dict)
        if pkg_dict.get("gdpr_declared_by") == "source":
            for resource_id in ids:
                jobs.enqueue_sample(resource_id)
            return
        for resource_id in ids:
            jobs.enqueue(resource_id)
