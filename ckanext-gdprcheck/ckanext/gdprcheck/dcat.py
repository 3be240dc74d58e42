"""The GDPR checklist in DCAT: a ckanext-dcat profile (``gdprcheck``), used after the
EU DCAT-AP profile (``ckanext.dcat.rdf.profiles = euro_dcat_ap_3 gdprcheck``).

- DCAT-AP-DK's personal-data category, as a concept of the Danish classification
  https://data.gov.dk/concept/profile/personal-data-categories/;
- W3C DPV: legal basis (the EU GDPR extension's Art. 6(1) bases), purpose, controller,
  and whether a DPIA was done.
Only the checklist's answers go out; the scanner's findings never do.
"""

from __future__ import annotations

from typing import Any

from rdflib import Literal, Namespace, URIRef

from ckanext.dcat.profiles import RDFProfile

DPV = Namespace("https://w3id.org/dpv#")
EU_GDPR = Namespace("https://w3id.org/dpv/legal/eu/gdpr#")
DK_CATEGORY = Namespace("https://data.gov.dk/concept/profile/personal-data-categories/")
DCATAP_DK = Namespace("https://data.gov.dk/model/profile/dcat-ap-dk/")


class GdprcheckProfile(RDFProfile):
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
