"""From a remote dataset to a dataset of this catalog.

Pure rules, no CKAN import: the input is a dataset as a CKAN portal's API returns it
(``package_show``) or as ckanext-dcat's RDF parser reads it from a DCAT catalog (the same
shape: extras as key/value pairs, tags as ``{"name": ...}``); the output is a dataset
dict of the suite's schema. The logic layer adds the organisation and persists.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ckanext.cityexchange import geo

TAG_MIN, TAG_MAX = 2, 100  # CKAN's tag length limits
NAME_MAX = 100  # CKAN's dataset name limit
URL_SCHEMES = ("http://", "https://", "ftp://")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
_TAG_DISALLOWED = re.compile(r"[^\w \-.]", re.UNICODE)  # what CKAN's tag validator refuses
_TAG_SPLIT = re.compile(r"[,;|]")
_NAME_DISALLOWED = re.compile(r"[^a-z0-9_-]+")
_DANISH = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "Æ": "ae", "Ø": "oe", "Å": "aa"})

# Licences as remote portals name them (id, title or URL, in English or Danish wording),
# normalised by _licence_key and found as whole words, mapped to this portal's licence ids (config/licenses.json:
# CKAN's own and the Danish ones). Checked in order: the first rule whose licence the
# portal knows wins, so a Danish licence falls back to its nearest CKAN licence on a
# portal without the Danish register.
_LICENCE_RULES: tuple[tuple[str, str], ...] = (
    ("pddl", "odc-pddl"),  # "… Public Domain Dedication and License (PDDL)"
    ("cc0", "cc-zero"),
    ("cc-zero", "cc-zero"),
    ("cc zero", "cc-zero"),
    ("publicdomain/zero", "cc-zero"),
    ("public domain dedication", "cc-zero"),
    ("publicdomain/mark", "other-pd"),
    ("public domain mark", "other-pd"),
    ("public domain", "other-pd"),
    ("odbl", "odc-odbl"),
    ("open database license", "odc-odbl"),
    ("odc-by", "odc-by"),
    ("opendatacommons.org/licenses/by", "odc-by"),
    # No derivatives is not open: never read as plain attribution.
    ("by-nd", "other-closed"),
    ("noderivatives", "other-closed"),
    ("noderivs", "other-closed"),
    ("no derivatives", "other-closed"),
    ("ingenbearbejdelse", "other-closed"),
    ("ingen bearbejdelse", "other-closed"),
    ("by-nc", "cc-nc"),
    ("non-commercial", "cc-nc"),
    ("noncommercial", "cc-nc"),
    ("ikkekommerciel", "cc-nc"),
    ("ikke-kommerciel", "cc-nc"),
    ("by-sa", "cc-by-sa"),
    ("sharealike", "cc-by-sa"),
    ("share-alike", "cc-by-sa"),
    ("delpåsammevilkår", "cc-by-sa"),
    ("del på samme vilkår", "cc-by-sa"),
    ("cc-by", "cc-by"),
    ("cc by", "cc-by"),
    ("licenses/by/", "cc-by"),
    ("creative commons attribution", "cc-by"),
    ("creative commons navngivelse", "cc-by"),
    ("navngivelse", "cc-by"),
    ("ogl", "uk-ogl"),
    ("open government licence", "uk-ogl"),
    ("dk-open-license", "dk-open-license"),
    ("dk open license", "dk-open-license"),
    ("open data dk", "dk-open-license"),
    ("opendata.dk", "dk-open-license"),
    ("frie geografiske data", "dk-free-geodata"),
    ("frie geodata", "dk-free-geodata"),
    ("danmarks statistik", "dk-dst-terms"),
    ("danmarks statistiks", "dk-dst-terms"),
    ("dmi's frie data", "dk-dmi-free-data"),
    ("dmis frie data", "dk-dmi-free-data"),
    ("dmi.dk", "dk-dmi-free-data"),
    ("danske offentlige data", "dk-public-data-terms"),
    ("vilkår for brug af danske offentlige data", "other-open"),
    ("danske offentlige data", "other-open"),
    ("frie geografiske data", "other-at"),
    ("danmarks statistik", "other-at"),
    ("danmarks statistiks", "other-at"),
    ("dmi's frie data", "other-at"),
    ("dmis frie data", "other-at"),
    ("open data dk", "other-open"),
    ("dk-open-license", "other-open"),
    ("other-open", "other-open"),
    ("other-pd", "other-pd"),
    ("other-at", "other-at"),
    ("other-nc", "other-nc"),
    ("other-closed", "other-closed"),
    ("gfdl", "gfdl"),
)
_FREQUENCIES: Mapping[str, str] = {
    # DCAT (EU frequency vocabulary, Dublin Core) and the words portals use in extras.
    # A frequency the schema has no choice for (every two weeks, half-yearly, as
    # needed) is left empty rather than rounded to a choice that claims otherwise.
    "continuous": "realtime",
    "cont": "realtime",
    "realtime": "realtime",
    "real-time": "realtime",
    "hourly": "hourly",
    "daily": "daily",
    "weekly": "weekly",
    "monthly": "monthly",
    "annual": "yearly",
    "yearly": "yearly",
    "never": "historic",
    "irreg": "historic",
    "irregular": "historic",
    "quarterly": "quarterly",
    "update_cont": "realtime",
    "not_planned": "historic",
    # Danish, as portals write them in their extras (opdateringsfrekvens).
    "løbende": "realtime",
    "kontinuerligt": "realtime",
    "realtid": "realtime",
    "hver time": "hourly",
    "hver dag": "daily",
    "hvert kvartal": "quarterly",
    "månedsvis": "monthly",
    "årsvis": "yearly",
    "timevis": "hourly",
    "daglig": "daily",
    "dagligt": "daily",
    "dagligt opdateret": "daily",
    "ugentlig": "weekly",
    "ugentligt": "weekly",
    "hver uge": "weekly",
    "månedlig": "monthly",
    "månedligt": "monthly",
    "hver måned": "monthly",
    "kvartalsvis": "quarterly",
    "kvartalsvist": "quarterly",
    "årlig": "yearly",
    "årligt": "yearly",
    "hvert år": "yearly",
    "aldrig": "historic",
    "uregelmæssig": "historic",
    "uregelmæssigt": "historic",
    "historisk": "historic",
}
# Where portals keep the update frequency: DCAT's accrualPeriodicity (ckanext-dcat's
# parser reads it into ``frequency``) and the extras Danish CKAN portals use.
_FREQUENCY_KEYS = (
    "frequency",
    "accrual_periodicity",
    "update_frequency",
    "opdateringsfrekvens",
    "opdatering",
    "opdateringshyppighed",
)
_FORMATS: Mapping[str, str] = {
    "geojson": "GeoJSON",
    "json": "JSON",
    "csv": "CSV",
    "xlsx": "XLSX",
    "xls": "XLS",
    "api": "API",
    "wms": "WMS",
    "wfs": "WFS",
    "zip": "ZIP",
    "pdf": "PDF",
    "shp": "SHP",
    "xml": "XML",
    "html": "HTML",
}


# Languages as portals write them (EU language authority codes, ISO 639-1 and -2, names).
_LANGUAGES: Mapping[str, str] = {
    "dan": "da",
    "da": "da",
    "dansk": "da",
    "danish": "da",
    "da-dk": "da",
    "eng": "en",
    "en": "en",
    "engelsk": "en",
    "english": "en",
    "deu": "de",
    "ger": "de",
    "de": "de",
    "swe": "sv",
    "sv": "sv",
    "nor": "no",
    "nob": "no",
    "no": "no",
}
# Where portals keep geographic coverage: ckanext-dcat's parser (dct:spatial as a URI or
# a label) and the extras Danish CKAN portals use.
_SPATIAL_TEXT_KEYS = (
    "spatial_text",
    "geografisk_daekning",
    "geografisk dækning",
    "geografi",
    "geographic_coverage",
    "spatial_coverage",
)
_SPATIAL_URI_KEYS = ("spatial_uri",)
# Places the EU authority tables name, as a reader knows them (country codes; a place
# without a name here keeps its URI only).
_PLACES: Mapping[str, str] = {
    "DNK": "Danmark",
    "GRL": "Grønland",
    "FRO": "Færøerne",
    "SWE": "Sverige",
    "NOR": "Norge",
    "DEU": "Tyskland",
    "EUR": "Europa",
}


@dataclass(frozen=True)
class Theme:
    """A theme of the EU data-theme vocabulary, as a group of this portal."""

    code: str  # the vocabulary's code (ENVI)
    name: str  # the group's name here
    en: str
    da: str

    @property
    def uri(self) -> str:
        return f"http://publications.europa.eu/resource/authority/data-theme/{self.code}"


THEMES: tuple[Theme, ...] = (
    Theme(
        "AGRI",
        "agriculture-fisheries-forestry-food",
        "Agriculture, fisheries, forestry and food",
        "Landbrug, fiskeri, skovbrug og fødevarer",
    ),
    Theme("ECON", "economy-finance", "Economy and finance", "Økonomi og finanser"),
    Theme(
        "EDUC",
        "education-culture-sport",
        "Education, culture and sport",
        "Uddannelse, kultur og sport",
    ),
    Theme("ENER", "energy", "Energy", "Energi"),
    Theme("ENVI", "environment", "Environment", "Miljø"),
    Theme(
        "GOVE",
        "government-public-sector",
        "Government and public sector",
        "Regeringen og den offentlige sektor",
    ),
    Theme("HEAL", "health", "Health", "Sundhed"),
    Theme("INTR", "international-issues", "International issues", "Internationale spørgsmål"),
    Theme(
        "JUST",
        "justice-legal-system-public-safety",
        "Justice, legal system and public safety",
        "Retssystem og offentlig sikkerhed",
    ),
    Theme("REGI", "regions-cities", "Regions and cities", "Regioner og byer"),
    Theme("SOCI", "population-society", "Population and society", "Befolkning og samfund"),
    Theme("TECH", "science-technology", "Science and technology", "Videnskab og teknologi"),
    Theme("TRAN", "transport", "Transport", "Transport"),
)
_THEME_BY_CODE = {theme.code: theme for theme in THEMES}
# Group names and titles CKAN portals use, in Danish and English, for the EU themes.
_THEME_WORDS: Mapping[str, str] = {
    **{theme.name: theme.code for theme in THEMES},
    **{theme.en.casefold(): theme.code for theme in THEMES},
    **{theme.da.casefold(): theme.code for theme in THEMES},
    "miljø": "ENVI",
    "miljo": "ENVI",
    "natur": "ENVI",
    "klima": "ENVI",
    "environment": "ENVI",
    "trafik": "TRAN",
    "mobilitet": "TRAN",
    "transport": "TRAN",
    "traffic": "TRAN",
    "sundhed": "HEAL",
    "health": "HEAL",
    "økonomi": "ECON",
    "oekonomi": "ECON",
    "okonomi": "ECON",
    "economy": "ECON",
    "energi": "ENER",
    "forsyning": "ENER",
    "energy": "ENER",
    "uddannelse": "EDUC",
    "kultur": "EDUC",
    "fritid": "EDUC",
    "education": "EDUC",
    "culture": "EDUC",
    "befolkning": "SOCI",
    "borgere": "SOCI",
    "social": "SOCI",
    "population": "SOCI",
    "byudvikling": "REGI",
    "byer": "REGI",
    "planlægning": "REGI",
    "planlaegning": "REGI",
    "administration": "GOVE",
    "forvaltning": "GOVE",
    "politik": "GOVE",
    "government": "GOVE",
    "sikkerhed": "JUST",
    "beredskab": "JUST",
    "justice": "JUST",
    "teknologi": "TECH",
    "science": "TECH",
    "technology": "TECH",
    "landbrug": "AGRI",
    "fiskeri": "AGRI",
    "fødevarer": "AGRI",
    "agriculture": "AGRI",
}


class MappingError(ValueError):
    """A remote dataset this catalog cannot take: ``field`` names what is wrong."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name
        self.message = message


@dataclass(frozen=True)
class Source:
    """What the mapping needs to know of a harvest source."""

    id: str
    title: str
    url: str
    organizations: Mapping[str, str] = field(default_factory=dict)  # remote name -> local name
    default_organization: str | None = None
    licences: Mapping[str, str] = field(default_factory=dict)  # remote id/title/URL -> local id
    # How a remote organisation or publisher becomes an organisation here: "create" (the
    # mapped one, else one of the same name, else the default), "map" (only the mapped
    # ones, else the default) or "default" (always the default organisation).
    publishers: str = "create"


@dataclass(frozen=True)
class Organization:
    """The local organisation a remote dataset goes to, with what is known to create it."""

    name: str
    title: str
    description: str = ""
    image_url: str = ""


def value(remote: Mapping[str, Any], key: str) -> Any:
    """A field of a remote dataset: top level first, then its extras (as stock CKAN and
    ckanext-dcat's parser put non-core fields there, optionally prefixed ``dcat_``)."""
    if remote.get(key) not in (None, ""):
        return remote[key]
    for extra in remote.get("extras") or []:
        if isinstance(extra, Mapping) and extra.get("key") in (key, f"dcat_{key}"):
            return extra.get("value")
    return None


def explicit_identity(remote: Mapping[str, Any]) -> str | None:
    """The identity a remote dataset states itself (``dct:identifier``, the ``identifier``
    or ``guid`` extra, the DCAT dataset's URI), or None when only its id at the source is
    known: then two portals' copies can only be recognised by what they hold."""
    for key in ("identifier", "guid", "uri"):
        raw = value(remote, key)
        if isinstance(raw, str) and raw.strip():
            return identity({key: raw})
    return None


def _plain(text: str) -> str:
    """Text for comparing: lowercase, Danish letters and accents folded, punctuation
    gone, spaces collapsed."""
    text = unicodedata.normalize("NFKD", text.translate(_DANISH).casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w]+", " ", text).split())


def publisher_key(remote: Mapping[str, Any]) -> str:
    """Who publishes a remote dataset, for comparing: the remote organisation's title or
    name, else the DCAT publisher's name."""
    org = remote.get("organization") if isinstance(remote.get("organization"), Mapping) else None
    for raw in ((org or {}).get("title"), (org or {}).get("name"), value(remote, "publisher_name")):
        if isinstance(raw, str) and raw.strip():
            return _plain(raw)
    return ""


def title_key(remote: Mapping[str, Any]) -> str:
    return _plain(str(remote.get("title") or remote.get("name") or ""))


def resource_urls(remote: Mapping[str, Any]) -> list[str]:
    """A remote dataset's resource URLs, for comparing: scheme and ``www.`` dropped, host
    lowercased, no trailing slash; sorted, without repeats."""
    found: set[str] = set()
    for res in remote.get("resources") or []:
        if not isinstance(res, Mapping):
            continue
        url = str(res.get("url") or res.get("access_url") or res.get("download_url") or "")
        if url.strip():
            found.add(comparable_url(url))
    return sorted(u for u in found if u)


def comparable_url(url: str) -> str:
    text = re.sub(r"^[a-z]+://(www\.)?", "", url.strip(), flags=re.I).rstrip("/")
    host, _, rest = text.partition("/")
    return host.lower() + (f"/{rest}" if rest else "")


SAME, UNCERTAIN, DIFFERENT = "same", "uncertain", "different"
URL_SHARE_SAME = 0.5  # the least share of resource URLs two copies of a dataset have in common


def compare(mine: tuple[str, str, Iterable[str]], theirs: tuple[str, str, Iterable[str]]) -> str:
    """Whether two datasets without a shared identifier are the same dataset, each given
    as (publisher key, title key, resource URLs).

    The same only when the publisher and the title are the same and at least half of
    their resource URLs are shared (or neither has any file and the publisher and title
    agree, which is left to the operator); uncertain when the publisher is the same and
    either the title is the same or half of the URLs are (the operator decides); different
    otherwise. Nothing uncertain is ever merged without the operator."""
    (pub_a, title_a, urls_a), (pub_b, title_b, urls_b) = mine, theirs
    if not pub_a or pub_a != pub_b:
        return DIFFERENT
    a, b = set(urls_a), set(urls_b)
    share = len(a & b) / len(a | b) if a | b else 0.0
    if title_a and title_a == title_b:
        return SAME if share >= URL_SHARE_SAME else UNCERTAIN
    return UNCERTAIN if share >= URL_SHARE_SAME else DIFFERENT


def identity(remote: Mapping[str, Any]) -> str:
    """The key under which the same dataset reached through two sources is one dataset.

    A DCAT identifier (``dct:identifier``, kept by CKAN portals that harvest each other
    in the ``identifier`` or ``guid`` extra) wins; a UUID inside it or inside the
    dataset's URI is taken alone, so that ``https://portal/dataset/<uuid>`` and the
    bare ``<uuid>`` of the portal's API meet; otherwise the URI, then the remote id.
    """
    for key in ("identifier", "guid", "uri", "id"):
        raw = value(remote, key)
        if isinstance(raw, str) and raw.strip():
            text = raw.strip()
            found = _UUID.search(text)
            if found:
                return found.group(0).lower()
            return text.rstrip("/").lower() if "://" in text else text
    raise MappingError("id", "the remote dataset has no identifier, URI or id")


def clean_tags(raw: Iterable[Any]) -> list[str]:
    """Tags CKAN accepts, Danish letters kept (stock ckanext-harvest's ``clean_tags``
    drops æ, ø and å): keyword lists split on commas, characters CKAN refuses replaced
    by a space, whitespace collapsed, 2-100 characters, no repeats in any case."""
    tags: list[str] = []
    seen: set[str] = set()
    for item in raw or []:
        text = item.get("name") if isinstance(item, Mapping) else item
        if not isinstance(text, str):
            continue
        for part in _TAG_SPLIT.split(unicodedata.normalize("NFC", text)):
            tag = " ".join(_TAG_DISALLOWED.sub(" ", part).split()).strip(" -.")
            if len(tag) > TAG_MAX:
                tag = tag[:TAG_MAX].rsplit(" ", 1)[0].strip(" -.")
            if len(tag) < TAG_MIN or tag.casefold() in seen:
                continue
            seen.add(tag.casefold())
            tags.append(tag)
    return tags


def _licence_key(text: str) -> str:
    text = unicodedata.normalize("NFC", text).strip().casefold()
    text = re.sub(r"^https?://(www\.)?", "", text)
    text = re.sub(r"/(legalcode|deed)(\.[a-z_-]+)?/?$", "", text)
    return " ".join(text.rstrip("/").split())


def licence_values(remote: Mapping[str, Any]) -> list[str]:
    """What a remote dataset says its licence is: the dataset's id, URL and title, and
    one licence shared by all its distributions (DCAT puts licences there)."""
    candidates = [
        value(remote, k) for k in ("license_id", "license_url", "license_title", "license")
    ]
    on_distributions = {
        r.get("license") for r in remote.get("resources") or [] if isinstance(r, Mapping)
    }
    if len(on_distributions) == 1:
        candidates.append(on_distributions.pop())
    seen: list[str] = []
    for candidate in candidates:
        if isinstance(candidate, str) and candidate.strip() and candidate.strip() not in seen:
            seen.append(candidate.strip())
    return seen


def map_licence(
    remote: Mapping[str, Any],
    known: Mapping[str, Iterable[str]] | Iterable[str],
    overrides: Mapping[str, str] | None = None,
) -> str:
    """The local licence id of a remote dataset: the source's own table first (keys may
    be ids, titles or URLs), then this portal's register (``known``: ids, or ids with
    their titles and URLs), then the common names and URLs of open licences in English
    and Danish wording, all in any case; ``notspecified`` when nothing matches."""
    names = (
        {k: list(v) for k, v in known.items()}
        if isinstance(known, Mapping)
        else {k: [] for k in known}
    )
    keys = [_licence_key(c) for c in licence_values(remote)]
    table = {_licence_key(k): v for k, v in (overrides or {}).items()}
    for key in keys:
        if table.get(key) in names:
            return table[key]
    by_name: dict[str, str] = {}
    for licence, aliases in names.items():
        for alias in [licence, *aliases]:
            if isinstance(alias, str) and alias.strip():
                by_name.setdefault(_licence_key(alias), licence)
    for key in keys:
        if key in by_name and by_name[key] != "notspecified":
            return by_name[key]
    for key in keys:
        for needle, licence in _LICENCE_RULES:
            if licence in names and _mentions(key, needle):
                return licence
    return "notspecified"


def _mentions(text: str, needle: str) -> bool:
    """``needle`` in ``text`` as whole words ("ogl" is in "uk-ogl", not in "google");
    hyphens, underscores and spaces are one ("cc by sa" is "cc-by-sa")."""
    text, needle = (s.replace("-", " ").replace("_", " ") for s in (text, needle))
    before = r"(?<![^\W_])" if needle[:1].isalnum() else ""
    after = r"(?![^\W_])" if needle[-1:].isalnum() else ""
    return re.search(before + re.escape(needle) + after, text) is not None


def unmapped_licence(remote: Mapping[str, Any], licence_id: str) -> str | None:
    """The licence a remote dataset names when it was mapped to ``notspecified`` (for the
    status page); None when it names none, or says itself it has none."""
    if licence_id != "notspecified":
        return None
    for raw in licence_values(remote):
        if _licence_key(raw) not in ("notspecified", "license not specified", "other"):
            return raw[:200]
    return None


def organization(remote: Mapping[str, Any], source: Source) -> Organization:
    """The local organisation of a remote dataset: the source's mapping of the remote
    organisation's (or DCAT publisher's) name, else the same name (created if missing),
    else the source's default organisation, as the source's ``publishers`` rule says."""
    org = remote.get("organization") if isinstance(remote.get("organization"), Mapping) else {}
    remote_name = (org or {}).get("name") or ""
    publisher = value(remote, "publisher_name")
    if source.publishers == "default" or (
        source.publishers == "map"
        and remote_name not in source.organizations
        and not (isinstance(publisher, str) and publisher.strip() in source.organizations)
    ):
        return _default_organization(source)
    if remote_name in source.organizations:
        return Organization(
            name=source.organizations[remote_name],
            title=(org or {}).get("title") or source.organizations[remote_name],
        )
    if remote_name:
        name = dataset_name(remote_name)
        return Organization(
            name=name,
            title=(org or {}).get("title") or remote_name,
            description=(org or {}).get("description") or "",
            image_url=(org or {}).get("image_url") or "",
        )
    if isinstance(publisher, str) and publisher.strip():
        publisher_name = dataset_name(publisher)
        name = source.organizations.get(publisher.strip(), publisher_name)
        return Organization(name=name, title=publisher.strip())
    return _default_organization(source)


def _default_organization(source: Source) -> Organization:
    if source.default_organization:
        return Organization(name=source.default_organization, title=source.default_organization)
    return Organization(name=dataset_name(source.title), title=source.title)


def dataset_name(text: str) -> str:
    """A CKAN name from any text: lowercase ASCII, Danish letters transliterated."""
    text = unicodedata.normalize("NFKD", text.translate(_DANISH).lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    name = _NAME_DISALLOWED.sub("-", text).strip("-")
    name = re.sub(r"-{2,}", "-", name)[:NAME_MAX].strip("-")
    return name if len(name) >= 2 else f"dataset-{name}".strip("-")


def _frequency(remote: Mapping[str, Any]) -> str | None:
    for key in _FREQUENCY_KEYS:
        raw = value(remote, key)
        if isinstance(raw, str) and raw.strip():
            word = " ".join(raw.strip().rstrip("/").rsplit("/", 1)[-1].casefold().split())
            found = _FREQUENCIES.get(word) or _FREQUENCIES.get(word.replace("-", "_"))
            if found:
                return found
    return None


def _first_text(remote: Mapping[str, Any], keys: Iterable[str], limit: int = 500) -> str:
    for key in keys:
        raw = value(remote, key)
        if isinstance(raw, list):
            raw = ", ".join(str(v) for v in raw if isinstance(v, str | int | float))
        if isinstance(raw, str | int | float) and str(raw).strip():
            return str(raw).strip()[:limit]
    return ""


def _date(raw: str, *, end: bool = False) -> str:
    """An ISO date from ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` (a time after it
    dropped): a year or month alone is its first day, or its last for an ``end``; empty
    when it is no date."""
    found = re.match(r"^\s*(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", raw or "")
    if not found:
        return ""
    year, month, day = (int(g) if g else None for g in found.groups())
    assert year is not None
    try:
        if month is None:
            month = 12 if end else 1
        if day is None:
            day = calendar.monthrange(year, month)[1] if end else 1
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return ""


def _languages(remote: Mapping[str, Any]) -> list[str]:
    """ISO 639-1 codes from what portals write: EU language IRIs (``.../DAN``), codes and
    names, as a list, a JSON list or comma-separated."""
    raw = value(remote, "language")
    if isinstance(raw, str):
        text = raw.strip()
        if text.startswith("["):
            try:
                raw = json.loads(text)
            except ValueError:
                raw = [text]
        else:
            raw = re.split(r"[,;]", text)
    found: list[str] = []
    for item in raw if isinstance(raw, list) else []:
        if not isinstance(item, str):
            continue
        word = item.strip().rstrip("/").rsplit("/", 1)[-1].casefold()
        code = _LANGUAGES.get(word)
        if code and code not in found:
            found.append(code)
    return found


def _format(raw: Any) -> str:
    text = str(raw or "").strip()
    if "/" in text:  # a media type or a vocabulary URI
        text = text.rstrip("/").rsplit("/", 1)[-1]
    return _FORMATS.get(text.casefold(), text.upper() if len(text) <= 5 else text)


def _resources(remote: Mapping[str, Any]) -> list[dict[str, Any]]:
    resources = []
    for number, res in enumerate(remote.get("resources") or [], start=1):
        if not isinstance(res, Mapping):
            raise MappingError("resources", f"resource {number} is not an object")
        url = str(res.get("url") or res.get("access_url") or res.get("download_url") or "").strip()
        if url and not url.lower().startswith(URL_SCHEMES):
            raise MappingError(
                "resources",
                f"resource {number}: the URL must start with "
                f"http://, https:// or ftp:// (got {url[:40]!r})",
            )
        out: dict[str, Any] = {
            "name": str(res.get("name") or res.get("title") or f"Resource {number}").strip(),
            "description": str(res.get("description") or ""),
            "format": _format(res.get("format") or res.get("mimetype")),
            "url": url,
        }
        if isinstance(res.get("id"), str) and _UUID.fullmatch(res["id"]):
            out["id"] = res["id"]
        if res.get("mimetype"):
            out["mimetype"] = str(res["mimetype"])
        if isinstance(res.get("size"), int) and res["size"] >= 0:
            out["size"] = res["size"]
        resources.append(out)
    return resources


def remote_dataset_url(source: Source, remote: Mapping[str, Any]) -> str:
    """Where a person sees the dataset at the source: a DCAT dataset's landing page
    (ckanext-dcat's parser reads ``dcat:landingPage`` into ``url``) or its URI; a CKAN
    portal's dataset page."""
    uri = value(remote, "uri")
    if isinstance(uri, str) and uri:
        for found in (value(remote, "landing_page"), remote.get("url"), uri):
            if isinstance(found, str) and found.lower().startswith(("http://", "https://")):
                return found
    return f"{source.url.rstrip('/')}/dataset/{remote.get('name') or remote.get('id')}"


def to_local(
    remote: Mapping[str, Any],
    source: Source,
    *,
    known_licences: Mapping[str, Iterable[str]] | Iterable[str],
    checklist: Mapping[str, str],
    harvested_at: str,
) -> dict[str, Any]:
    """The dataset dict to create or update here, without owner organisation and name
    (the logic layer resolves both against the database)."""
    if remote.get("private") is True:
        raise MappingError("private", "the remote dataset is private")
    if remote.get("state") not in (None, "", "active"):
        raise MappingError("state", f"the remote dataset is {remote.get('state')}")
    if remote.get("type") not in (None, "", "dataset"):
        raise MappingError("type", f"only datasets are harvested, not {remote.get('type')!r}")
    title = str(remote.get("title") or remote.get("name") or "").strip()
    if not title:
        raise MappingError("title", "the remote dataset has neither title nor name")
    remote_id = str(remote.get("id") or value(remote, "identifier") or value(remote, "uri") or "")
    local: dict[str, Any] = {
        "title": title,
        "notes": str(remote.get("notes") or ""),
        "url": str(value(remote, "url") or ""),
        "version": str(remote.get("version") or "")[:100],
        "author": remote.get("author") or value(remote, "publisher_name") or "",
        "author_email": remote.get("author_email") or "",
        "maintainer": remote.get("maintainer") or value(remote, "contact_name") or "",
        "maintainer_email": remote.get("maintainer_email") or value(remote, "contact_email") or "",
        "license_id": map_licence(remote, known_licences, source.licences),
        "tags": [{"name": tag} for tag in clean_tags(remote.get("tags") or [])],
        "private": False,
        "access_tier": "open",
        "resources": _resources(remote),
        "cityharvest_source": source.title,
        "cityharvest_source_url": source.url,
        "cityharvest_remote_id": remote_id,
        "cityharvest_remote_url": remote_dataset_url(source, remote),
        "cityharvest_harvested": harvested_at,
    }
    frequency = _frequency(remote)
    if frequency:
        local["update_frequency"] = frequency
    local.update(coverage(remote))
    local["groups"] = [{"name": theme.name} for theme in themes(remote)]
    local.update(checklist)
    return local


def themes(remote: Mapping[str, Any]) -> list[Theme]:
    """The EU data themes of a remote dataset: the vocabulary's IRIs or codes under
    ``theme``/``themes`` (DCAT), and the names or titles of the remote groups (CKAN
    portals), in Danish or English. Anything else is left out."""
    found: list[str] = []
    raw: list[Any] = []
    for key in ("themes", "theme"):
        item = value(remote, key)
        if isinstance(item, str) and item.strip().startswith("["):
            try:
                item = json.loads(item)
            except ValueError:
                item = [item]
        raw.extend(item if isinstance(item, list) else [item])
    for group in remote.get("groups") or []:
        if isinstance(group, Mapping):
            raw.extend([group.get("name"), group.get("title")])
    for item in raw:
        if not isinstance(item, str) or not item.strip():
            continue
        text = item.strip()
        code = text.rstrip("/").rsplit("/", 1)[-1].upper() if "/" in text else text.upper()
        if code not in _THEME_BY_CODE:
            code = _THEME_WORDS.get(" ".join(text.casefold().split()), "")
        if code and code not in found:
            found.append(code)
    return [_THEME_BY_CODE[code] for code in found]


def coverage(remote: Mapping[str, Any]) -> dict[str, Any]:
    """Where and when the data is about, and in which languages: geographic coverage (a
    place name or the URI of a place, such as the EU country authority's ``DNK``), its
    geometry (GeoJSON, for map search), the time span (start and end dates; a year or month alone covers all of it) and ISO
    639-1 language codes. Only what the source gives."""
    out: dict[str, Any] = {}
    place = _first_text(remote, _SPATIAL_TEXT_KEYS, 200)
    uri = _first_text(remote, _SPATIAL_URI_KEYS, 300)
    if place:
        out["spatial_coverage"] = place
    if uri.lower().startswith(("http://", "https://")):
        out["spatial_uri"] = uri
        out.setdefault("spatial_coverage", _PLACES.get(uri.rstrip("/").rsplit("/", 1)[-1], ""))
        if not out["spatial_coverage"]:
            out.pop("spatial_coverage")
    found = geo.geometry(value(remote, "spatial"))
    if found is not None:
        out["spatial"] = found
    start = _date(_first_text(remote, ("temporal_start", "temporal_coverage_from", "startdato")))
    end = _date(_first_text(remote, ("temporal_end", "temporal_coverage_to", "slutdato")), end=True)
    if start:
        out["temporal_start"] = start
    if end and (not start or end >= start):
        out["temporal_end"] = end
    languages = _languages(remote)
    if languages:
        out["language"] = languages
    return out


def preferred_name(remote: Mapping[str, Any]) -> str:
    """The name the dataset would like here: the remote name if it is a valid CKAN name,
    else one made from the title."""
    name = remote.get("name")
    if (
        isinstance(name, str)
        and re.fullmatch(r"[a-z0-9_-]{2,100}", name)
        and not _UUID.fullmatch(name)
    ):
        return name
    return dataset_name(str(remote.get("title") or name or "dataset"))
