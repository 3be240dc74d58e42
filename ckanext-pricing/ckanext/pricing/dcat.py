"""Access in DCAT: a ckanext-dcat profile (``pricing``), listed after ``euro_dcat_ap_3``
and ``cityexchange`` in ``ckanext.dcat.rdf.profiles``.

- ``dct:accessRights`` with the EU access-right table's terms: PUBLIC for an open
  dataset, RESTRICTED for a priced or on-request one (``rules.access_right``); and the
  same per distribution: a free sample is public, a locked resource restricted;
- a priced or on-request dataset's free samples are also its ``adms:sample``;
- a distribution whose data is withheld from the public (locked, or held for review)
  is reached through its purchase link only: the DCAT output is the same for every
  reader, so the real URL, and a buyer's signed link, never appear in it, whoever asks.

Offers in ODRL are not written yet (issue 19, item 3).
"""

from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from rdflib import Literal, URIRef
from rdflib.namespace import DCTERMS, RDF
from rdflib.term import Node

from ckanext.dcat.profiles import ADMS, DCAT, CleanedURIRef, RDFProfile
from ckanext.dcat.utils import resource_uri
from ckanext.pricing import access, redact, rules
from ckanext.pricing.rules import Viewer

ACCESS_RIGHT = "http://publications.europa.eu/resource/authority/access-right/"
_PUBLIC_VIEWER = Viewer(user_id=None)


def _access_right(code: str) -> URIRef:
    return URIRef(ACCESS_RIGHT + code)


class PricingProfile(RDFProfile):
    def parse_dataset(self, dataset_dict: dict[str, Any], dataset_ref: URIRef) -> dict[str, Any]:
        # A harvested dataset is open data here: nothing of a source's access is read.
        return dataset_dict

    def graph_from_dataset(self, dataset_dict: dict[str, Any], dataset_ref: URIRef) -> None:
        g = self.g
        tier = dataset_dict.get("access_tier")
        self._set_access_right(dataset_ref, rules.access_right(tier))
        resources = [
            r for r in dataset_dict.get("resources") or [] if isinstance(r, dict) and r.get("id")
        ]
        # What a reader who is not signed in gets of each locked or held resource.
        withheld = {
            rid
            for rid, level in access.package_levels(
                _PUBLIC_VIEWER, dataset_dict, [], access.holds_for(dataset_dict)
            ).items()
            if rules.withheld(level)
        }
        site_url = str(tk.config.get("ckan.site_url") or "").rstrip("/")
        secrets: dict[str, str] = {}
        for resource in resources:
            distribution = CleanedURIRef(resource_uri(resource))
            if (dataset_ref, DCAT.distribution, distribution) not in g:
                continue
            rid = resource["id"]
            code = rules.access_right(tier, resource)
            if rid in withheld:
                code = "RESTRICTED"
                placeholder = redact.placeholder_url(site_url, rid)
                url = resource.get("url")
                if isinstance(url, str) and url and not redact.is_substitute(url, rid):
                    secrets[url] = placeholder
                for predicate in (DCAT.accessURL, DCAT.downloadURL):
                    for old in list(g.objects(distribution, predicate)):
                        g.remove((distribution, predicate, old))
                g.add((distribution, DCAT.accessURL, URIRef(placeholder)))
            self._set_access_right(distribution, code)
            if tier not in (None, "", rules.OPEN) and resource.get("access") == rules.SAMPLE:
                g.add((dataset_ref, ADMS.sample, distribution))
        if secrets:
            self._scrub(secrets)

    def _set_access_right(self, subject: Node, code: str) -> None:
        g = self.g
        for old in list(g.objects(subject, DCTERMS.accessRights)):
            g.remove((subject, DCTERMS.accessRights, old))
        g.add((subject, DCTERMS.accessRights, _access_right(code)))
        g.add((_access_right(code), RDF.type, DCTERMS.RightsStatement))

    def _scrub(self, secrets: dict[str, str]) -> None:
        """The dict held real URLs (a seller or sysadmin asked): none may remain in the
        graph, in any node or text."""
        g = self.g
        for s, p, o in list(g):
            text = str(o)
            if not any(secret in text for secret in secrets):
                continue
            for secret, placeholder in secrets.items():
                text = text.replace(secret, placeholder)
            g.remove((s, p, o))
            if isinstance(o, Literal):
                g.add((s, p, Literal(text, lang=o.language, datatype=o.datatype)))
            else:
                g.add((s, p, URIRef(text)))
        for s, p, o in list(g):
            if any(secret in str(s) for secret in secrets):
                g.remove((s, p, o))
