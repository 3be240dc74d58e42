"""What the harvest reads from DCAT beyond ckanext-dcat's EU profile: a ckanext-dcat
profile (``cityharvest``), listed after ``euro_dcat_ap_3`` in
``ckanext.dcat.rdf.profiles``. It reads only (the catalog this portal serves is the
other profiles' work).

- Themes under ``dcat:theme`` and also ``dct:theme`` (no Dublin Core term, but what
  DCAT-AP-DK's own examples write), into the extra ``themes`` (a JSON list of IRIs); ``mapping.themes`` turns
  the EU data-theme IRIs among them into this portal's groups.
"""

from __future__ import annotations

import json
from typing import Any

from rdflib import URIRef
from rdflib.namespace import DCAT

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
