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
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ckan.plugins.toolkit as tk
import pyshacl
import pytest
from ckan import model, plugins
from ckan.tests import factories, helpers
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, SH

from ckanext.cityharvest.tests.servers import StaticFiles

ROOT = Path(__file__).resolve().parent.parent
SHACL = ROOT / "test-data" / "shacl"
sys.path.insert(0, str(ROOT / "test-data" / "opendata"))
import catalog as opendata  # noqa: E402 (after the path set-up)

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


@dataclass
class Portal:
    secret: str
    sysadmin: dict[str, Any]
    datasets: dict[str, dict[str, Any]] = field(default_factory=dict)


def _site() -> dict[str, Any]:
    return {"user": helpers.call_action("get_site_user")["name"], "ignore_auth": False}


# A portal that declares personal data the way DCAT-AP-DK and DPV write it.
DECLARED = """
@prefix dpv: <https://w3id.org/dpv#> .
ex:dataset-002
  a dcat:Dataset ;
  dct:title "Parkeringstilladelser"@da ;
  dct:description "Udstedte parkeringstilladelser pr. zone."@da ;
  dct:identifier "https://dcat.example.org/dataset-002" ;
  dct:publisher ex:organisation-001 ;
  <https://data.gov.dk/model/core/dcat-dk/personalDataCategory>
      <https://data.gov.dk/concept/core/personaldata-type/GeneralPersonalData> ;
  dpv:hasLegalBasis <https://w3id.org/dpv/legal/eu/gdpr#A6-1-e> ;
  dpv:hasPurpose [ a dpv:Purpose ; dct:description "Parkeringskontrol" ] ;
  dpv:hasDataController [ a dpv:DataController ; foaf:name "Københavns Kommune" ] ;
  dcat:distribution ex:dataset-002-csv .
ex:dataset-002-csv
  a dcat:Distribution ;
  dcat:accessURL <http://www.example.org/files/002.csv> ;
  dct:format <http://publications.europa.eu/resource/authority/file-type/CSV> ;
  dct:license <https://creativecommons.org/publicdomain/zero/1.0/> .
ex:catalog dcat:dataset ex:dataset-002 .
"""


def _create(context: dict[str, Any], **data: Any) -> dict[str, Any]:
    return helpers.call_action("package_create", context=context, **data)


@pytest.fixture(scope="module")
def portal(reset_portal_db: Any, reset_index: Any, tmp_path_factory: Any) -> Iterator[Portal]:
    plugins.load_all()
    reset_portal_db()
    reset_index()
    secret = "zq" + uuid.uuid4().hex
    sysadmin = factories.Sysadmin()
    out = Portal(secret=secret, sysadmin=sysadmin)
    admin = {"user": sysadmin["name"]}
    city = factories.Organization(name="kobenhavns-kommune", title="Københavns Kommune")
    seller = factories.Organization(name="mobilitetsdata-aps", title="Mobilitetsdata ApS")
    sensors = factories.Organization(name="luftsensor-as", title="Luftsensor A/S")
    group = factories.Group(name="mobilitet", title="Mobilitet og trafik")

    out.datasets["open"] = _create(
        admin,
        name="parkeringszoner",
        title="Parkeringszoner i København",
        notes="Zoner, takster og betalingsområder.",
        owner_org=city["id"],
        groups=[{"id": group["id"]}],
        license_id="cc-by",
        access_tier="open",
        language=["da", "en"],
        update_frequency="monthly",
        maintainer="Team Data",
        maintainer_email="data@kk.example",
        temporal_start="2024-01-01",
        temporal_end="2025-12-31",
        spatial_coverage="Københavns Kommune",
        spatial='{"type": "Polygon", "coordinates": [[[12.45, 55.61], [12.65, 55.61], '
        "[12.65, 55.73], [12.45, 55.61]]]}",
        tags=[{"name": "parkering"}],
        gdpr_personal_data="none",
        gdpr_declared_by="publisher",
        resources=[
            {"name": "Zoner", "format": "GeoJSON", "url": "https://kk.example/zoner.geojson"},
            {"name": "Takster", "format": "csv", "url": "https://kk.example/takster.csv"},
            {"name": "Takster", "format": "XLSX", "url": "https://kk.example/takster.xlsx"},
            {"name": "Opslag", "format": "API", "url": "https://api.kk.example/parkering"},
            {"name": "Kort", "format": "WMS", "url": "https://kort.kk.example/wms"},
            {"name": "Noter", "format": "text/csv", "url": "https://kk.example/noter"},
        ],
    )
    # The least a publisher may give: no description, licence, language or contact; a
    # resource without a URL and one in a format no vocabulary knows.
    out.datasets["bare"] = _create(
        admin,
        name="cykelstativer",
        title="Cykelstativer",
        owner_org=city["id"],
        access_tier="open",
        resources=[
            {"name": "Stativer", "url": ""},
            {"name": "Rådata", "format": "Foo", "url": "x.foo"},
        ],
    )
    out.datasets["priced"] = _create(
        admin,
        name="personbevaegelser",
        title="Personbevægelser i Indre By",
        notes="Antal forbipasserende pr. time i 100 m-kvadrater.",
        owner_org=seller["id"],
        license_id="other-closed",
        access_tier="priced",
        update_frequency="hourly",
        offers=[
            {
                "id": "kvartal",
                "kind": "one_off",
                "amount": 1250000,
                "currency": "DKK",
                "vat_included": False,
                "licence": "internal-use",
            },
            {
                "id": "abonnement",
                "kind": "subscription",
                "period_months": 1,
                "amount": 450000,
                "currency": "DKK",
                "vat_included": False,
                "licence": "commercial-reuse",
            },
        ],
        gdpr_personal_data="anonymised",
        gdpr_category="NonPersonal",
        gdpr_technique="Aggregated counts per 100 m square and hour",
        gdpr_min_cell_count="10",
        gdpr_controller="Mobilitetsdata ApS",
        gdpr_dpia="done",
        gdpr_declared_by="publisher",
        resources=[
            {
                "name": "Eksempel",
                "format": "CSV",
                "access": "sample",
                "url": "https://data.mobilitetsdata.example/sample.csv",
            },
            {
                "name": "Fuldt datasæt",
                "format": "CSV",
                "access": "locked",
                "url": f"https://data.mobilitetsdata.example/{secret}/full.csv",
            },
            {
                "name": "Footfall-API",
                "format": "API",
                "access": "locked",
                "url": f"https://data.mobilitetsdata.example/{secret}/api",
            },
        ],
    )
    out.datasets["on_request"] = _create(
        admin,
        name="luftkvalitet-sensornet",
        title="Luftkvalitet fra sensornettet",
        notes="Målinger fra 40 sensorer, med enhedernes placering over tid.",
        owner_org=sensors["id"],
        license_id="other-closed",
        access_tier="on_request",
        gdpr_personal_data="pseudonymised",
        gdpr_category="General",
        gdpr_data_subjects="Sensorværter",
        gdpr_legal_basis="6.1.f",
        gdpr_purpose="Luftkvalitetsanalyser for kommuner",
        gdpr_controller="Luftsensor A/S",
        gdpr_declared_by="publisher",
        resources=[
            {
                "name": "Eksempel",
                "format": "CSV",
                "access": "sample",
                "url": "https://data.luftsensor.example/sample.csv",
            },
            {
                "name": "Alle målinger",
                "format": "GeoJSON",
                "access": "locked",
                "url": f"https://data.luftsensor.example/{secret}/all.geojson",
            },
        ],
    )
    # Harvested from a CKAN portal: the import stage of the cityharvest_ckan harvester,
    # given the dataset as the portal's package_show returns it.
    helpers.call_action(
        "cityharvest_source_load",
        context=_site(),
        sources=[
            {
                "name": "kommuner",
                "title": "Kommunernes portal",
                "url": "https://ckan.kommuner.example",
                "type": "ckan",
            }
        ],
    )
    remote = opendata.datasets(1)[0]
    titles = {name: title for name, title, _ in opendata.ORGANIZATIONS}
    remote["organization"] = {"name": remote["owner_org"], "title": titles[remote["owner_org"]]}
    imported = helpers.call_action(
        "cityharvest_dataset_import",
        context=_site(),
        source_id=helpers.call_action("harvest_source_show", id="kommuner")["id"],
        remote=remote,
    )
    out.datasets["harvested_ckan"] = helpers.call_action("package_show", id=imported["package_id"])
    # Harvested from a DCAT-AP-DK catalog, through the cityharvest_dcat harvester: the
    # profile's official example, and a dataset that declares personal data.
    folder = tmp_path_factory.mktemp("dcat")
    example = (ROOT / "test-data" / "dcat-ap-dk" / "extended-example1.ttl").read_text("utf-8")
    (folder / "dk.ttl").write_text(example + DECLARED, encoding="utf-8")
    files = StaticFiles(folder)
    try:
        helpers.call_action(
            "cityharvest_source_load",
            context=_site(),
            sources=[
                {
                    "name": "dk",
                    "title": "DCAT-AP-DK-eksemplet",
                    "url": f"{files.url}/dk.ttl",
                    "type": "dcat",
                    "config": {"rdf_format": "turtle"},
                }
            ],
        )
        run = helpers.call_action("cityharvest_source_run", context=_site(), id="dk")
        model.Session.remove()
        assert run["counts"]["added"] == 2 and run["counts"]["errors"] == 0, run
    finally:
        files.close()
    found = helpers.call_action(
        "package_search", fq='cityharvest_source:"DCAT-AP-DK-eksemplet"', rows=10
    )["results"]
    by_title = {d["title"]: d for d in found}
    out.datasets["harvested_dcat"] = by_title["Datasæt 001"]
    out.datasets["harvested_dcat_gdpr"] = by_title["Parkeringstilladelser"]
    yield out
    plugins.unload_non_system_plugins()


KINDS = [
    "open",
    "bare",
    "priced",
    "on_request",
    "harvested_ckan",
    "harvested_dcat",
    "harvested_dcat_gdpr",
]


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


@pytest.mark.ckan_config(
    "ckanext.dcat.rdf.profiles", "euro_dcat_ap_3 cityexchange gdprcheck cityharvest"
)
def test_without_the_pricing_profile_the_check_above_would_catch_a_leak(
    portal: Portal, app: Any
) -> None:
    """The sysadmin's dataset dict holds the real URLs: only the pricing profile keeps
    them out of the DCAT output."""
    headers = {"Authorization": _token(portal.sysadmin)}
    body = app.get(f"/dataset/{portal.datasets['priced']['name']}.ttl", headers=headers)
    assert portal.secret in body.get_data(as_text=True)


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
