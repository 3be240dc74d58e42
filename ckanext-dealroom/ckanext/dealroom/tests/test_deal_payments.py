"""Deals and card payments together: every defect once seen, as a named test.

Real PostgreSQL, Solr and CKAN; stripe-mock for Stripe's API; events signed as Stripe
signs them.
"""

from __future__ import annotations

import threading
from typing import Any

import ckan.plugins.toolkit as tk
import pytest
from bs4 import BeautifulSoup
from ckan import model
from ckan.tests import helpers

from ckanext.dealroom import contracts
from ckanext.dealroom.model import Room
from ckanext.dealroom.tests.test_deals import (
    Market,
    _download,
    _fresh_buyer,
    _negotiating,
    _open_room,  # noqa: F401 (pytest fixtures)
    act,
    market,  # noqa: F401 (pytest fixtures)
)
from ckanext.pricing.model import Entitlement, Order
from ckanext.pricing.tests import stripe_events as se

pytestmark = pytest.mark.module_plugins


def _agreed(market: Market, **offer: Any) -> tuple[str, str, dict[str, Any]]:
    buyer, rid = _negotiating(market)
    market.tokens[buyer] = {
        "Authorization": helpers.call_action(
            "api_token_create", context={"user": buyer}, user=buyer, name="t"
        )["token"]
    }
    made = act(
        market,
        "seller_admin",
        "dealroom_offer_create",
        id=rid,
        **dict(
            {"amount": 200000, "currency": "DKK", "period_months": 3, "licence": "internal-use"},
            **offer,
        ),
    )
    act(market, buyer, "dealroom_offer_accept", id=rid, offer_id=made["id"])
    return buyer, rid, made


def _pay(app: Any, order: Order) -> dict[str, Any]:
    body, headers = se.signed(se.completed(order))
    response = app.post("/pricing/stripe/webhook", data=body, headers=headers)
    assert response.status_code == 200
    return response.get_json()


def _order(order_id: str) -> Order:
    model.Session.expire_all()
    return Order.get(order_id)


def _deal_entitlements(rid: str) -> list[Entitlement]:
    model.Session.expire_all()
    return model.Session.query(Entitlement).filter(Entitlement.source_ref == rid).all()


def test_a_payment_for_a_deal_revoked_during_checkout_is_refunded_and_grants_nothing(
    app: Any, market: Market
) -> None:
    buyer, rid, _offer = _agreed(market)
    checkout = act(market, buyer, "dealroom_checkout_create", id=rid)
    act(market, "seller_admin", "dealroom_revoke", id=rid, reason="Changed our mind")
    order = _order(checkout["order_id"])
    assert order.state == "failed"  # its checkout was closed at Stripe
    result = _pay(app, order)  # the buyer had already pressed Pay
    assert result["outcome"] == "failed->refunded refund"
    assert "refunded automatically" in _order(order.id).note
    assert not _deal_entitlements(rid) and not _download(app, market, buyer)


def test_marking_paid_during_checkout_yields_one_entitlement_and_revoke_ends_all(
    app: Any, market: Market
) -> None:
    buyer, rid, _offer = _agreed(market)
    checkout = act(market, buyer, "dealroom_checkout_create", id=rid)
    act(market, "seller_admin", "dealroom_mark_paid", id=rid)
    assert _pay(app, _order(checkout["order_id"]))["outcome"] == "failed->refunded refund"
    assert len(_deal_entitlements(rid)) == 1 and _download(app, market, buyer)
    act(market, "seller_admin", "dealroom_revoke", id=rid, reason="Invoice not paid")
    assert all(e.revoked_at is not None for e in _deal_entitlements(rid))
    assert not _download(app, market, buyer)


def test_offers_state_their_scope_vat_and_total(app: Any, market: Market) -> None:
    buyer, rid = _negotiating(market)
    offer = act(
        market,
        "seller_admin",
        "dealroom_offer_create",
        id=rid,
        amount=200000,
        currency="DKK",
        period_months=6,
        licence="internal-use",
    )
    assert offer["resource_ids"] == [market.locked["id"]]  # default: the dataset's locked resources
    assert (offer["price"]["net"], offer["price"]["vat"], offer["price"]["charged"]) == (
        200000,
        50000,
        250000,
    )
    page = app.get(
        f"/dealroom/{rid}",
        headers=market.tokens.get(buyer)
        or {
            "Authorization": helpers.call_action(
                "api_token_create", context={"user": buyer}, user=buyer, name="t"
            )["token"]
        },
    ).get_data(as_text=True)
    terms = (
        BeautifulSoup(page, "html.parser")
        .find("table", {"class": "dealroom-offer-terms"})
        .get_text(" ")
    )
    for expected in ("2,000.00", "500.00", "2,500.00", "6 months", "Full data"):
        assert expected in terms, expected


@pytest.mark.parametrize("resource_ids", [["no-such-resource"], "other-seller"])
def test_offer_resources_must_be_locked_resources_of_the_rooms_dataset(
    market: Market, resource_ids: Any
) -> None:
    _buyer, rid = _negotiating(market)
    if resource_ids == "other-seller":
        other = helpers.call_action(
            "package_create",
            context={"user": market.users["sysadmin"]["name"]},
            name=f"other-{rid[:8]}",
            owner_org=market.buyer_org["id"],
            access_tier="priced",
            offers=[
                {
                    "id": "o",
                    "kind": "one_off",
                    "amount": 100,
                    "currency": "DKK",
                    "vat_included": True,
                    "licence": "internal-use",
                }
            ],
            resources=[{"name": "Theirs", "url": "http://example.com/t.csv", "access": "locked"}],
        )
        resource_ids = [other["resources"][0]["id"]]
    with pytest.raises(tk.ValidationError) as error:
        act(
            market,
            "seller_admin",
            "dealroom_offer_create",
            id=rid,
            amount=1000,
            currency="DKK",
            licence="internal-use",
            resource_ids=resource_ids,
        )
    assert "resource_ids" in error.value.error_dict


def test_three_concurrent_requests_open_one_room(market: Market) -> None:
    from ckan.cli import load_config
    from ckan.config.middleware import make_app
    from werkzeug.test import Client

    buyer = _fresh_buyer(market)
    token = helpers.call_action("api_token_create", context={"user": buyer}, user=buyer, name="t")[
        "token"
    ]
    app = make_app(load_config(tk.config["__file__"]))
    statuses: list[int] = []
    start = threading.Barrier(3)

    def request() -> None:
        client = Client(app)
        start.wait()
        statuses.append(
            client.post(
                "/api/3/action/dealroom_create",
                headers={"Authorization": token},
                json={"package_id": market.dataset["id"], "use_case": "Counting cyclists"},
            ).status_code
        )

    threads = [threading.Thread(target=request) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200, 409, 409]
    model.Session.expire_all()
    user = model.User.get(buyer)
    assert (
        model.Session.query(Room)
        .filter(Room.buyer_user_id == user.id, Room.package_id == market.dataset["id"])
        .count()
        == 1
    )


def test_the_printed_contract_renders_exactly_the_hashed_terms(app: Any, market: Market) -> None:
    buyer, rid, _offer = _agreed(market, clauses="No resale.")
    contract = act(market, buyer, "dealroom_contract_show", id=rid)
    terms = contract["terms"]
    assert contracts.fingerprint(terms) == contract["sha256"]
    assert terms["offer"]["resources"] == [{"id": market.locked["id"], "name": "Full data"}]
    assert terms["offer"]["price"]["total"] == 250000
    page = app.get(f"/dealroom/{rid}/contract", headers=market.tokens[buyer]).get_data(as_text=True)
    soup = BeautifulSoup(page, "html.parser")
    canonical = soup.find("pre", {"class": "dealroom-canonical"}).get_text()
    assert (
        contracts.fingerprint_text(canonical) == contract["sha256"]
    )  # what is printed hashes right
    shown = soup.find("article", {"class": "dealroom-contract"}).get_text(" ")
    for expected in (
        "Full data",
        terms["offer"]["licence_text"]["en"]["text"][:40],
        "2,500.00",
        "No resale.",
    ):
        assert expected in shown, expected


def _send(app: Any, event: dict[str, Any]) -> dict[str, Any]:
    body, headers = se.signed(event)
    response = app.post("/pricing/stripe/webhook", data=body, headers=headers)
    assert response.status_code == 200
    return response.get_json()


def test_a_won_dispute_does_not_undo_the_sellers_revoke(app: Any, market: Market) -> None:
    buyer, rid, _offer = _agreed(market)
    order = _order(act(market, buyer, "dealroom_checkout_create", id=rid)["order_id"])
    assert _pay(app, order)["outcome"] == "pending->fulfilled grant"
    act(market, "seller_admin", "dealroom_revoke", id=rid, reason="Resold the data")
    assert _send(app, se.disputed(order))["outcome"] == "fulfilled->disputed revoke"
    assert _send(app, se.dispute_closed(order, "won"))["outcome"] == "disputed->fulfilled restore"
    assert "access stays revoked: Resold the data" in _order(order.id).note
    assert act(market, buyer, "dealroom_show", id=rid)["state"] == "revoked"
    assert not [e for e in _deal_entitlements(rid) if e.revoked_at is None]
    assert not _download(app, market, buyer)


def test_a_won_dispute_restores_the_access_its_dispute_revoked(app: Any, market: Market) -> None:
    buyer, rid, _offer = _agreed(market)
    order = _order(act(market, buyer, "dealroom_checkout_create", id=rid)["order_id"])
    _pay(app, order)
    _send(app, se.disputed(order))
    assert act(market, buyer, "dealroom_show", id=rid)["state"] == "revoked" and not _download(
        app, market, buyer
    )
    _send(app, se.dispute_closed(order, "won"))
    assert act(market, buyer, "dealroom_show", id=rid)["state"] == "active" and _download(
        app, market, buyer
    )


def test_two_checkouts_of_one_deal_paid_at_once_open_one_entitlement(
    app: Any, market: Market
) -> None:
    from ckan.cli import load_config
    from ckan.config.middleware import make_app
    from werkzeug.test import Client

    buyer, rid, _offer = _agreed(market)
    first = _order(act(market, buyer, "dealroom_checkout_create", id=rid)["order_id"])
    _send(
        app,
        se.event(
            "checkout.session.expired",
            {  # the first page expired; the buyer tried again
                "id": first.stripe_session_id,
                "object": "checkout.session",
                "client_reference_id": first.id,
                "metadata": {"order_id": first.id},
                "status": "expired",
                "payment_status": "unpaid",
            },
        ),
    )
    orders = [first, _order(act(market, buyer, "dealroom_checkout_create", id=rid)["order_id"])]
    assert orders[0].id != orders[1].id
    production = make_app(load_config(tk.config["__file__"]))
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def pay(order: Order) -> None:
        body, headers = se.signed(se.completed(order))
        client = Client(production)
        start.wait()
        outcomes.append(
            client.post("/pricing/stripe/webhook", data=body, headers=headers).get_json()["outcome"]
        )

    threads = [threading.Thread(target=pay, args=(order,)) for order in orders]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(o.split("->")[1] for o in outcomes) == ["fulfilled grant", "refunded refund"], (
        outcomes
    )
    assert len([e for e in _deal_entitlements(rid) if e.revoked_at is None]) == 1
    assert act(market, buyer, "dealroom_show", id=rid)["state"] == "active"
