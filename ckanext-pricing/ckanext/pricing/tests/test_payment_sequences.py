"""Payments that end right in every order of events: a Hypothesis state machine.

One order per run (a one-off purchase or a subscription, bought through stripe-mock).
The machine tells a story as Stripe would (checkout, receipt invoices, first and renewal
invoices with their own payment intents and charges, full and partial refunds, disputes
opened and closed won or lost, expired sessions, a cancelled subscription) and queues each
event; it then delivers queued events in any order, duplicates delivered ones, delivers
two at once from two threads through the production WSGI app, and runs reconcile. After
every step it checks the buyer's access and the order's state against a small reference
model written here, independently of the rules in ``orders.py``.

Nothing is mocked but Stripe's API (stripe-mock); events are signed as Stripe signs them.
``CDX_STATEFUL_EXAMPLES`` raises the number of runs (``make test`` keeps it small and the
same every time; ``CDX_STATEFUL_RANDOM=1`` draws new ones).
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import ckan.plugins.toolkit as tk
import pytest
from ckan import model, plugins
from ckan.tests import factories, helpers
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from werkzeug.test import Client

from ckanext.cityexchange import compat
from ckanext.pricing.model import Entitlement, Order, StripeEvent
from ckanext.pricing.tests import stripe_events as se

pytestmark = pytest.mark.module_plugins
WEBHOOK = "/pricing/stripe/webhook"
EXAMPLES = int(os.environ.get("CDX_STATEFUL_EXAMPLES", "25"))
STEPS = int(os.environ.get("CDX_STATEFUL_STEPS", "25"))


@pytest.fixture(scope="module")
def market(reset_portal_db: Any, reset_index: Any) -> Iterator[dict[str, Any]]:
    plugins.load_all()
    reset_portal_db()
    reset_index()
    seller = factories.User()
    org = factories.Organization(users=[{"name": seller["name"], "capacity": "admin"}])
    dataset = helpers.call_action(
        "package_create",
        context={"user": seller["name"]},
        name=f"seq-{uuid.uuid4().hex[:8]}",
        title="Bike trips",
        owner_org=org["id"],
        access_tier="priced",
        offers=[
            {
                "id": "once",
                "kind": "one_off",
                "amount": 100000,
                "currency": "DKK",
                "vat_included": True,
                "licence": "internal-use",
            },
            {
                "id": "monthly",
                "kind": "subscription",
                "period_months": 1,
                "amount": 20000,
                "currency": "DKK",
                "vat_included": True,
                "licence": "internal-use",
            },
        ],
        resources=[{"name": "Full", "url": "http://example.com/full.csv", "access": "locked"}],
    )
    from ckan.cli import load_config
    from ckan.config.middleware import make_app

    production = make_app(load_config(tk.config["__file__"]))
    yield {"dataset": dataset, "production": production}
    compat.unload_plugins()


# --- the reference model -------------------------------------------------------------------


@dataclass(frozen=True)
class OrderRef:
    """What the events need of an order (plain values: ORM rows do not outlive a request)."""

    id: str
    charged: int
    currency: str
    offer: dict[str, Any]
    stripe_session_id: str

    @classmethod
    def of(cls, order: Order) -> OrderRef:
        return cls(
            order.id, order.charged, order.currency, dict(order.offer), order.stripe_session_id
        )


@dataclass
class Story:
    """What happened at Stripe, and what the portal must conclude from what it was told."""

    order: OrderRef
    subscription: bool
    queued: list[dict[str, Any]] = field(default_factory=list)
    delivered: list[dict[str, Any]] = field(default_factory=list)
    charges: list[tuple[str, str]] = field(default_factory=list)  # (charge, payment intent) paid
    disputes: list[tuple[str, str]] = field(default_factory=list)  # (dispute, charge)
    # the reference model's own state
    known: set[str] = field(default_factory=set)
    parked: list[dict[str, Any]] = field(default_factory=list)
    state: str = "pending"
    granted: bool = False
    revoked: bool = False
    until: dt.datetime | None = None
    decided: set[str] = field(default_factory=set)
    refunded: dict[str, int] = field(default_factory=dict)
    revoker: str | None = None  # who revoked the entitlement: "order" (refund, dispute) or another
    # What the order's source adds (a deal room, see dealroom's deal machine): whether a
    # payment can still be delivered, and what the source is told ("grant", "revoke",
    # "restore").
    undeliverable: Callable[[], bool] = lambda: False
    told: Callable[[str], None] = lambda effect: None


def _obj(event: dict[str, Any]) -> dict[str, Any]:
    return event["data"]["object"]


def _refs(event: dict[str, Any]) -> set[str]:
    o = _obj(event)
    keys = ("id", "payment_intent", "subscription", "invoice", "charge")
    return {o[k] for k in keys if isinstance(o.get(k), str) and o.get(k)}


def _names_order(story: Story, event: dict[str, Any]) -> bool:
    o = _obj(event)
    meta = [
        o.get("client_reference_id"),
        (o.get("metadata") or {}).get("order_id"),
        ((o.get("parent") or {}).get("subscription_details") or {})
        .get("metadata", {})
        .get("order_id"),
    ]
    return story.order.id in meta or bool(_refs(event) & story.known)


def _apply(story: Story, event: dict[str, Any]) -> None:
    """The reference model: what one event means for the order, if it is known."""
    o, kind = _obj(event), event["type"]
    paid_kinds = (
        "checkout.session.completed",
        "checkout.session.async_payment_succeeded",
        "invoice.paid",
    )
    reason = o.get("billing_reason")
    is_payment = (
        kind in ("checkout.session.completed", "checkout.session.async_payment_succeeded")
        and o.get("payment_status") == "paid"
    ) or (
        kind == "invoice.paid"
        and o.get("subscription")
        and reason in ("subscription_create", "subscription_cycle")
    )
    if kind in paid_kinds:
        story.known |= _refs(event)  # every id seen (a rejected payment teaches nothing)
    if story.state == "refunded":
        return
    if is_payment:
        if story.state in ("pending", "failed"):
            if not _pays(story):
                return
            if story.subscription:
                end = (
                    max(line["period"]["end"] for line in o["lines"]["data"])
                    if kind == "invoice.paid"
                    else None
                )
                story.until = (
                    dt.datetime.fromtimestamp(end, dt.UTC).replace(tzinfo=None) if end else None
                )
        elif (
            story.state == "fulfilled" and kind == "invoice.paid" and reason == "subscription_cycle"
        ):
            end = dt.datetime.fromtimestamp(
                max(line["period"]["end"] for line in o["lines"]["data"]), dt.UTC
            ).replace(tzinfo=None)
            if story.until is None or story.until < end:
                story.until = end
        return
    if kind in ("checkout.session.expired", "checkout.session.async_payment_failed"):
        if story.state == "pending":
            story.state = "failed"
    elif kind == "charge.refunded":
        if o["refunded"]:
            if story.state in ("fulfilled", "disputed"):
                _revoke(story)
            story.state = "refunded"
        else:
            story.refunded[o["id"]] = max(story.refunded.get(o["id"], 0), o["amount_refunded"])
    elif kind == "charge.dispute.created":
        if o["id"] in story.decided:
            return
        if story.state == "fulfilled":
            _revoke(story)
        story.state = "disputed"
    elif kind == "charge.dispute.closed":
        story.decided.add(o["id"])
        if o["status"] == "won" and story.state == "disputed" and not story.granted:
            _pays(story)  # a dispute over a payment whose own event the disputed order ignored
        elif o["status"] == "won" and story.state == "disputed":
            story.state = "fulfilled"
            if story.revoker == "order":  # only its own revocation is undone
                story.revoked, story.revoker = False, None
                story.told("restore")
    elif kind == "customer.subscription.deleted" and story.state == "fulfilled":
        end = dt.datetime.fromtimestamp(
            o["items"]["data"][0]["current_period_end"], dt.UTC
        ).replace(tzinfo=None)
        if story.until is None or story.until > end:
            story.until = end


def _pays(story: Story) -> bool:
    """A payment for an order not granted yet: access, or (its source can no longer
    deliver) the money back."""
    if story.undeliverable():
        story.state = "refunded"
        return False
    story.state, story.granted = "fulfilled", True
    story.revoked, story.revoker = False, None
    story.told("grant")
    return True


def _revoke(story: Story) -> None:
    if story.granted:
        story.told("revoke")
    if not story.revoked:
        story.revoked, story.revoker = True, "order"


def _receive(story: Story, event: dict[str, Any]) -> None:
    """Parking as the portal does it: an event naming no known order waits for one."""
    if not _names_order(story, event):
        story.parked.append(event)
        return
    _apply(story, event)
    progress = True
    while progress:
        progress = False
        for waiting in list(story.parked):
            if _names_order(story, waiting):
                story.parked.remove(waiting)
                _apply(story, waiting)
                progress = True


# --- the machine ----------------------------------------------------------------------------


class PaymentSequences(RuleBasedStateMachine):
    market: dict[str, Any] = {}
    app: Any = None
    tally: Counter[str] = Counter()  # what the runs did, printed at the end

    def __init__(self) -> None:
        super().__init__()
        buyer = factories.User()
        self.buyer = buyer
        self.subscription = False
        self.story: Story | None = None
        self.now = int(time.time())

    # the order ----------------------------------------------------------------------------
    @precondition(lambda self: self.story is None)
    @rule(subscription=st.booleans())
    def buy(self, subscription: bool) -> None:
        result = helpers.call_action(
            "pricing_checkout_create",
            context={"user": self.buyer["name"]},
            package_id=self.market["dataset"]["id"],
            offer_id="monthly" if subscription else "once",
        )
        model.Session.expire_all()
        order = OrderRef.of(Order.get(result["order_id"]))
        self.story = Story(order=order, subscription=subscription, known={order.stripe_session_id})
        self.subscription = subscription

    def _queue(self, event: dict[str, Any]) -> None:
        assert self.story is not None
        self.story.queued.append(event)

    # what Stripe does ----------------------------------------------------------------------
    @precondition(lambda self: self.story is not None and not self.story.charges)
    @rule(delayed=st.booleans())
    def pay(self, delayed: bool) -> None:
        """The buyer pays: at once, or (a one-off by bank debit) the session completes
        unpaid and the payment succeeds later."""
        story = self.story
        assert story is not None
        order = story.order
        if delayed and not story.subscription:
            self._queue(se.completed(order, payment_status="unpaid"))
            succeeded = se.completed(order)
            succeeded["type"] = "checkout.session.async_payment_succeeded"
            self._queue(succeeded)
        else:
            self._queue(se.completed(order))
        if story.subscription:
            first = f"in_first_{order.id[:8]}"
            end = self.now + 86400 * 30
            self._queue(
                se.invoice_paid(
                    order,
                    end,
                    billing_reason="subscription_create",
                    invoice=first,
                    payment_intent=f"pi_first_{order.id[:8]}",
                )
            )
            story.charges.append((f"ch_first_{order.id[:8]}", f"pi_first_{order.id[:8]}"))
        else:
            self._queue(se.receipt_invoice_paid(order))
            story.charges.append((f"ch_{order.id[:8]}", f"pi_{order.id[:8]}"))

    @precondition(
        lambda self: self.story is not None and self.story.subscription and self.story.charges
    )
    @rule()
    def renew(self) -> None:
        story = self.story
        assert story is not None
        n = len(story.charges)
        invoice = f"in_r{n}_{story.order.id[:8]}"
        self._queue(
            se.invoice_paid(
                story.order,
                self.now + 86400 * 30 * (n + 1),
                invoice=invoice,
                payment_intent=f"pi_r{n}_{story.order.id[:8]}",
            )
        )
        story.charges.append((f"ch_r{n}_{story.order.id[:8]}", f"pi_r{n}_{story.order.id[:8]}"))

    @precondition(lambda self: self.story is not None and self.story.charges)
    @rule(which=st.integers(0, 5), partial=st.booleans())
    def refund(self, which: int, partial: bool) -> None:
        story = self.story
        assert story is not None
        charge, intent = story.charges[which % len(story.charges)]
        amount = story.order.charged // 3 if partial else story.order.charged
        self._queue(se.refunded(story.order, amount=amount, charge=charge, payment_intent=intent))

    @precondition(lambda self: self.story is not None and self.story.charges)
    @rule(which=st.integers(0, 5))
    def dispute(self, which: int) -> None:
        story = self.story
        assert story is not None
        charge, intent = story.charges[which % len(story.charges)]
        dispute = f"dp_{len(story.disputes)}_{story.order.id[:8]}"
        story.disputes.append((dispute, charge))
        event = se.disputed(story.order, dispute=dispute, payment_intent=intent)
        _obj(event)["charge"] = charge
        self._queue(event)

    @precondition(lambda self: self.story is not None and self.story.disputes)
    @rule(which=st.integers(0, 5), won=st.booleans())
    def close_dispute(self, which: int, won: bool) -> None:
        story = self.story
        assert story is not None
        dispute, charge = story.disputes[which % len(story.disputes)]
        intent = dict(story.charges)[charge]
        event = se.dispute_closed(
            story.order, "won" if won else "lost", dispute=dispute, payment_intent=intent
        )
        _obj(event)["charge"] = charge
        self._queue(event)

    @precondition(lambda self: self.story is not None and not self.story.charges)
    @rule(failed=st.booleans())
    def checkout_fails(self, failed: bool) -> None:
        story = self.story
        assert story is not None
        order = story.order
        self._queue(
            se.event(
                "checkout.session.async_payment_failed" if failed else "checkout.session.expired",
                {
                    "id": order.stripe_session_id,
                    "object": "checkout.session",
                    "client_reference_id": order.id,
                    "metadata": {"order_id": order.id},
                    "status": "expired",
                    "payment_status": "unpaid",
                },
            )
        )

    @precondition(
        lambda self: self.story is not None and self.story.subscription and self.story.charges
    )
    @rule()
    def cancel(self) -> None:
        story = self.story
        assert story is not None
        self._queue(
            se.subscription_deleted(story.order, self.now + 86400 * 30 * len(story.charges))
        )

    # what the portal is told, in any order -------------------------------------------------
    def _post(self, event: dict[str, Any]) -> int:
        body, headers = se.signed(event)
        return self.app.post(WEBHOOK, data=body, headers=headers).status_code

    @precondition(lambda self: self.story is not None and self.story.queued)
    @rule(which=st.integers(0, 20))
    def deliver(self, which: int) -> None:
        story = self.story
        assert story is not None
        event = story.queued.pop(which % len(story.queued))
        assert self._post(event) == 200
        story.delivered.append(event)
        _receive(story, event)
        self.tally[event["type"]] += 1

    @precondition(lambda self: self.story is not None and self.story.delivered)
    @rule(which=st.integers(0, 20))
    def deliver_again(self, which: int) -> None:
        story = self.story
        assert story is not None
        assert self._post(story.delivered[which % len(story.delivered)]) == 200
        self.tally["duplicate"] += 1

    @precondition(lambda self: self.story is not None and len(self.story.queued) >= 2)
    @rule(which=st.integers(0, 20))
    def deliver_two_at_once(self, which: int) -> None:
        """Two events at the same moment, each on its own connection and thread, through
        the WSGI app built as in production."""
        story = self.story
        assert story is not None
        first = story.queued.pop(which % len(story.queued))
        second = story.queued.pop(0)
        # Whatever order the portal saw them in, the outcome is the same for this pair:
        # apply them to the model in the order they were recorded.
        for event in deliver_at_once(self.market["production"], [first, second]):
            story.delivered.append(event)
            _receive(story, event)
            self.tally[event["type"]] += 1
        self.tally["two at once"] += 1

    @precondition(lambda self: self.story is not None)
    @rule()
    def reconcile(self) -> None:
        story = self.story
        assert story is not None
        before = _state(story.order)
        result = helpers.call_action(
            "pricing_order_reconcile", context={"ignore_auth": True, "user": ""}, id=story.order.id
        )
        # stripe-mock reports the session as not paid: reconcile changes nothing
        assert result["state"] == before
        self.tally["reconcile"] += 1

    # what must hold after every step -------------------------------------------------------
    @invariant()
    def agrees_with_the_reference_model(self) -> None:
        story = self.story
        if story is None:
            return
        assert _state(story.order) == story.state, self._trail()
        assert _has_access(story.order) == _expected_access(story), self._trail()
        order = Order.get(story.order.id)
        assert sum((order.refunds or {}).values()) == sum(story.refunded.values()), self._trail()
        entitlements = (
            model.Session.query(Entitlement)
            .filter(Entitlement.source_ref == story.order.id)
            .count()
        )
        assert entitlements <= 1

    def _trail(self) -> str:
        story = self.story
        assert story is not None
        rows = model.Session.query(StripeEvent).filter(StripeEvent.order_id == story.order.id).all()
        return "\n".join(
            [f"{e['type']} {e['id']}" for e in story.delivered]
            + [f"  stored: {r.type} {r.outcome}" for r in rows]
        )


def _state(order: OrderRef) -> str:
    model.Session.expire_all()
    return Order.get(order.id).state


def _has_access(order: OrderRef) -> bool:
    model.Session.expire_all()
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    current = Order.get(order.id)
    entitlement = Entitlement.get(current.entitlement_id) if current.entitlement_id else None
    return bool(
        entitlement
        and entitlement.revoked_at is None
        and entitlement.valid_from <= now
        and (entitlement.valid_until is None or entitlement.valid_until > now)
    )


def _expected_access(story: Story) -> bool:
    if not story.granted or story.revoked or story.state != "fulfilled":
        return False
    return story.until is None or story.until > dt.datetime.now(dt.UTC).replace(tzinfo=None)


def deliver_at_once(production: Any, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Deliver events at the same moment, each on its own connection and thread, through
    the WSGI app built as in production; the events in the order the portal recorded
    them."""
    statuses: list[int] = []

    def post(event: dict[str, Any]) -> None:
        body, headers = se.signed(event)
        statuses.append(Client(production).post(WEBHOOK, data=body, headers=headers).status_code)

    threads = [threading.Thread(target=post, args=(event,)) for event in events]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [200] * len(events)
    model.Session.expire_all()
    received = {
        row.id: row.received
        for row in model.Session.query(StripeEvent).filter(
            StripeEvent.id.in_([e["id"] for e in events])
        )
    }
    return sorted(events, key=lambda e: received[e["id"]])


def run_machine(machine: Any, label: str, examples: int, steps: int) -> Counter[str]:
    """Run a state machine with make test's bounds; what its runs did, printed and
    returned. (dealroom's deal machine runs the same way.)"""
    # No shrinking in make test: a failing run prints its steps; shrinking can take minutes.
    phases = (
        list(Phase) if os.environ.get("CDX_STATEFUL_SHRINK") else [Phase.explicit, Phase.generate]
    )
    # make test runs the same examples every time (CDX_STATEFUL_RANDOM=1 draws new ones).
    bounded = settings(
        max_examples=examples,
        stateful_step_count=steps,
        deadline=None,
        phases=phases,
        database=None,
        derandomize=not os.environ.get("CDX_STATEFUL_RANDOM"),
        suppress_health_check=list(HealthCheck),
    )(machine)
    machine.tally.clear()
    bounded.TestCase().runTest()
    tally: Counter[str] = machine.tally
    print(
        f"\n{label}: {examples} runs; " + ", ".join(f"{k}: {v}" for k, v in sorted(tally.items()))
    )
    return tally


def test_payment_sequences_end_right(app: Any, market: dict[str, Any]) -> None:
    PaymentSequences.market = market
    PaymentSequences.app = app
    tally = run_machine(PaymentSequences, "payment sequences", EXAMPLES, STEPS)
    # the probes reached what they probe: events of every kind were delivered and checked
    assert (
        tally["checkout.session.completed"] and tally["invoice.paid"] and tally["charge.refunded"]
    ), tally
