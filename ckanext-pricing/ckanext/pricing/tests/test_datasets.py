"""Pricing fields through CKAN: field errors from the API and the form (never a 500),
the real URL surviving every write path, and search facets and sorting."""

from __future__ import annotations

import io
from typing import Any

import pytest
from bs4 import BeautifulSoup
from ckan.tests import factories, helpers
from ckan.tests.pytest_ckan.fixtures import FakeFileStorage
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

OFFER = {
    "id": "standard",
    "kind": "one_off",
    "amount": 125000,
    "currency": "DKK",
    "vat_included": True,
    "licence": "internal-use",
}


@pytest.fixture
def seller(clean_db: None, clean_index: None) -> dict[str, Any]:
    user = factories.User()
    org = factories.Organization(users=[{"name": user["name"], "capacity": "editor"}])
    token = helpers.call_action(
        "api_token_create", context={"user": user["name"]}, user=user["name"], name="t"
    )["token"]
    return {"user": user, "org": org, "headers": {"Authorization": token}}


def _create(app: Any, seller: dict[str, Any], **fields: Any) -> Any:
    body = {"name": "ds-" + str(abs(hash(str(fields))))[:10], "owner_org": seller["org"]["id"]}
    body.update(fields)
    return app.post("/api/3/action/package_create", json=body, headers=seller["headers"])


@pytest.mark.parametrize(
    "fields, error_path",
    [
        ({"access_tier": "priced", "offers": [dict(OFFER, amount=-5)]}, ("offers", 0, "amount")),
        ({"access_tier": "priced", "offers": [dict(OFFER, amount=12.5)]}, ("offers", 0, "amount")),
        (
            {"access_tier": "priced", "offers": [dict(OFFER, amount="12,50")]},
            ("offers", 0, "amount"),
        ),
        (
            {"access_tier": "priced", "offers": [dict(OFFER, currency="XXX")]},
            ("offers", 0, "currency"),
        ),
        (
            {"access_tier": "priced", "offers": [dict(OFFER, licence="whatever")]},
            ("offers", 0, "licence"),
        ),
        (
            {"access_tier": "priced", "offers": [dict(OFFER, kind="subscription")]},
            ("offers", 0, "period_months"),
        ),
        ({"access_tier": "priced", "offers": [OFFER, OFFER]}, ("offers", 1, "id")),
        ({"access_tier": "priced"}, ("access_tier",)),
        ({"access_tier": "open", "offers": [OFFER]}, ("access_tier",)),
        ({"access_tier": "free-for-friends"}, ("access_tier",)),
        (
            {"resources": [{"url": "https://x.example/a.csv", "access": "locked"}]},
            ("resources", 0, "access"),
        ),
        (
            {
                "access_tier": "priced",
                "offers": [OFFER],
                "resources": [{"url": "https://x.example/a.csv", "access": "secret"}],
            },
            ("resources", 0, "access"),
        ),
    ],
)
def test_bad_pricing_fields_are_409_field_errors(
    app: Any, seller: dict[str, Any], fields: dict[str, Any], error_path: tuple[Any, ...]
) -> None:
    response = _create(app, seller, **fields)
    assert response.status_code == 409, response.json
    error: Any = response.json["error"]
    for part in error_path:
        error = error[part]
    assert error, response.json["error"]


def test_a_good_priced_dataset_round_trips(app: Any, seller: dict[str, Any]) -> None:
    response = _create(
        app,
        seller,
        access_tier="priced",
        offers=[
            dict(OFFER, amount="99900", currency="eur", vat_included="false"),
            {
                "id": "yearly",
                "kind": "subscription",
                "period_months": "12",
                "amount": 1200000,
                "licence": "commercial-reuse",
            },
        ],
        resources=[
            {"url": "https://x.example/sample.csv", "access": "sample"},
            {"url": "https://x.example/full.csv"},
        ],
    )
    assert response.status_code == 200, response.json
    result = response.json["result"]
    assert result["offers"][0] == dict(
        OFFER, amount=99900, currency="EUR", vat_included=False, resources=[]
    )
    assert result["offers"][1]["currency"] == "DKK" and result["offers"][1]["period_months"] == 12
    assert [r["access"] for r in result["resources"]] == ["sample", "locked"]
    page = app.get(f"/dataset/{result['name']}").get_data(as_text=True)
    assert "per 12 months" in page and "€999.00" in page and "Commercial reuse" in page
    danish = app.get(f"/da_DK/dataset/{result['name']}").get_data(as_text=True)
    assert "pr. 12 måneder" in danish and "Køb adgang til disse data" in danish


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    offers=st.one_of(
        st.text(max_size=10),
        st.integers(),
        st.lists(
            st.dictionaries(
                st.sampled_from(
                    [
                        "id",
                        "kind",
                        "amount",
                        "currency",
                        "licence",
                        "period_months",
                        "vat_included",
                        "resources",
                    ]
                ),
                st.one_of(
                    st.none(),
                    st.integers(),
                    st.text(max_size=8),
                    st.floats(),
                    st.booleans(),
                    st.lists(st.text(max_size=4), max_size=2),
                ),
            ),
            max_size=3,
        ),
    )
)
def test_any_offers_payload_is_accepted_or_a_4xx(
    app: Any, seller: dict[str, Any], offers: Any
) -> None:
    response = _create(app, seller, access_tier="priced", offers=offers)
    assert response.status_code in (200, 400, 409), response.get_data(as_text=True)[:500]


def _csrf_post(app: Any, url: str, headers: dict[str, str], data: dict[str, Any]) -> Any:
    form = app.get(url, headers=headers)
    token = BeautifulSoup(form.get_data(as_text=True), "html.parser").find(
        "input", {"name": "_csrf_token"}
    )["value"]
    return app.post(url, data=dict(data, _csrf_token=token), headers=headers)


def test_the_dataset_form_shows_field_errors_not_a_500(app: Any, seller: dict[str, Any]) -> None:
    form_page = app.get("/dataset/new", headers=seller["headers"])
    assert form_page.status_code == 200
    html = form_page.get_data(as_text=True)
    assert 'name="access_tier"' in html and "offers" in html  # the offers editor is there
    response = _csrf_post(
        app,
        "/dataset/new",
        seller["headers"],
        {
            "name": "form-priced",
            "title": "Form priced",
            "owner_org": seller["org"]["id"],
            "access_tier": "priced",
            "offers-0-id": "standard",
            "offers-0-kind": "one_off",
            "offers-0-amount": "-100",
            "offers-0-currency": "DKK",
            "offers-0-licence": "internal-use",
            "save": "continue",
        },
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Amount must be greater than zero" in page


def _as_a_browser_sends_it(html: str) -> dict[str, Any]:
    """The dataset form's fields as a browser without scripts submits them untouched:
    every named input, textarea and select of the form with its shown value (the hidden
    template of a new offer excepted, as scheming's script removes it)."""
    form = BeautifulSoup(html, "html.parser").find("form", id="dataset-edit")
    data: dict[str, Any] = {}
    for field in form.find_all(["input", "textarea", "select"]):
        name = field.get("name")
        if not name or "REPEATING" in name or field.get("type") in ("submit", "button"):
            continue
        if field.get("type") in ("checkbox", "radio"):
            if field.has_attr("checked"):
                data[name] = field.get("value", "on")
            continue
        if field.name == "select":
            chosen = field.find("option", selected=True) or field.find("option")
            data[name] = chosen.get("value", "") if chosen else ""
        elif field.name == "textarea":
            data[name] = field.text
        else:
            data[name] = field.get("value", "")
    return data


def test_an_open_dataset_goes_through_the_untouched_form(app: Any, seller: dict[str, Any]) -> None:
    """The form shows one blank offer; an open dataset that leaves it alone has no offer."""
    data = _as_a_browser_sends_it(
        app.get("/dataset/new", headers=seller["headers"]).get_data(as_text=True)
    )
    assert "offers-0-price" in data and "offers-0-amount" not in data  # priced in kroner
    data.update(name="form-open", title="Form open", owner_org=seller["org"]["id"], save="continue")
    response = app.post(
        "/dataset/new", data=data, headers=seller["headers"], follow_redirects=False
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    created = helpers.call_action(
        "package_show", context={"user": seller["user"]["name"]}, id="form-open"
    )
    assert created["access_tier"] == "open" and not created.get("offers")


def test_a_price_typed_in_kroner_is_stored_in_ore_and_shown_again(
    app: Any, seller: dict[str, Any]
) -> None:
    data = _as_a_browser_sends_it(
        app.get("/dataset/new", headers=seller["headers"]).get_data(as_text=True)
    )
    data.update(
        {
            "name": "form-kroner",
            "title": "Form kroner",
            "owner_org": seller["org"]["id"],
            "access_tier": "priced",
            "offers-0-price": "1.250,50",
            "offers-0-licence": "internal-use",
            "save": "continue",
        }
    )
    response = app.post(
        "/dataset/new", data=data, headers=seller["headers"], follow_redirects=False
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    context = {"user": seller["user"]["name"]}
    stored = helpers.call_action("package_show", context=context, id="form-kroner")
    (offer,) = stored["offers"]
    assert (offer["amount"], offer["id"], "price" in offer) == (125050, "offer-1", False)
    edit = app.get("/dataset/edit/form-kroner", headers=seller["headers"]).get_data(as_text=True)
    again = _as_a_browser_sends_it(edit)
    assert again["offers-0-price"] == "1250.50" and again["offers-0-id"] == "offer-1"
    response = app.post(
        "/dataset/edit/form-kroner",
        data=dict(again, save="save"),
        headers=seller["headers"],
        follow_redirects=False,
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    kept = helpers.call_action("package_show", context=context, id="form-kroner")["offers"]
    assert kept == stored["offers"]


# --- the write-back hazard ----------------------------------------------------------------


def _locked_dataset(
    seller: dict[str, Any],
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    context = {"user": seller["user"]["name"]}
    ds = helpers.call_action(
        "package_create",
        context=context,
        name="wb",
        owner_org=seller["org"]["id"],
        access_tier="priced",
        offers=[OFFER],
        resources=[{"name": "link", "url": "https://seller.example/real.csv"}],
    )
    upload = helpers.call_action(
        "resource_create",
        context=context,
        package_id=ds["id"],
        name="file",
        upload=FakeFileStorage(io.BytesIO(b"a,b\n1,2\n"), "real-file.csv"),
    )
    return ds, ds["resources"][0], upload


def test_writing_back_a_redacted_dict_keeps_the_real_urls(app: Any, seller: dict[str, Any]) -> None:
    ds, link, upload = _locked_dataset(seller)
    redacted = helpers.call_action(
        "package_show", context={"user": "", "ignore_auth": True}, id=ds["id"]
    )
    assert all("/pricing/locked/" in r["url"] for r in redacted["resources"])

    site = helpers.call_action("get_site_user", context={"ignore_auth": True})["name"]
    paths = [
        # a job or harvester updating the whole dataset from a buyer's view of it
        ("package_update", dict(redacted, notes="updated by a job")),
        ("package_patch", {"id": ds["id"], "resources": redacted["resources"]}),
        ("resource_update", dict(redacted["resources"][0], description="edited")),
        ("resource_patch", {"id": upload["id"], "url": redacted["resources"][1]["url"]}),
    ]
    for action, data in paths:
        helpers.call_action(action, context={"user": site}, **data)
        stored = helpers.call_action(
            "package_show", context={"user": seller["user"]["name"]}, id=ds["id"]
        )
        urls = {r["id"]: r for r in stored["resources"]}
        assert urls[link["id"]]["url"] == "https://seller.example/real.csv", action
        assert urls[upload["id"]]["url"].endswith("/download/real-file.csv"), action
        assert urls[upload["id"]]["url_type"] == "upload", action
    got = app.get(
        f"/dataset/{ds['id']}/resource/{upload['id']}/download", headers=seller["headers"]
    )
    assert got.get_data() == b"a,b\n1,2\n"


def test_the_seller_editing_a_resource_keeps_its_url(seller: dict[str, Any]) -> None:
    _ds, link, _upload = _locked_dataset(seller)
    context = {"user": seller["user"]["name"]}
    helpers.call_action("resource_patch", context=context, id=link["id"], name="renamed")
    shown = helpers.call_action("resource_show", context=context, id=link["id"])
    assert (shown["name"], shown["url"]) == ("renamed", "https://seller.example/real.csv")


# --- search -------------------------------------------------------------------------------


def test_open_and_priced_data_in_one_search_with_facets_and_price_sort(
    seller: dict[str, Any],
) -> None:
    context = {"user": seller["user"]["name"]}
    org = seller["org"]["id"]
    helpers.call_action("package_create", context=context, name="open-one", owner_org=org)
    helpers.call_action(
        "package_create",
        context=context,
        name="cheap",
        owner_org=org,
        access_tier="priced",
        offers=[dict(OFFER, amount=50000)],
    )
    helpers.call_action(
        "package_create",
        context=context,
        name="dear",
        owner_org=org,
        access_tier="priced",
        offers=[dict(OFFER, amount=25_000_000, currency="EUR")],
    )
    helpers.call_action(
        "package_create", context=context, name="ask", owner_org=org, access_tier="on_request"
    )
    result = helpers.call_action(
        "package_search",
        q="*:*",
        sort="pricing_sort_amount asc",
        **{"facet.field": ["access_tier", "pricing_price_band", "pricing_currency"]},
    )
    assert [d["name"] for d in result["results"]] == ["open-one", "cheap", "dear", "ask"]
    facets = result["search_facets"]
    assert {i["name"]: i["count"] for i in facets["access_tier"]["items"]} == {
        "open": 1,
        "priced": 2,
        "on_request": 1,
    }
    assert {i["name"] for i in facets["pricing_price_band"]["items"]} == {
        "under-1000",
        "over-100000",
    }
    assert {i["name"] for i in facets["pricing_currency"]["items"]} == {"DKK", "EUR"}
    labels = {i["name"]: i["display_name"] for i in facets["access_tier"]["items"]}
    assert labels["on_request"] == "On request"
    dear_first = helpers.call_action(
        "package_search", q="access_tier:priced", sort="pricing_sort_amount desc"
    )
    assert [d["name"] for d in dear_first["results"]] == ["dear", "cheap"]
