"""Every page of the suite is in Danish when the language is Danish (issue 16).

The English side is every text the pages can draw on: the message ids of the catalogs the
app gives Babel (CKAN core and every ``ITranslation`` plugin: ckanext-harvest,
ckanext-dcat and the suite's own, as ``BABEL_TRANSLATION_DIRECTORIES`` lists them), of
ckanext-scheming's templates and of the suite's templates and code (extracted as CKAN
extracts its own: ``ckan.lib.extract`` for templates, Babel's extractor for Python), the
English texts of the dataset schema and the GDPR presets, ckanext-harvest's frequency
names, the web framework's error names and texts, and the stored identifiers a page must
show by their labels (a deal's state, a personal-data detector, ...). The Danish side is
the merged catalog the pages are translated with.

A world with one of everything a page shows (an open, a priced and an on-request dataset,
sample and locked resources, paid and refunded orders, entitlements, a paid deal with its
contract, a scanned file and a held one, a harvest source with a finished run) is built
once. Every page of the suite's blueprints, and the core pages its users pass through, is
rendered under ``/da_DK/`` (the Danish pages; ``/da/`` leads there) as the people who use
it: an anonymous citizen, a buyer, the seller's editor and admin, a sysadmin. The visible
text of a page (text outside script, style and code; the title, placeholder, aria-label
and alt attributes; the value of input buttons) must hold no English text whose Danish is
different or missing, no date in US order and no amount in English format. Data (titles,
names, a buyer's use case) and words written the same in both languages are not English.
A failure lists the English found on every page once, then per page.

The walk proves that it reached each page (its status and a marker only that page has),
that no GET route of the suite's blueprints is left out unless ``NOT_WALKED`` says why,
and that the detector finds English planted in a Danish page (and nothing in Danish).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import lxml.html
import polib
import pytest
from babel.messages.extract import extract_from_dir
from babel.support import Translations
from ckan import model
from ckan.tests import helpers
from ckan.tests.pytest_ckan.fixtures import FakeFileStorage

from ckanext.cityexchange import compat
from ckanext.pricing.tests import stripe_events as se
from ckanext.pricing.tests.conftest import World, build_world, upstream  # noqa: F401 (fixture)

pytestmark = pytest.mark.module_plugins

ROOT = Path(__file__).resolve().parent.parent
LANG = "da_DK"
SUITE = ("cityexchange", "pricing", "dealroom", "gdprcheck", "cityharvest")
WEBHOOK = "/pricing/stripe/webhook"

# GET routes of the suite's blueprints that are not pages, each with its reason. Every
# other GET route must be walked.
NOT_WALKED = {
    "pricing.fetch": "streams the seller's file (a signed link), no page",
    "pricing.sales_csv": "a CSV export for spreadsheets; its column names are machine keys",
    "dealroom.attachment": "streams an attachment, no page",
    "pricing.dsp_version": "the Dataspace Protocol's version document, JSON for machines",
    "pricing.dsp_dataset": "a Dataspace Protocol dataset, JSON-LD for machines",
    "pricing.dsp_method_not_allowed": "the Dataspace Protocol's error for a wrong method, JSON",
    "cityexchange.redirect_locale": "/da/ leads to /da_DK/ "
    "(test_the_danish_language_prefix_leads_to_danish_pages)",
}

# Texts that are English message ids and also Danish words, written the same: not English.
SAME_IN_DANISH = {
    "api",
    "csv",
    "json",
    "geojson",
    "url",
    "uri",
    "data",
    "version",
    "status",
    "format",
    "link",
    "ckan",
    "dcat",
    "gdpr",
    "sha-256",
    "e-mail",
    "id",
}


# English that CKAN core writes into its templates without gettext, so that no catalog can
# translate it: (the page's path, from its start, and the text) -> why it stays.
KNOWN_UPSTREAM = {
    ("/dataset/", "close"): "core's package/search.html: the facet panel's close link "
    "(screen-reader text, hard-coded)",
    ("/organization/", "close"): "core's organization/read.html: as package/search.html",
    ("/group/", "close"): "core's group/read.html: as package/search.html",
    ("/ckan-admin/", "Username"): "core's admin/index.html: a hard-coded placeholder",
}


def _known(path: str, finding: str) -> tuple[str, str] | None:
    return next(
        (
            (prefix, text)
            for prefix, text in KNOWN_UPSTREAM
            if path.startswith(prefix) and finding.startswith(repr(text) + " ")
        ),
        None,
    )


def _norm(text: str) -> str:
    return " ".join(text.split())


# --- the English and Danish sides -----------------------------------------------------


_JSON = re.compile(r"^\s*[\[{].*[\]}]\s*$", re.DOTALL)  # an example of JSON, not prose
_SEPARATORS = re.compile(r"\s*(?:[·|•»«\u241f]|[:,](?=\s|$)|[()\[\]]|\s[–—-]\s)\s*")
_TRIM = " .,;:!?…*\"'“”‘’/"
_PLACEHOLDER = re.compile(r"%\([^)]+\)[sdif]|%[sdif]|\{[^{}]*\}")
_WORD = re.compile(r"[A-Za-z]{3,}")
_LETTERS = re.compile(r"[^\W\d_]", re.UNICODE)


@dataclass
class Catalogs:
    """English message ids (casefolded -> [(msgid, origin)]), the msgids with placeholders
    as patterns (indexed by their longest word), every Danish text, and the merged Danish
    catalog the pages are translated with."""

    danish_catalog: Translations
    english: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    plurals: dict[str, str] = field(default_factory=dict)  # msgid_plural -> msgid
    patterns: dict[str, list[tuple[re.Pattern[str], str, str]]] = field(default_factory=dict)
    danish: set[str] = field(default_factory=set)

    def add(self, msgid: str, origin: str, danish: str | None = None) -> None:
        english = _norm(msgid)
        if not english or not _LETTERS.search(english):
            return
        if danish:
            self.danish.add(_norm(danish).strip(_TRIM).casefold())
        if _PLACEHOLDER.search(english):
            literal = _PLACEHOLDER.sub(" ", english)
            words = _WORD.findall(literal)
            if not words:
                return
            parts = _PLACEHOLDER.split(english.strip(_TRIM))
            pattern = re.compile(".+?".join(re.escape(p) for p in parts), re.IGNORECASE | re.DOTALL)
            key = max(words, key=len).casefold()
            self.patterns.setdefault(key, []).append((pattern, msgid, origin))
            return
        entries = self.english.setdefault(english.strip(_TRIM).casefold(), [])
        if (english, origin) not in entries:
            entries.append((english, origin))

    def translation(self, msgid: str) -> str | None:
        """The Danish text the pages use for a msgid, or None where there is none."""
        catalog = self.danish_catalog._catalog  # type: ignore[attr-defined]
        if msgid in self.plurals:
            return catalog.get((self.plurals[msgid], 1)) or None
        return catalog.get(msgid) or catalog.get((msgid, 0)) or None

    def english_in(self, text: str, data: frozenset[str] = frozenset()) -> list[str]:
        """The English message ids that a visible text is, or that one of its parts is
        (parts that are data, Danish or the same in both languages are not English)."""
        found: list[str] = []
        if text.strip(_TRIM).casefold() in self.danish or _JSON.match(text):
            return found
        for part in _parts(text):
            key = part.casefold()
            if key in self.danish or key in SAME_IN_DANISH or key in data:
                continue
            for msgid, origin in self.english.get(key, []):
                if self._is_english(msgid):
                    found.append(self._describe(part, msgid, origin))
                    break
            else:
                for word in {w.casefold() for w in _WORD.findall(part)}:
                    for pattern, msgid, origin in self.patterns.get(word, []):
                        # the msgid's own words must make most of the text
                        literal = len(_PLACEHOLDER.sub("", msgid))
                        if (
                            literal * 2 >= len(part)
                            and pattern.fullmatch(part)
                            and self._is_english(msgid)
                        ):
                            found.append(self._describe(part, msgid, origin))
                            break
        return found

    def _is_english(self, msgid: str) -> bool:
        danish = self.translation(msgid)
        return danish is None or _norm(danish) != _norm(msgid)

    def _describe(self, text: str, msgid: str, origin: str) -> str:
        danish = self.translation(msgid)
        source = origin if _norm(msgid) == text else f"{origin}: {msgid!r}"
        return f"{text!r} ({source}; " + (f"Danish: {danish!r})" if danish else "no Danish)")


def _parts(text: str) -> list[str]:
    """A text and the phrases it is made of (a label before its colon, a clause, a
    parenthesis)."""
    parts = [text.strip(_TRIM)]
    parts += [p.strip(_TRIM) for p in _SEPARATORS.split(text)]
    out = []
    for part in parts:
        if part and len(_LETTERS.findall(part)) >= 2 and part not in out:
            out.append(part)
    return out


def _catalog_dirs(flask_app: Any) -> list[tuple[str, str]]:
    dirs = flask_app.config["BABEL_TRANSLATION_DIRECTORIES"].split(";")
    domains = flask_app.config["BABEL_DOMAIN"].split(";")
    return list(zip(dirs, domains, strict=True))


def _extract(root: Path, *, code: bool) -> Iterator[tuple[str, str]]:
    """(msgid, file) of the strings a package's templates (and code) pass to gettext."""
    method_map = [("**/templates/**.html", "ckan.lib.extract:extract_ckan")]
    if code:
        method_map += [("**/tests/**.py", "ignore"), ("**.py", "python")]
    for filename, _line, message, _comments, _context in extract_from_dir(
        str(root), method_map=method_map
    ):
        for msgid in message if isinstance(message, tuple) else (message,):
            if msgid:
                yield msgid, filename


def load_catalogs(flask_app: Any) -> Catalogs:
    import ckanext.scheming
    from ckanext.harvest.model import UPDATE_FREQUENCIES

    with flask_app.test_request_context("/", environ_overrides={"CKAN_LANG": LANG}):
        import flask_babel

        danish_catalog = flask_babel.get_translations()
    catalogs = Catalogs(danish_catalog)
    for value in danish_catalog._catalog.values():  # type: ignore[attr-defined]
        if value:
            catalogs.danish.add(_norm(value).strip(_TRIM).casefold())

    for directory, domain in _catalog_dirs(flask_app):
        origin = "ckan" if domain == "ckan" else domain
        base = Path(directory)
        files = [base / f"{domain}.pot", base / LANG / "LC_MESSAGES" / f"{domain}.po"]
        for path in files:
            if path.exists():
                for entry in polib.pofile(str(path)):
                    if entry.obsolete:
                        continue
                    catalogs.add(entry.msgid, origin)
                    if entry.msgid_plural:
                        catalogs.plurals[entry.msgid_plural] = entry.msgid
                        catalogs.add(entry.msgid_plural, origin)
        if domain.startswith("ckanext-") and domain[len("ckanext-") :] in SUITE:
            for msgid, filename in _extract(base.parent, code=True):
                catalogs.add(msgid, f"{domain} ({filename})")
    for msgid, filename in _extract(Path(ckanext.scheming.__file__).parent, code=False):
        catalogs.add(msgid, f"ckanext-scheming ({filename})")
    for frequency in UPDATE_FREQUENCIES:  # ckanext-harvest shows _(frequency.title())
        catalogs.add(frequency.title(), "ckanext-harvest (harvest_frequencies)")
    # The names and descriptions of HTTP errors, as the web framework writes them.
    from werkzeug.exceptions import default_exceptions

    for error in default_exceptions.values():
        catalogs.add(error().name, "werkzeug (error name)")
        catalogs.add(error.description or "", "werkzeug (error description)")
    # Stored identifiers that a page must show as their labels, never as they are.
    for origin, identifiers in _raw_ids().items():
        for identifier in identifiers:
            catalogs.add(identifier, origin)

    # Texts given per language: the dataset schema and ckanext-gdprcheck's presets.
    schema = _yaml(ROOT / "config" / "schemas" / "dataset.yaml")
    presets = json.loads(
        (ROOT / "ckanext-gdprcheck" / "ckanext" / "gdprcheck" / "presets.json").read_text()
    )
    for origin, tree in (("dataset schema", schema), ("gdprcheck presets", presets)):
        for texts in _language_maps(tree):
            catalogs.add(texts["en"], origin, texts.get(LANG))
    return catalogs


def _raw_ids() -> dict[str, list[str]]:
    from ckanext.dealroom import states as deal_states
    from ckanext.gdprcheck import detectors
    from ckanext.pricing import orders, rules

    return {
        "raw id: a deal's state": [s.value for s in deal_states.State],
        "raw id: an order's state": [s.value for s in orders.State],
        "raw id: a personal-data detector": list(detectors.DETECTORS),
        "raw id: an access tier": [rules.OPEN, rules.PRICED, rules.ON_REQUEST],
        "raw id: a resource's access": [rules.SAMPLE, rules.LOCKED],
        "raw id: a deal's payment": ["invoice", "checkout"],
    }


def _yaml(path: Path) -> Any:
    import yaml

    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _language_maps(tree: Any) -> Iterator[dict[str, str]]:
    if isinstance(tree, dict):
        if "en" in tree and LANG in tree and isinstance(tree["en"], str):
            yield tree
            return
        for value in tree.values():
            yield from _language_maps(value)
    elif isinstance(tree, list):
        for value in tree:
            yield from _language_maps(value)


# --- what a page shows ---------------------------------------------------------------------

# Not prose: scripts and styles, code (a contract's canonical JSON, masked examples).
_NOT_PROSE = {"script", "style", "template", "head", "code", "pre", "kbd", "samp"}
_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")


def visible_texts(page: str) -> list[str]:
    """The texts a reader sees or a screen reader reads: text outside script, style and
    code, the page title, and the title, placeholder, aria-label and alt attributes and
    the value of input buttons. Text marked as another language (``lang="en"``, the
    language switcher's "English") is not the page's language and is left out."""
    document = lxml.html.document_fromstring(page)
    out: list[str] = []
    title = document.find(".//title")
    if title is not None and title.text:
        out.append(title.text)

    def walk(element: Any) -> None:
        if not isinstance(element.tag, str):
            return
        other_language = (element.get("lang") or LANG)[:2] != LANG[:2]
        if element.tag in _NOT_PROSE or other_language:
            return
        out.append(element.text or "")
        out.extend(element.get(a) or "" for a in _ATTRIBUTES)
        if element.tag == "input" and element.get("type") in ("submit", "button", "reset"):
            out.append(element.get("value") or "")
        for child in element:
            walk(child)
            out.append(child.tail or "")

    walk(document.find("body"))
    return [t for t in (_norm(t) for t in out) if t]


def english_on_page(catalogs: Catalogs, page: str, data: Iterable[str]) -> list[str]:
    """The English message ids a page shows. Names and texts from data are not English:
    a text that is one is skipped, and longer ones are cut out of the texts they stand
    in ("Full data (file)" holds no "file")."""
    data = frozenset(d.casefold() for d in data)
    longer = sorted((d for d in data if len(d) >= 8), key=len, reverse=True)
    cut = re.compile("|".join(rf"(?<!\w){re.escape(d)}(?!\w)" for d in longer), re.I)
    found: list[str] = []
    for seen in visible_texts(page):
        if seen.casefold() in data:
            continue
        text = _norm(cut.sub("\u241f", seen)) if longer else seen
        for finding in catalogs.english_in(text, data) + _english_formats(text):
            if finding not in found:
                found.append(finding)
    return found


_FORMATS = {
    "a date in US order": re.compile(r"\b[^\W\d_]{3,}\.? \d{1,2}, \d{4}\b"),
    "a raw timestamp": re.compile(r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}"),
    "an amount in English format": re.compile(
        r"(?:\b(?:DKK|EUR|USD|kr\.?)|[$€£])\s?\d{1,3}(?:,\d{3})*\.\d{2}\b"
        r"|\b\d{1,3}(?:,\d{3})*\.\d{2}\s?(?:DKK|EUR|USD|kr\b)"
    ),
}


def _english_formats(text: str) -> list[str]:
    """Dates and amounts written the English way (Danish: 3. december 2026, 1.250,00 kr.)."""
    return [
        f"{match.group(0)!r} ({what})"
        for what, pattern in _FORMATS.items()
        for match in pattern.finditer(text)
    ]


# --- the world -------------------------------------------------------------------------


@dataclass
class DanishWorld:
    base: World
    open_ds: dict[str, Any]
    on_request: dict[str, Any]
    second: dict[str, Any]
    scanned: dict[str, Any]
    personal: dict[str, Any]
    skipped: dict[str, Any]
    room: dict[str, Any]
    paid_order: str
    refunded_order: str
    source: dict[str, Any]
    tokens: dict[str, dict[str, str]]
    data: set[str]


PERSONAL = "navn,email,cpr\n" + "".join(
    f"Person {i},person{i}@example.dk,01019{i % 10}1234\n" for i in range(30)
)


def _data_texts(*objects: Any) -> set[str]:
    """Names and texts that come from data, not from the code: titles, names, notes."""
    keys = {"title", "display_name", "fullname", "name", "notes", "description", "use_case"}
    out: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key in keys and isinstance(item, str) and item:
                    out.add(_norm(item).casefold())
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for obj in objects:
        walk(obj)
    return out


def _order(app: Any, user: dict[str, Any], dataset: dict[str, Any], *, refund: bool) -> str:
    from ckanext.pricing.model import Order

    result = helpers.call_action(
        "pricing_checkout_create",
        context={"user": user["name"], "ignore_auth": False},
        package_id=dataset["id"],
        offer_id="standard",
    )
    model.Session.expire_all()
    order = Order.get(result["order_id"])
    for event in [se.completed(order)] + ([se.refunded(order)] if refund else []):
        body, headers = se.signed(event)
        assert app.post(WEBHOOK, data=body, headers=headers).status_code == 200
    return order.id


@pytest.fixture(scope="module")
def dworld(upstream: str, reset_portal_db: Any, reset_index: Any) -> Iterator[DanishWorld]:
    from ckanext.gdprcheck import jobs

    base = build_world(upstream, reset_portal_db, reset_index)
    app = helpers._get_test_app()
    users = base.users
    seller = {"user": users["seller_admin"]["name"]}
    sysadmin = {"user": users["sysadmin"]["name"]}
    org = base.org
    open_ds = helpers.call_action(
        "package_create",
        context=seller,
        name="cykeltaellinger-dk",
        title="Cykeltællinger på broerne",
        notes="Tællinger af cyklister, time for time.",
        owner_org=org["id"],
        license_id="cc-by",
        tags=[{"name": "cykler"}],
        resources=[{"name": "Tællinger (CSV)", "url": f"{upstream}/sample.csv", "format": "CSV"}],
    )
    on_request = helpers.call_action(
        "package_create",
        context=seller,
        name="luftsensorer-dk",
        title="Luftkvalitet fra sensornettet",
        owner_org=org["id"],
        license_id="other-closed",
        access_tier="on_request",
        resources=[
            {"name": "Eksempel (CSV)", "url": f"{upstream}/sample.csv", "access": "sample"},
            {"name": "Alle målinger", "url": f"{upstream}/sample.csv", "access": "locked"},
        ],
    )
    second = helpers.call_action(
        "package_create",
        context=seller,
        name="bycykelture-dk",
        title="Bycykelture 2025",
        owner_org=org["id"],
        license_id="other-closed",
        access_tier="priced",
        offers=[
            {
                "id": "standard",
                "kind": "one_off",
                "amount": 49900,
                "currency": "DKK",
                "vat_included": True,
                "licence": "internal-use",
            }
        ],
        resources=[
            {"name": "Eksempel (CSV)", "url": f"{upstream}/sample.csv", "access": "sample"},
            {"name": "Alle ture", "url": f"{upstream}/sample.csv", "access": "locked"},
        ],
    )
    # A dataset whose checklist says "no personal data" and an upload that has some: the
    # scan in the request holds the file. A file the scanner cannot read is skipped.
    scanned = helpers.call_action(
        "package_create",
        context=seller,
        name="borgerhenvendelser-dk",
        title="Borgerhenvendelser",
        owner_org=org["id"],
        gdpr_personal_data="none",
        gdpr_category="NonPersonal",
    )
    personal = helpers.call_action(
        "resource_create",
        context=seller,
        package_id=scanned["id"],
        name="Henvendelser",
        format="CSV",
        upload=FakeFileStorage(io.BytesIO(PERSONAL.encode()), "henvendelser.csv"),
    )
    skipped = helpers.call_action(
        "resource_create",
        context=seller,
        package_id=scanned["id"],
        name="Rapport",
        format="PDF",
        url=f"{upstream}/rapport.pdf",
    )
    jobs.scan_resource(skipped["id"], force=True)

    buyer = {"user": users["buyer"]["name"], "ignore_auth": False}
    room = helpers.call_action(
        "dealroom_create",
        context=buyer,
        package_id=on_request["id"],
        deal_type="sale",
        use_case="Vi vil planlægge cykelstier ud fra luftkvaliteten.",
    )
    editor = {"user": users["seller_editor"]["name"], "ignore_auth": False}
    helpers.call_action("dealroom_accept_request", context=editor, id=room["id"])
    helpers.call_action(
        "dealroom_message_create", context=buyer, id=room["id"], body="Hvor ofte måles der?"
    )
    offer = helpers.call_action(
        "dealroom_offer_create",
        context=editor,
        id=room["id"],
        amount=500000,
        currency="DKK",
        period_months=6,
        licence="internal-use",
        clauses="Ingen videresalg.",
        dpa_required=True,
    )
    helpers.call_action("dealroom_offer_accept", context=buyer, id=room["id"], offer_id=offer["id"])
    helpers.call_action("dealroom_mark_paid", context=editor, id=room["id"])

    paid_order = _order(app, users["outsider"], base.dataset, refund=False)
    refunded_order = _order(app, users["outsider"], second, refund=True)

    source = helpers.call_action(
        "harvest_source_create",
        context=sysadmin,
        name="aarhus-portal",
        title="Aarhus' dataportal",
        url="http://127.0.0.1:9/",
        source_type="cityharvest_ckan",
        frequency="DAILY",
        owner_org=org["id"],
    )
    from ckanext.harvest.model import HarvestJob

    job = helpers.call_action(
        "harvest_job_create", context=sysadmin, source_id=source["id"], run=False
    )
    row = model.Session.get(HarvestJob, job["id"])
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    row.status = "Finished"
    row.gather_started = now - dt.timedelta(minutes=3)
    row.gather_finished = now - dt.timedelta(minutes=2)
    row.finished = now - dt.timedelta(minutes=1)
    model.repo.commit()

    tokens = {name: {"Authorization": token} for name, token in base.tokens.items()}
    tokens["anonymous"] = {}
    room = helpers.call_action("dealroom_show", context=buyer, id=room["id"])
    data = _data_texts(
        base.view,
        base.dataset,
        open_ds,
        on_request,
        second,
        scanned,
        base.org,
        base.group,
        room,
        source,
        list(users.values()),
    ) | set(PERSONAL.split("\n", 1)[0].split(","))  # the uploaded file's column names
    yield DanishWorld(
        base=base,
        open_ds=open_ds,
        on_request=on_request,
        second=second,
        scanned=scanned,
        personal=personal,
        skipped=skipped,
        room=room,
        paid_order=paid_order,
        refunded_order=refunded_order,
        source=source,
        tokens=tokens,
        data=data,
    )
    compat.unload_plugins()


# --- the pages -------------------------------------------------------------------------


@dataclass
class Page:
    persona: str
    path: str  # without the language prefix
    marker: str  # a text only this page has, whatever the language
    status: int = 200


def pages(w: DanishWorld) -> list[Page]:
    b = w.base
    ds, org, group = b.dataset, b.org, b.group
    users = b.users
    sample, locked = b.sample, b.link
    room = w.room["id"]
    return [
        # The citizen's way through the catalog.
        Page("anonymous", "/", 'class="homepage'),
        Page("anonymous", "/dataset/", 'id="dataset-search-form"'),
        Page("anonymous", "/dataset/?q=cykler", w.open_ds["name"]),
        Page("anonymous", f"/dataset/{w.open_ds['name']}", w.open_ds["title"]),
        Page("anonymous", f"/dataset/{ds['name']}", "pricing-box"),
        Page(
            "anonymous",
            f"/dataset/{w.on_request['name']}",
            f"/dataset/{w.on_request['name']}/dealroom/new",
        ),
        Page("anonymous", f"/dataset/{ds['name']}/resource/{sample['id']}", sample["id"]),
        Page(
            "anonymous",
            f"/dataset/{ds['name']}/resource/{locked['id']}",
            f"/pricing/locked/{locked['id']}",
        ),
        Page("anonymous", f"/pricing/locked/{locked['id']}", "pricing-offer", status=402),
        Page("anonymous", "/organization/", f"/organization/{org['name']}"),
        Page("anonymous", f"/organization/{org['name']}", org["title"]),
        Page("anonymous", "/group/", f"/group/{group['name']}"),
        Page("anonymous", f"/group/{group['name']}", group["title"]),
        Page("anonymous", "/user/login", 'id="field-login"'),
        Page("anonymous", "/user/register", 'id="field-username"'),
        Page("anonymous", "/harvest-status", 'id="source-aarhus-portal"'),
        Page("anonymous", "/about", 'class="module-content'),
        Page("anonymous", "/pricing/licences/internal-use", 'class="pricing-licence"'),
        Page("anonymous", "/licences/other-closed", 'class="cityexchange-licence"'),
        Page("anonymous", "/no-such-page", "404", status=404),
        Page("anonymous", f"/dataset/{w.scanned['name']}", "gdprcheck-held"),
        # A buyer: a dataset bought, its locked file, their data, orders and deal room.
        Page("buyer", f"/dataset/{ds['name']}", f"/dataset/{ds['name']}/resource/{locked['id']}"),
        Page("buyer", f"/dataset/{ds['name']}/resource/{locked['id']}", locked["id"]),
        Page("buyer", "/pricing/my-data", ds["name"]),
        Page("buyer", "/dashboard/datasets", "/dashboard/datasets"),
        Page("buyer", f"/user/{users['buyer']['name']}", users["buyer"]["name"]),
        Page("buyer", "/dealroom", f"/dealroom/{room}"),
        Page("buyer", f"/dealroom/{room}", f"/dealroom/{room}/contract"),
        Page("buyer", f"/dealroom/{room}/contract", w.room["contract"]["sha256"]),
        Page("outsider", f"/dataset/{w.on_request['name']}/dealroom/new", 'name="use_case"'),
        Page("outsider", "/pricing/orders", f"/pricing/orders/{w.refunded_order}"),
        Page("outsider", "/pricing/my-data", w.second["name"]),
        Page("outsider", f"/pricing/orders/{w.paid_order}", w.paid_order[:8]),
        Page("outsider", f"/pricing/orders/{w.refunded_order}", w.refunded_order[:8]),
        Page("outsider", f"/pricing/checkout/{w.paid_order}/success", w.paid_order[:8]),
        # The seller's editor and admin: forms, buyers, sales, deals, scans and holds.
        Page("seller_editor", "/dataset/new", 'id="field-title"'),
        Page("seller_editor", f"/dataset/edit/{ds['name']}", 'id="field-title"'),
        Page("seller_editor", f"/dataset/{w.scanned['name']}", "gdprcheck-holds"),
        Page(
            "seller_editor",
            f"/dataset/{w.scanned['name']}/resource/{w.personal['id']}",
            "gdprcheck-scan",
        ),
        Page(
            "seller_editor",
            f"/dataset/{w.scanned['name']}/resource/{w.skipped['id']}",
            "gdprcheck-scan",
        ),
        Page("seller_editor", "/dealroom", f"/dealroom/{room}"),
        Page("seller_editor", f"/dealroom/{room}", f"/dealroom/{room}/contract"),
        Page("seller_editor", "/dashboard/datasets", w.scanned["name"]),
        Page("seller_admin", f"/dataset/{ds['name']}/buyers", users["buyer"]["name"]),
        Page("seller_admin", f"/dataset/{w.second['name']}/buyers", users["outsider"]["name"]),
        Page("seller_admin", f"/organization/sales/{org['name']}", "pricing-sales"),
        # The operator.
        Page("sysadmin", "/harvest-status", 'id="source-aarhus-portal"'),
        Page("sysadmin", f"/dataset/{w.scanned['name']}", "gdprcheck-release"),
        Page("sysadmin", "/harvest/", "?frequency=DAILY"),
        Page("sysadmin", f"/harvest/{w.source['name']}", f"/harvest/admin/{w.source['name']}"),
        Page("sysadmin", "/ckan-admin/", "/ckan-admin/config"),
    ]


def _get(app: Any, w: DanishWorld, page: Page) -> Any:
    return app.get(f"/{LANG}{page.path}", headers=w.tokens[page.persona], follow_redirects=False)


def _endpoint(flask_app: Any, path: str) -> str | None:
    from werkzeug.exceptions import HTTPException

    try:
        endpoint, _args = flask_app.url_map.bind("localhost").match(path.split("?", 1)[0])
    except HTTPException:
        return None
    return str(endpoint)


@pytest.fixture(scope="module")
def catalogs(dworld: DanishWorld) -> Catalogs:
    return load_catalogs(helpers._get_test_app().flask_app)


def test_every_page_is_in_danish(app: Any, dworld: DanishWorld, catalogs: Catalogs) -> None:
    unreached, found, upstream_seen = [], {}, set()
    for page in pages(dworld):
        response = _get(app, dworld, page)
        body = response.get_data(as_text=True)
        where = f"{page.persona} /{LANG}{page.path}"
        if response.status_code != page.status or page.marker not in body:
            unreached.append(f"{where}: HTTP {response.status_code}, marker {page.marker!r}")
            continue
        if not re.search(rf'<html[^>]* lang="{LANG[:2]}', body):
            unreached.append(f"{where}: the page is not marked as Danish (html lang)")
        found[where] = []
        for finding in english_on_page(catalogs, body, dworld.data):
            known = _known(page.path, finding)
            if known:
                upstream_seen.add(known)
            else:
                found[where].append(finding)
    assert unreached == [], "pages the walk did not reach:\n" + "\n".join(unreached)
    assert found.keys(), "pages walked"
    everywhere = set.intersection(*(set(f) for f in found.values()))
    report = ["on every page:\n    " + "\n    ".join(sorted(everywhere))] if everywhere else []
    report += [
        f"{where}:\n    " + "\n    ".join(f for f in strings if f not in everywhere)
        for where, strings in found.items()
        if set(strings) - everywhere
    ]
    assert report == [], "English on Danish pages:\n" + "\n".join(report)
    assert set(KNOWN_UPSTREAM) <= upstream_seen, "KNOWN_UPSTREAM lists English no page shows"


def test_the_walk_covers_every_page_of_the_suite(app: Any, dworld: DanishWorld) -> None:
    flask_app = app.flask_app
    walked = {_endpoint(flask_app, page.path) for page in pages(dworld)}
    routes = {
        rule.endpoint
        for rule in flask_app.url_map.iter_rules()
        if rule.endpoint.split(".")[0] in SUITE and "GET" in (rule.methods or ())
    }
    assert routes, "the suite's blueprints are loaded"
    assert routes - walked - set(NOT_WALKED) == set(), "pages of the suite no walk reaches"
    assert set(NOT_WALKED) <= routes, "NOT_WALKED names a route that no longer exists"


def test_the_danish_language_prefix_leads_to_danish_pages(app: Any) -> None:
    """/da/ is what people type: it leads to the Danish pages (/da_DK/), as CKAN's own
    legacy locale codes lead to theirs."""
    for path, target in (("/da/", f"/{LANG}"), ("/da/dataset/", f"/{LANG}/dataset/")):
        response = app.get(path, follow_redirects=False)
        assert response.status_code in (301, 302, 307, 308), path
        assert response.headers["Location"].split("://", 1)[-1].split("/", 1)[-1].rstrip("/") == (
            target.strip("/")
        ), (path, response.headers["Location"])


def test_the_detector_finds_english_in_a_danish_page(
    app: Any, dworld: DanishWorld, catalogs: Catalogs
) -> None:
    page = _get(app, dworld, Page("anonymous", "/", "")).get_data(as_text=True)
    before = english_on_page(catalogs, page, dworld.data)
    english = {
        "<p>Harvest sources</p>": "'Harvest sources' (ckanext-cityharvest;",
        '<button aria-label="Close"></button>': "'Close' (ckan;",
        "<p>Your access lasts until 3. marts 2027.</p>": "'Your access lasts until 3. marts 2027'",
        "<td>Fundet: iban, cvr</td>": "'iban' (raw id: a personal-data detector",
        "<p>december 3, 2026, 11:16 (CET)</p>": "'december 3, 2026' (a date in US order)",
        "<td>1,250.00 kr.</td>": "'1,250.00 kr' (an amount in English format)",
    }
    danish = (
        "<p>Høstningskilder</p><button aria-label='Luk'></button>"
        "<p>Din adgang varer til 3. marts 2027.</p><td>Fundet: CPR-numre</td>"
        "<p>3. december 2026 11.16 (CET)</p><td>1.250,00 kr.</td>"
        f"<p>{dworld.open_ds['title']}</p><p>Full data (file)</p>"
    )
    assert "</body>" in page
    found = english_on_page(
        catalogs, page.replace("</body>", "".join(english) + "</body>"), dworld.data
    )
    for planted, finding in english.items():
        assert any(f.startswith(finding) for f in found), (planted, found)
    kept = english_on_page(catalogs, page.replace("</body>", danish + "</body>"), dworld.data)
    assert kept == before, "Danish texts and data are not reported"
