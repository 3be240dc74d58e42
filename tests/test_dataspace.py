"""The Dataspace Protocol 2025-1 catalog against the protocol's own JSON schemas
(test-data/dsp/, resolved locally): the version endpoint, every page of the catalog
and every dataset of every kind the catalog holds, and every error. The offers are
those of the DCAT output; a locked file's URL is never in a response, whoever asks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from ckan.tests import factories, helpers
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft201909Validator
from referencing import Registry, Resource

from tests.catalog_kinds import KINDS, Portal, portal  # noqa: F401 (the fixture)

pytestmark = pytest.mark.module_plugins

DSP = Path(__file__).resolve().parent.parent / "test-data" / "dsp"
CONTEXT = "https://w3id.org/dspace/2025/1/context.jsonld"
MESSAGE = {"@context": [CONTEXT], "@type": "CatalogRequestMessage"}
JSON = {"Content-Type": "application/json"}


def _registry() -> Registry:
    registry: Registry = Registry()
    for path in sorted(DSP.glob("*/*-schema.json")):
        schema = json.loads(path.read_text("utf-8"))
        registry = registry.with_resource(schema["$id"], Resource.from_contents(schema))
    return registry


REGISTRY = _registry()


def _validator(name: str) -> Draft201909Validator:
    schema = json.loads((DSP / name).read_text("utf-8"))
    return Draft201909Validator(schema, registry=REGISTRY)


CATALOG = _validator("catalog/catalog-schema.json")
DATASET = _validator("catalog/dataset-schema.json")
ERROR = _validator("catalog/catalog-error-schema.json")
VERSION = _validator("common/protocol-version-schema.json")


def _valid(validator: Draft201909Validator, body: Any) -> None:
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(body)]
    assert errors == [], "\n".join(errors)


def _request(app: Any, body: Any = MESSAGE, path: str = "/dsp/catalog/request", **kw: Any) -> Any:
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    headers = {**JSON, **kw.pop("headers", {})}
    return app.post(path, data=data, headers=headers, **kw)


def _token(user: dict[str, Any]) -> str:
    return helpers.call_action(
        "api_token_create", context={"user": user["name"]}, user=user["name"], name="dsp"
    )["token"]


def test_the_schemas_reject_what_they_should() -> None:
    """The probe: the stored schemas are really applied (a dataset without offers, an
    offer with a target, a catalog without a participant are refused)."""
    dataset = {
        "@context": [CONTEXT],
        "@id": "urn:x",
        "@type": "Dataset",
        "distribution": [{"format": "HttpData-PULL", "accessService": "urn:s"}],
    }
    assert list(DATASET.iter_errors(dataset))
    offer = {"@id": "urn:o", "@type": "Offer", "permission": [{"action": "use"}]}
    assert not list(DATASET.iter_errors({**dataset, "hasPolicy": [offer]}))
    assert list(DATASET.iter_errors({**dataset, "hasPolicy": [{**offer, "target": "urn:x"}]}))
    assert list(CATALOG.iter_errors({"@context": [CONTEXT], "@id": "urn:c", "@type": "Catalog"}))


def test_the_version_endpoint(app: Any) -> None:
    response = app.get("/.well-known/dspace-version")
    assert response.status_code == 200
    body = response.json
    _valid(VERSION, body)
    assert [(v["version"], v["path"], v["binding"]) for v in body["protocolVersions"]] == [
        ("2025-1", "/dsp", "HTTPS")
    ]


def _pages(app: Any, headers: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Every page of the catalog, following ``Link: rel="next"``."""
    pages, path = [], "/dsp/catalog/request"
    while path:
        response = _request(app, path=path, headers=headers or {})
        assert response.status_code == 200, response.get_data(as_text=True)
        body = response.json
        _valid(CATALOG, body)
        pages.append(body)
        links = response.headers.get("Link") or ""
        nxt = [part.split(">")[0].lstrip("<") for part in links.split(",") if 'rel="next"' in part]
        path = nxt[0].split("://", 1)[-1].split("/", 1)[-1] if nxt else ""
        path = f"/{path}" if path else ""
        if len(pages) > 1:
            assert 'rel="previous"' in links
    return pages


@pytest.mark.ckan_config("ckanext.pricing.dsp.page_size", "3")
def test_every_page_of_the_catalog_is_valid_and_holds_every_dataset_once(
    portal: Portal, app: Any
) -> None:
    pages = _pages(app)
    ids = [d["dct:identifier"] for page in pages for d in page.get("dataset", [])]
    with_files = {d["id"] for d in portal.datasets.values() if d.get("resources")}
    assert len(pages) == -(-len(with_files) // 3) > 1
    assert len(ids) == len(set(ids)) and set(ids) == with_files
    # Past the last page: a protocol error, not an empty page.
    response = _request(app, path=f"/dsp/catalog/request?page={len(pages) + 1}")
    assert response.status_code == 400
    _valid(ERROR, response.json)


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_of_dataset_is_valid_with_its_offers(
    portal: Portal, app: Any, kind: str
) -> None:
    ds = portal.datasets[kind]
    response = app.get(f"/dsp/catalog/datasets/{ds['id']}")
    if not ds.get("resources"):
        assert response.status_code == 404
        _valid(ERROR, response.json)
        return
    assert response.status_code == 200
    body = response.json
    _valid(DATASET, body)
    tier = ds.get("access_tier") or "open"
    duties = [
        duty["action"]
        for offer in body["hasPolicy"]
        for permission in offer["permission"]
        for duty in permission.get("duty", [])
    ]
    if tier == "open":
        assert duties == [] and len(body["hasPolicy"]) == 1
    elif tier == "on_request":
        assert duties == ["odrl:obtainConsent"]
    else:
        assert sorted(duties) == ["odrl:compensate"] * len(ds["offers"])
    # The same dataset in the catalog and on its own.
    assert app.get(f"/dsp/catalog/datasets/{ds['name']}").json == body


def test_a_priced_dataset_offers_its_plans_and_never_a_locked_url(portal: Portal, app: Any) -> None:
    ds = portal.datasets["priced"]
    for headers in ({}, {"Authorization": _token(portal.sysadmin)}):
        body = app.get(f"/dsp/catalog/datasets/{ds['id']}", headers=headers).json
        text = json.dumps(body)
        assert portal.secret not in text
        for page in _pages(app, headers):
            assert portal.secret not in json.dumps(page)
    offers = {o["@id"].rsplit("#", 1)[-1]: o for o in body["hasPolicy"]}
    assert set(offers) == {"offer-kvartal", "offer-abonnement"}
    (duty,) = offers["offer-kvartal"]["permission"][0]["duty"]
    (price,) = duty["constraint"]
    assert (price["leftOperand"], price["operator"], price["rightOperand"]["@value"]) == (
        "odrl:payAmount",
        "eq",
        "12500.00",
    )
    assert price["odrl:unit"]["@id"].endswith("/currency/DKK")
    period = offers["offer-abonnement"]["permission"][0]["constraint"][0]
    assert (period["leftOperand"], period["rightOperand"]["@value"]) == ("odrl:elapsedTime", "P1M")
    by_access = {r["id"]: r["access"] for r in ds["resources"]}
    for distribution in body["distribution"]:
        rid = distribution["@id"].rsplit("/", 1)[-1]
        if by_access[rid] == "locked":
            assert "dcat:downloadURL" not in distribution
            assert {o["@id"] for o in distribution["hasPolicy"]} == {
                o["@id"] for o in offers.values()
            }
        else:
            assert distribution["dcat:downloadURL"]["@id"].endswith("sample.csv")


def test_private_and_unknown_datasets_are_not_found(portal: Portal, app: Any) -> None:
    org = factories.Organization()
    private = factories.Dataset(
        owner_org=org["id"],
        private=True,
        resources=[{"url": "https://example.org/private.csv", "name": "p"}],
    )
    for ref in (private["id"], private["name"], "no-such-dataset", "x" * 300):
        response = app.get(f"/dsp/catalog/datasets/{ref}")
        assert response.status_code in (400, 404), ref
        _valid(ERROR, response.json)
    ids = [d["dct:identifier"] for page in _pages(app) for d in page.get("dataset", [])]
    assert private["id"] not in ids


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (MESSAGE, "text/plain", 415),
        ("{not json", "application/json", 400),
        ("", "application/json", 400),
        ([], "application/json", 400),
        ({"@type": "CatalogRequestMessage"}, "application/json", 400),
        ({**MESSAGE, "@type": "DatasetRequestMessage"}, "application/json", 400),
        ({**MESSAGE, "filter": [{"q": "luft"}]}, "application/json", 400),
        ({**MESSAGE, "filter": "luft"}, "application/json", 400),
        ("x" * (65 * 1024), "application/json", 413),
    ],
)
def test_bad_requests_get_a_catalog_error(
    portal: Portal, app: Any, body: Any, content_type: str, status: int
) -> None:
    response = _request(app, body, headers={"Content-Type": content_type})
    assert response.status_code == status
    _valid(ERROR, response.json)


@pytest.mark.parametrize("page", ["0", "-1", "abc", "1.5", "", "99999999999999999999"])
def test_bad_pages_get_a_catalog_error(portal: Portal, app: Any, page: str) -> None:
    response = _request(app, path=f"/dsp/catalog/request?page={page}")
    assert response.status_code == 400
    _valid(ERROR, response.json)


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    message=st.fixed_dictionaries(
        {},
        optional={
            "@context": st.sampled_from([[CONTEXT], CONTEXT, [], None]) | _json,
            "@type": st.sampled_from(["CatalogRequestMessage", "Catalog"]) | _json,
            "filter": st.sampled_from([[], None]) | _json,
        },
    )
)
def test_any_message_gets_a_catalog_or_a_catalog_error(
    portal: Portal, app: Any, message: dict[str, Any]
) -> None:
    response = _request(app, message)
    assert response.status_code in (200, 400)
    _valid(CATALOG if response.status_code == 200 else ERROR, response.json)


def test_other_methods_and_an_empty_id_get_a_catalog_error(portal: Portal, app: Any) -> None:
    for method, path in (
        ("get", "/dsp/catalog/request"),
        ("post", f"/dsp/catalog/datasets/{portal.datasets['open']['id']}"),
    ):
        response = getattr(app, method)(path)
        assert response.status_code == 405, (method, path)
        _valid(ERROR, response.json)
    response = app.get("/dsp/catalog/datasets/")
    assert response.status_code in (400, 404)
    _valid(ERROR, response.json)


def test_a_json_ld_request_is_answered_too(portal: Portal, app: Any) -> None:
    response = _request(app, headers={"Content-Type": "application/ld+json"})
    assert response.status_code == 200
    _valid(CATALOG, response.json)
