"""Deal rooms through CKAN: a full deal, who may see a room, offers, bad input.

Real PostgreSQL, Solr and CKAN. Every room's text, offer clauses and attachment carry a
secret marker; the non-party tests assert that it reaches no one outside the room.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ckan.plugins.toolkit as tk
import pytest
from bs4 import BeautifulSoup
from ckan import model, plugins
from ckan.tests import factories, helpers
from ckan.tests.pytest_ckan.fixtures import FakeFileStorage

from ckanext.cityexchange import compat
from ckanext.dealroom.model import Contract, Room

pytestmark = pytest.mark.module_plugins
PDF = b"%PDF-1.4\n"


@dataclass
class Market:
    marker: str
    dataset: dict[str, Any]
    locked: dict[str, Any]
    org: dict[str, Any]
    buyer_org: dict[str, Any]
    users: dict[str, dict[str, Any]]
    tokens: dict[str, dict[str, str]]


@pytest.fixture(scope="module")
def market(reset_portal_db: Any, reset_index: Any) -> Iterator[Market]:
    plugins.load_all()
    reset_portal_db()
    reset_index()
    marker = "zq" + uuid.uuid4().hex
    users = {
        name: factories.User(name=f"{name}-{marker[-6:]}")
        for name in (
            "seller_admin",
            "seller_editor",
            "seller_member",
            "buyer",
            "buyer_colleague",
            "third",
            "rival",
        )
    }
    users["sysadmin"] = factories.Sysadmin()
    org = factories.Organization(
        users=[
            {"name": users["seller_admin"]["name"], "capacity": "admin"},
            {"name": users["seller_editor"]["name"], "capacity": "editor"},
            {"name": users["seller_member"]["name"], "capacity": "member"},
        ]
    )
    buyer_org = factories.Organization(
        users=[
            {"name": users["buyer"]["name"], "capacity": "editor"},
            {"name": users["buyer_colleague"]["name"], "capacity": "editor"},
        ]
    )
    factories.Organization(users=[{"name": users["third"]["name"], "capacity": "admin"}])
    rival_org = factories.Organization(
        users=[{"name": users["rival"]["name"], "capacity": "editor"}]
    )
    seller = {"user": users["seller_admin"]["name"]}
    dataset = helpers.call_action(
        "package_create",
        context=seller,
        name=f"deal-{marker[-8:]}",
        title="Footfall in 100 m squares",
        owner_org=org["id"],
        access_tier="on_request",
        resources=[{"name": "Sample", "url": "http://example.com/sample.csv", "access": "sample"}],
    )
    locked = helpers.call_action(
        "resource_create",
        context=seller,
        package_id=dataset["id"],
        name="Full data",
        format="CSV",
        access="locked",
        upload=FakeFileStorage(io.BytesIO(f"id,v\n1,{marker}-data\n".encode()), "full.csv"),
    )
    helpers.call_action(
        "pricing_block_create",
        context=seller,
        package_id=dataset["id"],
        organization=rival_org["name"],
    )
    tokens = {}
    for name, user in users.items():
        token = helpers.call_action(
            "api_token_create", context={"user": user["name"]}, user=user["name"], name="t"
        )["token"]
        tokens[name] = {"Authorization": token}
    yield Market(marker, dataset, locked, org, buyer_org, users, tokens)
    compat.unload_plugins()


def act(market: Market, persona: str, action: str, **data: Any) -> Any:
    user = "" if persona == "anonymous" else market.users[persona]["name"]
    return helpers.call_action(action, context={"user": user, "ignore_auth": False}, **data)


def _open_room(market: Market, persona: str = "buyer", **extra: Any) -> dict[str, Any]:
    data = {
        "package_id": market.dataset["id"],
        "deal_type": "sale",
        "use_case": f"Plan bike lanes ({market.marker}-usecase)",
    }
    data.update(extra)
    return act(market, persona, "dealroom_create", **data)


def _fresh_buyer(market: Market) -> str:
    user = factories.User()
    market.users[user["name"]] = user
    return user["name"]


def _download(app: Any, market: Market, persona: str) -> bool:
    url = f"/dataset/{market.dataset['id']}/resource/{market.locked['id']}/download/full.csv"
    response = app.get(url, headers=market.tokens[persona], follow_redirects=False)
    return response.status_code == 200 and market.marker in response.get_data(as_text=True)


# --- a whole deal --------------------------------------------------------------------------


def test_full_deal_from_request_to_revocation(app: Any, market: Market) -> None:
    room = _open_room(market, buyer_org=market.buyer_org["name"], period_months=6)
    assert room["state"] == "requested" and room["your_side"] == "buyer"
    jobs = helpers.call_action("job_list", limit=1_000_000)
    assert any(room["id"] in (job.get("title") or "") for job in jobs), (
        "the sellers are notified in the background"
    )
    rid = room["id"]
    assert act(market, "seller_editor", "dealroom_accept_request", id=rid)["state"] == "open"
    first = act(
        market,
        "seller_editor",
        "dealroom_offer_create",
        id=rid,
        amount=500000,
        currency="DKK",
        period_months=6,
        licence="internal-use",
        clauses=f"No resale ({market.marker}-clause)",
        dpa_required=True,
    )
    counter = act(
        market,
        "buyer",
        "dealroom_offer_create",
        id=rid,
        amount=400000,
        period_months=6,
        licence="internal-use",
    )
    assert (first["version"], counter["version"]) == (1, 2)
    shown = act(market, "buyer", "dealroom_show", id=rid)
    assert [o["state"] for o in shown["offers"]] == ["superseded", "live"]
    contract = act(market, "seller_admin", "dealroom_offer_accept", id=rid, offer_id=counter["id"])
    assert contract["terms"]["offer"]["amount"] == 400000 and len(contract["sha256"]) == 64
    from ckanext.dealroom import contracts

    assert contracts.fingerprint(contract["terms"]) == contract["sha256"]
    assert act(market, "buyer", "dealroom_show", id=rid)["state"] == "agreed"
    assert not _download(app, market, "buyer")  # agreed, not paid: no data yet
    paid = act(market, "seller_admin", "dealroom_mark_paid", id=rid)
    assert paid["state"] == "active"
    assert _download(app, market, "buyer") and _download(
        app, market, "buyer_colleague"
    )  # the organisation holds it
    [entitlement] = [
        e for e in act(market, "buyer", "pricing_entitlement_list") if e["source"] == "deal"
    ]
    assert entitlement["holder_id"] == market.buyer_org["id"] and entitlement["valid_until"]
    revoked = act(
        market, "seller_admin", "dealroom_revoke", id=rid, reason="Licence breach: resale"
    )
    assert revoked["state"] == "revoked" and revoked["reason"] == "Licence breach: resale"
    assert not _download(app, market, "buyer")
    audit = [a["action"] for a in act(market, "buyer", "dealroom_show", id=rid)["audit"]]
    assert audit == ["create", "accept_request", "accept_offer", "activate", "revoke"]
    page = app.get(f"/dealroom/{rid}", headers=market.tokens["buyer"]).get_data(as_text=True)
    assert "Licence breach: resale" in page  # the buyer sees why
    printed = app.get(f"/dealroom/{rid}/contract", headers=market.tokens["buyer"]).get_data(
        as_text=True
    )
    assert contract["sha256"] in printed


def test_a_data_donation_opens_access_when_accepted(app: Any, market: Market) -> None:
    buyer = _fresh_buyer(market)
    market.tokens[buyer] = {
        "Authorization": helpers.call_action(
            "api_token_create", context={"user": buyer}, user=buyer, name="t"
        )["token"]
    }
    room = _open_room(market, buyer, deal_type="donation")
    act(market, "seller_admin", "dealroom_accept_request", id=room["id"])
    offer = act(
        market,
        "seller_admin",
        "dealroom_offer_create",
        id=room["id"],
        amount=0,
        licence="internal-use",
    )
    contract = act(market, buyer, "dealroom_offer_accept", id=room["id"], offer_id=offer["id"])
    assert contract["payment"] == "free"
    assert act(market, buyer, "dealroom_show", id=room["id"])["state"] == "active"
    assert _download(app, market, buyer)


def test_stories_need_both_consents(app: Any, market: Market) -> None:
    buyer = _fresh_buyer(market)
    room = _open_room(market, buyer, deal_type="donation")
    act(market, "seller_admin", "dealroom_accept_request", id=room["id"])
    offer = act(
        market,
        "seller_admin",
        "dealroom_offer_create",
        id=room["id"],
        amount=0,
        licence="internal-use",
    )
    act(market, buyer, "dealroom_offer_accept", id=room["id"], offer_id=offer["id"])
    page = lambda: app.get(f"/dataset/{market.dataset['name']}").get_data(as_text=True)  # noqa: E731
    act(market, buyer, "dealroom_story_consent", id=room["id"], consent=True)
    assert room["use_case"] not in page()
    act(market, "seller_editor", "dealroom_story_consent", id=room["id"], consent=True)
    assert room["use_case"] in page()
    act(market, buyer, "dealroom_story_consent", id=room["id"], consent=False)
    assert room["use_case"] not in page()


# --- offers: superseded, own, concurrent ---------------------------------------------------------


def _negotiating(market: Market) -> tuple[str, str]:
    buyer = _fresh_buyer(market)
    room = _open_room(market, buyer)
    act(market, "seller_admin", "dealroom_accept_request", id=room["id"])
    return buyer, room["id"]


def test_accepting_a_superseded_or_own_offer_is_refused(market: Market) -> None:
    buyer, rid = _negotiating(market)
    old = act(
        market, "seller_admin", "dealroom_offer_create", id=rid, amount=1000, licence="internal-use"
    )
    new = act(
        market, "seller_admin", "dealroom_offer_create", id=rid, amount=900, licence="internal-use"
    )
    with pytest.raises(tk.ValidationError, match="superseded"):
        act(market, buyer, "dealroom_offer_accept", id=rid, offer_id=old["id"])
    with pytest.raises(tk.ValidationError, match="own offer"):
        act(market, "seller_editor", "dealroom_offer_accept", id=rid, offer_id=new["id"])
    assert model.Session.query(Contract).filter(Contract.room_id == rid).count() == 0


def test_two_concurrent_accepts_make_exactly_one_contract(market: Market) -> None:
    buyer, rid = _negotiating(market)
    offer = act(
        market, "seller_admin", "dealroom_offer_create", id=rid, amount=1000, licence="internal-use"
    )
    token = helpers.call_action("api_token_create", context={"user": buyer}, user=buyer, name="t")[
        "token"
    ]
    body = json.dumps({"id": rid, "offer_id": offer["id"]}).encode()
    with tempfile.NamedTemporaryFile("wb", delete=False) as f:
        f.write(body)
    script = Path(__file__).parents[3].parent / "ckanext-pricing/ckanext/pricing/tests/wsgi_post.py"
    headers = json.dumps({"Authorization": token, "Content-Type": "application/json"})
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                str(script),
                tk.config["__file__"],
                "/api/3/action/dealroom_offer_accept",
                f.name,
                headers,
                "1",
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        for proc in procs:
            assert proc.stdout.readline().strip() == "ready"
        for proc in procs:
            proc.stdin.write("go\n")
            proc.stdin.flush()
        statuses = sorted(s for proc in procs for s in json.loads(proc.stdout.readline()))
    finally:
        for proc in procs:
            proc.wait(timeout=60)
        os.unlink(f.name)
    assert statuses == [200, 409]
    model.Session.expire_all()
    assert model.Session.query(Contract).filter(Contract.room_id == rid).count() == 1
    assert Room.get(rid).state == "agreed"


# --- who sees a room ---------------------------------------------------------------------------

OUTSIDERS = ["anonymous", "third", "seller_member"]


@pytest.fixture(scope="module")
def secret_room(market: Market) -> dict[str, Any]:
    """A room with the marker in its use case, a message, an offer and an attachment."""
    room = _open_room(market, "buyer_colleague")
    rid = room["id"]
    act(market, "seller_admin", "dealroom_accept_request", id=rid)
    helpers.call_action(
        "dealroom_message_create",
        context={"user": market.users["buyer_colleague"]["name"]},
        id=rid,
        body=f"Our NDA ({market.marker}-message)",
        upload=FakeFileStorage(
            io.BytesIO(PDF + f"{market.marker}-attachment".encode()), f"nda-{market.marker}.pdf"
        ),
    )
    act(
        market,
        "seller_admin",
        "dealroom_offer_create",
        id=rid,
        amount=1000,
        licence="internal-use",
        clauses=f"{market.marker}-clause",
    )
    shown = act(market, "buyer_colleague", "dealroom_show", id=rid)
    attachment = next(a for m in shown["messages"] for a in m["attachments"])
    return {"id": rid, "attachment": attachment["id"], "offer": shown["latest_offer"]["id"]}


ACTIONS = [
    ("dealroom_show", {}),
    ("dealroom_accept_request", {}),
    ("dealroom_decline", {"reason": "x"}),
    ("dealroom_withdraw", {}),
    ("dealroom_message_create", {"body": "hi"}),
    ("dealroom_offer_create", {"amount": 5, "licence": "internal-use"}),
    ("dealroom_offer_accept", {"offer_id": "x"}),
    ("dealroom_mark_paid", {}),
    ("dealroom_contract_show", {}),
    ("dealroom_revoke", {"reason": "x"}),
    ("dealroom_story_consent", {"consent": True}),
    ("dealroom_attachment_show", {"attachment_id": "x"}),
]


@pytest.mark.parametrize("persona", OUTSIDERS)
@pytest.mark.parametrize("action, extra", ACTIONS)
def test_non_parties_get_404_from_every_action(
    app: Any,
    market: Market,
    secret_room: dict[str, Any],
    persona: str,
    action: str,
    extra: dict[str, Any],
) -> None:
    data = dict(extra, id=secret_room["id"])
    if action == "dealroom_offer_accept":
        data["offer_id"] = secret_room["offer"]
    if action == "dealroom_attachment_show":
        data["attachment_id"] = secret_room["attachment"]
    headers = {} if persona == "anonymous" else market.tokens[persona]
    response = app.post(f"/api/3/action/{action}", json=data, headers=headers)
    assert response.status_code == 404, (action, response.get_json())
    assert market.marker not in response.get_data(as_text=True)
    assert act(market, "buyer_colleague", "dealroom_show", id=secret_room["id"])["state"] == "open"


@pytest.mark.parametrize("persona", OUTSIDERS)
def test_non_parties_get_404_from_every_route_and_see_nothing(
    app: Any, market: Market, secret_room: dict[str, Any], persona: str
) -> None:
    headers = {} if persona == "anonymous" else market.tokens[persona]
    rid = secret_room["id"]
    for url in (
        f"/dealroom/{rid}",
        f"/dealroom/{rid}/contract",
        f"/dealroom/{rid}/attachment/{secret_room['attachment']}",
    ):
        response = app.get(url, headers=headers)
        assert response.status_code == 404, url
        assert market.marker not in response.get_data(as_text=True)
    for what in ("message", "offer", "accept_request", "revoke", "nonsense"):
        response = app.post(f"/dealroom/{rid}/do/{what}", data={"body": "x"}, headers=headers)
        assert response.status_code == 404, what
    surfaces = [
        f"/api/3/action/package_search?q={market.marker}",
        f"/api/3/action/package_show?id={market.dataset['id']}",
        f"/api/3/action/package_activity_list?id={market.dataset['id']}",
        f"/api/3/action/organization_activity_list?id={market.org['id']}",
        "/api/3/action/dealroom_list",
        "/dealroom",
        f"/dataset/{market.dataset['name']}",
        "/dataset?q=usecase",
        "/dataset?q=NDA",  # words of the room's text (the page echoes its query)
    ]
    for url in surfaces:
        response = app.get(url, headers=headers)
        assert market.marker not in response.get_data(as_text=True), url
    if persona != "anonymous":
        assert act(market, persona, "dealroom_list") == []


def test_parties_see_the_room_and_fetch_the_attachment(
    app: Any, market: Market, secret_room: dict[str, Any]
) -> None:
    rid = secret_room["id"]
    for persona in ("buyer_colleague", "seller_editor", "seller_admin", "sysadmin"):
        page = app.get(f"/dealroom/{rid}", headers=market.tokens[persona])
        assert page.status_code == 200 and f"{market.marker}-message" in page.get_data(as_text=True)
        file = app.get(
            f"/dealroom/{rid}/attachment/{secret_room['attachment']}",
            headers=market.tokens[persona],
        )
        assert file.status_code == 200 and file.data.startswith(PDF)
    assert rid in [r["id"] for r in act(market, "seller_editor", "dealroom_list")]


def test_only_the_seller_side_moves_the_seller_steps(market: Market) -> None:
    buyer = _fresh_buyer(market)
    room = _open_room(market, buyer)
    with pytest.raises(tk.NotAuthorized):
        act(market, buyer, "dealroom_accept_request", id=room["id"])
    with pytest.raises(tk.ValidationError, match="Offers can only be made in an open room"):
        act(market, buyer, "dealroom_offer_create", id=room["id"], amount=1, licence="internal-use")
    assert act(market, buyer, "dealroom_withdraw", id=room["id"])["state"] == "withdrawn"
    with pytest.raises(tk.ValidationError):
        act(market, "seller_admin", "dealroom_accept_request", id=room["id"])


# --- seller controls and bad input -----------------------------------------------------------------


def test_blocked_and_closed_and_own_datasets_refuse_new_rooms(market: Market) -> None:
    with pytest.raises(tk.ValidationError, match="does not deal with your organisation"):
        _open_room(market, "rival")
    with pytest.raises(tk.ValidationError, match="You publish this dataset"):
        _open_room(market, "seller_editor")
    act(
        market,
        "seller_editor",
        "dealroom_dataset_close",
        package_id=market.dataset["id"],
        closed=True,
    )
    try:
        with pytest.raises(tk.ValidationError, match="no new requests"):
            _open_room(market, _fresh_buyer(market))
        with pytest.raises(tk.NotAuthorized):
            act(
                market,
                "seller_member",
                "dealroom_dataset_close",
                package_id=market.dataset["id"],
                closed=False,
            )
    finally:
        act(
            market,
            "seller_editor",
            "dealroom_dataset_close",
            package_id=market.dataset["id"],
            closed=False,
        )


@pytest.mark.parametrize(
    "data, field",
    [
        ({"use_case": ""}, "use_case"),
        ({"use_case": "   "}, "use_case"),
        ({"deal_type": "barter"}, "deal_type"),
        ({"period_months": 0}, "period_months"),
        ({"resource_ids": ["not-a-resource"]}, "resource_ids"),
        ({"package_id": "no-such-dataset"}, "package_id"),
    ],
)
def test_bad_requests_are_field_errors(
    app: Any, market: Market, data: dict[str, Any], field: str
) -> None:
    body = dict({"package_id": market.dataset["id"], "use_case": "Plan bike lanes"}, **data)
    response = app.post("/api/3/action/dealroom_create", json=body, headers=market.tokens["third"])
    assert response.status_code == 409 and field in response.get_json()["error"]


@pytest.mark.parametrize(
    "data, field",
    [
        ({"amount": -100}, "amount"),
        ({"amount": "12.5"}, "amount"),
        ({"amount": 0}, "amount"),
        ({"currency": "XXX"}, "currency"),
        ({"licence": "anything-goes"}, "licence"),
        ({"period_months": 500}, "period_months"),
    ],
)
def test_bad_offers_are_field_errors(
    app: Any, market: Market, data: dict[str, Any], field: str
) -> None:
    _buyer, rid = _negotiating(market)
    body = dict({"id": rid, "amount": 1000, "licence": "internal-use"}, **data)
    response = app.post(
        "/api/3/action/dealroom_offer_create", json=body, headers=market.tokens["seller_admin"]
    )
    assert response.status_code == 409 and field in response.get_json()["error"]


@pytest.mark.parametrize(
    "price, amount", [("1.250,50", 125050), ("1250", 125000), ("1,250.50", 125050)]
)
def test_an_offer_priced_in_kroner_through_the_room_page(
    app: Any, market: Market, price: str, amount: int
) -> None:
    """The room's offer form asks for kroner, as people type them, and the files it covers."""
    _buyer, rid = _negotiating(market)
    page = app.get(f"/dealroom/{rid}", headers=market.tokens["seller_admin"]).get_data(as_text=True)
    assert 'name="price"' in page and f'value="{market.locked["id"]}"' in page
    response = app.post(
        f"/dealroom/{rid}/do/offer",
        data={"price": price, "licence": "internal-use", "resource_ids": market.locked["id"]},
        headers=market.tokens["seller_admin"],
        follow_redirects=False,
    )
    assert response.status_code == 302
    offer = act(market, "seller_admin", "dealroom_show", id=rid)["latest_offer"]
    assert (offer["amount"], offer["side"]) == (amount, "seller")
    assert offer["resource_ids"] == [market.locked["id"]]


@pytest.mark.parametrize("price", ["abc", "0", "-5", "1.2.3"])
def test_a_price_that_is_not_a_price_is_a_field_error(app: Any, market: Market, price: str) -> None:
    _buyer, rid = _negotiating(market)
    before = act(market, "seller_admin", "dealroom_show", id=rid)["latest_offer"]
    body = {"id": rid, "price": price, "licence": "internal-use"}
    response = app.post(
        "/api/3/action/dealroom_offer_create", json=body, headers=market.tokens["seller_admin"]
    )
    assert response.status_code == 409 and "price" in response.get_json()["error"]
    assert act(market, "seller_admin", "dealroom_show", id=rid)["latest_offer"] == before


@pytest.mark.parametrize(
    "filename, content, message",
    [
        ("huge.pdf", PDF + b"0" * (10 * 1024 * 1024), "larger than"),
        ("virus.exe", b"MZ\x90\x00", "Attach a PDF"),
        ("fake.pdf", b"MZ\x90\x00 not a pdf", "not a .pdf"),
        ("empty.txt", b"", "empty"),
    ],
)
def test_bad_attachments_are_refused(
    app: Any, market: Market, filename: str, content: bytes, message: str
) -> None:
    _buyer, rid = _negotiating(market)
    response = app.post(
        "/api/3/action/dealroom_message_create",
        headers=market.tokens["seller_admin"],
        data={"id": rid, "body": "see attached", "upload": (io.BytesIO(content), filename)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 409, response.get_data(as_text=True)[:300]
    assert message in json.dumps(response.get_json()["error"]["upload"])
    shown = act(market, "seller_admin", "dealroom_show", id=rid)
    assert not any(m["attachments"] for m in shown["messages"])


def test_pages_render_for_the_parties(app: Any, market: Market) -> None:
    headers = market.tokens["third"]
    form = app.get(f"/dataset/{market.dataset['name']}/dealroom/new", headers=headers)
    assert form.status_code == 200 and 'name="use_case"' in form.get_data(as_text=True)
    dataset_page = app.get(f"/dataset/{market.dataset['name']}", headers=headers).get_data(
        as_text=True
    )
    assert f"/dataset/{market.dataset['name']}/dealroom/new" in dataset_page
    _open_room(market, _fresh_buyer(market))  # a request waiting for the seller's answer
    inbox = app.get("/dealroom", headers=market.tokens["seller_admin"])
    assert inbox.status_code == 200 and market.dataset["title"] in inbox.get_data(as_text=True)
    # The header leads every logged-in user to their data, orders and deal rooms, a
    # seller's editors to their sales, with the rooms waiting for an answer counted.
    header = BeautifulSoup(inbox.get_data(as_text=True), "html.parser").find("header")
    links = {a.get_text(" ", strip=True).split(" ")[0]: a["href"] for a in header.select("nav a")}
    assert {"My", "Sales", "Deal"} <= set(links)
    seller_header = BeautifulSoup(
        app.get("/dataset", headers=market.tokens["seller_admin"]).get_data(as_text=True),
        "html.parser",
    ).find("header")
    count = seller_header.select_one(".cdx-count")
    assert count is not None and int(count.contents[0]) >= 1
    third = app.get("/dataset", headers=headers).get_data(as_text=True)
    assert "/pricing/orders" in third and "/organization/sales/" not in third
    danish = app.get("/da_DK/dealroom", headers=market.tokens["seller_admin"]).get_data(
        as_text=True
    )
    assert "Forhandlingsrum" in danish


def test_a_deal_paid_by_card_then_refunded(app: Any, market: Market) -> None:
    """agreed → Pay by card (stripe-mock) → signed checkout.session.completed → active
    with the order's entitlement → charge.refunded → revoked, access gone."""
    from ckanext.pricing.model import Order
    from ckanext.pricing.tests import stripe_events as se

    buyer, rid = _negotiating(market)
    token = {
        "Authorization": helpers.call_action(
            "api_token_create", context={"user": buyer}, user=buyer, name="t"
        )["token"]
    }
    market.tokens[buyer] = token
    offer = act(
        market,
        "seller_admin",
        "dealroom_offer_create",
        id=rid,
        amount=200000,
        currency="DKK",
        period_months=3,
        licence="internal-use",
    )
    act(market, buyer, "dealroom_offer_accept", id=rid, offer_id=offer["id"])
    with pytest.raises(tk.ValidationError):
        act(
            market, "seller_admin", "dealroom_checkout_create", id=rid
        )  # the buyer pays, not the seller
    checkout = act(market, buyer, "dealroom_checkout_create", id=rid)
    assert checkout["checkout_url"].startswith("https://")
    model.Session.expire_all()
    order = Order.get(checkout["order_id"])
    assert (order.source, order.source_ref, order.net, order.gross) == ("deal", rid, 200000, 250000)
    # Forged deal terms through the API are refused: only the deal room checks out deals.
    forged = app.post(
        "/api/3/action/pricing_checkout_create",
        headers=token,
        json={
            "package_id": market.dataset["id"],
            "offer_id": "deal",
            "source": "deal",
            "source_ref": rid,
            "terms": {"amount": 1, "currency": "DKK", "licence": "internal-use"},
        },
    )
    assert forged.status_code == 409 and "source" in forged.get_json()["error"]
    body, headers = se.signed(se.completed(order))
    assert app.post("/pricing/stripe/webhook", data=body, headers=headers).status_code == 200
    shown = act(market, buyer, "dealroom_show", id=rid)
    assert shown["state"] == "active" and shown["contract"]["payment"] == "checkout"
    assert _download(app, market, buyer)
    [entitlement] = [
        e
        for e in act(market, buyer, "pricing_entitlement_list")
        if e["source"] == "deal" and e["source_ref"] == rid
    ]
    assert entitlement["valid_until"]  # the agreed 3 months
    body, headers = se.signed(se.refunded(order))
    assert app.post("/pricing/stripe/webhook", data=body, headers=headers).status_code == 200
    shown = act(market, buyer, "dealroom_show", id=rid)
    assert shown["state"] == "revoked" and shown["reason"] == "Payment refunded"
    assert not _download(app, market, buyer)


def test_deals_expire_when_their_period_ends(market: Market, cli: Any) -> None:
    import datetime as dt

    from ckan.cli.cli import ckan

    from ckanext.pricing.model import Entitlement

    buyer, rid = _negotiating(market)
    offer = act(
        market,
        "seller_admin",
        "dealroom_offer_create",
        id=rid,
        amount=1000,
        period_months=1,
        licence="internal-use",
    )
    act(market, buyer, "dealroom_offer_accept", id=rid, offer_id=offer["id"])
    room = act(market, "seller_admin", "dealroom_mark_paid", id=rid)
    assert room["state"] == "active"
    with pytest.raises(tk.NotAuthorized):
        act(market, "seller_admin", "dealroom_expire_due")
    assert rid not in helpers.call_action("dealroom_expire_due")["expired"]  # not due yet
    entitlement = model.Session.get(Entitlement, Room.get(rid).entitlement_id)
    entitlement.valid_until = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(minutes=1)
    model.repo.commit()
    result = cli.invoke(ckan, ["dealroom", "expire"])
    assert result.exit_code == 0 and f"{rid}: expired" in result.output
    assert act(market, buyer, "dealroom_show", id=rid)["state"] == "expired"
    again = cli.invoke(ckan, ["dealroom", "expire"])
    assert rid not in again.output


# --- nothing of the server's files, no remote images ---------------------------------------


def test_no_action_result_or_page_holds_a_storage_path(
    app: Any, market: Market, secret_room: dict[str, Any]
) -> None:
    rid = secret_room["id"]
    storage_root = tk.config.get("ckan.storage_path")
    shown = act(
        market,
        "buyer_colleague",
        "dealroom_attachment_show",
        id=rid,
        attachment_id=secret_room["attachment"],
    )
    assert set(shown) == {"id", "room_id", "filename", "media_type", "size", "sha256"}
    results = [shown] + [
        act(market, "buyer_colleague", name, **data)
        for name, data in (
            ("dealroom_show", {"id": rid}),
            ("dealroom_list", {}),
            ("dealroom_message_create", {"id": rid, "body": "one more"}),
        )
    ]
    for result in results:
        assert storage_root not in json.dumps(result)
    for url in (
        f"/dealroom/{rid}",
        "/dealroom",
        (
            f"/api/3/action/dealroom_attachment_show?id={rid}"
            f"&attachment_id={secret_room['attachment']}"
        ),
    ):
        body = app.get(url, headers=market.tokens["buyer_colleague"]).get_data(as_text=True)
        assert storage_root not in body, url


def test_a_remote_image_in_a_message_or_use_case_loads_nothing(app: Any, market: Market) -> None:
    buyer = _fresh_buyer(market)
    room = _open_room(
        market, buyer, use_case="Bike lanes ![](https://tracker.example/use-case.png)"
    )
    rid = room["id"]
    act(market, "seller_admin", "dealroom_accept_request", id=rid)
    act(
        market,
        buyer,
        "dealroom_message_create",
        id=rid,
        body='Hello ![pixel](https://tracker.example/x.png) and <img src="https://tracker.example/raw.gif"> '
        "and [![inner](https://tracker.example/in.png)](https://example.com/)",
    )
    page = app.get(f"/dealroom/{rid}", headers=market.tokens["seller_admin"]).get_data(as_text=True)
    # Off-site images other than the viewer's own profile picture (the test factory's
    # image_url): none, so reading the room tells the sender nothing.
    images = [i for i in re.findall(r"<img\b[^>]*>", page) if 'class="user-image"' not in i]
    assert not [
        i for i in images if "tracker.example" in i or re.search(r"src=[\"'](https?:)?//", i)
    ]
    assert "tracker.example" not in "".join(re.findall(r"<img\b[^>]*>", page))
    assert '<a href="https://tracker.example/x.png">pixel</a>' in page
    assert '<a href="https://tracker.example/use-case.png">' in page
    assert '<a href="https://example.com/">inner</a>' in page
