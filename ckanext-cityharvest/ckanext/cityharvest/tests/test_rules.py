"""The pure rules: mapping a remote dataset and planning a run. No CKAN, no fixtures."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ckanext.cityharvest import mapping, sync

pytestmark = pytest.mark.pure
SOURCE = mapping.Source(
    id="s1",
    title="opendata.dk",
    url="https://www.opendata.dk/",
    organizations={"kk": "kobenhavn"},
    licences={"Kommunens vilkår": "other-open"},
)
KNOWN = {
    "cc-by",
    "cc-by-sa",
    "cc-zero",
    "odc-odbl",
    "odc-by",
    "odc-pddl",
    "other-open",
    "notspecified",
    "cc-nc",
    "uk-ogl",
    "other-pd",
    "other-at",
    "other-nc",
    "other-closed",
    "gfdl",
}
CKAN_TAG = re.compile(r"^[\w \-.]{2,100}$", re.UNICODE)  # CKAN's tag rule


def remote(**fields: object) -> dict[str, object]:
    base = {
        "id": "6f1c1b1e-8d2a-4a54-9c57-2f3e4d5c6b7a",
        "name": "trafik",
        "title": "Trafik",
        "resources": [{"url": "https://example.dk/a.csv", "format": "csv", "name": "A"}],
    }
    base.update(fields)
    return base


def test_the_rule_modules_import_no_ckan() -> None:
    for name in ("mapping.py", "sync.py", "remote.py"):
        tree = ast.parse((Path(mapping.__file__).parent / name).read_text())
        imported = {
            n.names[0].name if isinstance(n, ast.Import) else n.module
            for n in ast.walk(tree)
            if isinstance(n, (ast.Import, ast.ImportFrom))
        }
        # The shared package's outbound guard is itself a plain module (no CKAN import).
        pure_shared = {"ckanext.cityexchange.net"}
        assert not {
            m
            for m in imported
            if m and m not in pure_shared and (m == "ckan" or m.startswith(("ckan.", "ckanext.")))
        }, name


@pytest.mark.parametrize(
    "raw,expected",
    [
        (["Miljø", "grønne områder", "Ærø"], ["Miljø", "grønne områder", "Ærø"]),
        (["trafik, busser; tog"], ["trafik", "busser", "tog"]),
        (["kollektiv trafik/rejser (2024)"], ["kollektiv trafik rejser 2024"]),
        (["luft", "Luft", "LUFT"], ["luft"]),
        (["a", " ", "", None, 7], []),
        ([{"name": "Åbne data"}], ["Åbne data"]),
        (["x" * 150], ["x" * 100]),
    ],
)
def test_tags_are_cleaned_with_danish_letters_kept(raw: list, expected: list) -> None:
    assert mapping.clean_tags(raw) == expected


@given(st.lists(st.text(max_size=160), max_size=8))
def test_every_cleaned_tag_is_one_ckan_accepts(raw: list[str]) -> None:
    tags = mapping.clean_tags(raw)
    assert all(CKAN_TAG.match(t) for t in tags)
    assert len({t.casefold() for t in tags}) == len(tags)


@pytest.mark.parametrize(
    "fields,licence",
    [
        ({"license_id": "cc-by"}, "cc-by"),
        ({"license_id": "CC-BY-4.0"}, "cc-by"),
        ({"license_id": "cc-by-sa-4.0"}, "cc-by-sa"),
        ({"license_url": "https://creativecommons.org/publicdomain/zero/1.0/"}, "cc-zero"),
        ({"license_title": "Open Database License (ODbL)"}, "odc-odbl"),
        ({"license_id": "Vilkår for brug af Danske Offentlige Data"}, "other-open"),
        ({"license_title": "Kommunens vilkår"}, "other-open"),  # the source's own table
        ({"license_id": "proprietary-xyz"}, "notspecified"),
        ({}, "notspecified"),
        (
            {
                "resources": [
                    {
                        "url": "https://x/a",
                        "license": "https://creativecommons.org/licenses/by/4.0/",
                    }
                ]
            },
            "cc-by",
        ),
        (
            {
                "resources": [
                    {
                        "url": "https://x/a",
                        "license": "https://creativecommons.org/licenses/by/4.0/",
                    },
                    {
                        "url": "https://x/b",
                        "license": "https://opendatacommons.org/licenses/odbl/1-0/",
                    },
                ]
            },
            "notspecified",
        ),
    ],
)
def test_licences_map_to_local_ids(fields: dict, licence: str) -> None:
    assert mapping.map_licence(fields, KNOWN, SOURCE.licences) == licence


@pytest.mark.parametrize(
    "fields,identity",
    [
        ({"id": "6F1C1B1E-8D2A-4A54-9C57-2F3E4D5C6B7A"}, "6f1c1b1e-8d2a-4a54-9c57-2f3e4d5c6b7a"),
        (
            {
                "id": "x",
                "extras": [
                    {"key": "identifier", "value": "urn:uuid:6f1c1b1e-8d2a-4a54-9c57-2f3e4d5c6b7a"}
                ],
            },
            "6f1c1b1e-8d2a-4a54-9c57-2f3e4d5c6b7a",
        ),
        (
            {
                "extras": [
                    {
                        "key": "uri",
                        "value": "https://portal.dk/dataset/6f1c1b1e-8d2a-4a54-9c57-2f3e4d5c6b7a",
                    }
                ]
            },
            "6f1c1b1e-8d2a-4a54-9c57-2f3e4d5c6b7a",
        ),
        (
            {"extras": [{"key": "uri", "value": "https://Data.dk/ds/Trafik/"}]},
            "https://data.dk/ds/trafik",
        ),
        ({"id": "local-name-id"}, "local-name-id"),
    ],
)
def test_one_identity_for_the_same_dataset_whichever_way_it_comes(
    fields: dict, identity: str
) -> None:
    assert mapping.identity(fields) == identity


def test_a_dataset_without_any_identifier_is_refused() -> None:
    with pytest.raises(mapping.MappingError) as error:
        mapping.identity({"title": "x"})
    assert error.value.field == "id"


def test_organisations_are_mapped_or_named_after_the_remote_one() -> None:
    assert (
        mapping.organization({"organization": {"name": "kk", "title": "KK"}}, SOURCE).name
        == "kobenhavn"
    )
    made = mapping.organization(
        {"organization": {"name": "aarhus", "title": "Aarhus Kommune"}}, SOURCE
    )
    assert (made.name, made.title) == ("aarhus", "Aarhus Kommune")
    dcat = mapping.organization(
        {"extras": [{"key": "publisher_name", "value": "Københavns Kommune"}]}, SOURCE
    )
    assert (dcat.name, dcat.title) == ("koebenhavns-kommune", "Københavns Kommune")
    assert mapping.organization({}, SOURCE).name == "opendata-dk"


@pytest.mark.parametrize(
    "fields,field",
    [
        ({"private": True}, "private"),
        ({"state": "deleted"}, "state"),
        ({"type": "harvest"}, "type"),
        ({"title": "", "name": ""}, "title"),
        ({"resources": [{"url": "javascript:alert(1)"}]}, "resources"),
        ({"resources": [{"url": "file:///etc/passwd"}]}, "resources"),
        ({"resources": ["not an object"]}, "resources"),
    ],
)
def test_datasets_the_catalog_cannot_take_are_refused_with_the_field(
    fields: dict, field: str
) -> None:
    with pytest.raises(mapping.MappingError) as error:
        mapping.to_local(
            remote(**fields), SOURCE, known_licences=KNOWN, checklist={}, harvested_at="t"
        )
    assert error.value.field == field


def test_to_local_is_open_with_provenance_and_the_checklist() -> None:
    local = mapping.to_local(
        remote(
            extras=[
                {
                    "key": "frequency",
                    "value": "http://publications.europa.eu/resource/authority/frequency/DAILY",
                }
            ]
        ),
        SOURCE,
        known_licences=KNOWN,
        checklist={"gdpr_declared_by": "source"},
        harvested_at="2026-11-24T01:00:00",
    )
    assert local["access_tier"] == "open" and local["private"] is False
    assert local["cityharvest_remote_url"] == "https://www.opendata.dk/dataset/trafik"
    assert local["cityharvest_source"] == "opendata.dk" and local["gdpr_declared_by"] == "source"
    assert local["update_frequency"] == "daily"
    assert local["resources"][0] == {
        "name": "A",
        "description": "",
        "format": "CSV",
        "url": "https://example.dk/a.csv",
    }


@pytest.mark.parametrize(
    "text,name",
    [
        ("Træer i København", "traeer-i-koebenhavn"),
        ("Årlig støj", "aarlig-stoej"),
        ("x", "dataset-x"),
        ("  Ünïcode --  test ", "unicode-test"),
    ],
)
def test_names_are_ascii_with_danish_letters_spelled_out(text: str, name: str) -> None:
    assert mapping.dataset_name(text) == name


def test_a_run_plans_new_changed_unchanged_and_withdrawn() -> None:
    plan = sync.plan({"a": "1", "b": "2", "c": "3"}, {"b": "2", "c": "0", "d": "4"}, complete=True)
    assert (plan.new, plan.changed, plan.unchanged, plan.withdrawn) == (["a"], ["c"], ["b"], ["d"])
    assert plan.work == 3


def test_an_incomplete_listing_never_withdraws() -> None:
    plan = sync.plan({"a": "1"}, {"a": "1", "b": "2"}, complete=False)
    assert plan.withdrawn == [] and plan.unchanged == ["a"]


@given(
    st.dictionaries(st.sampled_from("abcdefgh"), st.sampled_from("123")),
    st.dictionaries(st.sampled_from("abcdefgh"), st.sampled_from("123")),
)
def test_a_plan_accounts_for_every_dataset_once(listed: dict, imported: dict) -> None:
    plan = sync.plan(listed, imported, complete=True)
    parts = plan.new + plan.changed + plan.unchanged + plan.withdrawn
    assert sorted(parts) == sorted(set(listed) | set(imported))
    # Planning again after doing the work finds nothing to do.
    assert sync.plan(listed, dict(listed), complete=True).work == 0
