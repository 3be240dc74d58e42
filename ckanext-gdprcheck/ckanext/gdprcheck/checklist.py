"""The GDPR checklist: its fields, and what makes it complete, incomplete or blocked.
Pure rules, no CKAN import.

Messages are plain language for publishers who are not lawyers. Field names are the
dataset fields of the suite's schema (``gdpr_*``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

PERSONAL_DATA = ("none", "anonymised", "pseudonymised", "personal")
# DCAT-AP-DK personal-data categories
CATEGORIES = ("NonPersonal", "General", "Sensitive", "CivilRegistrationNumber", "CriminalOffences")
LEGAL_BASES = ("6.1.a", "6.1.b", "6.1.c", "6.1.d", "6.1.e", "6.1.f")
ART9_CONDITIONS = (
    "9.2.a",
    "9.2.b",
    "9.2.c",
    "9.2.d",
    "9.2.e",
    "9.2.f",
    "9.2.g",
    "9.2.h",
    "9.2.i",
    "9.2.j",
)
DPIA = ("done", "not_required", "planned")
YES_NO = ("yes", "no")
DECLARED_BY = ("publisher", "source")

COMPLETE, INCOMPLETE, BLOCKED = "complete", "incomplete", "blocked"
# A harvested dataset whose source portal said nothing about personal data.
NOT_DECLARED = "not_declared"

FIELDS = (
    "gdpr_personal_data",
    "gdpr_category",
    "gdpr_data_subjects",
    "gdpr_special_categories",
    "gdpr_art9_condition",
    "gdpr_legal_basis",
    "gdpr_purpose",
    "gdpr_controller",
    "gdpr_dpo_contact",
    "gdpr_technique",
    "gdpr_residual_risk",
    "gdpr_min_cell_count",
    "gdpr_temporal_granularity",
    "gdpr_retention",
    "gdpr_dpia",
    "gdpr_dpia_link",
    "gdpr_transfers",
    "gdpr_rights_contact",
    "gdpr_declared_by",
)
CHOICES: dict[str, tuple[str, ...]] = {
    "gdpr_personal_data": PERSONAL_DATA,
    "gdpr_category": CATEGORIES,
    "gdpr_legal_basis": LEGAL_BASES,
    "gdpr_special_categories": YES_NO,
    "gdpr_art9_condition": ART9_CONDITIONS,
    "gdpr_dpia": DPIA,
    "gdpr_transfers": YES_NO,
    "gdpr_declared_by": DECLARED_BY,
}

MISSING_TEXT = {
    "gdpr_personal_data": "Say whether the data contains personal data",
    "gdpr_legal_basis": "Give the legal basis for processing (Art. 6(1))",
    "gdpr_purpose": "Describe the purpose of processing",
    "gdpr_controller": "Name the data controller",
    "gdpr_dpia": "Say whether a data protection impact assessment (Art. 35) was done",
    "gdpr_technique": "Describe the anonymisation or pseudonymisation technique",
    "gdpr_min_cell_count": "Give the smallest group size (k) in the aggregated data",
    "gdpr_art9_condition": "Give the Art. 9(2) condition for special categories of data",
    "gdpr_category": "Choose the personal-data category",
}


@dataclass(frozen=True)
class Status:
    status: str  # complete | incomplete | blocked | not_declared
    missing: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    field_errors: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "missing": list(self.missing),
            "missing_text": [MISSING_TEXT.get(m, m) for m in self.missing],
            "reasons": list(self.reasons),
            "field_errors": {k: list(v) for k, v in self.field_errors.items()},
        }


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def field_errors(answers: Mapping[str, Any], *, min_cell_count: int) -> dict[str, list[str]]:
    """Answers that contradict each other or are not among the choices."""
    errors: dict[str, list[str]] = {}

    def err(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    for name, choices in CHOICES.items():
        value = answers.get(name)
        if not _blank(value) and value not in choices:
            err(name, "Choose one of: " + ", ".join(choices))
    k = answers.get("gdpr_min_cell_count")
    if not _blank(k) and (_int(k) is None or _int(k) < 1):  # type: ignore[operator]
        err("gdpr_min_cell_count", "The smallest group size must be a whole number of at least 1")
    personal = answers.get("gdpr_personal_data")
    category = answers.get("gdpr_category")
    if personal == "none" and not _blank(category) and category != "NonPersonal":
        err(
            "gdpr_category",
            "You said the data has no personal data, so the category must be NonPersonal",
        )
    if personal == "none" and answers.get("gdpr_special_categories") == "yes":
        err(
            "gdpr_special_categories",
            "Data without personal data cannot hold special categories of personal data",
        )
    if personal in ("personal", "pseudonymised") and category == "NonPersonal":
        err(
            "gdpr_category",
            "Personal or pseudonymised data needs a personal-data category other than NonPersonal",
        )
    if personal == "anonymised" and _int(k) is not None and _int(k) < min_cell_count:  # type: ignore[operator]
        err(
            "gdpr_min_cell_count",
            f"Groups smaller than {min_cell_count} can identify people: aggregate further or mark the data as personal",
        )
    if answers.get("gdpr_special_categories") != "yes" and not _blank(
        answers.get("gdpr_art9_condition")
    ):
        err(
            "gdpr_art9_condition",
            "An Art. 9(2) condition only applies to special categories of data",
        )
    return errors


def evaluate(
    answers: Mapping[str, Any],
    *,
    access_tier: str | None,
    min_cell_count: int,
    scan_findings: Iterable[str] = (),
) -> Status:
    """The checklist's status. ``scan_findings`` names the personal-data detectors the
    scanner found in the dataset's files (high-confidence ones)."""
    errors = field_errors(answers, min_cell_count=min_cell_count)
    missing: list[str] = []
    reasons: list[str] = []
    personal = answers.get("gdpr_personal_data")
    tier = access_tier or "open"
    if answers.get("gdpr_declared_by") == "source" and _blank(personal) and not errors:
        return Status(NOT_DECLARED, ("gdpr_personal_data",))
    if _blank(personal):
        missing.append("gdpr_personal_data")
    if personal in ("personal", "pseudonymised"):
        for name in (
            "gdpr_legal_basis",
            "gdpr_purpose",
            "gdpr_controller",
            "gdpr_dpia",
            "gdpr_category",
        ):
            if _blank(answers.get(name)):
                missing.append(name)
        if personal == "pseudonymised" and _blank(answers.get("gdpr_technique")):
            missing.append("gdpr_technique")
    if personal == "anonymised":
        for name in ("gdpr_technique", "gdpr_min_cell_count"):
            if _blank(answers.get(name)):
                missing.append(name)
    sensitive = (
        answers.get("gdpr_category") in ("Sensitive", "CivilRegistrationNumber", "CriminalOffences")
        or answers.get("gdpr_special_categories") == "yes"
    )
    if sensitive and personal in ("personal", "pseudonymised"):
        if _blank(answers.get("gdpr_legal_basis")):
            reasons.append(
                "CPR numbers, criminal offences and special categories need an explicit legal basis"
            )
        if answers.get("gdpr_special_categories") == "yes" and _blank(
            answers.get("gdpr_art9_condition")
        ):
            reasons.append("Special categories of data (Art. 9) need an Art. 9(2) condition")
    if personal == "personal" and tier != "on_request":
        reasons.append(
            "Personal data cannot be open or sold off the shelf: offer it through a deal room "
            "(access 'on request') with a data processing agreement"
        )
    found = sorted(set(scan_findings))
    if contradicted(answers, found):
        reasons.append(
            "The personal-data scan found "
            + ", ".join(found)
            + " in the files: check them, or change the answer about personal data"
        )
    if errors:
        reasons.append("Some answers contradict each other")
    if reasons:
        return Status(
            BLOCKED, tuple(missing), tuple(reasons), {k: tuple(v) for k, v in errors.items()}
        )
    if missing:
        return Status(INCOMPLETE, tuple(missing))
    return Status(COMPLETE)


def gate_errors(
    status: Status, *, public: bool, access_tier: str | None, declared_by: str | None = None
) -> dict[str, list[str]]:
    """Field errors that keep a dataset from being public or for sale, given its status.
    A checklist declared by a source portal passes: a harvested dataset is published by
    its source, and the gate applies to what is published on this portal (who may
    declare for a source: ``declared_by_on_save``)."""
    if declared_by == "source" and (access_tier or "open") == "open":
        return {}
    if status.status == COMPLETE or not (public or (access_tier or "open") == "priced"):
        return {}
    errors: dict[str, list[str]] = {k: list(v) for k, v in status.field_errors.items()}
    for name in status.missing:
        errors.setdefault(name, []).append(MISSING_TEXT.get(name, "Required before publishing"))
    if status.reasons:
        errors.setdefault("gdpr_personal_data", []).extend(
            r for r in status.reasons if r != "Some answers contradict each other"
        )
    errors.setdefault("private", []).append(
        "The GDPR checklist must be complete before the dataset is public or for sale: "
        "keep it private until then"
    )
    return errors


# DCAT-AP-DK 2.0.2's personal-data categories (the concept's last path segment; the
# profile's own examples also write them under .../PersonalDataCategory/) and the
# checklist's category codes.
_DK_CATEGORIES: Mapping[str, str] = {
    "nonpersonaldata": "NonPersonal",
    "nonpersonal": "NonPersonal",
    "generalpersonaldata": "General",
    "general": "General",
    "sensitivepersonaldata": "Sensitive",
    "sensitive": "Sensitive",
    "civilregistrationnumberdata": "CivilRegistrationNumber",
    "civilregistrationnumber": "CivilRegistrationNumber",
    "dataaboutcriminaloffences": "CriminalOffences",
    "criminaloffences": "CriminalOffences",
}
# Where a source's declaration may be found: the checklist's own fields (a portal running
# this suite) and the names ckanext-dcat's parser and other portals give DCAT-AP-DK's
# personalDataCategory and W3C DPV's terms.
_SOURCE_KEYS: Mapping[str, tuple[str, ...]] = {
    "gdpr_personal_data": ("gdpr_personal_data",),
    "gdpr_category": (
        "gdpr_category",
        "personal_data_category",
        "personalDataCategory",
        "personoplysningskategori",
    ),
    "gdpr_legal_basis": ("gdpr_legal_basis", "legal_basis", "hasLegalBasis"),
    "gdpr_purpose": ("gdpr_purpose", "purpose", "hasPurpose"),
    "gdpr_controller": ("gdpr_controller", "data_controller", "hasDataController"),
}
_LEGAL_BASIS_IRI = re.compile(r"A6-1-([a-f])$", re.I)
TEXT_MAX = 500


def _declared(dataset: Mapping[str, Any], keys: Iterable[str]) -> str | None:
    """A field of a remote dataset: top level, then its extras (also ``dcat_``-prefixed,
    as ckanext-dcat's parser keeps fields it has no place for)."""
    wanted = set(keys) | {f"dcat_{k}" for k in keys}
    found: Any = next((dataset[k] for k in keys if not _blank(dataset.get(k))), None)
    if found is None:
        for extra in dataset.get("extras") or []:
            if (
                isinstance(extra, Mapping)
                and extra.get("key") in wanted
                and not _blank(extra.get("value"))
            ):
                found = extra["value"]
                break
    if isinstance(found, list):
        found = next((v for v in found if isinstance(v, str) and v.strip()), None)
    return found.strip() if isinstance(found, str) and found.strip() else None


def _concept(value: str) -> str:
    return re.split(r"[/#]", value.rstrip("/#"))[-1].casefold()


def source_checklist(dataset: Mapping[str, Any]) -> dict[str, str]:
    """The checklist of a dataset harvested from another portal: what its source
    declared (the checklist's own fields, DCAT-AP-DK's personal-data category, DPV's
    legal basis, purpose and controller), marked as declared by the source. Where the
    source declares nothing, the answer about personal data stays empty: the status is
    "not declared by the source", never "no personal data". Values outside the
    checklist's choices, and answers that contradict the others, are left out."""
    out: dict[str, str] = {"gdpr_declared_by": "source"}
    personal = _declared(dataset, _SOURCE_KEYS["gdpr_personal_data"])
    if personal in PERSONAL_DATA:
        out["gdpr_personal_data"] = personal
    category = _declared(dataset, _SOURCE_KEYS["gdpr_category"])
    if category:
        code = category if category in CATEGORIES else _DK_CATEGORIES.get(_concept(category))
        if code:
            out["gdpr_category"] = code
            out.setdefault("gdpr_personal_data", "none" if code == "NonPersonal" else "personal")
    basis = _declared(dataset, _SOURCE_KEYS["gdpr_legal_basis"])
    if basis:
        match = _LEGAL_BASIS_IRI.search(basis)
        code = f"6.1.{match.group(1).lower()}" if match else basis
        if code in LEGAL_BASES:
            out["gdpr_legal_basis"] = code
    for name in ("gdpr_purpose", "gdpr_controller"):
        text = _declared(dataset, _SOURCE_KEYS[name])
        if text:
            out[name] = text[:TEXT_MAX]
    for name in field_errors(out, min_cell_count=1):
        if name != "gdpr_personal_data":
            out.pop(name, None)
    return out


def declared_by_on_save(
    answers: Mapping[str, Any], stored: Mapping[str, Any] | None, *, sysadmin: bool
) -> str | None:
    """Who the checklist is declared by once a dataset is saved, or None when the save
    must be refused. Only harvesters (acting as the site user, a sysadmin) declare for a
    source portal. Anyone else who edits a dataset declared by its source publishes it
    here: it becomes the publisher's, and the gate applies to it; declaring one's own
    dataset "by the source" is refused."""
    declared = answers.get("gdpr_declared_by")
    if declared != "source" or sysadmin:
        return declared
    if stored is None or stored.get("gdpr_declared_by") != "source":
        return None
    return "publisher"


# The reason a file is held (shown to everyone it is withheld from; names no finding).
HOLD_REASON = (
    "Held for review: the personal-data scan found personal data that the dataset's "
    "GDPR checklist does not declare. The publisher has been told."
)
SALES_PAUSED = "Sales are paused while a file of this dataset is held for review"
SCANNING = (
    "Being scanned for personal data: the file is available as soon as the scan has finished "
    "(larger files are scanned in the background, usually within minutes)."
)
# How a hold ends (gdprcheck_hold.release_kind).
RELEASE_KINDS = ("corrected", "replaced", "sysadmin", "removed")


def contradicted(answers: Mapping[str, Any], scan_findings: Iterable[str]) -> bool:
    """The scanner found personal data (high-confidence detectors) in a file whose
    checklist says there is none, or says nothing, or says it is anonymised."""
    return bool(set(scan_findings)) and answers.get("gdpr_personal_data") in (
        None,
        "",
        "none",
        "anonymised",
    )


def hold_reason(
    answers: Mapping[str, Any],
    *,
    public: bool,
    access_tier: str | None,
    scan_findings: Iterable[str],
) -> str | None:
    """Why a file must be withheld at once, or None: what the scan found contradicts the
    checklist of a dataset that is public or for sale."""
    if not (public or (access_tier or "open") == "priced"):
        return None
    return HOLD_REASON if contradicted(answers, scan_findings) else None


# --- the checklist in DCAT (the ``gdprcheck`` profile writes these terms) ---------------

# DCAT-AP-DK 2.0.2: the property, and the concepts of its personal-data category list
# (the specification's "Personal Data Category" classification).
DK_PERSONAL_DATA_CATEGORY = "https://data.gov.dk/model/core/dcat-dk/personalDataCategory"
DK_PERSONAL_DATA_TYPE = "https://data.gov.dk/concept/core/personaldata-type/"
DK_CATEGORY_CONCEPTS: Mapping[str, str] = {
    "NonPersonal": "NonPersonalData",
    "General": "GeneralPersonalData",
    "Sensitive": "SensitivePersonalData",
    "CivilRegistrationNumber": "CivilRegistrationNumberData",
    "CriminalOffences": "DataAboutCriminalOffences",
}
# W3C Data Privacy Vocabulary (DPV 2), its personal-data extension and its GDPR extension.
DPV = "https://w3id.org/dpv#"
DPV_PD = "https://w3id.org/dpv/pd#"
EU_GDPR = "https://w3id.org/dpv/legal/eu/gdpr#"
# The checklist's categories of personal data as DPV's concepts: "sensitive" is what
# Art. 9 GDPR calls special categories; CPR numbers are an official identifier; Art. 10
# data is about criminal offences.
_DPV_CATEGORIES: Mapping[str, str] = {
    "General": DPV + "PersonalData",
    "Sensitive": DPV + "SpecialCategoryPersonalData",
    "CivilRegistrationNumber": DPV_PD + "OfficialID",
    "CriminalOffences": DPV_PD + "CriminalOffence",
}


def dk_category(answers: Mapping[str, Any]) -> str | None:
    """The DCAT-AP-DK personal-data category concept of a checklist, or None. Data
    declared to hold no personal data is NonPersonalData even without a category."""
    category = answers.get("gdpr_category")
    if _blank(category) and answers.get("gdpr_personal_data") == "none":
        category = "NonPersonal"
    concept = DK_CATEGORY_CONCEPTS.get(str(category)) if not _blank(category) else None
    return DK_PERSONAL_DATA_TYPE + concept if concept else None


def dpv_data(answers: Mapping[str, Any]) -> list[tuple[str, str]]:
    """What the data is, in DPV: pairs of a DPV property (``hasData`` or
    ``hasPersonalData``) and a concept IRI. Nothing where personal data is not declared."""
    personal = answers.get("gdpr_personal_data")
    if personal == "none":
        return [("hasData", DPV + "NonPersonalData")]
    if personal == "anonymised":
        return [("hasData", DPV + "AnonymisedData")]
    if personal not in ("personal", "pseudonymised"):
        return []
    found = [("hasPersonalData", DPV + "PseudonymisedData")] if personal == "pseudonymised" else []
    category = _DPV_CATEGORIES.get(str(answers.get("gdpr_category")))
    if category and not (personal == "pseudonymised" and category == DPV + "PersonalData"):
        found.append(("hasPersonalData", category))
    return found or [("hasPersonalData", DPV + "PersonalData")]


def gdpr_legal_bases(answers: Mapping[str, Any]) -> list[str]:
    """The legal bases of a checklist as concepts of DPV's GDPR extension: the Art. 6(1)
    basis (``6.1.e`` is ``A6-1-e``) and, for special categories, the Art. 9(2) condition."""
    found = []
    for key, allowed in (
        ("gdpr_legal_basis", LEGAL_BASES),
        ("gdpr_art9_condition", ART9_CONDITIONS),
    ):
        code = answers.get(key)
        if code in allowed:
            article, paragraph, point = str(code).split(".")
            found.append(f"{EU_GDPR}A{article}-{paragraph}-{point}")
    return found
