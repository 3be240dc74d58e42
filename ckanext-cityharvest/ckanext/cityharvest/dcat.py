"""Themes in DCAT: a ckanext-dcat profile (``cityharvest``), listed after
``euro_dcat_ap_3`` in ``ckanext.dcat.rdf.profiles``. This portal's groups are the EU data
themes (``mapping.THEMES``); the rest of the catalog this portal serves is the other
profiles' work.

- Read: themes under ``dcat:theme`` and also ``dct:theme`` (no Dublin Core term, but
  what DCAT-AP-DK's own examples write), into the extra ``themes`` (a JSON list of
  IRIs); ``mapping.themes`` turns the EU data-theme IRIs among them into this portal's
  groups.
- Written: a dataset's groups as ``dcat:theme`` with the EU data-theme IRIs
  (``mapping.themes`` recognises the groups by name or title, in Danish or English).
"""

from __future__ import annotations

import json
from typing import Any

from rdflib import URIRef
from rdflib.namespace import DCAT

from ckanext.cityharvest import mapping
from ckanext.dcat.profiles import RDFProfile

# Not a Dublin Core term (rdflib's closed namespace refuses it), but what DCAT-AP-DK's
# official examples write for a dataset's theme.
DCT_THEME = URIRef("http://purl.org/dc/terms/theme")


class CityharvestProfile(RDFProfile):
    def parse_dataset(self, dataset_dict: dict[str, Any], dataset_ref: URIRef) -> dict[str, Any]:
        themes: list[str] = []
        for predicate in (DCAT.theme, DCT_THEME):
            for node in self.g.objects(dataset_ref, predicate):
                if isinstance(node, URIRef) and str(node) not in themes:
                    themes.append(str(node))
        if themes:
            dataset_dict.setdefault("extras", []).append(
                {"key": "themes", "value": json.dumps(themes)}
            )
        return dataset_dict

    def graph_from_dataset(self, dataset_dict: dict[str, Any], dataset_ref: URIRef) -> None:
        for theme in mapping.themes({"groups": dataset_dict.get("groups") or []}):
            self.g.add((dataset_ref, DCAT.theme, URIRef(theme.uri)))
