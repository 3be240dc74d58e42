"""The Dataspace Protocol catalog (read-only): what the protocol's catalog endpoints
answer, built from what a visitor may see, the same for every caller (``dataspace.py``
writes the messages, ``odrl.py`` decides the offers)."""

from __future__ import annotations

import math
from typing import Any

import ckan.plugins.toolkit as tk
from ckan.types import Context, DataDict

from ckanext.dcat.utils import catalog_uri, dataset_uri, resource_uri
from ckanext.pricing import access, dataspace, rules
from ckanext.pricing.dcat import dataset_policies, withheld_ids

__all__ = ["pricing_dsp_catalog", "pricing_dsp_dataset"]

# A dataset the protocol can offer: published, with at least one distribution.
_OFFERED = "+dataset_type:dataset +num_resources:[1 TO *]"
_MAX_START = 2**31 - 1 - 10**6  # Solr's start and rows are 32-bit integers


def _visitor() -> Context:
    return {"user": "", "auth_user_obj": None}


def _page_size() -> int:
    return tk.config.get("ckanext.pricing.dsp.page_size")


def _dataset(pkg: dict[str, Any], *, root: bool = False) -> dict[str, Any]:
    site_url = access.site_url()
    offers, samples = dataset_policies(pkg)
    withheld = withheld_ids(pkg)
    tier = pkg.get("access_tier")
    distributions = []
    for resource in pkg.get("resources") or []:
        rid = resource.get("id")
        if not rid:
            continue
        public = rid not in withheld and not rules.is_locked(tier, resource)
        url = resource.get("url") if public else None
        distributions.append(
            dataspace.distribution(
                resource,
                iri=resource_uri(resource),
                site_url=site_url,
                public_url=url if isinstance(url, str) and url.startswith("http") else None,
                policies=[p for p in offers + samples if rid in p.distributions],
            )
        )
    return dataspace.dataset(
        pkg,
        iri=dataset_uri(pkg),
        site_url=site_url,
        distributions=distributions,
        offers=offers,
        root=root,
    )


@tk.side_effect_free
def pricing_dsp_catalog(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """One page of the portal's Dataspace Protocol 2025-1 catalog: every public dataset
    with at least one distribution, with its offers. Anyone may ask; the answer is what
    a visitor may see, whoever asks.

    :param message: the protocol's ``CatalogRequestMessage`` (filters are not supported)
    :type message: dictionary
    :param page: the page, from 1 (default 1)
    :type page: int
    :returns: ``catalog`` (the protocol's ``Catalog``), ``page``, ``pages``, ``count``
    :rtype: dictionary
    """
    tk.check_access("pricing_dsp_catalog", context, data_dict)
    errors: dict[str, list[str]] = {}
    problems = dataspace.request_problems(data_dict.get("message"))
    if problems:
        errors["message"] = problems
    page_value = data_dict.get("page", 1)
    try:
        page = int(page_value)
        if isinstance(page_value, bool) or page < 1 or str(page_value).strip() != str(page):
            raise ValueError
    except (TypeError, ValueError):
        errors["page"] = [tk._("Page must be a whole number from 1")]
        page = 1
    if errors:
        raise tk.ValidationError(errors)
    size = _page_size()
    start = (page - 1) * size
    found = tk.get_action("package_search")(
        _visitor(),
        {
            "fq": _OFFERED,
            # Far past any catalog (and past what Solr takes as a start): count only.
            "rows": size if start <= _MAX_START else 0,
            "start": start if start <= _MAX_START else 0,
            "sort": "metadata_created asc, name asc",
            "include_private": False,
        },
    )
    count = found["count"]
    pages = max(1, math.ceil(count / size))
    if page > pages:
        raise tk.ValidationError({"page": [tk._("There are only {} pages").format(pages)]})
    catalog = dataspace.catalog(
        iri=catalog_uri(),  # the catalog the DCAT output describes
        site_url=access.site_url(),
        participant_id=tk.config.get("ckanext.pricing.dsp.participant_id") or access.site_url(),
        title=str(tk.config.get("ckan.site_title") or ""),
        datasets=[_dataset(pkg) for pkg in found["results"]],
    )
    return {"catalog": catalog, "page": page, "pages": pages, "count": count}


@tk.side_effect_free
def pricing_dsp_dataset(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """One dataset of the Dataspace Protocol catalog, as the protocol's ``Dataset``.
    Not found unless a visitor may see it and it has a distribution.

    :param id: the dataset's id or name
    :type id: string
    :returns: the protocol's ``Dataset``, with its ``@context``
    :rtype: dictionary
    """
    tk.check_access("pricing_dsp_dataset", context, data_dict)
    ref = data_dict.get("id")
    if not isinstance(ref, str) or not ref.strip():
        raise tk.ValidationError({"id": [tk._("Missing value")]})
    try:
        pkg = tk.get_action("package_show")(_visitor(), {"id": ref.strip()})
    except tk.NotAuthorized as exc:  # private: as if it did not exist
        raise tk.ObjectNotFound(tk._("Dataset not found")) from exc
    if pkg.get("type") != "dataset" or pkg.get("state") != "active" or not pkg.get("resources"):
        raise tk.ObjectNotFound(tk._("Dataset not found"))
    return _dataset(pkg, root=True)
