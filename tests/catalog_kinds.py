"""Every kind of dataset the catalog holds, built once per test module that reads the
catalog as other portals and data spaces do (tests/test_dcat_shacl.py,
tests/test_dataspace.py): open, open with the least a publisher may give, priced with
offers, a free sample and locked resources, on request, harvested from a CKAN portal
and from a DCAT-AP-DK catalog. Locked URLs carry ``Portal.secret``."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from ckan import model, plugins
from ckan.tests import factories, helpers

from ckanext.cityexchange import compat
from ckanext.cityharvest.tests.servers import StaticFiles

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "test-data" / "opendata"))
import catalog as opendata  # noqa: E402 (after the path set-up)


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
    compat.unload_plugins()


KINDS = [
    "open",
    "bare",
    "priced",
    "on_request",
    "harvested_ckan",
    "harvested_dcat",
    "harvested_dcat_gdpr",
]
