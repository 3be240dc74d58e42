"""The GDPR checklist in DCAT: a ckanext-dcat profile (``gdprcheck``), used after the
EU DCAT-AP profile (``ckanext.dcat.rdf.profiles = euro_dcat_ap_3 ... gdprcheck``).

- DCAT-AP-DK 2.0.2's personal-data category (``dcat-dk:personalDataCategory``), with the
  concepts of its classification (https://data.gov.dk/concept/core/personaldata-type/);
- W3C DPV as typed values: what the data is (``dpv:hasPersonalData`` with a category
  concept, or ``dpv:hasData`` with non-personal or anonymised data), the legal bases
  (DPV's GDPR extension: Art. 6(1) and, for special categories, Art. 9(2)), the purpose
  (a ``dpv:Purpose``), the controller (an agent with a name) and whether a DPIA was done.
The rules are in ``checklist.py``. Only the checklist's answers go out; the scanner's
findings never do.

Read back (``parse_dataset``, used by harvesters): a source's personal-data category
(under DCAT-AP-DK's property and the IRIs portals have used for it) and DPV's legal
basis, purpose and controller become extras that ``checklist.source_checklist`` maps.
"""

from __future__ import annotations

from typing import Any

from rdflib import BNode, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, RDF, RDFS, SKOS
from rdflib.term import Node

from ckanext.dcat.profiles import RDFProfile
from ckanext.gdprcheck import checklist

DPV = Namespace(checklist.DPV)
DPV_PD = Namespace(checklist.DPV_PD)
EU_GDPR = Namespace(checklist.EU_GDPR)
DCAT_DK = Namespace("https://data.gov.dk/model/core/dcat-dk/")
# The property as DCAT-AP-DK 2.0.2 defines it (written), and as sources also write it
# (read): with a hash, and under the profile's namespace, as this portal once did.
PERSONAL_DATA_CATEGORY = (
    URIRef(checklist.DK_PERSONAL_DATA_CATEGORY),
    URIRef("https://data.gov.dk/model/core/dcat-dk#personalDataCategory"),
    URIRef("https://data.gov.dk/model/profile/dcat-ap-dk/personalDataCategory"),
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
        g.bind("pd", DPV_PD)
        g.bind("eu-gdpr", EU_GDPR)
        g.bind("dcatdk", DCAT_DK)
        category = checklist.dk_category(dataset_dict)
        if category:
            g.add((dataset_ref, PERSONAL_DATA_CATEGORY[0], URIRef(category)))
        for name, concept in checklist.dpv_data(dataset_dict):
            g.add((dataset_ref, DPV[name], URIRef(concept)))
        for basis in checklist.gdpr_legal_bases(dataset_dict):
            g.add((dataset_ref, DPV.hasLegalBasis, URIRef(basis)))
            g.add((URIRef(basis), RDF.type, DPV.LegalBasis))
        purpose = dataset_dict.get("gdpr_purpose")
        if purpose:
            node = BNode()
            g.add((dataset_ref, DPV.hasPurpose, node))
            g.add((node, RDF.type, DPV.Purpose))
            g.add((node, DCTERMS.description, Literal(purpose)))
        controller = dataset_dict.get("gdpr_controller")
        if controller:
            node = BNode()
            g.add((dataset_ref, DPV.hasDataController, node))
            g.add((node, RDF.type, DPV.DataController))
            g.add((node, RDF.type, FOAF.Agent))
            g.add((node, FOAF.name, Literal(controller)))
        if dataset_dict.get("gdpr_dpia") == "done":
            g.add((dataset_ref, DPV.hasImpactAssessment, DPV.DPIA))
