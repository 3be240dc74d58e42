"""From a remote dataset to a dataset of this catalog.

Pure rules, no CKAN import: the input is a dataset as a CKAN portal's API returns it
(``package_show``) or as ckanext-dcat's RDF parser reads it from a DCAT catalog (the same
shape: extras as key/value pairs, tags as ``{"name": ...}``); the output is a dataset
dict of the suite's schema. The logic layer adds the organisation and persists.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

TAG_MIN, TAG_MAX = 2, 100  # CKAN's tag length limits
NAME_MAX = 100  # CKAN's dataset name limit
URL_SCHEMES = ("http://", "https://", "ftp://")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
_TAG_DISALLOWED = re.compile(r"[^\w \-.]", re.UNICODE)  # what CKAN's tag validator refuses
_TAG_SPLIT = re.compile(r"[,;|]")
_NAME_DISALLOWED = re.compile(r"[^a-z0-9_-]+")
_DANISH = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "Æ": "ae", "Ø": "oe", "Å": "aa"})

# Licences as remote portals name them (id, title or URL), normalised by _licence_key,
# mapped to CKAN's licence ids. Checked in order: the first rule that matches wins.
_LICENCE_RULES: tuple[tuple[str, str], ...] = (
    ("cc0", "cc-zero"),
    ("cc-zero", "cc-zero"),
    ("publicdomain/zero", "cc-zero"),
    ("public domain dedication", "cc-zero"),
    ("pddl", "odc-pddl"),
    ("odbl", "odc-odbl"),
    ("open database license", "odc-odbl"),
    ("odc-by", "odc-by"),
    ("opendatacommons.org/licenses/by", "odc-by"),
    ("by-nc", "cc-nc"),
    ("non-commercial", "cc-nc"),
    ("noncommercial", "cc-nc"),
    ("by-sa", "cc-by-sa"),
    ("sharealike", "cc-by-sa"),
    ("cc-by", "cc-by"),
    ("cc by", "cc-by"),
    ("licenses/by/", "cc-by"),
    ("creative commons attribution", "cc-by"),
    ("creative commons navngivelse", "cc-by"),
    ("ogl", "uk-ogl"),
    ("open government licence", "uk-ogl"),
    ("vilkår for brug af danske offentlige data", "other-open"),
    ("danske offentlige data", "other-open"),
    ("other-open", "other-open"),
    ("other-pd", "other-pd"),
    ("other-at", "other-at"),
    ("other-nc", "other-nc"),
    ("other-closed", "other-closed"),
    ("gfdl", "gfdl"),
)
_FREQUENCIES: Mapping[str, str] = {
    # DCAT (EU frequency vocabulary, Dublin Core) and the words portals use in extras.
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
    "dagligt": "daily",
    "ugentligt": "weekly",
    "månedligt": "monthly",
    "årligt": "yearly",
    "realtid": "realtime",
}
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
    return text.rstrip("/")


def map_licence(
    remote: Mapping[str, Any], known: Iterable[str], overrides: Mapping[str, str] | None = None
) -> str:
    """The local licence id of a remote dataset (or of all its distributions, as DCAT
    has it): the source's own table first (keys may be ids, titles or URLs), then the id
    itself if this portal knows it, then the common names and URLs of open licences;
    ``notspecified`` when nothing matches."""
    known = set(known)
    candidates = [
        value(remote, k) for k in ("license_id", "license_url", "license_title", "license")
    ]
    # DCAT puts licences on distributions: one shared by all of them is the dataset's.
    on_distributions = {
        r.get("license") for r in remote.get("resources") or [] if isinstance(r, Mapping)
    }
    if len(on_distributions) == 1:
        candidates.append(on_distributions.pop())
    keys = [_licence_key(c) for c in candidates if isinstance(c, str) and c.strip()]
    table = {_licence_key(k): v for k, v in (overrides or {}).items()}
    for key in keys:
        if table.get(key) in known:
            return table[key]
    for key in keys:
        if key in known:
            return key
    for key in keys:
        for needle, licence in _LICENCE_RULES:
            if needle in key and licence in known:
                return licence
    return "notspecified"


def organization(remote: Mapping[str, Any], source: Source) -> Organization:
    """The local organisation of a remote dataset: the source's mapping of the remote
    organisation's name, else the same name (created if missing), else the source's
    default organisation."""
    org = remote.get("organization") if isinstance(remote.get("organization"), Mapping) else {}
    remote_name = (org or {}).get("name") or ""
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
    publisher = value(remote, "publisher_name")
    if isinstance(publisher, str) and publisher.strip():
        publisher_name = dataset_name(publisher)
        name = source.organizations.get(publisher.strip(), publisher_name)
        return Organization(name=name, title=publisher.strip())
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
    raw = value(remote, "frequency") or value(remote, "accrual_periodicity")
    if not isinstance(raw, str) or not raw.strip():
        return None
    word = raw.strip().rstrip("/").rsplit("/", 1)[-1].casefold()
    return _FREQUENCIES.get(word)


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
    known_licences: Iterable[str],
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
    local.update(checklist)
    return local


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
