"""The EU vocabulary rules on plain data, checked against the vocabularies themselves
(the subsets kept in test-data/shacl/vocabularies/)."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rdflib import Graph, URIRef
from rdflib.namespace import SKOS

from ckanext.cityexchange import vocab

pytestmark = pytest.mark.pure

VOCABULARIES = Path(__file__).resolve().parents[4] / "test-data" / "shacl" / "vocabularies"
IANA = "https://www.iana.org/assignments/media-types/"


def _concepts(name: str, scheme: str) -> set[str]:
    graph = Graph().parse(VOCABULARIES / name, format="turtle")
    return {str(c) for c in graph.subjects(SKOS.inScheme, URIRef(scheme))}


@pytest.mark.parametrize(
    "fmt,mimetype,file_type,media_type",
    [
        # What portals write, in the cases they write it.
        ("CSV", None, "CSV", "text/csv"),
        ("csv", None, "CSV", "text/csv"),
        (".csv", None, "CSV", "text/csv"),
        ("text/csv", None, "CSV", "text/csv"),
        ("text/csv; charset=utf-8", None, "CSV", "text/csv"),
        (
            "XLSX",
            None,
            "XLSX",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        ("xls", None, "XLS", "application/vnd.ms-excel"),
        ("GeoJSON", None, "GEOJSON", "application/geo+json"),
        ("geojson", None, "GEOJSON", "application/geo+json"),
        ("JSON", None, "JSON", "application/json"),
        ("JSON-LD", None, "JSON_LD", "application/ld+json"),
        ("XML", "text/xml", "XML", "application/xml"),
        ("PDF", None, "PDF", "application/pdf"),
        ("ZIP", None, "ZIP", "application/zip"),
        ("HTML", None, "HTML", "text/html"),
        ("Turtle", None, "RDF_TURTLE", "text/turtle"),
        # Services and APIs have a file type and no media type.
        ("API", None, "REST", None),
        ("REST API", None, "REST", None),
        ("WMS", None, "WMS_SRVC", None),
        ("wfs", None, "WFS_SRVC", None),
        ("Shapefile", None, "SHP", None),
        # Zipped shapefile: the guessed media type of the file stands.
        ("Shapefile", "application/zip", "SHP", "application/zip"),
        # The format left empty: CKAN's guess from the URL.
        ("", "application/vnd.ms-excel", "XLS", "application/vnd.ms-excel"),
        (None, "text/csv", "CSV", "text/csv"),
        # A guess that says nothing does not override the format.
        ("CSV", "application/octet-stream", "CSV", "text/csv"),
        # Harvested: the vocabularies' IRIs (the DCAT-AP-DK example writes lowercase).
        ("http://publications.europa.eu/resource/authority/file-type/csv", None, "CSV", "text/csv"),
        (
            "http://publications.europa.eu/resource/authority/file-type/WMS_SRVC",
            None,
            "WMS_SRVC",
            None,
        ),
        ("https://www.iana.org/assignments/media-types/text/xml", None, "XML", "text/xml"),
        # An EU code as such.
        ("RDF_XML", None, "RDF_XML", "application/rdf+xml"),
        ("GTFS", None, "GTFS", None),
    ],
)
def test_what_portals_write_as_formats(
    fmt: str | None, mimetype: str | None, file_type: str, media_type: str | None
) -> None:
    found = vocab.resource_format(fmt, mimetype)
    assert found is not None and found.file_type == file_type
    assert found.file_type_iri == vocab.FILE_TYPE + file_type
    assert vocab.media_type_iri(fmt, mimetype) == (IANA + media_type if media_type else None)


@pytest.mark.parametrize(
    "fmt,mimetype",
    [
        ("Foo", None),
        ("", None),
        (None, None),
        ("Foo", "application/x-foo"),  # not a media type IANA registered
        ("http://publications.europa.eu/resource/authority/file-type/NOPE", None),
        ("javascript:alert(1)", None),
    ],
)
def test_unknown_formats_are_left_unsaid(fmt: str | None, mimetype: str | None) -> None:
    assert vocab.resource_format(fmt, mimetype) is None
    assert vocab.media_type_iri(fmt, mimetype) is None


def test_the_file_type_table_is_the_eu_table() -> None:
    table = _concepts("file-type.ttl", vocab.AUTHORITY + "file-type")
    assert {vocab.FILE_TYPE + code for code in vocab.EU_FILE_TYPES} == table


@given(st.text(max_size=40), st.one_of(st.none(), st.text(max_size=40)))
def test_every_format_found_is_in_the_eu_table(fmt: str, mimetype: str | None) -> None:
    found = vocab.resource_format(fmt, mimetype)
    assert found is None or found.file_type in vocab.EU_FILE_TYPES
    media = vocab.media_type_iri(fmt, mimetype)
    assert media is None or (media.startswith(IANA) and " " not in media)


@pytest.mark.parametrize(
    "value,code",
    [
        ("da", "DAN"),
        ("en", "ENG"),
        ("da_DK", "DAN"),
        ("en-GB", "ENG"),
        ("DAN", "DAN"),
        ("dansk", "DAN"),
        ("no", "NOR"),
        ("http://publications.europa.eu/resource/authority/language/SWE", "SWE"),
        # The old form DCAT-AP-DK's examples still write.
        ("http://publications.europa.eu/resource/dataset/language/DAN", "DAN"),
    ],
)
def test_languages(value: str, code: str) -> None:
    assert vocab.language_iri(value) == vocab.LANGUAGE + code


@pytest.mark.parametrize("value", ["", None, "xx", "klingon", "language/DAN"])
def test_unknown_languages_are_left_unsaid(value: str | None) -> None:
    assert vocab.language_iri(value) is None


def test_every_language_is_in_the_eu_table() -> None:
    table = _concepts("language.ttl", vocab.AUTHORITY + "language")
    assert {vocab.LANGUAGE + code for code in vocab.EU_LANGUAGES} <= table


def test_the_catalog_speaks_the_portals_locales() -> None:
    assert vocab.catalog_languages(["en", "en", "da_DK"]) == [
        vocab.LANGUAGE + "ENG",
        vocab.LANGUAGE + "DAN",
    ]


def test_licences_of_the_register() -> None:
    assert vocab.licence("cc-by") == vocab.Licence(vocab.LICENCE + "CC_BY_4_0", "Attribution")
    assert vocab.licence("cc-zero") == vocab.Licence(vocab.LICENCE + "CC0", "PublicDomain")
    assert vocab.licence("odc-odbl") == vocab.Licence(
        vocab.LICENCE + "ODC_BL", "ViralEffect-ShareAlike"
    )
    # No EU IRI: the licence keeps its title (dcat.py); a priced dataset's is restrictive.
    assert vocab.licence("dk-open-license") == vocab.Licence(None, "Attribution")
    assert vocab.licence("other-closed") == vocab.Licence(None, "OtherRestrictiveClauses")
    # Nothing to state, and a licence the register does not know.
    assert vocab.licence("notspecified") is None and vocab.licence("") is None
    assert vocab.licence("some-source-licence") == vocab.Licence(None, "UnknownIPR")


def test_every_licence_is_in_the_eu_and_adms_tables() -> None:
    register = Path(__file__).resolve().parents[4] / "config" / "licenses.json"
    ids = [entry["id"] for entry in json.loads(register.read_text("utf-8"))]
    eu = _concepts("licence.ttl", vocab.AUTHORITY + "licence")
    adms = _concepts("adms-licencetype.ttl", "http://purl.org/adms/licencetype/1.0")
    for licence_id in ids:
        found = vocab.licence(licence_id)
        if found is None:
            continue
        assert found.iri is None or found.iri in eu, licence_id
        assert found.licence_type_iri in adms, licence_id
    assert vocab.licence_for_iri(vocab.LICENCE + "CC0").licence_type == "PublicDomain"


def test_frequencies() -> None:
    table = _concepts("frequency.ttl", vocab.AUTHORITY + "frequency")
    for value in ("realtime", "hourly", "daily", "weekly", "monthly", "quarterly", "yearly"):
        assert vocab.frequency_iri(value) in table
    assert vocab.frequency_iri("historic") == vocab.FREQUENCY + "NEVER"
    assert vocab.frequency_iri("") is None and vocab.frequency_iri("sometimes") is None


def test_the_rules_module_imports_no_ckan() -> None:
    tree = ast.parse(Path(vocab.__file__).read_text(encoding="utf-8"))
    names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names] + [
        n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)
    ]
    assert not [n for n in names if n.startswith("ckan")]
