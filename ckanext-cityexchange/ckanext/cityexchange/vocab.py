"""The EU vocabularies' terms for what the portal's datasets say: file types and IANA
media types for resource formats, languages, licences and update frequencies. Pure
rules, no CKAN import; the ``cityexchange`` DCAT profile (``dcat.py``) writes them.

The terms are those of the EU Publications Office's authority tables (the versions kept
in ``test-data/shacl/vocabularies/``, which a test compares with these tables) and IANA's
media-type register. A value these tables do not know gives None: no term is made up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

AUTHORITY: Final = "http://publications.europa.eu/resource/authority/"
FILE_TYPE: Final = AUTHORITY + "file-type/"
LANGUAGE: Final = AUTHORITY + "language/"
LICENCE: Final = AUTHORITY + "licence/"
FREQUENCY: Final = AUTHORITY + "frequency/"
ACCESS_RIGHT: Final = AUTHORITY + "access-right/"
PLANNED_AVAILABILITY: Final = AUTHORITY + "planned-availability/"
DATA_THEME: Final = AUTHORITY + "data-theme"
IANA: Final = "https://www.iana.org/assignments/media-types/"
ADMS_LICENCE_TYPE: Final = "http://purl.org/adms/licencetype/"

# The codes of the EU file-type table (version 20260318-0).
_FILE_TYPE_CODES = """7Z AAB AAC AKN4EU AKN4EU_LEG AKN4EU_ZIP APK APPX ARC ARCINFO_COV ARC_GZ ARFF ARJ
ARROW_FILE ARROW_STREAM ATOM AZW BIN BITS BMP BWF BZIP2 CSS CSV DAPK DBF DCR DEB DGN
DMG DMP DOC DOCX DTD_SGML DTD_XML DWCA DWG DXF E00 EAR ECW EFORMS_XML EPS EPUB ETSI_TSL
ETSI_XML EXE FMX2 FMX3 FMX4 FMX4_ZIP GDB GEOJSON GEOTIFF GIF GML GMZ GPKG GPX GRID
GRID_ASCII GTFS GZIP HDF HDT HTML HTML5 HTML_SIMPL ICS IMMC_XML INDD IPA ISO ISO_ZIP
JAR JATS JPEG JPEG2000 JS JSON JSON_LD KML KMZ LAS LAZ LEG LEGALHTML LHA LPK LZIP LZMA
LZO MAP_PRVW MAP_SRVC MARKDOWN MATHML MATLAB_MAT MBOX MDB METS METS_ZIP MHTML MIF_MID
MOBI MOP MOV MP3 MPEG2 MPEG4 MPEG4_AVC MRSID MSG_HTTP MSI MXD N3 NETCDF OAPK OCTET ODB
ODC ODF ODG ODP ODS ODT OP_DATPRO OVF OWL PARQUET PDF PDF1X PDFA1A PDFA1B PDFA2A PDFA2B
PDFA3 PDFA3A PDFA3B PDFA3U PDFUA PDFX PDFX1A PDFX2A PDFX4 PL PNG PPS PPSX PPT PPTX PS
PSD PWP QGS RAR RDATA RDF RDFA RDF_N_QUADS RDF_N_TRIPLES RDF_THRIFT RDF_TRIG RDF_TRIX
RDF_TURTLE RDF_XML REST RPM RSS RTF SAS SB3 SCH SCHEMA_XML SDMX SGML SHP SKOS_XML
SPARQLQ SPARQLQRES SPSS_SAV SQL STATA_DTA STL SVG SWM TAB TAB_RSTR TAR TAR_GZ TAR_XZ
THRIFT_BINARY THRIFT_COMPACT THRIFT_JSON TIFF TIFF_FX TMX TSV TXT UNGEN VCF WAR WARC
WARC_GZ WAV WCS_SRVC WEBP WFS_SRVC WIM WMS_SRVC WMTS_SRVC WORLD XHTML XHTML5
XHTML_SIMPL XLIFF XLS XLSB XLSM XLSX XML XSLFO XSLT XYZ XZ YAML Z ZIP"""
EU_FILE_TYPES: Final = frozenset(_FILE_TYPE_CODES.split())


@dataclass(frozen=True)
class Format:
    """A resource format: its EU file type, and its IANA media type where IANA has
    registered one (a service such as WMS, or a Shapefile, has none)."""

    file_type: str
    media_type: str | None = None

    @property
    def file_type_iri(self) -> str:
        return FILE_TYPE + self.file_type

    @property
    def media_type_iri(self) -> str | None:
        return IANA + self.media_type if self.media_type else None


# What portals write as a resource's format (compared case-insensitively, without a
# leading dot), and the format it is. The IANA media types are registered ones.
_FORMATS: Final[dict[str, Format]] = {}


def _add(file_type: str, media_type: str | None, *names: str) -> None:
    fmt = Format(file_type, media_type)
    for name in (file_type, *names, *([media_type] if media_type else [])):
        _FORMATS.setdefault(name.casefold(), fmt)


_add("CSV", "text/csv", "comma-separated values", "text/comma-separated-values")
_add("TSV", "text/tab-separated-values", "tab-separated values")
_add(
    "XLSX",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "excel",
    "ms excel",
    "microsoft excel",
    "excel (xlsx)",
)
_add("XLS", "application/vnd.ms-excel", "excel 97-2003", "excel (xls)")
_add("ODS", "application/vnd.oasis.opendocument.spreadsheet")
_add("JSON", "application/json", "json-stat")
_add("GEOJSON", "application/geo+json", "geo+json", "geo json", "application/vnd.geo+json")
_add("JSON_LD", "application/ld+json", "json-ld", "jsonld")
_add("XML", "application/xml", "text/xml")
_add("PDF", "application/pdf")
_add("ZIP", "application/zip", "application/x-zip-compressed")
_add("GZIP", "application/gzip", "gz")
_add("TAR", None, "application/x-tar")
_add("HTML", "text/html", "htm", "web page", "webpage", "webside", "hjemmeside")
_add("TXT", "text/plain", "text", "plain text")
_add("KML", "application/vnd.google-earth.kml+xml")
_add("KMZ", "application/vnd.google-earth.kmz")
_add("GML", "application/gml+xml")
_add("GPKG", "application/geopackage+sqlite3", "geopackage")
_add("SHP", None, "shape", "shapefile", "esri shapefile")
_add("MIF_MID", None, "mapinfo", "mif")
_add("DWG", "image/vnd.dwg")
_add("DXF", "image/vnd.dxf")
_add("TIFF", "image/tiff", "tif")
_add("GEOTIFF", "image/tiff", "geo tiff")
_add("PNG", "image/png")
_add("JPEG", "image/jpeg", "jpg")
_add("GIF", "image/gif")
_add("SVG", "image/svg+xml")
_add("RDF_XML", "application/rdf+xml", "rdf/xml", "rdf+xml")
_add("RDF_TURTLE", "text/turtle", "ttl", "turtle")
_add("RDF_N_TRIPLES", "application/n-triples", "n-triples", "ntriples", "nt")
_add("RDF_N_QUADS", "application/n-quads", "n-quads", "nquads", "nq")
_add("RDF_TRIG", "application/trig", "trig")
_add("N3", "text/n3", "notation3")
_add("PARQUET", "application/vnd.apache.parquet", "apache parquet")
_add("DOCX", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "word")
_add("DOC", "application/msword")
_add("ODT", "application/vnd.oasis.opendocument.text")
_add("ATOM", "application/atom+xml", "atom feed")
_add("RSS", None, "rss feed")
_add("ICS", "text/calendar", "ical", "icalendar")
_add("SQL", "application/sql")
_add("MARKDOWN", "text/markdown", "md")
_add("YAML", "application/yaml", "yml")
_add("NETCDF", None, "nc")
_add("GTFS", None, "gtfs feed")
_add("OCTET", "application/octet-stream", "binary")
# Services and APIs: the EU table's service types; they have no media type.
_add("REST", None, "api", "rest api", "json api", "web api", "esri rest", "arcgis rest")
_add("WMS_SRVC", None, "wms", "ogc wms", "web map service")
_add("WMTS_SRVC", None, "wmts", "ogc wmts")
_add("WFS_SRVC", None, "wfs", "ogc wfs", "web feature service")
_add("WCS_SRVC", None, "wcs", "ogc wcs")

_EU_FILE_TYPE_IRI = re.compile(
    r"^https?://publications\.europa\.eu/resource/authority/file-type/([A-Za-z0-9_]+)/?$"
)
_IANA_IRI = re.compile(r"^https?://www\.iana\.org/assignments/media-types/([^?#]+?)/?$")
# A media type as IANA writes them: type/subtype, no parameters.
_MEDIA_TYPE = re.compile(
    r"^(application|audio|font|image|message|model|multipart|text|video)/[a-z0-9][a-z0-9!#$&^_.+-]*$"
)
_KNOWN_MEDIA_TYPES: Final = frozenset(f.media_type for f in _FORMATS.values() if f.media_type)


def _normal(text: str) -> str:
    return " ".join(text.strip().lstrip(".").split()).casefold()


def _media_type(text: str) -> str | None:
    """A media type from an IANA IRI or its text form (without parameters)."""
    found = _IANA_IRI.match(text.strip())
    value = found.group(1) if found else text.split(";", 1)[0]
    value = value.strip().casefold()
    return value if _MEDIA_TYPE.match(value) else None


def _by_code(code: str) -> Format:
    known = _FORMATS.get(code.casefold())
    return known if known is not None and known.file_type == code else Format(code)


def _format(text: str) -> Format | None:
    eu = _EU_FILE_TYPE_IRI.match(text)
    if eu:
        code = eu.group(1).upper()
        return _by_code(code) if code in EU_FILE_TYPES else None
    if text.upper() in EU_FILE_TYPES:
        return _by_code(text.upper())
    known = _FORMATS.get(_normal(text))
    if known is None and "/" in text:
        media = _media_type(text)
        known = _FORMATS.get(media) if media else None
    return known


def resource_format(fmt: str | None, mimetype: str | None = None) -> Format | None:
    """The format of a resource from its ``format`` (a name, an EU file-type code or IRI,
    a media type or an IANA IRI) and, failing that, its ``mimetype``. None if neither
    is known."""
    for raw in (fmt, mimetype):
        found = _format(raw.strip()) if raw and raw.strip() else None
        if found is not None:
            return found
    return None


def _explicit_media_type(raw: str | None) -> str | None:
    """A media type written out: an IANA IRI (kept as the source wrote it, if
    well-formed) or a type this table knows."""
    if not raw or "/" not in raw:
        return None
    value = _media_type(raw)
    if value and (value in _KNOWN_MEDIA_TYPES or _IANA_IRI.match(raw.strip())):
        return value
    return None


def media_type_iri(fmt: str | None, mimetype: str | None = None) -> str | None:
    """The IANA IRI of a resource's media type: one written in ``format``; else its
    format's; else one in ``mimetype`` (CKAN guesses that from the URL)."""
    written = _explicit_media_type(fmt)
    if written:
        return IANA + written
    known = resource_format(fmt, mimetype)
    if known is not None and known.media_type:
        return known.media_type_iri
    guessed = _explicit_media_type(mimetype)
    return IANA + guessed if guessed else None


# ISO 639-1 codes (and a few names) to the EU language table's codes: the EU's official
# languages and the Nordic ones.
_LANGUAGES: Final = {
    "bg": "BUL", "cs": "CES", "da": "DAN", "de": "DEU", "el": "ELL", "en": "ENG",
    "et": "EST", "fi": "FIN", "fr": "FRA", "ga": "GLE", "hr": "HRV", "hu": "HUN",
    "it": "ITA", "lv": "LAV", "lt": "LIT", "mt": "MLT", "nl": "NLD", "pl": "POL",
    "pt": "POR", "ro": "RON", "sk": "SLK", "sl": "SLV", "es": "SPA", "sv": "SWE",
    "no": "NOR", "nb": "NOB", "nn": "NNO", "is": "ISL", "fo": "FAO", "kl": "KAL",
    "se": "SME", "danish": "DAN", "dansk": "DAN", "english": "ENG", "engelsk": "ENG",
}  # fmt: skip
EU_LANGUAGES: Final = frozenset(_LANGUAGES.values()) | {"MUL"}
_LANGUAGE_IRI = re.compile(
    r"^https?://publications\.europa\.eu/resource/(?:authority|dataset)/language/([A-Za-z]{3})/?$"
)


def language_iri(value: str | None) -> str | None:
    """The EU language IRI for a language code (``da``, ``da_DK``, ``da-DK``, ``dan``),
    a name, or an EU language IRI (also the old ``resource/dataset/language/`` form)."""
    if not value or not value.strip():
        return None
    text = value.strip()
    found = _LANGUAGE_IRI.match(text)
    if found:
        code = found.group(1).upper()
        return LANGUAGE + code if code in EU_LANGUAGES else None
    key = text.casefold().replace("-", "_").split("_", 1)[0]
    code = _LANGUAGES.get(key) or (key.upper() if key.upper() in EU_LANGUAGES else None)
    return LANGUAGE + code if code else None


@dataclass(frozen=True)
class Licence:
    """A licence of the register (``config/licenses.json``) as DCAT-AP writes it: the EU
    licence table's IRI where the table has the licence, and its ADMS licence type."""

    iri: str | None
    licence_type: str  # a concept of http://purl.org/adms/licencetype/1.0

    @property
    def licence_type_iri(self) -> str:
        return ADMS_LICENCE_TYPE + self.licence_type


# The register's ids (CKAN's own and the Danish ones) to the EU licence table. Licences
# the table does not have keep their title only (see ``dcat.py``).
_LICENCES: Final = {
    "cc-zero": Licence(LICENCE + "CC0", "PublicDomain"),
    "odc-pddl": Licence(LICENCE + "ODC_PDDL", "PublicDomain"),
    "other-pd": Licence(None, "PublicDomain"),
    "cc-by": Licence(LICENCE + "CC_BY_4_0", "Attribution"),
    "odc-by": Licence(LICENCE + "ODC_BY", "Attribution"),
    "uk-ogl": Licence(LICENCE + "OGL_3_0", "Attribution"),
    "other-at": Licence(None, "Attribution"),
    "cc-by-sa": Licence(LICENCE + "CC_BYSA_4_0", "ViralEffect-ShareAlike"),
    "odc-odbl": Licence(LICENCE + "ODC_BL", "ViralEffect-ShareAlike"),
    "gfdl": Licence(None, "ViralEffect-ShareAlike"),
    "cc-nc": Licence(LICENCE + "CC_BYNC_2_0", "NonCommercialUseOnly"),
    "other-nc": Licence(None, "NonCommercialUseOnly"),
    "other-closed": Licence(None, "OtherRestrictiveClauses"),
    "dk-open-license": Licence(None, "Attribution"),
    "dk-public-data-terms": Licence(None, "Attribution"),
    "dk-free-geodata": Licence(None, "Attribution"),
    "dk-dst-terms": Licence(None, "Attribution"),
    "dk-dmi-free-data": Licence(None, "Attribution"),
}
# No licence to state: nothing is said rather than "not specified".
NO_LICENCE: Final = frozenset({"", "notspecified"})


def licence(license_id: str | None) -> Licence | None:
    """How DCAT-AP writes a licence of the register; None where there is none to state.
    An id the register does not know (a harvested source's own) has an unknown type."""
    key = (license_id or "").strip()
    if key in NO_LICENCE:
        return None
    return _LICENCES.get(key, Licence(None, "UnknownIPR"))


def licence_for_iri(iri: str) -> Licence:
    """A licence given by its IRI (the catalog's own, from the configuration)."""
    for known in _LICENCES.values():
        if known.iri == iri:
            return known
    return Licence(iri, "UnknownIPR")


# The dataset schema's update frequencies (config/schemas/dataset.yaml).
_FREQUENCIES: Final = {
    "realtime": "UPDATE_CONT",
    "hourly": "HOURLY",
    "daily": "DAILY",
    "weekly": "WEEKLY",
    "monthly": "MONTHLY",
    "quarterly": "QUARTERLY",
    "yearly": "ANNUAL",
    "historic": "NEVER",
}


def frequency_iri(value: str | None) -> str | None:
    code = _FREQUENCIES.get((value or "").strip())
    return FREQUENCY + code if code else None


def catalog_languages(locales: list[str]) -> list[str]:
    """The catalog's languages from the locales the portal offers (``en da_DK``)."""
    found: list[str] = []
    for locale in locales:
        iri = language_iri(locale)
        if iri and iri not in found:
            found.append(iri)
    return found
