"""The Dataspace Protocol 2025-1 catalog's messages. Pure rules, no CKAN import.

The portal answers the protocol's catalog requests read-only (``views.py``: the
version endpoint, ``POST /dsp/catalog/request``, ``GET /dsp/catalog/datasets/<id>``):
every dataset a visitor may see that has at least one distribution, with its offers
(``odrl.py``) and its distributions. A distribution's download URL is given only where
the data is public (open data, free samples); a locked file has none, whoever asks.
Negotiation and transfer happen on the portal (checkout, deal rooms), not through the
protocol, so the data service named is the portal itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ckanext.pricing import odrl

VERSION = "2025-1"
CONTEXT = "https://w3id.org/dspace/2025/1/context.jsonld"
PATH = "/dsp"
# What a distribution is, in the protocol's words: files fetched over HTTP by the buyer.
FORMAT = "HttpData-PULL"
REQUEST_MESSAGE = "CatalogRequestMessage"


def version_response(site_url: str) -> dict[str, Any]:
    """What ``/.well-known/dspace-version`` answers."""
    return {
        "protocolVersions": [
            {
                "version": VERSION,
                "path": PATH,
                "binding": "HTTPS",
                "serviceId": service_id(site_url),
            }
        ]
    }


def service_id(site_url: str) -> str:
    return f"{site_url.rstrip('/')}{PATH}"


def data_service(site_url: str) -> dict[str, Any]:
    return {
        "@id": service_id(site_url),
        "@type": "DataService",
        "endpointURL": service_id(site_url),
    }


def error(code: str, reasons: Sequence[str]) -> dict[str, Any]:
    return {"@context": [CONTEXT], "@type": "CatalogError", "code": code, "reason": list(reasons)}


def request_problems(message: Any) -> list[str]:
    """Why a catalog request message cannot be answered (empty: it can)."""
    if not isinstance(message, Mapping):
        return ["The body must be a JSON object: a CatalogRequestMessage"]
    problems = []
    context = message.get("@context")
    contexts = [context] if isinstance(context, str) else context
    if not isinstance(contexts, list) or CONTEXT not in contexts:
        problems.append(f"@context must include {CONTEXT}")
    if message.get("@type") != REQUEST_MESSAGE:
        problems.append(f"@type must be {REQUEST_MESSAGE}")
    query = message.get("filter")
    if query is not None and not isinstance(query, list):
        problems.append("filter must be a list")
    elif query:
        problems.append("Filters are not supported: ask without a filter and page through")
    return problems


def distribution(
    resource: Mapping[str, Any],
    *,
    iri: str,
    site_url: str,
    public_url: str | None,
    policies: Sequence[odrl.Policy],
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "@id": iri,
        "@type": "Distribution",
        "format": FORMAT,
        "accessService": service_id(site_url),
    }
    if policies:
        out["hasPolicy"] = [odrl.to_dsp(policy) for policy in policies]
    if resource.get("name"):
        out["dct:title"] = str(resource["name"])
    if public_url:
        out["dcat:downloadURL"] = {"@id": public_url}
    return out


def dataset(
    ds: Mapping[str, Any],
    *,
    iri: str,
    site_url: str,
    distributions: Sequence[dict[str, Any]],
    offers: Sequence[odrl.Policy],
    root: bool = False,
) -> dict[str, Any]:
    """A dataset as the protocol's ``Dataset``; ``root`` for a response of its own."""
    out: dict[str, Any] = {"@context": [CONTEXT]} if root else {}
    out.update(
        {
            "@id": iri,
            "@type": "Dataset",
            "hasPolicy": [odrl.to_dsp(policy) for policy in offers],
            "distribution": list(distributions),
            "dct:identifier": str(ds.get("id") or ""),
            "dct:title": str(ds.get("title") or ds.get("name") or ""),
        }
    )
    if ds.get("notes"):
        out["dct:description"] = str(ds["notes"])
    keywords = [t["name"] for t in ds.get("tags") or [] if isinstance(t, Mapping) and t.get("name")]
    if keywords:
        out["dcat:keyword"] = keywords
    out["dcat:landingPage"] = {
        "@id": f"{site_url.rstrip('/')}/dataset/{ds.get('name') or ds.get('id')}"
    }
    return out


def catalog(
    *, iri: str, site_url: str, participant_id: str, datasets: Sequence[dict[str, Any]], title: str
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "@context": [CONTEXT],
        "@id": iri,
        "@type": "Catalog",
        "participantId": participant_id,
        "dct:title": title,
        "service": [data_service(site_url)],
    }
    if datasets:  # the schema wants at least one where the list is given
        out["dataset"] = list(datasets)
    return out


def link_header(url: str, page: int, pages: int) -> str | None:
    """``Link`` with ``previous`` and ``next`` for page ``page`` of ``pages`` (from 1)."""
    links = []
    if page > 1:
        links.append(f'<{url}?page={page - 1}>; rel="previous"')
    if page < pages:
        links.append(f'<{url}?page={page + 1}>; rel="next"')
    return ", ".join(links) or None
