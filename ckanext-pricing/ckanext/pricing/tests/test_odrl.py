"""The offers as machine readers get them (odrl.py) and the Dataspace Protocol's messages
(dataspace.py): pure rules, checked on generated datasets, and every generated offer
against the protocol's own JSON schema for an ``Offer``."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft201909Validator
from referencing import Registry, Resource

from ckanext.pricing import dataspace, odrl, rules

pytestmark = pytest.mark.pure

DSP = Path(__file__).resolve().parents[4] / "test-data" / "dsp"
IRI = "https://data.example.dk/dataset/d1"
PRECISION = {"DKK": 2, "EUR": 2, "JPY": 0, "KWD": 3}


def _schema(name: str, pointer: str = "") -> Draft201909Validator:
    registry: Registry = Registry()
    for path in DSP.glob("*/*-schema.json"):
        contents = json.loads(path.read_text("utf-8"))
        registry = registry.with_resource(contents["$id"], Resource.from_contents(contents))
    schema = json.loads((DSP / name).read_text("utf-8"))
    if pointer:
        schema = {"$ref": f"{schema['$id']}#{pointer}"}
    return Draft201909Validator(schema, registry=registry)


OFFER = _schema("negotiation/contract-schema.json", "/definitions/Offer")
DATASET = _schema("catalog/dataset-schema.json")

resource_ids = st.lists(st.uuids().map(str), min_size=0, max_size=5, unique=True)


@st.composite
def datasets(draw: st.DrawFn) -> dict[str, Any]:
    tier = draw(st.sampled_from([None, "open", "priced", "on_request"]))
    ids = draw(resource_ids)
    resources = [
        {"id": rid, "access": draw(st.sampled_from(["sample", "locked", "", None]))} for rid in ids
    ]
    offers = []
    for n in range(draw(st.integers(0, 3))):
        offers.append(
            {
                "id": f"offer-{n + 1}",
                "kind": draw(st.sampled_from(["one_off", "subscription"])),
                "period_months": draw(st.integers(1, 120)),
                "amount": draw(st.integers(1, 10**12)),
                "currency": draw(st.sampled_from(sorted(PRECISION))),
                "vat_included": draw(st.booleans()),
                "licence": draw(st.sampled_from(["internal-use", "no-resale", ""])),
                "resources": draw(st.lists(st.sampled_from(ids), unique=True)) if ids else [],
            }
        )
    return {"access_tier": tier, "resources": resources, "offers": offers}


def _policies(ds: dict[str, Any]) -> list[odrl.Policy]:
    return odrl.policies(
        ds,
        dataset_iri=IRI,
        assigner="https://data.example.dk/organization/o1",
        licence_iri=lambda licence: f"https://data.example.dk/pricing/licences/{licence}",
        precision=PRECISION.__getitem__,
    )


@settings(max_examples=150, deadline=None)
@given(ds=datasets())
def test_offers_follow_the_access_tier(ds: dict[str, Any]) -> None:
    policies = _policies(ds)
    tier = ds["access_tier"] or "open"
    all_ids = [r["id"] for r in ds["resources"]]
    locked = [r["id"] for r in ds["resources"] if rules.is_locked(tier, r)]
    if tier == "open":
        (only,) = policies
        assert only.free and list(only.distributions) == all_ids
    elif tier == "on_request":
        (only,) = policies
        assert only.consent and only.payment is None and list(only.distributions) == locked
    else:
        assert len(policies) == len(ds["offers"])
        for policy, offer in zip(policies, ds["offers"], strict=True):
            assert policy.payment is not None and not policy.free
            # The amount in major units, exactly (no float on the way).
            minor = policy.payment.amount.scaleb(PRECISION[offer["currency"]])
            assert minor == Decimal(offer["amount"]) and minor == minor.to_integral_value()
            assert "E" not in odrl.decimal_text(policy.payment.amount)
            named = [rid for rid in offer["resources"] if rid in locked]
            assert list(policy.distributions) == (named or locked)
            assert set(policy.distributions) <= set(locked)
            expected_period = offer["period_months"] if offer["kind"] == "subscription" else None
            assert policy.period_months == expected_period
            assert (policy.licence is None) == (not offer["licence"])
    # A sample is never covered by a price, and always has its free offer.
    samples = odrl.sample_policies(ds, dataset_iri=IRI, assigner=None)
    sample_ids = [r["id"] for r in ds["resources"] if not rules.is_locked(tier, r)]
    assert [s.distributions for s in samples] == (
        [] if tier == "open" else [(rid,) for rid in sample_ids]
    )
    assert all(s.free for s in samples)
    iris = [p.iri for p in policies + samples]
    assert len(iris) == len(set(iris))


@settings(max_examples=150, deadline=None)
@given(ds=datasets())
def test_every_offer_is_a_protocol_offer(ds: dict[str, Any]) -> None:
    for policy in _policies(ds) + odrl.sample_policies(ds, dataset_iri=IRI, assigner=None):
        offer = odrl.to_dsp(policy)
        assert list(OFFER.iter_errors(offer)) == []
        assert "target" not in offer  # the catalog's offers name no target (the schema)


@settings(max_examples=60, deadline=None)
@given(ds=datasets())
def test_a_dataset_message_is_valid_when_it_has_distributions(ds: dict[str, Any]) -> None:
    policies = _policies(ds)
    distributions = [
        dataspace.distribution(
            r,
            iri=f"{IRI}/resource/{r['id']}",
            site_url="https://d.dk",
            public_url=None,
            policies=[],
        )
        for r in ds["resources"]
    ]
    message = dataspace.dataset(
        {"id": "d1", "name": "d1", "title": "D1"},
        iri=IRI,
        site_url="https://d.dk",
        distributions=distributions,
        offers=policies,
        root=True,
    )
    errors = list(DATASET.iter_errors(message))
    # The catalog leaves out datasets without files, and a priced one needs an offer.
    assert (errors == []) == bool(distributions and policies)


@pytest.mark.parametrize(
    ("message", "ok"),
    [
        ({"@context": [dataspace.CONTEXT], "@type": "CatalogRequestMessage"}, True),
        ({"@context": dataspace.CONTEXT, "@type": "CatalogRequestMessage", "filter": []}, True),
        ({"@context": [dataspace.CONTEXT], "@type": "CatalogRequestMessage", "filter": [1]}, False),
        ({"@type": "CatalogRequestMessage"}, False),
        ({"@context": [dataspace.CONTEXT]}, False),
        ([], False),
        (None, False),
    ],
)
def test_request_messages(message: Any, ok: bool) -> None:
    assert (dataspace.request_problems(message) == []) is ok


@pytest.mark.parametrize(
    ("page", "pages", "links"),
    [(1, 1, None), (1, 3, ["next"]), (2, 3, ["previous", "next"]), (3, 3, ["previous"])],
)
def test_link_header(page: int, pages: int, links: list[str] | None) -> None:
    header = dataspace.link_header("https://d.dk/dsp/catalog/request", page, pages)
    if links is None:
        assert header is None
        return
    assert header is not None
    assert [part.split('rel="')[1].rstrip('"') for part in header.split(", ")] == links
    assert f"page={page + 1}" in header if "next" in links else True
