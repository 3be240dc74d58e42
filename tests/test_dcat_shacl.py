"""The portal's DCAT output against the official SHACL shapes (test-data/shacl/).

Every kind of dataset the catalog holds (open, open with the least a publisher may give,
priced with offers, a free sample and locked resources, on request, harvested from a
CKAN portal and from a DCAT-AP-DK catalog) is read as a harvester reads it, from
``/dataset/<name>.ttl`` (ckanext-dcat's serializer with the profiles of
``ckanext.dcat.rdf.profiles``), and so is the whole catalog (``/catalog.ttl``). Each is
validated with pyshacl against DCAT-AP 3.0.1 (mandatory, recommended, range, controlled
vocabulary and deprecation shapes, with the EU vocabularies they need) and DCAT-AP-DK
2.0.2: no violation is allowed; the warnings (recommended properties) are counted and
printed. A planted violation shows that the validator does catch them.
"""

from __future__ import annotations

import collections
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import ckan.plugins.toolkit as tk
import pyshacl
import pytest
from ckan.tests import helpers
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, SH, XSD

from tests.catalog_kinds import KINDS, Portal, portal  # noqa: F401 (the fixture)

ROOT = Path(__file__).resolve().parent.parent
SHACL = ROOT / "test-data" / "shacl"

pytestmark = pytest.mark.module_plugins

DCAT_AP = SHACL / "dcat-ap-3.0.1"
DCAT_AP_FILES = (
    "shapes.ttl",
    "shapes_recommended.ttl",
    "range.ttl",
    "mdr-vocabularies.shape.ttl",
    "deprecateduris.ttl",
)
DCAT_AP_DK = SHACL / "dcat-ap-dk-2.0.2" / "dcat-ap-dk_2.0.2_shacl_shapes.ttl"
DPV = "https://w3id.org/dpv#"
DK_CATEGORY = URIRef("https://data.gov.dk/model/core/dcat-dk/personalDataCategory")
# DCAT-AP-DK 2.0.2's classification "Personal Data Category", as the specification lists
# it (releases/v.2.0/docs/index-en.md); its shapes check only a prefix (see below).
DK_CATEGORIES = {
    f"https://data.gov.dk/concept/core/personaldata-type/{name}"
    for name in (
        "SensitivePersonalData",
        "GeneralPersonalData",
        "CivilRegistrationNumberData",
        "DataAboutCriminalOffences",
        "NonPersonalData",
    )
}
# Where DCAT-AP-DK 2.0.2 (built on DCAT-AP 2.0) and DCAT-AP 3.0.1 cannot both hold, the
# output follows DCAT-AP 3.0.1; and one pattern of DCAT-AP-DK's shapes contradicts its
# own specification. These results of the DCAT-AP-DK shapes are expected, and only these
# (path, the constraint that is not met).
DK_EXPECTED = {
    # DCAT-AP 3.0.1 types a byte size xsd:nonNegativeInteger; DCAT-AP-DK 2.0.2 xsd:decimal.
    (str(DCAT.byteSize), str(SH.DatatypeConstraintComponent)),
    # DCAT-AP 3.0.1 takes availability from the EU planned-availability table;
    # DCAT-AP-DK 2.0.2 from DCAT-AP 2.0's http://data.europa.eu/r5r/availability/.
    ("http://data.europa.eu/r5r/availability", str(SH.PatternConstraintComponent)),
    # The shapes want ".../personaldata-type/PersonalDataCategory/..."; the specification's
    # concepts are ".../personaldata-type/<Concept>" (checked against DK_CATEGORIES).
    (str(DK_CATEGORY), str(SH.PatternConstraintComponent)),
}


@dataclass(frozen=True)
class Finding:
    severity: str  # Violation, Warning, Info
    focus: str
    path: str
    constraint: str
    message: str

    def __str__(self) -> str:
        return f"{self.severity}: {self.focus} {self.path}: {self.message}"


def _parse(paths: list[Path]) -> Graph:
    graph = Graph()
    for path in paths:
        graph.parse(path, format="turtle")
    return graph


@dataclass
class Shapes:
    dcat_ap: Graph
    dcat_ap_dk: Graph
    vocabularies: Graph

    def validate(self, data: Graph, shapes: Graph) -> list[Finding]:
        """The validation report's results (those of nested shapes are details of
        these, with the severity of the property that holds them). The vocabularies are
        loaded into the data graph, as the official validator does with the code lists
        (pyshacl's ``ont_graph`` would copy their classes and properties only)."""
        _conforms, report, _text = pyshacl.validate(
            data + self.vocabularies, shacl_graph=shapes, inference="none"
        )
        findings = []
        for result in report.objects(None, SH.result):
            findings.append(
                Finding(
                    severity=str(report.value(result, SH.resultSeverity)).split("#")[-1],
                    focus=str(report.value(result, SH.focusNode)),
                    path=str(report.value(result, SH.resultPath)),
                    constraint=str(report.value(result, SH.sourceConstraintComponent)),
                    message=str(report.value(result, SH.resultMessage)),
                )
            )
        return findings


@pytest.fixture(scope="module")
def shapes() -> Shapes:
    return Shapes(
        dcat_ap=_parse([DCAT_AP / name for name in DCAT_AP_FILES]),
        dcat_ap_dk=_parse([DCAT_AP_DK]),
        vocabularies=_parse(sorted((SHACL / "vocabularies").glob("*.ttl"))),
    )


def _graph(app: Any, path: str, headers: dict[str, str] | None = None) -> Graph:
    response = app.get(path, headers=headers or {})
    assert response.status_code == 200, path
    return Graph().parse(data=response.get_data(as_text=True), format="turtle")


def _report(capsys: Any, label: str, findings: list[Finding], expected: int = 0) -> None:
    """Print the warnings (recommended properties missing, values outside EU tables that
    are only recommended), by property."""
    warnings = [f for f in findings if f.severity == "Warning"]
    by_path = collections.Counter(f.path.split("/")[-1].split("#")[-1] for f in warnings)
    detail = ", ".join(f"{path} {n}" for path, n in sorted(by_path.items()))
    line = f"{label}: {len(warnings)} warnings ({detail or 'none'})"
    if expected:
        line += f"; {expected} expected results (DK_EXPECTED)"
    with capsys.disabled():
        print(f"\n{line}")


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_of_dataset_conforms_to_dcat_ap_3(
    portal: Portal, shapes: Shapes, app: Any, capsys: Any, kind: str
) -> None:
    data = _graph(app, f"/dataset/{portal.datasets[kind]['name']}.ttl")
    findings = shapes.validate(data, shapes.dcat_ap)
    violations = [str(f) for f in findings if f.severity == "Violation"]
    assert violations == [], "\n".join(violations)
    _report(capsys, f"DCAT-AP 3.0.1, {kind}", findings)


def test_the_catalog_conforms_to_dcat_ap_3(
    portal: Portal, shapes: Shapes, app: Any, capsys: Any
) -> None:
    data = _graph(app, "/catalog.ttl")
    datasets = set(data.objects(None, DCAT.dataset))
    assert len(datasets) == len(KINDS)
    findings = shapes.validate(data, shapes.dcat_ap)
    violations = [str(f) for f in findings if f.severity == "Violation"]
    assert violations == [], "\n".join(violations)
    _report(capsys, "DCAT-AP 3.0.1, the catalog", findings)


@pytest.mark.parametrize("kind", [*KINDS, "catalog"])
def test_dcat_ap_dk_holds_except_where_dcat_ap_3_decides(
    portal: Portal, shapes: Shapes, app: Any, capsys: Any, kind: str
) -> None:
    path = "/catalog.ttl" if kind == "catalog" else f"/dataset/{portal.datasets[kind]['name']}.ttl"
    data = _graph(app, path)
    findings = shapes.validate(data, shapes.dcat_ap_dk)
    expected = [f for f in findings if (f.path, f.constraint) in DK_EXPECTED]
    violations = [str(f) for f in findings if f.severity == "Violation" and f not in expected]
    assert violations == [], "\n".join(violations)
    _report(capsys, f"DCAT-AP-DK 2.0.2, {kind}", findings, len(expected))
    # The category's values are the specification's concepts.
    assert {str(o) for o in data.objects(None, DK_CATEGORY)} <= DK_CATEGORIES


def test_the_validator_catches_planted_violations(portal: Portal, shapes: Shapes, app: Any) -> None:
    data = _graph(app, f"/dataset/{portal.datasets['open']['name']}.ttl")
    assert not [f for f in shapes.validate(data, shapes.dcat_ap) if f.severity == "Violation"]
    dataset = next(data.subjects(RDF.type, DCAT.Dataset))
    distribution = next(data.objects(dataset, DCAT.distribution))
    data.remove((dataset, DCTERMS.description, None))  # mandatory
    data.add((distribution, DCTERMS["format"], Literal("CSV")))  # a literal, not a file type
    # A language the EU table does not have, stated the right way: caught only through
    # the vocabularies.
    unknown = URIRef("http://publications.europa.eu/resource/authority/language/XXX")
    data.add((dataset, DCTERMS.language, unknown))
    data.add((unknown, RDF.type, DCTERMS.LinguisticSystem))
    caught = {
        (f.path, f.focus)
        for f in shapes.validate(data, shapes.dcat_ap)
        if f.severity == "Violation"
    }
    assert (str(DCTERMS.description), str(dataset)) in caught
    assert (str(DCTERMS["format"]), str(distribution)) in caught
    assert (str(DCTERMS.language), str(dataset)) in caught
    caught_dk = {
        (f.path, f.focus)
        for f in shapes.validate(data, shapes.dcat_ap_dk)
        if f.severity == "Violation" and (f.path, f.constraint) not in DK_EXPECTED
    }
    assert (str(DCTERMS.description), str(dataset)) in caught_dk
    assert (str(DCTERMS["format"]), str(distribution)) in caught_dk


def _token(user: dict[str, Any]) -> str:
    return helpers.call_action(
        "api_token_create", context={"user": user["name"]}, user=user["name"], name="dcat"
    )["token"]


def test_a_priced_dataset_shows_access_rights_and_never_a_locked_url(
    portal: Portal, app: Any
) -> None:
    ds = portal.datasets["priced"]
    site_url = tk.config["ckan.site_url"].rstrip("/")
    public = "http://publications.europa.eu/resource/authority/access-right/PUBLIC"
    restricted = "http://publications.europa.eu/resource/authority/access-right/RESTRICTED"
    # Everyone gets the same description: the sysadmin's dataset dict holds the real URLs.
    for headers in ({}, {"Authorization": _token(portal.sysadmin)}):
        for fmt in ("ttl", "rdf", "jsonld"):
            for path in (f"/dataset/{ds['name']}.{fmt}", f"/catalog.{fmt}"):
                body = app.get(path, headers=headers).get_data(as_text=True)
                assert portal.secret not in body, (path, bool(headers))
        data = _graph(app, f"/dataset/{ds['name']}.ttl", headers)
        dataset = URIRef(next(iter(data.subjects(RDF.type, DCAT.Dataset))))
        assert {str(o) for o in data.objects(dataset, DCTERMS.accessRights)} == {restricted}
        rights = {}
        for resource in ds["resources"]:
            node = next(
                d
                for d in data.objects(dataset, DCAT.distribution)
                if str(d).endswith(resource["id"])
            )
            rights[resource["access"]] = {str(o) for o in data.objects(node, DCTERMS.accessRights)}
            urls = {str(o) for o in data.objects(node, DCAT.accessURL)}
            if resource["access"] == "locked":
                assert urls == {f"{site_url}/pricing/locked/{resource['id']}"}
                assert (node, DCAT.downloadURL, None) not in data
            else:
                assert urls == {"https://data.mobilitetsdata.example/sample.csv"}
                assert (dataset, URIRef("http://www.w3.org/ns/adms#sample"), node) in data
        assert rights == {"sample": {public}, "locked": {restricted}}


def test_the_checks_above_would_catch_a_leak(portal: Portal, app: Any) -> None:
    """The probe: the sysadmin's dataset dict holds the real URLs, and ckanext-dcat's
    serializer without the pricing profile writes them; the endpoint, with the same
    profiles, does not (the pricing plugin's chained ``dcat_dataset_show``)."""
    from ckanext.dcat.processors import RDFSerializer

    ds = portal.datasets["priced"]
    as_sysadmin = helpers.call_action(
        "package_show", context={"user": portal.sysadmin["name"]}, id=ds["id"]
    )
    raw = RDFSerializer(profiles=["euro_dcat_ap_3"]).serialize_dataset(as_sysadmin, _format="ttl")
    assert portal.secret in raw
    headers = {"Authorization": _token(portal.sysadmin)}
    served = app.get(f"/dataset/{ds['name']}.ttl?profiles=euro_dcat_ap_3", headers=headers)
    assert served.status_code == 200 and ds["id"] in served.get_data(as_text=True)
    assert portal.secret not in served.get_data(as_text=True)


def test_an_open_dataset_is_public(portal: Portal, app: Any) -> None:
    data = _graph(app, f"/dataset/{portal.datasets['open']['name']}.ttl")
    rights = {str(o) for o in data.objects(None, DCTERMS.accessRights)}
    assert rights == {"http://publications.europa.eu/resource/authority/access-right/PUBLIC"}


def test_personal_data_in_dcat_ap_dk_and_dpv_terms(portal: Portal, app: Any) -> None:
    data = _graph(app, f"/dataset/{portal.datasets['on_request']['name']}.ttl")
    dataset = next(data.subjects(RDF.type, DCAT.Dataset))
    assert {str(o) for o in data.objects(dataset, DK_CATEGORY)} == {
        "https://data.gov.dk/concept/core/personaldata-type/GeneralPersonalData"
    }
    assert {str(o) for o in data.objects(dataset, URIRef(DPV + "hasPersonalData"))} == {
        DPV + "PseudonymisedData"
    }
    assert {str(o) for o in data.objects(dataset, URIRef(DPV + "hasLegalBasis"))} == {
        "https://w3id.org/dpv/legal/eu/gdpr#A6-1-f"
    }
    (controller,) = data.objects(dataset, URIRef(DPV + "hasDataController"))
    assert isinstance(controller, BNode)
    assert (controller, RDF.type, URIRef(DPV + "DataController")) in data
    assert str(data.value(controller, FOAF.name)) == "Luftsensor A/S"
    (purpose,) = data.objects(dataset, URIRef(DPV + "hasPurpose"))
    assert (purpose, RDF.type, URIRef(DPV + "Purpose")) in data
    assert str(data.value(purpose, DCTERMS.description)) == "Luftkvalitetsanalyser for kommuner"
    # No old property IRI, no boolean and no plain-text controller anywhere.
    old = URIRef("https://data.gov.dk/model/profile/dcat-ap-dk/personalDataCategory")
    assert (None, old, None) not in data
    assert not [
        o for o in data.objects(None, URIRef(DPV + "hasPersonalData")) if isinstance(o, Literal)
    ]
    # A harvested declaration goes out again in the same terms.
    data = _graph(app, f"/dataset/{portal.datasets['harvested_dcat_gdpr']['name']}.ttl")
    assert {str(o) for o in data.objects(None, DK_CATEGORY)} == {
        "https://data.gov.dk/concept/core/personaldata-type/GeneralPersonalData"
    }
    assert {str(o) for o in data.objects(None, URIRef(DPV + "hasPersonalData"))} == {
        DPV + "PersonalData"
    }


ODRL = "http://www.w3.org/ns/odrl/2/"
SCHEMA_ORG = "http://schema.org/"


def _o(name: str) -> URIRef:
    return URIRef(ODRL + name)


def _offers(data: Graph, subject: Any) -> dict[str, Any]:
    """The offers a node has (odrl:hasPolicy), by the end of their IRI."""
    return {str(o).rsplit("#", 1)[-1]: o for o in data.objects(subject, _o("hasPolicy"))}


def _duties(data: Graph, offer: Any) -> dict[str, Any]:
    """An offer's duties by action name; for a refined action (compensate), the action
    node with its refinements."""
    (permission,) = data.objects(offer, _o("permission"))
    assert data.value(permission, _o("action")) == _o("use")
    out = {}
    for duty in data.objects(permission, _o("duty")):
        action = data.value(duty, _o("action"))
        if isinstance(action, BNode):
            out[str(data.value(action, RDF.value)).rsplit("/", 1)[-1]] = action
        else:
            out[str(action).rsplit("/", 1)[-1]] = duty
    return out


def test_offers_in_odrl_on_the_dataset_and_the_files_they_cover(portal: Portal, app: Any) -> None:
    ds = portal.datasets["priced"]
    data = _graph(app, f"/dataset/{ds['name']}.ttl")
    dataset = next(data.subjects(RDF.type, DCAT.Dataset))
    publisher = data.value(dataset, DCTERMS.publisher)
    offers = _offers(data, dataset)
    assert set(offers) == {"offer-kvartal", "offer-abonnement"}
    for offer in offers.values():
        assert (offer, RDF.type, _o("Offer")) in data and (offer, RDF.type, _o("Policy")) in data
        assert data.value(offer, _o("assigner")) == publisher
    # The price: a duty to compensate, the action refined by the amount in kroner and
    # the currency's EU IRI (ODRL 2.2's information model).
    action = _duties(data, offers["offer-kvartal"])["compensate"]
    (constraint,) = data.objects(action, _o("refinement"))
    assert data.value(constraint, _o("leftOperand")) == _o("payAmount")
    assert data.value(constraint, _o("operator")) == _o("eq")
    amount = data.value(constraint, _o("rightOperand"))
    assert (str(amount), str(amount.datatype)) == ("12500.00", str(XSD.decimal))
    assert str(data.value(constraint, _o("unit"))).endswith("/authority/currency/DKK")
    # The subscription's period; the licence's IRI is its text's page.
    (permission,) = data.objects(offers["offer-abonnement"], _o("permission"))
    (period,) = data.objects(permission, _o("constraint"))
    assert data.value(period, _o("leftOperand")) == _o("elapsedTime")
    assert str(data.value(period, _o("rightOperand"))) == "P1M"
    licence = data.value(offers["offer-kvartal"], DCTERMS.license)
    page = app.get(str(licence).replace(tk.config["ckan.site_url"].rstrip("/"), ""))
    assert page.status_code == 200 and "Internal use only" in page.get_data(as_text=True)
    # The locked files carry the offers (DCAT-AP allows one policy: it holds both offers'
    # permissions, each of which targets the file); the free sample a free offer.
    for resource in ds["resources"]:
        node = next(
            d for d in data.objects(dataset, DCAT.distribution) if str(d).endswith(resource["id"])
        )
        on_file = _offers(data, node)
        if resource["access"] == "locked":
            assert list(on_file) == [f"offers-{resource['id']}"]
            permissions = set(data.objects(on_file[f"offers-{resource['id']}"], _o("permission")))
            assert permissions == {
                p for offer in offers.values() for p in data.objects(offer, _o("permission"))
            }
            assert all((p, _o("target"), node) in data for p in permissions)
        else:
            assert list(on_file) == [f"offer-sample-{resource['id']}"]
            assert _duties(data, on_file[f"offer-sample-{resource['id']}"]) == {}


def test_on_request_means_consent_and_open_means_free(portal: Portal, app: Any) -> None:
    data = _graph(app, f"/dataset/{portal.datasets['on_request']['name']}.ttl")
    dataset = next(data.subjects(RDF.type, DCAT.Dataset))
    (offer,) = _offers(data, dataset).values()
    assert set(_duties(data, offer)) == {"obtainConsent"}
    data = _graph(app, f"/dataset/{portal.datasets['open']['name']}.ttl")
    dataset = next(data.subjects(RDF.type, DCAT.Dataset))
    (offer,) = _offers(data, dataset).values()
    assert _duties(data, offer) == {}
    distributions = set(data.objects(dataset, DCAT.distribution))
    assert distributions and all((d, _o("hasPolicy"), offer) in data for d in distributions)


def test_schema_org_offers_in_the_output_and_the_page(portal: Portal, app: Any) -> None:
    ds = portal.datasets["priced"]
    for headers in ({}, {"Authorization": _token(portal.sysadmin)}):
        response = app.get(
            f"/dataset/{ds['name']}.jsonld?profiles=schemaorg,pricing_schemaorg", headers=headers
        )
        body = response.get_data(as_text=True)
        assert portal.secret not in body
        data = Graph().parse(data=body, format="json-ld")
        dataset = next(data.subjects(RDF.type, URIRef(SCHEMA_ORG + "Dataset")))
        assert data.value(dataset, URIRef(SCHEMA_ORG + "isAccessibleForFree")).toPython() is False
        prices = {
            (
                str(data.value(o, URIRef(SCHEMA_ORG + "price"))),
                str(data.value(o, URIRef(SCHEMA_ORG + "priceCurrency"))),
            )
            for o in data.objects(dataset, URIRef(SCHEMA_ORG + "offers"))
        }
        assert prices == {("12500.00", "DKK"), ("4500.00", "DKK")}
        page = app.get(f"/dataset/{ds['name']}", headers=headers).get_data(as_text=True)
        assert '"schema:isAccessibleForFree": false' in page and "schema:Offer" in page
        assert portal.secret not in page.split('application/ld+json">', 1)[1]
    page = app.get(f"/dataset/{portal.datasets['open']['name']}").get_data(as_text=True)
    assert '"schema:isAccessibleForFree": true' in page and "schema:Offer" not in page


def _profiles() -> list[str]:
    return sorted({e.name for e in entry_points(group="ckan.rdf.profiles")})


def test_no_profile_and_no_format_lets_a_locked_url_out(portal: Portal, app: Any) -> None:
    """The caller chooses the profiles (``?profiles=``): every registered profile alone,
    in every format, as the sysadmin (whose dataset dict holds the real URLs)."""
    ds = portal.datasets["priced"]
    headers = {"Authorization": _token(portal.sysadmin)}
    profiles = _profiles()
    assert {"euro_dcat_ap_3", "schemaorg", "pricing"} <= set(profiles)
    reached = 0
    for profile in profiles:
        for fmt in ("ttl", "rdf", "xml", "n3", "jsonld"):
            response = app.get(f"/dataset/{ds['name']}.{fmt}?profiles={profile}", headers=headers)
            body = response.get_data(as_text=True)
            assert portal.secret not in body, (profile, fmt)
            reached += response.status_code == 200 and ds["id"] in body
    assert reached >= len(profiles) * 4  # the probes did read the dataset


def test_every_rdf_format_conforms_to_dcat_ap_3(portal: Portal, shapes: Shapes, app: Any) -> None:
    """RDF/XML too (rdflib's writer once dropped a licence shared as a blank node)."""
    for kind in ("priced", "on_request", "open"):
        for fmt, parser in (("rdf", "xml"), ("jsonld", "json-ld"), ("n3", "n3")):
            body = app.get(f"/dataset/{portal.datasets[kind]['name']}.{fmt}").get_data(as_text=True)
            data = Graph().parse(data=body, format=parser)
            violations = [
                str(f) for f in shapes.validate(data, shapes.dcat_ap) if f.severity == "Violation"
            ]
            assert violations == [], (kind, fmt, violations)
    licence = app.get("/licences/other-closed")
    assert licence.status_code == 200 and "Other (Not Open)" in licence.get_data(as_text=True)
    assert app.get("/licences/no-such-licence").status_code == 404


@pytest.mark.parametrize("fmt", ["nt", "json", "foo", "ttl2"])
def test_a_format_ckanext_dcat_cannot_write_is_not_found(
    portal: Portal, app: Any, fmt: str
) -> None:
    assert app.get(f"/dataset/{portal.datasets['open']['name']}.{fmt}").status_code == 404
    assert app.get(f"/catalog.{fmt}").status_code == 404


def test_answers_to_api_tokens_are_never_kept_by_shared_caches(portal: Portal, app: Any) -> None:
    path = f"/dataset/{portal.datasets['priced']['name']}.ttl"
    anonymous = app.get(path)
    assert "public" in anonymous.headers["Cache-Control"]
    with_token = app.get(path, headers={"Authorization": _token(portal.sysadmin)})
    assert "private" in with_token.headers["Cache-Control"]
    assert "public" not in with_token.headers["Cache-Control"]
