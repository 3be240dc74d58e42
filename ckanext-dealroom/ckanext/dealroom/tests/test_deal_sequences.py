"""Deals and their card payments in every order of events: a Hypothesis state machine.

One deal room per run, opened by a fresh buyer, with the seller's offer on the table.
The machine mixes the parties' actions (accept, decline, revoke, mark paid, pay by card:
where the rules allow them, and out of turn expecting a refusal) with what Stripe does to each card order
(completed, at once or after a delayed payment, expired or failed, full and partial
refunds, disputes opened and closed won or lost), delivered in any order, duplicated, two
at once through the production WSGI app, and reconcile runs. After every step it checks
the room's state, every order's state and the buyer's access against a small reference
model written here: an order's money follows the reference model of pricing's payment
machine; what the deal adds is written out below, independently of ``states.py`` and
``order_undeliverable``.

Nothing is mocked but Stripe's API (stripe-mock); events are signed as Stripe signs them.
``CDX_STATEFUL_EXAMPLES`` raises the number of runs (``make test`` keeps it small and the
same every time; ``CDX_STATEFUL_RANDOM=1`` draws new ones).
"""

from __future__ import annotations

import copy
import functools
import os
from collections import Counter
from typing import Any

import ckan.plugins.toolkit as tk
import pytest
from ckan import model
from ckan.tests import helpers
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from ckanext.dealroom.tests.test_deals import Market, _negotiating, act, market  # noqa: F401 (pytest fixtures)
from ckanext.pricing.model import Order
from ckanext.pricing.tests import stripe_events as se
from ckanext.pricing.tests.test_payment_sequences import (
    OrderRef,
    Story,
    _obj,
    _receive,
    deliver_at_once,
    run_machine,
)

pytestmark = pytest.mark.module_plugins
WEBHOOK = "/pricing/stripe/webhook"
EXAMPLES = int(os.environ.get("CDX_STATEFUL_EXAMPLES", "20"))
STEPS = int(os.environ.get("CDX_STATEFUL_STEPS", "30"))


class DealSequences(RuleBasedStateMachine):
    market: Market | None = None
    app: Any = None
    production: Any = None
    tally: Counter[str] = Counter()

    def __init__(self) -> None:
        super().__init__()
        assert self.market is not None
        self.buyer, self.room_id = _negotiating(self.market)
        offer = act(
            self.market,
            "seller_admin",
            "dealroom_offer_create",
            id=self.room_id,
            amount=200000,
            currency="DKK",
            period_months=3,
            licence="internal-use",
        )
        self.offer_id = offer["id"]
        # the reference model
        self.room = "open"
        self.orders: list[Story] = []
        self.revoked_by: str | None = None  # the order whose refund or dispute revoked the deal
        self.entitled: Story | None = None  # the order whose payment opened access

    # the parties' actions, tried in any state -------------------------------------------
    def _try(self, allowed: bool, persona: str, action: str, **data: Any) -> Any:
        """Call the action; it must succeed exactly when the model allows it."""
        try:
            result = act(self.market, persona, action, id=self.room_id, **data)
        except tk.ValidationError as error:
            # As at the end of a request: the refused action's transaction (and any row it
            # locked) is rolled back.
            model.Session.rollback()
            assert not allowed, f"{action} refused in {self.room}: {error.error_dict}"
            self.tally[f"{action} refused"] += 1
            return None
        assert allowed, f"{action} allowed in {self.room}"
        self.tally[action] += 1
        return result

    def _close_checkouts(self) -> None:
        for story in self.orders:
            if story.state == "pending":
                story.state = "failed"

    ACTIONS = {"accept": 4, "decline": 1, "checkout": 3, "mark_paid": 1, "revoke": 1}

    def _allowed(self, action: str) -> bool:
        return {
            "accept": self.room == "open",
            "decline": self.room == "open",
            "checkout": self.room == "agreed",
            "mark_paid": self.room == "agreed",
            "revoke": self.room in ("agreed", "active"),
        }[action]

    def _party(self, pick: int, out_of_turn: bool) -> None:
        """A party acts: mostly one of the steps the deal's rules allow now (weighted so
        that runs get as far as paying), sometimes one they do not (it must be refused)."""
        choices = [a for a in self.ACTIONS if self._allowed(a) != out_of_turn]
        if not choices:
            return
        weighted = [a for a in choices for _ in range(self.ACTIONS[a] if not out_of_turn else 1)]
        action = weighted[pick % len(weighted)]
        getattr(self, f"_{action}")(not out_of_turn)

    def _accept(self, allowed: bool) -> None:
        if self._try(allowed, self.buyer, "dealroom_offer_accept", offer_id=self.offer_id):
            self.room = "agreed"

    def _decline(self, allowed: bool) -> None:
        if self._try(allowed, "seller_admin", "dealroom_decline", reason="Not for this use"):
            self.room = "declined"

    def _revoke(self, allowed: bool) -> None:
        if self._try(allowed, "seller_admin", "dealroom_revoke", reason="Breach"):
            self.room, self.revoked_by = "revoked", None
            self._close_checkouts()
            if self.entitled is not None and not self.entitled.revoked:
                self.entitled.revoked, self.entitled.revoker = True, "seller"

    def _mark_paid(self, allowed: bool) -> None:
        if self._try(allowed, "seller_admin", "dealroom_mark_paid"):
            self.room = "active"
            self._close_checkouts()

    def _checkout(self, allowed: bool) -> None:
        if allowed and len(self.orders) >= 3:
            return  # enough orders for one run
        result = self._try(allowed, self.buyer, "dealroom_checkout_create")
        if not result:
            return
        pending = [s for s in self.orders if s.state == "pending"]
        if pending:  # a second click while a checkout page is still valid: the same order,
            assert [s.order.id for s in pending] == [result["order_id"]], self._trail()
            self._queue_payment(pending[0], delayed=False)  # and this time the buyer pays
            return
        model.Session.expire_all()
        order = OrderRef.of(Order.get(result["order_id"]))
        story = Story(order=order, subscription=False, known={order.stripe_session_id})
        # A payment that arrives for a deal no longer agreed (revoked, declined, paid by
        # invoice or by another checkout) is refunded automatically.
        story.undeliverable = lambda: self.room != "agreed"
        story.told = functools.partial(self._told, story)
        self.orders.append(story)

    # what Stripe does to one of the orders ------------------------------------------------
    @rule(
        kind=st.sampled_from(
            ["party"] * 8
            + ["out of turn"] * 2
            + ["pay"] * 3
            + ["pay_later", "fail", "expire", "refund", "refund_part", "dispute", "won", "lost"]
            + ["deliver"] * 8
            + ["again", "two at once", "reconcile"]
        ),
        which=st.integers(0, 99),
    )
    def step(self, kind: str, which: int) -> None:
        """One step: a party acts (or tries out of turn), Stripe queues an event about one
        of the orders or delivers queued ones, or the operator runs reconcile. (One rule
        with a choice inside: Hypothesis disables a random subset of the rules in each
        run, and a deal needs steps of every kind before it is paid and refunded.)"""
        self.tally[f"step {kind}"] += 1
        if kind in ("party", "out of turn"):
            return self._party(which, kind == "out of turn")
        if not self.orders:
            return None
        if kind in ("deliver", "again", "two at once"):
            return self._deliver(kind, which)
        story = self.orders[which % len(self.orders)]
        if kind == "reconcile":
            result = helpers.call_action(
                "pricing_order_reconcile",
                context={"ignore_auth": True, "user": ""},
                id=story.order.id,
            )
            assert result["state"] == story.state  # stripe-mock reports the session unpaid
            self.tally["reconcile"] += 1
            return None
        order = story.order
        if kind in ("pay", "pay_later"):
            self._queue_payment(story, delayed=kind == "pay_later")
        elif kind in ("fail", "expire"):
            story.queued.append(
                se.event(
                    "checkout.session.async_payment_failed"
                    if kind == "fail"
                    else "checkout.session.expired",
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
        elif kind in ("refund", "refund_part") and story.charges:
            charge, intent = story.charges[0]
            amount = order.charged // 3 if kind == "refund_part" else order.charged
            story.queued.append(
                se.refunded(order, amount=amount, charge=charge, payment_intent=intent)
            )
        elif kind == "dispute" and story.charges:
            charge, intent = story.charges[0]
            dispute = f"dp_{len(story.disputes)}_{order.id[:8]}"
            story.disputes.append((dispute, charge))
            event = se.disputed(order, dispute=dispute, payment_intent=intent)
            _obj(event)["charge"] = charge
            story.queued.append(event)
        elif kind in ("won", "lost") and story.disputes:
            dispute, charge = story.disputes[-1]
            event = se.dispute_closed(
                order, kind, dispute=dispute, payment_intent=dict(story.charges)[charge]
            )
            _obj(event)["charge"] = charge
            story.queued.append(event)

    # what the portal is told, in any order -------------------------------------------------
    def _queue_payment(self, story: Story, *, delayed: bool) -> None:
        """The buyer pays on the checkout page (once per order): at once, or by bank debit
        (the session completes unpaid and the payment succeeds later); a receipt follows."""
        if story.charges:
            return
        order = story.order
        if delayed:
            story.queued.append(se.completed(order, payment_status="unpaid"))
            succeeded = se.completed(order)
            succeeded["type"] = "checkout.session.async_payment_succeeded"
            story.queued.append(succeeded)
        else:
            story.queued.append(se.completed(order))
        story.queued.append(se.receipt_invoice_paid(order))
        story.charges.append((f"ch_{order.id[:8]}", f"pi_{order.id[:8]}"))

    def _queued(self) -> list[tuple[Story, dict[str, Any]]]:
        return [(s, e) for s in self.orders for e in s.queued]

    def _told(self, story: Story, effect: str) -> None:
        """What the deal makes of its order's effects (the room listens to pricing)."""
        if effect == "grant":
            self.room, self.entitled = "active", story
        elif effect == "revoke" and self.room in ("agreed", "active"):
            self.room, self.revoked_by = "revoked", story.order.id
        elif effect == "restore" and self.room == "revoked" and self.revoked_by == story.order.id:
            self.room = "active"  # the dispute that revoked the deal was won

    def _post(self, event: dict[str, Any]) -> int:
        body, headers = se.signed(event)
        return self.app.post(WEBHOOK, data=body, headers=headers).status_code

    def _deliver(self, how: str, which: int) -> None:
        """A queued event, one already delivered again, or two queued events at the same
        moment (of one order or of two), each on its own connection and thread, through
        the WSGI app built as in production."""
        queued = self._queued()
        if how == "again" or not queued:
            delivered = [e for s in self.orders for e in s.delivered]
            if delivered:
                assert self._post(delivered[which % len(delivered)]) == 200
                self.tally["duplicate"] += 1
            return
        if how == "deliver" or len(queued) < 2:
            story, event = queued[which % len(queued)]
            story.queued.remove(event)
            assert self._post(event) == 200
            story.delivered.append(event)
            _receive(story, event)
            self.tally[event["type"]] += 1
            return
        pair = [queued[which % len(queued)]]
        pair.append(next(item for item in queued if item[1] is not pair[0][1]))
        for story, event in pair:
            story.queued.remove(event)
        story_of = {id(event): story for story, event in pair}
        seen = deliver_at_once(self.production, [event for _s, event in pair])
        # Events of one order are applied in the order the portal recorded them (both
        # wait for the same order's lock). Events of two orders of the deal meet only at
        # the room, whose lock they take after being recorded: either order of applying
        # them is a correct outcome, and the portal's must be one of them.
        orders = (seen,) if story_of[id(seen[0])] is story_of[id(seen[1])] else (seen, seen[::-1])
        before = self._model_state()

        def apply(events: list[dict[str, Any]]) -> None:
            self._set_model_state(before)
            for event in events:
                story = story_of[id(event)]
                story.delivered.append(event)
                _receive(story, event)

        for events in orders:
            apply(events)
            if self._portal_agrees():
                self.tally["two at once, not in the recorded order"] += events is not seen
                break
        else:
            apply(seen)  # neither: the invariant reports the recorded order
        for event in seen:
            self.tally[event["type"]] += 1
        self.tally["two at once"] += 1

    _STORY_STATE = ("delivered", "known", "parked", "state", "granted", "revoked", "until")
    _STORY_STATE += ("decided", "refunded", "revoker")

    def _model_state(self) -> dict[str, Any]:
        """A copy of the reference model's own state (not the events still queued)."""
        return copy.deepcopy(
            {
                "deal": (self.room, self.revoked_by, self.orders.index(self.entitled))
                if self.entitled is not None
                else (self.room, self.revoked_by, None),
                "orders": [{k: getattr(s, k) for k in self._STORY_STATE} for s in self.orders],
            }
        )

    def _set_model_state(self, state: dict[str, Any]) -> None:
        state = copy.deepcopy(state)
        self.room, self.revoked_by, entitled = state["deal"]
        self.entitled = None if entitled is None else self.orders[entitled]
        for story, fields in zip(self.orders, state["orders"], strict=True):
            for key, value in fields.items():
                setattr(story, key, value)

    def _portal_agrees(self) -> bool:
        model.Session.expire_all()
        return self._room_state() == self.room and all(
            Order.get(s.order.id).state == s.state for s in self.orders
        )

    def _room_state(self) -> str:
        room = helpers.call_action(
            "dealroom_show",
            context={"user": self.market.users["sysadmin"]["name"]},
            id=self.room_id,
        )
        return str(room["state"])

    # what must hold after every step -------------------------------------------------------
    @invariant()
    def agrees_with_the_reference_model(self) -> None:
        site = {"ignore_auth": True, "user": ""}
        model.Session.expire_all()
        trail = self._trail()
        assert self._room_state() == self.room, trail
        for story in self.orders:
            assert Order.get(story.order.id).state == story.state, trail
        active = helpers.call_action(
            "pricing_entitlement_list",
            context=site,
            package_id=self.market.dataset["id"],
            source_ref=self.room_id,
            include_inactive=False,
        )
        # access exactly while the deal is active, and never from more than one entitlement
        assert len(active) == (1 if self.room == "active" else 0), trail

    def _trail(self) -> str:
        return "\n".join(
            [f"room {self.room}"]
            + [
                f"order {s.order.id[:8]} {s.state}: " + ", ".join(e["type"] for e in s.delivered)
                for s in self.orders
            ]
        )


def test_deal_sequences_end_right(app: Any, market: Market) -> None:
    from ckan.cli import load_config
    from ckan.config.middleware import make_app

    DealSequences.market, DealSequences.app = market, app
    DealSequences.production = make_app(load_config(tk.config["__file__"]))
    tally = run_machine(DealSequences, "deal sequences", EXAMPLES, STEPS)
    # the probes reached what they probe: deals were paid by card and by invoice, revoked,
    # and payments arrived for deals that were no longer agreed
    for reached in (
        "dealroom_offer_accept",
        "dealroom_checkout_create",
        "dealroom_revoke",
        "checkout.session.completed",
        "charge.refunded",
    ):
        assert tally[reached], (reached, tally)


def test_two_payments_of_one_deal_at_once_open_access_once(app: Any, market: Market) -> None:
    """The buyer pays an expired checkout after all and a new one too, and Stripe tells of
    both at the same moment: one order opens access, the other is refunded, whichever the
    room saw first (the two orders do not share a lock before the room's)."""
    from ckan.cli import load_config
    from ckan.config.middleware import make_app

    production = make_app(load_config(tk.config["__file__"]))
    outcomes = Counter()
    for _ in range(4):
        buyer, room_id = _negotiating(market)
        offer = act(
            market,
            "seller_admin",
            "dealroom_offer_create",
            id=room_id,
            amount=150000,
            licence="internal-use",
        )
        act(market, buyer, "dealroom_offer_accept", offer_id=offer["id"], id=room_id)
        first = act(market, buyer, "dealroom_checkout_create", id=room_id)["order_id"]
        expired = OrderRef.of(Order.get(first))
        body, headers = se.signed(
            se.event(
                "checkout.session.expired",
                {
                    "id": expired.stripe_session_id,
                    "object": "checkout.session",
                    "client_reference_id": expired.id,
                    "metadata": {"order_id": expired.id},
                    "status": "expired",
                    "payment_status": "unpaid",
                },
            )
        )
        assert app.post(WEBHOOK, data=body, headers=headers).status_code == 200
        second = act(market, buyer, "dealroom_checkout_create", id=room_id)["order_id"]
        assert second != first
        model.Session.expire_all()
        orders = [OrderRef.of(Order.get(i)) for i in (first, second)]
        deliver_at_once(production, [se.completed(order) for order in orders])
        model.Session.expire_all()
        states = {o.id: Order.get(o.id).state for o in orders}
        assert sorted(states.values()) == ["fulfilled", "refunded"], states
        room = act(market, "sysadmin", "dealroom_show", id=room_id)
        assert room["state"] == "active"
        active = helpers.call_action(
            "pricing_entitlement_list",
            context={"ignore_auth": True, "user": ""},
            package_id=market.dataset["id"],
            source_ref=room_id,
            include_inactive=False,
        )
        assert len(active) == 1
        outcomes["the late payment won" if states[first] == "fulfilled" else "the new one won"] += 1
    print(dict(outcomes))
