"""The GDPR checklist in DCAT: a ckanext-dcat profile (``gdprcheck``), used after the
EU DCAT-AP profile (``ckanext.dcat.rdf.profiles = euro_dcat_ap_3 gdprcheck``).

- DCAT-AP-DK's personal-data category, as a concept of the Danish classification
  https://data.gov.dk/concept/profile/personal-data-categories/;
- W3C DPV: legal basis (the EU GDPR extension's Art. 6(1) bases), purpose, controller,
  and whether a DPIA was done.
Only the checklist's answers go out; the scanner's findings never do.

Read back (``parse_dataset``, used by harvesters): a source's personal-data category
(under DCAT-AP-DK's property and the IRIs portals have used for it) and DPV's legal
basis, purpose and controller become extras that ``checklist.source_checklist`` maps.
"""

from __future__ import annotations

from typing import Any

from rdflib import Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, RDFS, SKOS
from rdflib.term import Node

from ckanext.dcat.profiles import RDFProfile

DPV = Namespace("https://w3id.org/dpv#")
EU_GDPR = Namespace("https://w3id.org/dpv/legal/eu/gdpr#")
DK_CATEGORY = Namespace("https://data.gov.dk/concept/profile/personal-data-categories/")
DCATAP_DK = Namespace("https://data.gov.dk/model/profile/dcat-ap-dk/")
# The property as DCAT-AP-DK 2.0.2 defines it, and as sources also write it.
PERSONAL_DATA_CATEGORY = (
    URIRef("https://data.gov.dk/model/core/dcat-dk/personalDataCategory"),
    URIRef("https://data.gov.dk/model/core/dcat-dk#personalDataCategory"),
    DCATAP_DK.personalDataCategory,
)
_DPV_NAMESPACES = (DPV, Namespace("http://www.w3.org/ns/dpv#"))
_NAMES = (FOAF.name, SKOS.prefLabel, RDFS.label, DCTERMS.title, DCTERMS.description)


class GdprcheckProfile(RDFProfile):
    def _text(self, node: Node) -> str | None:
        """A literal's text, or the name or label of a node (an agent, a purpose)."""
        if isinstance(node, Literal):
            return str(node)
        for predicate in _NAMES:
            for found in self.g.objects(node, predicate):
                if isinstance(found, Literal) and str(found).strip():
                    return str(found)
        return str(node) if isinstance(node, URIRef) else None

    def parse_dataset(self, dataset_dict: dict[str, Any], dataset_ref: URIRef) -> dict[str, Any]:
        found: dict[str, str] = {}
        for predicate in PERSONAL_DATA_CATEGORY:
            for node in self.g.objects(dataset_ref, predicate):
                found.setdefault("personal_data_category", str(node))
        for dpv in _DPV_NAMESPACES:
            for key, predicate in (
                ("legal_basis", dpv.hasLegalBasis),
                ("purpose", dpv.hasPurpose),
                ("data_controller", dpv.hasDataController),
            ):
                for node in self.g.objects(dataset_ref, predicate):
                    text = str(node) if key == "legal_basis" else self._text(node)
                    if text:
                        found.setdefault(key, text)
        extras = dataset_dict.setdefault("extras", [])
        taken = {e.get("key") for e in extras if isinstance(e, dict)}
        extras.extend({"key": k, "value": v} for k, v in found.items() if k not in taken)
        return dataset_dict

    def graph_from_dataset(self, dataset_dict: dict[str, Any], dataset_ref: URIRef) -> None:
        g = self.g
        g.bind("dpv", DPV)
        g.bind("eu-gdpr", EU_GDPR)
        g.bind("dcatapdk", DCATAP_DK)
        category = dataset_dict.get("gdpr_category")
        if not category and dataset_dict.get("gdpr_personal_data") == "none":
            category = "NonPersonal"
        if category:
            g.add((dataset_ref, DCATAP_DK.personalDataCategory, DK_CATEGORY[category]))
        personal = dataset_dict.get("gdpr_personal_data")
        if personal:
            g.add(
                (
                    dataset_ref,
                    DPV.hasPersonalData,
                    Literal(personal in ("personal", "pseudonymised")),
                )
            )
        basis = dataset_dict.get("gdpr_legal_basis")
        if basis:
            article = "A" + basis.replace(".", "-", 1).replace(".", "-")  # 6.1.e -> A6-1-e
            g.add((dataset_ref, DPV.hasLegalBasis, EU_GDPR[article]))
        if dataset_dict.get("gdpr_purpose"):
            g.add((dataset_ref, DPV.hasPurpose, Literal(dataset_dict["gdpr_purpose"])))
        if dataset_dict.get("gdpr_controller"):
            g.add((dataset_ref, DPV.hasDataController, Literal(dataset_dict["gdpr_controller"])))
        if dataset_dict.get("gdpr_dpia") == "done":
            g.add((dataset_ref, DPV.hasImpactAssessment, DPV.DPIA))
