"""The pure rules: mapping a remote dataset and planning a run. No CKAN, no fixtures."""

from __future__ import annotations

import ast
import json
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
        imported: set[str] = set()
        for n in ast.walk(tree):
            if isinstance(n, ast.Import):
                imported.update(alias.name for alias in n.names)
            elif isinstance(n, ast.ImportFrom) and n.module == "ckanext.cityexchange":
                imported.update(f"{n.module}.{alias.name}" for alias in n.names)
            elif isinstance(n, ast.ImportFrom) and n.module:
                imported.add(n.module)
        # The shared package's outbound guard and geometry rules are plain modules too.
        pure_shared = {"ckanext.cityexchange.net", "ckanext.cityexchange.geo"}
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


# The portal's own register (config/licenses.json): ids with their titles and URLs.
REGISTER = {
    lic["id"]: (lic["title"], lic["url"])
    for lic in json.loads(
        (Path(__file__).resolve().parents[4] / "config" / "licenses.json").read_text("utf-8")
    )
}


@pytest.mark.parametrize(
    "fields,licence",
    [
        ({"license_id": "dk-open-license"}, "dk-open-license"),
        ({"license_id": "DK-Open-License"}, "dk-open-license"),
        ({"license_title": "Open Data DK licens"}, "dk-open-license"),
        ({"license_title": "OPEN DATA DK LICENS"}, "dk-open-license"),
        ({"license_id": "Vilkår for brug af Danske Offentlige Data"}, "dk-public-data-terms"),
        ({"license_title": "Vilkår for brug af frie geografiske data"}, "dk-free-geodata"),
        ({"license_title": "Danmarks Statistiks vilkår for brug af data"}, "dk-dst-terms"),
        ({"license_title": "Vilkår for brug af DMI's frie data"}, "dk-dmi-free-data"),
        ({"license_title": "Creative Commons Navngivelse 4.0 International"}, "cc-by"),
        ({"license_title": "Creative Commons Navngivelse-DelPåSammeVilkår 4.0"}, "cc-by-sa"),
        ({"license_title": "Creative Commons Navngivelse-IkkeKommerciel 4.0"}, "cc-nc"),
        ({"license_title": "CC0 1.0 Universel"}, "cc-zero"),
        ({"license_url": "HTTPS://creativecommons.org/licenses/by/4.0/deed.da"}, "cc-by"),
        ({"license_url": "http://www.opendefinition.org/licenses/cc-by-sa"}, "cc-by-sa"),
        ({"license_title": "Creative Commons Attribution Share-Alike"}, "cc-by-sa"),
        ({"license_title": "Other (Not Open)"}, "other-closed"),
        ({"license_id": "notspecified"}, "notspecified"),
        ({"license_title": "Google's terms of service"}, "notspecified"),
        ({"license_url": "https://creativecommons.org/publicdomain/mark/1.0/"}, "other-pd"),
        ({"license_id": "CC-BY-ND-4.0"}, "other-closed"),
        ({"license_title": "Creative Commons Attribution-NoDerivatives 4.0"}, "other-closed"),
        ({"license_title": "Creative Commons Navngivelse-IngenBearbejdelse 4.0"}, "other-closed"),
        ({"license_title": "CC BY NC 4.0"}, "cc-nc"),
        ({"license_title": "CC BY SA 4.0"}, "cc-by-sa"),
        ({"license_title": "ODC Public Domain Dedication and License (PDDL)"}, "odc-pddl"),
        ({"license_title": "Administrative vilkår"}, "notspecified"),
        ({"license_title": "Vilkår for brug af DMI's frie data (dmi.dk)"}, "dk-dmi-free-data"),
    ],
)
def test_danish_licences_map_by_id_title_and_url_in_any_case(fields: dict, licence: str) -> None:
    assert licence in REGISTER
    assert mapping.map_licence(fields, REGISTER) == licence
    if licence.startswith("dk-"):
        # On a portal with CKAN's licences only, a Danish one falls back to the nearest.
        assert mapping.map_licence(fields, KNOWN) in {"other-open", "other-at"}


def test_an_unmapped_licence_is_named_for_the_status_page() -> None:
    fields = {"license_id": "kommunens-egen-licens", "license_title": "Kommunens egen licens"}
    licence = mapping.map_licence(fields, REGISTER)
    assert licence == "notspecified"
    assert mapping.unmapped_licence(fields, licence) == "kommunens-egen-licens"
    assert mapping.unmapped_licence({}, "notspecified") is None
    assert mapping.unmapped_licence({"license_id": "notspecified"}, "notspecified") is None
    assert mapping.unmapped_licence({"license_id": "cc-by"}, "cc-by") is None


@given(st.text(max_size=60), st.sampled_from(["license_id", "license_title", "license_url"]))
def test_any_licence_text_maps_to_a_registered_licence(text: str, key: str) -> None:
    licence = mapping.map_licence({key: text}, REGISTER)
    assert licence in REGISTER
    if licence == "notspecified" and text.strip():
        assert mapping.unmapped_licence({key: text}, licence) in (None, text.strip()[:200])


@pytest.mark.parametrize(
    "extras,frequency",
    [
        ([{"key": "opdateringsfrekvens", "value": "daglig"}], "daily"),
        ([{"key": "opdateringsfrekvens", "value": "Månedlig"}], "monthly"),
        ([{"key": "opdateringsfrekvens", "value": "årlig"}], "yearly"),
        ([{"key": "opdateringsfrekvens", "value": "Kvartalsvis"}], "quarterly"),
        ([{"key": "opdateringsfrekvens", "value": "hver anden uge"}], None),
        (
            [
                {
                    "key": "frequency",
                    "value": "http://publications.europa.eu/resource/authority/frequency/QUARTERLY",
                }
            ],
            "quarterly",
        ),
        (
            [
                {
                    "key": "frequency",
                    "value": "http://publications.europa.eu/resource/authority/frequency/BIWEEKLY",
                }
            ],
            None,
        ),
        ([{"key": "dcat_frequency", "value": "weekly"}], "weekly"),
        ([{"key": "update_frequency", "value": "Løbende"}], "realtime"),
        ([{"key": "opdateringsfrekvens", "value": "Hver dag"}], "daily"),
        ([{"key": "frequency", "value": "http://purl.org/cld/freq/daily"}], "daily"),
        (
            [
                {
                    "key": "frequency",
                    "value": "http://publications.europa.eu/resource/authority/frequency/UNKNOWN",
                }
            ],
            None,
        ),
    ],
)
def test_update_frequencies_in_danish_and_english(extras: list, frequency: str | None) -> None:
    local = mapping.to_local(
        remote(extras=extras), SOURCE, known_licences=KNOWN, checklist={}, harvested_at="t"
    )
    assert local.get("update_frequency") == frequency


def test_geographic_and_temporal_coverage_and_languages() -> None:
    parsed_dcat = {
        "extras": [
            {
                "key": "spatial_uri",
                "value": "http://publications.europa.eu/resource/authority/country/DNK",
            },
            {"key": "temporal_start", "value": "2019"},
            {"key": "temporal_end", "value": "2024-02"},
            {
                "key": "language",
                "value": '["http://publications.europa.eu/resource/dataset/language/DAN"]',
            },
        ]
    }
    assert mapping.coverage(parsed_dcat) == {
        "spatial_uri": "http://publications.europa.eu/resource/authority/country/DNK",
        "spatial_coverage": "Danmark",
        "temporal_start": "2019-01-01",
        "temporal_end": "2024-02-29",
        "language": ["da"],
    }
    ckan_extras = {
        "extras": [
            {"key": "geografisk_daekning", "value": "Aarhus Kommune"},
            {"key": "language", "value": "dansk, English"},
            {"key": "temporal_start", "value": "2024-13-01"},  # no such month: left out
        ]
    }
    assert mapping.coverage(ckan_extras) == {
        "spatial_coverage": "Aarhus Kommune",
        "language": ["da", "en"],
    }
    # ckanext-spatial's extra (and ckanext-dcat's reading of dct:spatial's geometry).
    polygon = '{"type": "Polygon", "coordinates": [[[10.1, 56.1], [10.3, 56.1], [10.1, 56.2], [10.1, 56.1]]]}'
    assert mapping.coverage({"extras": [{"key": "spatial", "value": polygon}]}) == {
        "spatial": polygon.replace(" ", "")
    }
    assert mapping.coverage({"extras": [{"key": "spatial", "value": '{"type": "Polygon"}'}]}) == {}
    # An end before the start is not kept; a place URI that is no URL is not a place.
    assert mapping.coverage(
        {"temporal_start": "2024-05-01", "temporal_end": "2023", "spatial_uri": "DNK"}
    ) == {"temporal_start": "2024-05-01"}


@given(
    st.dictionaries(
        st.sampled_from(
            ["spatial_uri", "spatial_text", "temporal_start", "temporal_end", "language"]
        ),
        st.one_of(st.text(max_size=40), st.lists(st.text(max_size=10), max_size=3), st.integers()),
    )
)
def test_coverage_of_anything_is_well_formed(fields: dict) -> None:
    import datetime as dt

    out = mapping.coverage(fields)
    for key in ("temporal_start", "temporal_end"):
        if key in out:
            dt.date.fromisoformat(out[key])
    if "temporal_start" in out and "temporal_end" in out:
        assert out["temporal_start"] <= out["temporal_end"]
    assert set(out.get("language", [])) <= {"da", "en", "de", "sv", "no"}
    if "spatial_uri" in out:
        assert out["spatial_uri"].startswith(("http://", "https://"))


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


def test_eu_data_themes_from_dcat_iris_and_from_ckan_groups() -> None:
    dcat = {
        "extras": [
            {
                "key": "themes",
                "value": '["http://publications.europa.eu/resource/dataset/data-theme/GOVE",'
                ' "http://publications.europa.eu/resource/authority/data-theme/TRAN",'
                ' "http://example.org/own-theme"]',
            }
        ]
    }
    assert [t.code for t in mapping.themes(dcat)] == ["GOVE", "TRAN"]
    ckan = {"groups": [{"name": "miljo", "title": "Miljø"}, {"name": "x", "title": "Trafik"}]}
    assert [t.code for t in mapping.themes(ckan)] == ["ENVI", "TRAN"]
    assert (
        mapping.themes({"groups": [{"name": "borgerservice"}], "theme": "ENVI"})[0].code == "ENVI"
    )
    assert mapping.themes({}) == []
    local = mapping.to_local(
        remote(**dcat), SOURCE, known_licences=KNOWN, checklist={}, harvested_at="t"
    )
    assert local["groups"] == [
        {"name": "government-public-sector"},
        {"name": "transport"},
    ]
    names = [t.name for t in mapping.THEMES]
    assert len(set(names)) == len(names) == 13
    assert all(re.fullmatch(r"[a-z0-9-]{2,100}", n) for n in names)


def test_the_publisher_rule_decides_the_organisation() -> None:
    publisher = {"extras": [{"key": "publisher_name", "value": "Organisation 001"}]}
    mapped = {"organization": {"name": "kk", "title": "KK"}}
    create = mapping.Source(id="s", title="T", url="u", organizations={"kk": "kobenhavn"})
    assert mapping.organization(publisher, create).name == "organisation-001"
    only_mapped = mapping.Source(
        id="s",
        title="T",
        url="u",
        organizations={"kk": "kobenhavn"},
        default_organization="samlet",
        publishers="map",
    )
    assert mapping.organization(publisher, only_mapped).name == "samlet"
    assert mapping.organization(mapped, only_mapped).name == "kobenhavn"
    always = mapping.Source(
        id="s", title="T", url="u", default_organization="samlet", publishers="default"
    )
    assert mapping.organization(mapped, always).name == "samlet"
    assert mapping.organization(publisher, always).name == "samlet"


def test_copies_without_an_identifier_are_recognised_by_publisher_title_and_files() -> None:
    org = {"organization": {"name": "aalborg", "title": "Aalborg Kommune"}}
    files = [{"url": "https://www.aalborg.dk/opendata/p.csv"}, {"url": "https://aalborg.dk/p.json"}]
    a = dict(org, id="1", title="Parkeringspladser i Aalborg Kommune 2024", resources=files)
    b = dict(
        org,
        id="2",
        title="PARKERINGSPLADSER i Aalborg kommune 2024 ",
        resources=[
            {"url": "HTTP://WWW.Aalborg.dk/opendata/p.csv/"},
            {"url": "https://aalborg.dk/p.json"},
        ],
    )

    def keys(d: dict) -> tuple[str, str, list[str]]:
        return mapping.publisher_key(d), mapping.title_key(d), mapping.resource_urls(d)

    assert mapping.explicit_identity(a) is None
    assert mapping.compare(keys(a), keys(b)) == mapping.SAME
    other_files = dict(b, resources=[{"url": "https://www.aalborg.dk/opendata/v2/p.csv"}])
    assert mapping.compare(keys(a), keys(other_files)) == mapping.UNCERTAIN
    similar = dict(
        b,
        title="Parkeringspladser i Aalborg Kommune 2024 (arkiv)",
        resources=[{"url": "https://www.aalborg.dk/opendata/arkiv/p.csv"}],
    )
    assert mapping.compare(keys(a), keys(similar)) == mapping.DIFFERENT
    renamed = dict(b, title="Parkering, Aalborg")
    assert mapping.compare(keys(a), keys(renamed)) == mapping.UNCERTAIN
    elsewhere = dict(b, organization={"name": "odense", "title": "Odense Kommune"})
    assert mapping.compare(keys(a), keys(elsewhere)) == mapping.DIFFERENT
    assert mapping.compare(("", "t", []), ("", "t", [])) == mapping.DIFFERENT
    dcat = {"extras": [{"key": "publisher_name", "value": "Aalborg Kommune"}]}
    assert mapping.publisher_key(dcat) == mapping.publisher_key(a) == "aalborg kommune"
    assert mapping.explicit_identity({"extras": [{"key": "identifier", "value": "X-1"}]}) == "X-1"


_keys = st.tuples(
    st.sampled_from(["", "aalborg kommune", "odense kommune"]),
    st.sampled_from(["", "parkering", "luftkvalitet"]),
    st.lists(st.sampled_from(["a/1.csv", "a/2.csv", "b/3.csv", "c/4.csv"]), max_size=4),
)


@given(_keys, _keys)
def test_comparing_copies_is_symmetric_and_merges_only_the_same(a: tuple, b: tuple) -> None:
    verdict = mapping.compare(a, b)
    assert verdict == mapping.compare(b, a)
    if verdict == mapping.SAME:
        assert a[0] and a[0] == b[0] and a[1] == b[1]
        assert len(set(a[2]) & set(b[2])) * 2 >= len(set(a[2]) | set(b[2])) > 0
    if a[0] != b[0] or not a[0]:
        assert verdict == mapping.DIFFERENT
