"""The portal as a whole: the suite's plugins on CKAN, real PostgreSQL and real Solr."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import ckan.plugins as p
import ckan.plugins.toolkit as tk
import pytest
from ckan.tests import factories, helpers
from ckanapi import LocalCKAN

SUITE_PLUGINS = ("pricing", "dealroom", "gdprcheck")
DEMO = Path(__file__).resolve().parent.parent / "test-data" / "demo"


@pytest.mark.usefixtures("with_plugins")
def test_status_show_lists_the_suite_and_its_stack() -> None:
    extensions = helpers.call_action("status_show")["extensions"]
    for name in (*SUITE_PLUGINS, "scheming_datasets", "harvest", "dcat", "activity", "datastore"):
        assert name in extensions
        assert p.plugin_loaded(name)


@pytest.mark.usefixtures("clean_db", "clean_index")
def test_dataset_created_through_the_api_is_found_by_package_search() -> None:
    sysadmin = factories.Sysadmin()
    org = factories.Organization(name="solr-test-kommune")
    context = {"user": sysadmin["name"]}
    created = helpers.call_action(
        "package_create",
        context=context,
        name="vejtemperatur-test",
        title="Vejtemperatur på Øresundsbroen",
        owner_org=org["id"],
        notes="Målinger af vejbanens temperatur.",
        tags=[{"name": "vejr"}, {"name": "trafik"}],
        update_frequency="hourly",
    )

    # A word from the title with Danish letters, through CKAN's query parser and Solr.
    found = helpers.call_action("package_search", q="Øresundsbroen")
    assert [d["id"] for d in found["results"]] == [created["id"]]
    # A filter query on an indexed field, and a facet over the same document.
    found = helpers.call_action(
        "package_search", fq="tags:vejr", **{"facet.field": ["organization"]}
    )
    assert found["count"] == 1
    assert found["search_facets"]["organization"]["items"][0]["name"] == "solr-test-kommune"
    assert helpers.call_action("package_search", q="Storebæltsbroen")["count"] == 0


@pytest.mark.usefixtures("clean_db")
def test_bad_input_gives_field_errors() -> None:
    sysadmin = factories.Sysadmin()
    org = factories.Organization()
    with pytest.raises(tk.ValidationError) as error:
        helpers.call_action(
            "package_create",
            context={"user": sysadmin["name"]},
            name="bad-frequency",
            owner_org=org["id"],
            update_frequency="every-now-and-then",
        )
    assert "update_frequency" in error.value.error_dict


def _load_demo_catalog(ckan: LocalCKAN) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "load_demo", DEMO.parent.parent / "scripts" / "load_demo.py"
    )
    assert spec and spec.loader
    loader: Any = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loader)

    def read(name: str) -> list[dict[str, Any]]:
        return json.loads((DEMO / name).read_text(encoding="utf-8"))

    loader.load_users(ckan, read("users.json"), "cityexchange-demo")
    loader.load_organizations(ckan, read("organizations.json"))
    loader.load_groups(ckan, read("groups.json"))
    loader.load_datasets(ckan, read("datasets.json"), DEMO)
    loader.load_access(ckan, json.loads((DEMO / "access.json").read_text(encoding="utf-8")))


@pytest.mark.usefixtures("clean_db", "clean_index")
def test_demo_catalog_puts_open_and_commercial_data_in_one_search() -> None:
    sysadmin = factories.Sysadmin()
    ckan = LocalCKAN(username=sysadmin["name"])
    _load_demo_catalog(ckan)
    _load_demo_catalog(ckan)  # loading twice changes nothing

    datasets = json.loads((DEMO / "datasets.json").read_text(encoding="utf-8"))
    orgs = json.loads((DEMO / "organizations.json").read_text(encoding="utf-8"))
    kind = {o["name"]: o["extras"][0]["value"] for o in orgs}

    result = helpers.call_action(
        "package_search", rows=100, **{"facet.field": ["organization", "tags"]}
    )
    assert result["count"] == len(datasets)
    found_kinds = {kind[d["organization"]["name"]] for d in result["results"]}
    assert {"municipality", "company"} <= found_kinds

    # Danish titles and tags survive the round trip through Solr.
    tags = {item["name"] for item in result["search_facets"]["tags"]["items"]}
    assert {"træer", "personbevægelser", "miljø"} <= tags
    hit = helpers.call_action("package_search", q="personbevægelser")
    assert "personbevaegelser-indre-by" in [d["name"] for d in hit["results"]]

    # Commercial datasets carry offers, free samples and locked resources.
    footfall = helpers.call_action(
        "package_show", context={"user": ""}, id="personbevaegelser-indre-by"
    )
    assert footfall["access_tier"] == "priced" and footfall["offers"]
    assert {r["access"] for r in footfall["resources"]} == {"sample", "locked"}
    assert [bool(r.get("pricing_locked")) for r in footfall["resources"]] == [False, True, True]
    bjarne = helpers.call_action("pricing_entitlement_list", context={"user": "bjarne"})
    assert [e["package_name"] for e in bjarne if e["active"]] == ["personbevaegelser-indre-by"]

    # Demo users hold the roles the README documents.
    members = helpers.call_action("member_list", id="mobilitetsdata-aps", object_type="user")
    sofie = helpers.call_action("user_show", id="sofie")
    assert (sofie["id"], "user", "Admin") in [tuple(m) for m in members]
