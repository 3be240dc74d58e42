"""The checklist rules on plain data, with property-based tests."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ckanext.gdprcheck import checklist
from ckanext.gdprcheck.checklist import BLOCKED, COMPLETE, INCOMPLETE

pytestmark = pytest.mark.pure
K = 5
PERSONAL_OK = {
    "gdpr_personal_data": "personal",
    "gdpr_category": "General",
    "gdpr_legal_basis": "6.1.e",
    "gdpr_purpose": "Traffic planning",
    "gdpr_controller": "Københavns Kommune",
    "gdpr_dpia": "done",
}


def ev(answers: dict, tier: str = "open", scans: tuple = ()) -> checklist.Status:
    return checklist.evaluate(answers, access_tier=tier, min_cell_count=K, scan_findings=scans)


def test_nothing_answered_is_incomplete() -> None:
    assert ev({}).status == INCOMPLETE and ev({}).missing == ("gdpr_personal_data",)


def test_no_personal_data_is_complete() -> None:
    assert ev({"gdpr_personal_data": "none"}).status == COMPLETE
    assert ev({"gdpr_personal_data": "none", "gdpr_category": "NonPersonal"}).status == COMPLETE


def test_personal_data_needs_basis_purpose_controller_and_dpia() -> None:
    status = ev(
        {
            "gdpr_personal_data": "pseudonymised",
            "gdpr_category": "General",
            "gdpr_technique": "keyed hash",
        },
        tier="on_request",
    )
    assert status.status == INCOMPLETE
    assert set(status.missing) == {
        "gdpr_legal_basis",
        "gdpr_purpose",
        "gdpr_controller",
        "gdpr_dpia",
    }


def test_personal_data_cannot_be_open_or_priced_only_on_request() -> None:
    for tier in ("open", "priced"):
        status = ev(PERSONAL_OK, tier=tier)
        assert status.status == BLOCKED and "deal room" in status.reasons[0]
    assert ev(PERSONAL_OK, tier="on_request").status == COMPLETE


def test_cpr_and_special_categories_need_an_explicit_basis() -> None:
    cpr = dict(PERSONAL_OK, gdpr_category="CivilRegistrationNumber")
    del cpr["gdpr_legal_basis"]
    assert ev(cpr, tier="on_request").status == BLOCKED
    special = dict(PERSONAL_OK, gdpr_special_categories="yes", gdpr_category="Sensitive")
    assert "Art. 9(2)" in " ".join(ev(special, tier="on_request").reasons)
    assert ev(dict(special, gdpr_art9_condition="9.2.j"), tier="on_request").status == COMPLETE


@pytest.mark.parametrize(
    "answers, field",
    [
        ({"gdpr_personal_data": "none", "gdpr_category": "Sensitive"}, "gdpr_category"),
        (
            {"gdpr_personal_data": "none", "gdpr_special_categories": "yes"},
            "gdpr_special_categories",
        ),
        ({"gdpr_personal_data": "personal", "gdpr_category": "NonPersonal"}, "gdpr_category"),
        ({"gdpr_personal_data": "anonymised", "gdpr_min_cell_count": 3}, "gdpr_min_cell_count"),
        ({"gdpr_personal_data": "anonymised", "gdpr_min_cell_count": "0"}, "gdpr_min_cell_count"),
        ({"gdpr_personal_data": "maybe"}, "gdpr_personal_data"),
        ({"gdpr_legal_basis": "6.1.z"}, "gdpr_legal_basis"),
        ({"gdpr_art9_condition": "9.2.a"}, "gdpr_art9_condition"),
    ],
)
def test_contradictions_are_plain_field_errors(answers: dict, field: str) -> None:
    errors = checklist.field_errors(answers, min_cell_count=K)
    assert field in errors and all(len(m) > 20 for m in errors[field])
    assert ev(answers).status == BLOCKED


def test_anonymised_needs_technique_and_k_at_least_the_minimum() -> None:
    assert ev({"gdpr_personal_data": "anonymised"}).missing == (
        "gdpr_technique",
        "gdpr_min_cell_count",
    )
    assert (
        ev(
            {
                "gdpr_personal_data": "anonymised",
                "gdpr_technique": "100 m squares",
                "gdpr_min_cell_count": "10",
            }
        ).status
        == COMPLETE
    )


def test_scanner_findings_block_a_no_personal_data_answer() -> None:
    status = ev({"gdpr_personal_data": "none"}, scans=("cpr", "email"))
    assert status.status == BLOCKED and "cpr, email" in status.reasons[0]
    assert ev(PERSONAL_OK, tier="on_request", scans=("cpr",)).status == COMPLETE


ANSWER = st.fixed_dictionaries(
    {},
    optional={
        name: st.one_of(st.none(), st.just(""), st.sampled_from(choices), st.text(max_size=5))
        for name, choices in checklist.CHOICES.items()
    }
    | {
        "gdpr_min_cell_count": st.one_of(st.none(), st.integers(-3, 50), st.text(max_size=3)),
        "gdpr_purpose": st.one_of(st.none(), st.text(max_size=10)),
        "gdpr_controller": st.one_of(st.none(), st.text(max_size=10)),
        "gdpr_technique": st.one_of(st.none(), st.text(max_size=10)),
    },
)


@given(
    ANSWER,
    st.sampled_from(["open", "priced", "on_request", None]),
    st.lists(st.sampled_from(["cpr", "email", "iban"]), max_size=3),
)
def test_properties(answers: dict, tier: str | None, scans: list) -> None:
    status = ev(answers, tier=tier or "open", scans=tuple(scans))
    assert status.status in (COMPLETE, INCOMPLETE, BLOCKED, checklist.NOT_DECLARED)
    errors = checklist.field_errors(answers, min_cell_count=K)
    # "Not declared" is a source's silence, and only that.
    personal = answers.get("gdpr_personal_data")
    silent = (
        personal is None or personal == [] or (isinstance(personal, str) and not personal.strip())
    )
    assert (status.status == checklist.NOT_DECLARED) == (
        answers.get("gdpr_declared_by") == "source" and silent and not errors
    )
    if status.status == COMPLETE:
        assert not errors and not status.missing and not status.reasons
        assert answers.get("gdpr_personal_data") in checklist.PERSONAL_DATA
        if answers.get("gdpr_personal_data") == "personal":
            assert (tier or "open") == "on_request"
    if errors:
        assert status.status == BLOCKED
    for public in (True, False):
        gate = checklist.gate_errors(status, public=public, access_tier=tier)
        assert bool(gate) == (status.status != COMPLETE and (public or tier == "priced"))
        # Declared by a source, open data passes the gate; data for sale never does so.
        by_source = checklist.gate_errors(
            status, public=public, access_tier=tier, declared_by="source"
        )
        if (tier or "open") == "open":
            assert not by_source
        else:
            assert by_source == gate


def test_a_source_that_declares_nothing_is_not_declared_never_no_personal_data() -> None:
    for dataset in ({}, {"extras": []}, {"extras": [{"key": "theme", "value": "x"}]}):
        declared = checklist.source_checklist(dataset)
        assert declared == {"gdpr_declared_by": "source"}
        status = ev(declared)
        assert status.status == checklist.NOT_DECLARED
        # Harvested open data stays public: the gate is for what this portal publishes.
        assert not checklist.gate_errors(
            status, public=True, access_tier="open", declared_by="source"
        )
    # The same answers declared by a publisher of this portal are stopped at the gate.
    assert checklist.gate_errors(ev({}), public=True, access_tier="open", declared_by="publisher")
    # Declared by a source is no way around the gate for data for sale.
    assert checklist.gate_errors(
        ev({"gdpr_declared_by": "source"}), public=True, access_tier="priced", declared_by="source"
    )


@pytest.mark.parametrize(
    ("value", "personal", "category"),
    [
        (
            "https://data.gov.dk/concept/core/personaldata-type/NonPersonalData",
            "none",
            "NonPersonal",
        ),
        (
            "https://data.gov.dk/concept/core/personaldata-type/PersonalDataCategory/GeneralPersonalData",
            "personal",
            "General",
        ),
        (
            "https://data.gov.dk/concept/core/personaldata-type/SensitivePersonalData",
            "personal",
            "Sensitive",
        ),
        (
            "https://data.gov.dk/concept/core/personaldata-type/CivilRegistrationNumberData",
            "personal",
            "CivilRegistrationNumber",
        ),
        (
            "https://data.gov.dk/concept/core/personaldata-type/DataAboutCriminalOffences",
            "personal",
            "CriminalOffences",
        ),
        ("NonPersonal", "none", "NonPersonal"),
    ],
)
def test_dcat_ap_dk_categories_map_to_the_checklist(
    value: str, personal: str, category: str
) -> None:
    declared = checklist.source_checklist(
        {"extras": [{"key": "personal_data_category", "value": value}]}
    )
    assert declared == {
        "gdpr_declared_by": "source",
        "gdpr_personal_data": personal,
        "gdpr_category": category,
    }


def test_dpv_terms_and_the_suites_own_fields_are_read() -> None:
    declared = checklist.source_checklist(
        {
            "gdpr_personal_data": "pseudonymised",
            "extras": [
                {"key": "personal_data_category", "value": "GeneralPersonalData"},
                {"key": "legal_basis", "value": "https://w3id.org/dpv/legal/eu/gdpr#A6-1-e"},
                {"key": "dcat_purpose", "value": "Trafikplanlægning"},
                {"key": "data_controller", "value": "Københavns Kommune"},
            ],
        }
    )
    assert declared == {
        "gdpr_declared_by": "source",
        "gdpr_personal_data": "pseudonymised",
        "gdpr_category": "General",
        "gdpr_legal_basis": "6.1.e",
        "gdpr_purpose": "Trafikplanlægning",
        "gdpr_controller": "Københavns Kommune",
    }


def test_contradicting_or_unknown_declarations_are_left_out() -> None:
    declared = checklist.source_checklist(
        {
            "gdpr_personal_data": "none",
            "gdpr_category": "Sensitive",  # contradicts "none"
            "gdpr_legal_basis": "article 6",  # not a choice
        }
    )
    assert declared == {"gdpr_declared_by": "source", "gdpr_personal_data": "none"}
    assert checklist.source_checklist({"gdpr_personal_data": "maybe"}) == {
        "gdpr_declared_by": "source"
    }


_scalars = st.one_of(st.none(), st.text(max_size=80), st.integers(), st.booleans())
_keys = st.sampled_from(
    [
        "gdpr_personal_data",
        "gdpr_category",
        "personal_data_category",
        "legal_basis",
        "purpose",
        "data_controller",
        "gdpr_purpose",
        "other",
    ]
)


@given(
    st.dictionaries(_keys, st.one_of(_scalars, st.lists(_scalars, max_size=3)), max_size=6),
    st.lists(st.fixed_dictionaries({"key": _keys, "value": _scalars}), max_size=6),
)
def test_any_source_declaration_gives_a_consistent_checklist(top: dict, extras: list) -> None:
    declared = checklist.source_checklist({**top, "extras": extras})
    assert declared["gdpr_declared_by"] == "source"
    assert not checklist.field_errors(declared, min_cell_count=K)
    assert set(declared) <= set(checklist.FIELDS)
    if declared.get("gdpr_personal_data") == "none":
        # Said only when the source said it, in its own fields or as a category.
        said = [top.get("gdpr_personal_data"), top.get("gdpr_category")] + [
            e["value"] for e in extras
        ]
        assert any(isinstance(s, str) and ("none" in s or "NonPersonal" in s) for s in said) or any(
            isinstance(v, list) for v in top.values()
        )


def test_only_harvesters_declare_for_a_source() -> None:
    source = {"gdpr_declared_by": "source", "gdpr_personal_data": "none"}
    assert checklist.declared_by_on_save(source, None, sysadmin=True) == "source"
    assert checklist.declared_by_on_save(source, dict(source), sysadmin=True) == "source"
    # Declaring one's own dataset "by the source" is refused.
    assert checklist.declared_by_on_save(source, None, sysadmin=False) is None
    assert (
        checklist.declared_by_on_save(source, {"gdpr_declared_by": "publisher"}, sysadmin=False)
        is None
    )
    # An editor who changes a harvested dataset publishes it here: the gate applies.
    assert checklist.declared_by_on_save(source, dict(source), sysadmin=False) == "publisher"
    publisher = {"gdpr_declared_by": "publisher"}
    assert checklist.declared_by_on_save(publisher, None, sysadmin=False) == "publisher"


def test_a_scan_that_contradicts_a_public_or_priced_checklist_holds_the_file() -> None:
    none = {"gdpr_personal_data": "none"}
    assert (
        checklist.hold_reason(none, public=True, access_tier="open", scan_findings={"cpr"})
        == checklist.HOLD_REASON
    )
    assert checklist.hold_reason(none, public=False, access_tier="priced", scan_findings={"email"})
    assert checklist.hold_reason({}, public=True, access_tier="open", scan_findings={"cpr"}), (
        "no answer is no declaration"
    )
    assert checklist.hold_reason(
        {"gdpr_personal_data": "anonymised"},
        public=True,
        access_tier="open",
        scan_findings={"name_column"},
    )
    # Not public and not for sale; nothing found; personal data declared: no hold.
    assert (
        checklist.hold_reason(none, public=False, access_tier="on_request", scan_findings={"cpr"})
        is None
    )
    assert checklist.hold_reason(none, public=True, access_tier="open", scan_findings=()) is None
    assert (
        checklist.hold_reason(PERSONAL_OK, public=True, access_tier="priced", scan_findings={"cpr"})
        is None
    )


# --- the checklist in DCAT ---------------------------------------------------------------

DK = "https://data.gov.dk/concept/core/personaldata-type/"
DPV = "https://w3id.org/dpv#"


@pytest.mark.parametrize(
    "answers,concept",
    [
        ({"gdpr_personal_data": "none"}, "NonPersonalData"),
        ({"gdpr_personal_data": "anonymised", "gdpr_category": "NonPersonal"}, "NonPersonalData"),
        ({"gdpr_personal_data": "personal", "gdpr_category": "General"}, "GeneralPersonalData"),
        ({"gdpr_category": "Sensitive"}, "SensitivePersonalData"),
        ({"gdpr_category": "CivilRegistrationNumber"}, "CivilRegistrationNumberData"),
        ({"gdpr_category": "CriminalOffences"}, "DataAboutCriminalOffences"),
    ],
)
def test_dcat_ap_dk_category_concepts(answers: dict, concept: str) -> None:
    assert checklist.dk_category(answers) == DK + concept
    # Read back by a portal that harvests this one, it is the same answer.
    declared = checklist.source_checklist(
        {"extras": [{"key": "personal_data_category", "value": DK + concept}]}
    )
    assert declared["gdpr_category"] == (answers.get("gdpr_category") or "NonPersonal")


def test_no_category_is_said_where_none_is_declared() -> None:
    assert checklist.dk_category({}) is None
    assert checklist.dk_category({"gdpr_personal_data": "personal"}) is None
    assert checklist.dpv_data({}) == []


@pytest.mark.parametrize(
    "answers,expected",
    [
        ({"gdpr_personal_data": "none"}, [("hasData", DPV + "NonPersonalData")]),
        ({"gdpr_personal_data": "anonymised"}, [("hasData", DPV + "AnonymisedData")]),
        (
            {"gdpr_personal_data": "personal", "gdpr_category": "General"},
            [("hasPersonalData", DPV + "PersonalData")],
        ),
        (
            {"gdpr_personal_data": "personal", "gdpr_category": "Sensitive"},
            [("hasPersonalData", DPV + "SpecialCategoryPersonalData")],
        ),
        (
            {"gdpr_personal_data": "personal", "gdpr_category": "CivilRegistrationNumber"},
            [("hasPersonalData", "https://w3id.org/dpv/pd#OfficialID")],
        ),
        (
            {"gdpr_personal_data": "pseudonymised", "gdpr_category": "General"},
            [("hasPersonalData", DPV + "PseudonymisedData")],
        ),
        (
            {"gdpr_personal_data": "pseudonymised", "gdpr_category": "CriminalOffences"},
            [
                ("hasPersonalData", DPV + "PseudonymisedData"),
                ("hasPersonalData", "https://w3id.org/dpv/pd#CriminalOffence"),
            ],
        ),
        ({"gdpr_personal_data": "personal"}, [("hasPersonalData", DPV + "PersonalData")]),
    ],
)
def test_dpv_personal_data_concepts(answers: dict, expected: list) -> None:
    assert checklist.dpv_data(answers) == expected


def test_dpv_gdpr_legal_bases() -> None:
    assert checklist.gdpr_legal_bases({**PERSONAL_OK, "gdpr_art9_condition": "9.2.g"}) == [
        "https://w3id.org/dpv/legal/eu/gdpr#A6-1-e",
        "https://w3id.org/dpv/legal/eu/gdpr#A9-2-g",
    ]
    assert checklist.gdpr_legal_bases({"gdpr_legal_basis": "7.1.z"}) == []
