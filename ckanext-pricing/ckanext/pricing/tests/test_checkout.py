"""Buying: checkout against stripe-mock, signed webhooks, orders, refunds, reconcile.

Stripe's API is the official stripe-mock server started by the project's scripts; every
webhook is signed with the configured secret as Stripe signs it. PostgreSQL, Solr and
CKAN are real.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
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
from ckanext.pricing.model import Entitlement, Order, StripeEvent
from ckanext.pricing.tests import stripe_events as se

pytestmark = pytest.mark.module_plugins
WEBHOOK = "/pricing/stripe/webhook"


@dataclass
class Shop:
    marker: str
    org: dict[str, Any]
    dataset: dict[str, Any]
    locked: dict[str, Any]
    users: dict[str, dict[str, Any]]
    buyer_org: dict[str, Any]
    rival_org: dict[str, Any]

    def token(self, persona: str) -> dict[str, str]:
        user = self.users[persona]
        token = helpers.call_action(
            "api_token_create", context={"user": user["name"]}, user=user["name"], name="t"
        )["token"]
        return {"Authorization": token}


@pytest.fixture(scope="module")
def shop(reset_portal_db: Any, reset_index: Any) -> Iterator[Shop]:
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
            "org_buyer",
            "rival",
            "outsider",
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
        users=[{"name": users["org_buyer"]["name"], "capacity": "editor"}]
    )
    rival_org = factories.Organization(
        users=[{"name": users["rival"]["name"], "capacity": "editor"}]
    )
    seller = {"user": users["seller_admin"]["name"]}
    dataset = helpers.call_action(
        "package_create",
        context=seller,
        name=f"shop-{marker[-8:]}",
        title="Pedestrian counts",
        owner_org=org["id"],
        access_tier="priced",
        offers=[
            {
                "id": "standard",
                "kind": "one_off",
                "amount": 125000,
                "currency": "DKK",
                "vat_included": True,
                "licence": "internal-use",
            },
            {
                "id": "quarterly",
                "kind": "subscription",
                "period_months": 3,
                "amount": 30000,
                "currency": "DKK",
                "vat_included": False,
                "licence": "internal-use",
            },
        ],
        resources=[{"name": "Sample", "url": "http://example.com/sample.csv", "access": "sample"}],
    )
    locked = helpers.call_action(
        "resource_create",
        context=seller,
        package_id=dataset["id"],
        name="Full data",
        format="CSV",
        access="locked",
        upload=FakeFileStorage(io.BytesIO(f"id,value\n1,{marker}\n".encode()), "full.csv"),
    )
    helpers.call_action(
        "pricing_block_create",
        context=seller,
        package_id=dataset["id"],
        organization=rival_org["name"],
    )
    yield Shop(marker, org, dataset, locked, users, buyer_org, rival_org)
    compat.unload_plugins()


def _buyer() -> dict[str, Any]:
    return factories.User()


def _checkout(shop: Shop, user: dict[str, Any], offer: str = "standard", **extra: Any) -> Order:
    result = helpers.call_action(
        "pricing_checkout_create",
        context={"user": user["name"], "ignore_auth": False},
        package_id=shop.dataset["id"],
        offer_id=offer,
        **extra,
    )
    model.Session.expire_all()
    return Order.get(result["order_id"])


def _deliver(app: Any, event: dict[str, Any], **sign: Any) -> Any:
    body, headers = se.signed(event, **sign)
    return app.post(WEBHOOK, data=body, headers=headers)


def _entitlements(order: Order) -> list[Entitlement]:
    model.Session.expire_all()
    return (
        model.Session.query(Entitlement)
        .filter(Entitlement.source == "order", Entitlement.source_ref == order.id)
        .all()
    )


def _state(order: Order) -> str:
    model.Session.expire_all()
    return Order.get(order.id).state


def _can_download(app: Any, shop: Shop, user: dict[str, Any]) -> bool:
    response = app.get(
        f"/dataset/{shop.dataset['id']}/resource/{shop.locked['id']}/download/full.csv",
        headers=shop_token(user),
        follow_redirects=False,
    )
    return response.status_code == 200 and shop.marker in response.get_data(as_text=True)


def shop_token(user: dict[str, Any]) -> dict[str, str]:
    token = helpers.call_action(
        "api_token_create", context={"user": user["name"]}, user=user["name"], name="t"
    )["token"]
    return {"Authorization": token}


# --- the whole path ----------------------------------------------------------------------


def _box_state(page: str) -> str | None:
    """Where the price box says the viewer stands (``data-state``)."""
    box = BeautifulSoup(page, "html.parser").find("section", {"class": "pricing-box"})
    return box["data-state"] if box else None


def test_the_price_box_for_a_visitor_and_for_the_seller(app: Any, shop: Shop) -> None:
    visitor = app.get(f"/dataset/{shop.dataset['name']}").get_data(as_text=True)
    assert _box_state(visitor) == "visitor" and "/user/login" in visitor
    seller = shop_token(shop.users["seller_editor"])
    page = app.get(f"/dataset/{shop.dataset['name']}", headers=seller).get_data(as_text=True)
    assert _box_state(page) == "publisher" and 'class="pricing-buy' not in page


def test_buyer_goes_from_buy_to_an_entitlement(app: Any, shop: Shop) -> None:
    buyer = _buyer()
    headers = shop_token(buyer)
    page = app.get(f"/dataset/{shop.dataset['name']}", headers=headers).get_data(as_text=True)
    assert _box_state(page) == "buy"
    form = BeautifulSoup(page, "html.parser").find("form", {"class": "pricing-buy"})
    assert form is not None, "the price box offers a Buy button"
    token = form.find("input", {"name": "_csrf_token"})["value"]
    response = app.post(
        form["action"],
        data={"_csrf_token": token, "offer_id": "standard"},
        headers=headers,
        follow_redirects=False,
    )
    assert response.status_code == 302
    assert response.headers["Location"].startswith(
        "https://checkout.stripe.com/"
    )  # stripe-mock's session
    order = model.Session.query(Order).filter(Order.buyer_id == buyer["id"]).one()
    assert order.state == "pending" and order.stripe_session_id.startswith("cs_")
    assert (order.net, order.vat, order.gross, order.charged) == (100000, 25000, 125000, 125000)
    assert not _can_download(app, shop, buyer)
    # Waiting for the payment: no second Buy, a link to the order
    page = app.get(f"/dataset/{shop.dataset['name']}", headers=headers).get_data(as_text=True)
    assert _box_state(page) == "pending" and 'class="pricing-buy' not in page
    assert f"/pricing/orders/{order.id}" in page

    assert _deliver(app, se.completed(order)).status_code == 200
    assert _state(order) == "fulfilled"
    assert len(_entitlements(order)) == 1
    assert _can_download(app, shop, buyer)
    # Paid: "you have access until ..." and the downloads, never Buy again
    page = app.get(f"/dataset/{shop.dataset['name']}", headers=headers).get_data(as_text=True)
    assert _box_state(page) == "access" and 'class="pricing-buy' not in page
    downloads = BeautifulSoup(page, "html.parser").select(".pricing-downloads a")
    assert downloads and all(a["href"] for a in downloads)
    receipt = app.get(f"/pricing/checkout/{order.id}/success", headers=headers).get_data(
        as_text=True
    )
    assert "Paid" in receipt and "1,250.00" in receipt
    # A second Buy is refused: the buyer holds the data already.
    with pytest.raises(tk.ValidationError) as error:
        _checkout(shop, buyer)
    assert "already have access" in str(error.value.error_dict["offer_id"])


def test_a_second_click_reuses_the_pending_order(shop: Shop) -> None:
    buyer = _buyer()
    first, second = _checkout(shop, buyer), _checkout(shop, buyer)
    assert first.id == second.id
    assert model.Session.query(Order).filter(Order.buyer_id == buyer["id"]).count() == 1


def test_an_editor_buys_for_their_organisation(app: Any, shop: Shop) -> None:
    buyer = shop.users["org_buyer"]
    order = _checkout(shop, buyer, holder_type="organization", holder=shop.buyer_org["name"])
    assert (order.holder_type, order.holder_id) == ("organization", shop.buyer_org["id"])
    assert _deliver(app, se.completed(order)).status_code == 200
    [entitlement] = _entitlements(order)
    assert (entitlement.holder_type, entitlement.holder_id) == (
        "organization",
        shop.buyer_org["id"],
    )


# --- exactly once, in any order ------------------------------------------------------------


def test_the_same_event_ten_times_grants_once(app: Any, shop: Shop) -> None:
    order = _checkout(shop, _buyer())
    event = se.completed(order)
    outcomes = [_deliver(app, event).get_json()["outcome"] for _ in range(10)]
    assert outcomes[0].startswith("pending->fulfilled") and outcomes[1:] == ["duplicate"] * 9
    assert len(_entitlements(order)) == 1
    assert model.Session.query(StripeEvent).filter(StripeEvent.id == event["id"]).count() == 1


def _post_from_processes(
    path: str,
    body: bytes,
    headers: dict[str, str],
    times: int,
    processes: int,
    login: tuple[str, ...] = (),
) -> list[int]:
    """POST from several processes of their own, started together; their status codes."""
    with tempfile.NamedTemporaryFile("wb", suffix=".body", delete=False) as f:
        f.write(body)
    script = Path(__file__).with_name("wsgi_post.py")
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                str(script),
                tk.config["__file__"],
                path,
                f.name,
                json.dumps(headers),
                str(times),
                *login,
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    try:
        for proc in procs:
            assert proc.stdout.readline().strip() == "ready"
        for proc in procs:
            proc.stdin.write("go\n")
            proc.stdin.flush()
        return [s for proc in procs for s in json.loads(proc.stdout.readline())]
    finally:
        for proc in procs:
            proc.wait(timeout=60)
        os.unlink(f.name)


def test_the_same_event_from_two_processes_at_once_grants_once(shop: Shop) -> None:
    order = _checkout(shop, _buyer())
    body, headers = se.signed(se.completed(order))
    assert _post_from_processes(WEBHOOK, body, headers, times=10, processes=2) == [200] * 20
    assert _state(order) == "fulfilled"
    assert len(_entitlements(order)) == 1
    assert model.Session.query(StripeEvent).filter(StripeEvent.order_id == order.id).count() == 1


def test_a_refund_that_arrives_before_its_payment_still_wins(app: Any, shop: Shop) -> None:
    buyer = _buyer()
    order = _checkout(shop, buyer)
    refund, paid = se.refunded(order), se.completed(order)
    assert _deliver(app, refund).get_json()["outcome"] == "parked"
    assert _deliver(app, paid).status_code == 200
    assert _state(order) == "refunded"
    [entitlement] = _entitlements(order)
    assert entitlement.revoked_at is not None and entitlement.revoke_reason == "Payment refunded"
    assert not _can_download(app, shop, buyer)
    # Both again, in the other order: nothing moves.
    assert _deliver(app, paid).get_json()["outcome"] == "duplicate"
    assert _deliver(app, refund).get_json()["outcome"] == "duplicate"
    assert _state(order) == "refunded" and len(_entitlements(order)) == 1


def test_a_replay_a_day_later(app: Any, shop: Shop) -> None:
    order = _checkout(shop, _buyer())
    event = se.completed(order)
    assert _deliver(app, event).status_code == 200
    day_ago = int(time.time()) - 86400
    stale = _deliver(app, event, timestamp=day_ago)  # the original signature, replayed
    assert stale.status_code == 400 and "tolerance" in stale.get_json()["error"].lower()
    resent = _deliver(app, event)  # Stripe's own re-send, signed anew
    assert resent.status_code == 200 and resent.get_json()["outcome"] == "duplicate"
    assert _state(order) == "fulfilled" and len(_entitlements(order)) == 1


def test_bad_signature_stale_timestamp_and_wrong_amount_grant_nothing(app: Any, shop: Shop) -> None:
    order = _checkout(shop, _buyer())
    forged = _deliver(app, se.completed(order), secret="whsec_not_the_portals")
    assert forged.status_code == 400
    stale = _deliver(app, se.completed(order), timestamp=int(time.time()) - 3600)
    assert stale.status_code == 400
    cheap = _deliver(app, se.completed(order, amount=100))
    assert cheap.status_code == 200 and cheap.get_json()["outcome"].startswith(
        "rejected: Amount mismatch"
    )
    euro = _deliver(app, se.completed(order, currency="EUR"))
    assert euro.get_json()["outcome"].startswith("rejected")
    assert _state(order) == "pending" and _entitlements(order) == []
    assert "mismatch" in Order.get(order.id).note


@pytest.mark.parametrize(
    "make, reason",
    [(se.refunded, "Payment refunded"), (se.disputed, "Payment disputed (fraudulent)")],
)
def test_refund_or_dispute_revokes_with_its_reason(
    app: Any, shop: Shop, make: Any, reason: str
) -> None:
    buyer = _buyer()
    order = _checkout(shop, buyer)
    _deliver(app, se.completed(order))
    assert _can_download(app, shop, buyer)
    assert _deliver(app, make(order)).status_code == 200
    assert _state(order) in ("refunded", "disputed")
    [entitlement] = _entitlements(order)
    assert entitlement.revoke_reason == reason
    assert not _can_download(app, shop, buyer)
    mine = helpers.call_action("pricing_entitlement_list", context={"user": buyer["name"]})
    assert [e["revoke_reason"] for e in mine] == [reason]  # the buyer sees why


def test_subscription_renewal_extends_and_cancellation_ends(app: Any, shop: Shop) -> None:
    order = _checkout(shop, _buyer(), offer="quarterly")
    assert order.offer["kind"] == "subscription" and order.charged == 37500  # 300 kr + 25 % VAT
    _deliver(app, se.completed(order))
    [entitlement] = _entitlements(order)
    first_end = entitlement.valid_until
    assert first_end is not None and first_end > dt.datetime.now(dt.UTC).replace(
        tzinfo=None
    ) + dt.timedelta(days=85)
    renewal_end = int((first_end + dt.timedelta(days=92)).replace(tzinfo=dt.UTC).timestamp())
    assert _deliver(app, se.invoice_paid(order, renewal_end)).status_code == 200
    [entitlement] = _entitlements(order)
    assert entitlement.valid_until == dt.datetime.fromtimestamp(renewal_end, dt.UTC).replace(
        tzinfo=None
    )
    assert _deliver(app, se.subscription_deleted(order, renewal_end)).status_code == 200
    [entitlement] = _entitlements(order)
    assert entitlement.valid_until == dt.datetime.fromtimestamp(renewal_end, dt.UTC).replace(
        tzinfo=None
    )  # paid period kept
    assert entitlement.revoked_at is None and _state(order) == "fulfilled"


def test_a_blocked_buyer_who_paid_is_marked_for_refund_not_granted(app: Any, shop: Shop) -> None:
    buyer = _buyer()
    order = _checkout(shop, buyer)
    helpers.call_action(
        "member_create",
        id=shop.rival_org["id"],
        object=buyer["name"],
        object_type="user",
        capacity="member",
    )
    page = app.get(f"/dataset/{shop.dataset['name']}", headers=shop_token(buyer))
    assert _box_state(page.get_data(as_text=True)) == "blocked"
    _deliver(app, se.completed(order))
    model.Session.expire_all()
    row = Order.get(order.id)
    assert row.state == "paid" and "Refund" in row.note and _entitlements(order) == []


# --- lost webhooks --------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def paid_stripe(tmp_path: Path) -> Iterator[Any]:
    """A second stripe-mock whose fixtures say every checkout session is complete and
    paid: Stripe's answer about an order whose webhook was lost."""

    def start(amount: int, currency: str) -> str:
        fixtures = json.loads(Path(os.environ["CDX_STRIPE_MOCK_FIXTURES"]).read_text())
        fixtures["resources"]["checkout.session"].update(
            status="complete",
            payment_status="paid",
            amount_subtotal=amount,
            amount_total=amount,
            currency=currency.lower(),
            payment_intent="pi_reconciled",
        )
        # stripe-mock's fixture holds made-up totals (a tax of more than a billion): a
        # paid session of this amount holds no tax
        fixtures["resources"]["checkout.session"].setdefault("total_details", {})
        fixtures["resources"]["checkout.session"]["total_details"].update(
            amount_tax=0, amount_discount=0, amount_shipping=0
        )
        path = tmp_path / "fixtures.json"
        path.write_text(json.dumps(fixtures))
        port = _free_port()
        procs.append(
            subprocess.Popen(
                [
                    os.environ["CDX_STRIPE_MOCK_BIN"],
                    "-http-addr",
                    f"127.0.0.1:{port}",
                    "-https-unix",
                    str(tmp_path / "https.sock"),
                    "-fixtures",
                    str(path),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    return f"http://127.0.0.1:{port}"
            assert procs[-1].poll() is None, "stripe-mock exited"
            time.sleep(0.05)  # polling with a deadline, not waiting a fixed time
        raise AssertionError("stripe-mock did not start")

    procs: list[subprocess.Popen[bytes]] = []
    yield start
    for proc in procs:
        proc.terminate()
        proc.wait(timeout=10)


def _ini_with(tmp_path: Path, **options: str) -> str:
    """A copy of the test ini with some options changed, for a CLI run."""
    text = Path(tk.config["__file__"]).read_text()
    for key, value in options.items():
        text, count = re.subn(rf"^{re.escape(key)}\s*=.*$", f"{key} = {value}", text, flags=re.M)
        assert count == 1, key
    path = tmp_path / "override.ini"
    path.write_text(text)
    return str(path)


def test_reconcile_fulfils_an_order_whose_webhook_was_lost_once(
    shop: Shop, cli: Any, paid_stripe: Any, tmp_path: Path, ckan_config: Any
) -> None:
    from ckan.cli.cli import ckan

    order = _checkout(shop, _buyer())
    base = paid_stripe(order.charged, order.currency)
    # The CLI loads its own configuration; ckan_config puts it back after the test.
    key = "ckanext.pricing.stripe.api_base"
    ini = _ini_with(tmp_path, **{key: base})
    first = cli.invoke(ckan, ["-c", ini, "pricing", "reconcile", "--order", order.id])
    assert first.exit_code == 0, first.output
    assert "1 fulfilled" in first.output and "Reconciling 1 pending orders" in first.output
    assert _state(order) == "fulfilled" and len(_entitlements(order)) == 1
    again = cli.invoke(ckan, ["-c", ini, "pricing", "reconcile", "--since-hours", "1"])
    # Other tests' pending orders may be reconciled too (and fail against this fixture's
    # session, exit 1): what counts is that nothing crashed and this order was left alone.
    assert again.exit_code in (0, 1) and isinstance(again.exception, (SystemExit, type(None)))
    assert "Reconciling" in again.output, again.output
    assert order.id not in again.output  # no longer pending: not even looked at
    assert len(_entitlements(order)) == 1
    # ...and the webhook arriving late after all changes nothing either.
    late = helpers.call_action("pricing_stripe_event_apply", event=se.completed(order))
    assert late["outcome"].endswith("none")
    assert len(_entitlements(order)) == 1


def test_reconcile_leaves_unpaid_orders_pending(shop: Shop, cli: Any) -> None:
    from ckan.cli.cli import ckan

    order = _checkout(shop, _buyer())
    result = cli.invoke(ckan, ["pricing", "reconcile", "--order", order.id])
    assert result.exit_code == 0 and "not paid" in result.output  # stripe-mock: open, unpaid
    assert _state(order) == "pending"


# --- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data, field",
    [
        ({"offer_id": "no-such-offer"}, "offer_id"),
        ({"offer_id": ""}, "offer_id"),
        ({"holder_type": "organization", "holder": "no-such-org"}, "holder"),
        ({"holder_type": "alien"}, "holder_type"),
    ],
)
def test_bad_checkout_input_is_a_field_error(
    app: Any, shop: Shop, data: dict[str, Any], field: str
) -> None:
    body = dict({"package_id": shop.dataset["id"], "offer_id": "standard"}, **data)
    response = app.post(
        "/api/3/action/pricing_checkout_create", json=body, headers=shop_token(_buyer())
    )
    assert response.status_code == 409
    assert field in response.get_json()["error"]


@pytest.mark.parametrize(
    "persona, field",
    [("seller_editor", "package_id"), ("seller_admin", "package_id"), ("rival", "holder")],
)
def test_own_dataset_and_blocked_organisations_are_refused(
    app: Any, shop: Shop, persona: str, field: str
) -> None:
    body = {"package_id": shop.dataset["id"], "offer_id": "standard"}
    response = app.post(
        "/api/3/action/pricing_checkout_create", json=body, headers=shop_token(shop.users[persona])
    )
    assert response.status_code == 409 and field in response.get_json()["error"]


def test_checkout_needs_a_login_and_a_visible_priced_dataset(app: Any, shop: Shop) -> None:
    body = {"package_id": shop.dataset["id"], "offer_id": "standard"}
    assert app.post("/api/3/action/pricing_checkout_create", json=body).status_code == 403
    missing = app.post(
        "/api/3/action/pricing_checkout_create",
        json=dict(body, package_id="nope"),
        headers=shop_token(_buyer()),
    )
    assert missing.status_code == 409 and "package_id" in missing.get_json()["error"]
    open_ds = factories.Dataset(owner_org=shop.org["id"])
    response = app.post(
        "/api/3/action/pricing_checkout_create",
        json=dict(body, package_id=open_ds["id"]),
        headers=shop_token(_buyer()),
    )
    assert response.status_code == 409 and "open" in json.dumps(response.get_json()["error"])


@pytest.mark.parametrize(
    "body, headers",
    [
        (b"{not json", None),
        (b"[]", None),
        (b'{"type": "charge.refunded"}', None),
        ("\xff\xfe".encode("latin-1"), None),
        (b"{}", {}),
        (b"{}", {"Stripe-Signature": "garbage"}),
        (b"{}", {"Stripe-Signature": "t=abc,v1=def"}),
    ],
)
def test_malformed_webhooks_are_400_never_500(app: Any, body: bytes, headers: Any) -> None:
    if headers is None:
        text = body.decode("utf-8", errors="replace")
        import stripe

        headers = {
            "Stripe-Signature": stripe.WebhookSignature.generate_signature_header(
                text, tk.config["ckanext.pricing.stripe.webhook_secret"]
            )
        }
    response = app.post(WEBHOOK, data=body, headers=headers)
    assert response.status_code == 400
    assert response.get_json()["error"]


def test_a_huge_webhook_body_is_refused(app: Any) -> None:
    response = app.post(
        WEBHOOK, data=b"x" * (1024 * 1024 + 1), headers={"Stripe-Signature": "t=1,v1=x"}
    )
    assert response.status_code == 413


def test_the_webhook_is_exempt_from_csrf_and_the_buy_form_is_not(shop: Shop) -> None:
    """Through the production WSGI app: a form post without its CSRF token is refused,
    the signed webhook (which has none) is taken."""
    assert tk.asbool(tk.config.get("ckan.csrf_protection.ignore_extensions")) is False
    order = _checkout(shop, _buyer())
    buyer = factories.User(password="correct-horse-battery")
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    assert _post_from_processes(
        f"/dataset/{shop.dataset['name']}/buy",
        b"offer_id=standard",
        form,
        times=1,
        processes=1,
        login=(buyer["name"], "correct-horse-battery"),
    ) == [400]
    assert model.Session.query(Order).filter(Order.buyer_id == buyer["id"]).count() == 0
    body, headers = se.signed(se.completed(order))
    assert _post_from_processes(WEBHOOK, body, headers, times=1, processes=1) == [200]
    assert _state(order) == "fulfilled"


# --- who sees what ---------------------------------------------------------------------------


def _allowed(name: str, user: str, **data: Any) -> bool:
    try:
        helpers.call_auth(name, {"user": user, "model": model}, **data)
        return True
    except tk.NotAuthorized:
        return False


def test_orders_are_private_to_buyer_and_seller(shop: Shop) -> None:
    buyer = _buyer()
    order = _checkout(shop, buyer)
    allowed = {
        persona: _allowed("pricing_order_show", shop.users[persona]["name"], id=order.id)
        for persona in ("seller_editor", "seller_admin", "seller_member", "rival", "outsider")
    }
    assert allowed == {
        "seller_editor": True,
        "seller_admin": True,
        "seller_member": False,
        "rival": False,
        "outsider": False,
    }
    assert _allowed("pricing_order_show", buyer["name"], id=order.id)
    assert not _allowed("pricing_order_show", "", id=order.id)
    mine = helpers.call_action(
        "pricing_order_list", context={"user": buyer["name"], "ignore_auth": False}
    )
    assert [o["id"] for o in mine] == [order.id]
    assert "platform_fee" not in mine[0]
    other = helpers.call_action(
        "pricing_order_list", context={"user": shop.users["outsider"]["name"]}
    )
    assert order.id not in [o["id"] for o in other]


@pytest.mark.parametrize(
    "action", ["pricing_sales_list", "pricing_sales_summary", "pricing_connect_status"]
)
def test_sales_are_for_the_seller_editors(shop: Shop, action: str) -> None:
    allowed = {
        persona
        for persona in (
            "seller_editor",
            "seller_admin",
            "seller_member",
            "rival",
            "outsider",
            "sysadmin",
        )
        if _allowed(action, shop.users[persona]["name"], organization_id=shop.org["id"])
    }
    assert allowed == {"seller_editor", "seller_admin", "sysadmin"}
    assert not _allowed(action, "", organization_id=shop.org["id"])


@pytest.mark.parametrize(
    "action, data",
    [
        ("pricing_stripe_event_apply", {"event": {}}),
        ("pricing_order_reconcile", {"id": "x"}),
        ("pricing_order_list", {"all": True}),
    ],
)
def test_operator_actions_are_for_sysadmins(shop: Shop, action: str, data: dict[str, Any]) -> None:
    for persona in ("seller_admin", "seller_editor", "rival", "outsider"):
        assert not _allowed(action, shop.users[persona]["name"], **data)
    assert _allowed(action, shop.users["sysadmin"]["name"], **data)


def test_payment_events_cannot_be_posted_through_the_api(app: Any, shop: Shop) -> None:
    order = _checkout(shop, _buyer())
    response = app.post(
        "/api/3/action/pricing_stripe_event_apply",
        json={"event": se.completed(order)},
        headers=shop_token(shop.users["seller_admin"]),
    )
    assert response.status_code == 403 and _state(order) == "pending"


def test_sales_page_chart_and_csv(app: Any, shop: Shop) -> None:
    order = _checkout(shop, _buyer())
    _deliver(app, se.completed(order))
    headers = shop_token(shop.users["seller_editor"])
    page = app.get(f"/organization/sales/{shop.org['name']}", headers=headers)
    assert page.status_code == 200
    soup = BeautifulSoup(page.get_data(as_text=True), "html.parser")
    assert soup.select("svg.pricing-chart rect"), "a bar per month"
    assert soup.select("tr.pricing-order-fulfilled")
    org_page = app.get(f"/organization/{shop.org['name']}", headers=headers).get_data(as_text=True)
    assert f"/organization/sales/{shop.org['name']}" in org_page  # the Sales tab
    csv_response = app.get(f"/organization/sales/{shop.org['name']}/export.csv", headers=headers)
    assert csv_response.status_code == 200 and csv_response.mimetype == "text/csv"
    lines = csv_response.get_data(as_text=True).splitlines()
    assert lines[0].startswith("created,paid_at,id,state") and any(
        order.id in line for line in lines[1:]
    )
    for persona in ("seller_member", "outsider"):
        assert (
            app.get(
                f"/organization/sales/{shop.org['name']}", headers=shop_token(shop.users[persona])
            ).status_code
            == 403
        )
    assert app.get(f"/organization/sales/{shop.org['name']}/export.csv").status_code == 403
    summary = helpers.call_action("pricing_sales_summary", organization_id=shop.org["id"])
    assert summary["states"]["fulfilled"] >= 1 and summary["months"][-1]["currency"] == "DKK"


def test_buyer_pages_orders_and_receipt(app: Any, shop: Shop) -> None:
    buyer = _buyer()
    order = _checkout(shop, buyer)
    headers = shop_token(buyer)
    cancel = app.get(f"/pricing/checkout/{order.id}/cancel", headers=headers).get_data(as_text=True)
    assert "Nothing was charged" in cancel
    listing = app.get("/pricing/orders", headers=headers).get_data(as_text=True)
    assert order.id in listing and "Awaiting payment" in listing
    receipt = app.get(f"/pricing/orders/{order.id}", headers=headers).get_data(as_text=True)
    assert "VAT" in receipt and "Internal" in receipt  # licence title
    assert (
        app.get(
            f"/pricing/orders/{order.id}", headers=shop_token(shop.users["outsider"])
        ).status_code
        == 404
    )
    assert app.get(f"/pricing/orders/{order.id}", follow_redirects=False).status_code == 302
    assert app.get(f"/pricing/checkout/{order.id}/other", headers=headers).status_code == 404


def test_danish_receipt(app: Any, shop: Shop) -> None:
    buyer = _buyer()
    order = _checkout(shop, buyer)
    page = app.get(f"/da_DK/pricing/orders/{order.id}", headers=shop_token(buyer)).get_data(
        as_text=True
    )
    assert "Kvittering" in page and "moms" in page.lower()


# --- secrets ---------------------------------------------------------------------------------


def test_stripe_secrets_appear_in_no_response(app: Any, shop: Shop, ckan_config: Any) -> None:
    secret_key = "sk_test_" + shop.marker
    webhook_secret = "whsec_" + shop.marker
    ckan_config["ckanext.pricing.stripe.secret_key"] = secret_key
    ckan_config["ckanext.pricing.stripe.webhook_secret"] = webhook_secret
    buyer = _buyer()
    headers = shop_token(buyer)
    seller = shop_token(shop.users["seller_admin"])
    responses = [
        app.post(
            "/api/3/action/pricing_checkout_create",
            headers=headers,
            json={"package_id": shop.dataset["id"], "offer_id": "standard"},
        ),
        app.post(
            "/api/3/action/pricing_checkout_create",
            headers=headers,
            json={"package_id": shop.dataset["id"], "offer_id": "nope"},
        ),
    ]
    order = model.Session.query(Order).filter(Order.buyer_id == buyer["id"]).one()
    body, sig = se.signed(se.completed(order), secret=webhook_secret)
    responses += [
        app.post(WEBHOOK, data=body, headers=sig),
        app.post(WEBHOOK, data=body, headers={"Stripe-Signature": "t=1,v1=00"}),
        app.get(f"/api/3/action/pricing_order_show?id={order.id}", headers=headers),
        app.get("/api/3/action/pricing_order_list", headers=headers),
        app.get(
            f"/api/3/action/pricing_sales_list?organization_id={shop.org['id']}", headers=seller
        ),
        app.get(
            f"/api/3/action/pricing_connect_status?organization_id={shop.org['id']}", headers=seller
        ),
        app.get(f"/api/3/action/package_show?id={shop.dataset['id']}", headers=headers),
        app.get(f"/dataset/{shop.dataset['name']}", headers=headers),
        app.get(f"/pricing/orders/{order.id}", headers=headers),
        app.get("/pricing/orders", headers=headers),
        app.get(f"/organization/sales/{shop.org['name']}", headers=seller),
        app.get(
            "/api/3/action/config_option_show?key=ckanext.pricing.stripe.secret_key",
            headers=shop_token(shop.users["sysadmin"]),
        ),
    ]
    for response in responses:
        assert response.status_code < 500
        assert shop.marker not in response.get_data(as_text=True)
    assert _state(order) == "fulfilled"  # the webhook worked with the marked secret


# --- seller payouts and tax modes --------------------------------------------------------------


@pytest.mark.ckan_config("ckanext.pricing.stripe.connect", True)
@pytest.mark.ckan_config("ckanext.pricing.platform_fee_percent", "7.5")
def test_connect_onboarding_then_destination_charges(app: Any, shop: Shop) -> None:
    admin = {"user": shop.users["seller_admin"]["name"], "ignore_auth": False}
    with pytest.raises(tk.NotAuthorized):
        helpers.call_action(
            "pricing_connect_onboard",
            context={"user": shop.users["seller_editor"]["name"], "ignore_auth": False},
            organization_id=shop.org["id"],
        )
    # Not onboarded yet: buyers get a clear refusal, not a payment to the wrong account.
    with pytest.raises(tk.ValidationError) as refused:
        _checkout(shop, _buyer())
    assert "payment" in refused.value.error_dict
    onboard = helpers.call_action(
        "pricing_connect_onboard", context=admin, organization_id=shop.org["id"]
    )
    assert (
        onboard["url"].startswith("https://")
        and onboard["connected"]
        and not onboard["charges_enabled"]
    )
    from ckanext.pricing.model import SellerAccount

    account = model.Session.get(SellerAccount, shop.org["id"])
    # Stripe reports the finished onboarding with a signed account.updated event.
    update = se.event(
        "account.updated",
        {
            "id": account.stripe_account,
            "object": "account",
            "charges_enabled": True,
            "payouts_enabled": True,
        },
    )
    assert _deliver(app, update).get_json()["outcome"] == "account updated"
    status = helpers.call_action(
        "pricing_connect_status", context=admin, organization_id=shop.org["id"]
    )
    assert status["charges_enabled"] and status["payouts_enabled"]
    order = _checkout(shop, _buyer())  # stripe-mock checks the destination-charge parameters
    assert (
        order.stripe_account == account.stripe_account and order.platform_fee == 9375
    )  # 7.5 % of 1,250 kr
    sub = _checkout(shop, _buyer(), offer="quarterly")
    assert sub.stripe_account == account.stripe_account
    seller_view = helpers.call_action("pricing_order_show", context=admin, id=order.id)
    buyer_view = helpers.call_action(
        "pricing_order_show",
        context={"user": model.User.get(order.buyer_id).name, "ignore_auth": False},
        id=order.id,
    )
    assert seller_view["platform_fee"] == 9375 and "platform_fee" not in buyer_view


@pytest.mark.ckan_config("ckanext.pricing.vat_mode", "stripe_tax")
def test_stripe_tax_mode_charges_the_net_price(shop: Shop, ckan_config: Any) -> None:
    one_off = _checkout(shop, _buyer())  # 1,250 kr incl. VAT: charged as is, tax-inclusive
    assert (one_off.charged, one_off.vat_mode) == (125000, "stripe_tax")
    sub = _checkout(shop, _buyer(), offer="quarterly")  # 300 kr excl. VAT: Stripe adds the tax
    assert (sub.net, sub.charged) == (30000, 30000)


@pytest.mark.ckan_config("ckanext.pricing.stripe.secret_key", "")
def test_payments_switched_off_hide_the_buy_button(app: Any, shop: Shop) -> None:
    buyer = _buyer()
    page = app.get(f"/dataset/{shop.dataset['name']}", headers=shop_token(buyer)).get_data(
        as_text=True
    )
    assert "pricing-buy" not in page and "contact the seller" in page
    with pytest.raises(tk.ValidationError) as error:
        _checkout(shop, buyer)
    assert "not set up" in str(error.value.error_dict["payment"])


def test_cli_test_webhook_refuses_live_keys_and_unknown_orders(
    cli: Any, tmp_path: Path, ckan_config: Any
) -> None:
    from ckan.cli.cli import ckan

    key = "ckanext.pricing.stripe.secret_key"  # ckan_config puts back what the CLI sets
    live = cli.invoke(
        ckan, ["-c", _ini_with(tmp_path, **{key: "sk_live_x"}), "pricing", "test-webhook", "x"]
    )
    assert live.exit_code != 0 and "test mode only" in live.output
    unknown = cli.invoke(ckan, ["pricing", "test-webhook", "no-such-order"])
    assert unknown.exit_code != 0 and "no order" in unknown.output
