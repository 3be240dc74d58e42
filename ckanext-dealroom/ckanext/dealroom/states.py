"""The deal-room state machine and offer rules. Pure: plain data in, plain data out.

::

    requested ──accept_request──▶ open ──accept offer──▶ agreed ──pay──▶ active ──▶ expired
        │  ╲                        │                      │              ╲
        │   ╲──decline──▶ declined  ╰──withdraw──▶ withdrawn ╰──revoke──▶ revoked ◀──revoke
        ╰──withdraw──▶ withdrawn

Each transition names who may make it: the ``buyer`` side, the ``seller`` side, or
``either``. Sysadmins act as the seller side.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass


class State(str, enum.Enum):
    REQUESTED = "requested"
    OPEN = "open"
    DECLINED = "declined"
    AGREED = "agreed"
    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"
    WITHDRAWN = "withdrawn"


class Side(str, enum.Enum):
    BUYER = "buyer"
    SELLER = "seller"


FINAL = frozenset({State.DECLINED, State.EXPIRED, State.REVOKED, State.WITHDRAWN})

# action: (from states, to state, who may)
TRANSITIONS: dict[str, tuple[frozenset[State], State, Side | None]] = {
    "accept_request": (frozenset({State.REQUESTED}), State.OPEN, Side.SELLER),
    "decline": (frozenset({State.REQUESTED, State.OPEN}), State.DECLINED, Side.SELLER),
    "withdraw": (frozenset({State.REQUESTED, State.OPEN}), State.WITHDRAWN, None),
    "accept_offer": (frozenset({State.OPEN}), State.AGREED, None),
    "activate": (frozenset({State.AGREED}), State.ACTIVE, Side.SELLER),
    "revoke": (frozenset({State.AGREED, State.ACTIVE}), State.REVOKED, Side.SELLER),
    "expire": (frozenset({State.ACTIVE}), State.EXPIRED, Side.SELLER),
    # a card payment's dispute was decided for the seller: the deal it revoked holds again
    "reinstate": (frozenset({State.REVOKED}), State.ACTIVE, Side.SELLER),
}


class TransitionError(ValueError):
    """A transition that the room's state or the actor's side does not allow."""


def next_state(state: State, action: str, side: Side) -> State:
    """The state after ``action`` by ``side``, or TransitionError with a plain reason."""
    if action not in TRANSITIONS:
        raise TransitionError(f"Unknown action: {action}")
    sources, target, who = TRANSITIONS[action]
    if state not in sources:
        raise TransitionError(f"A room that is {state.value} cannot be moved by '{action}'")
    if who is not None and side is not who:
        raise TransitionError(f"Only the {who.value} can {action.replace('_', ' ')}")
    return target


def allowed_actions(state: State, side: Side) -> list[str]:
    """What ``side`` may do now (for the room page's buttons)."""
    out = [
        a
        for a, (sources, _t, who) in TRANSITIONS.items()
        if state in sources
        and (who is None or who is side)
        and a not in ("accept_offer", "reinstate")
    ]
    if state is State.OPEN:
        out.append("make_offer")
    return out


@dataclass(frozen=True)
class OfferRef:
    """An offer as the rules see it."""

    id: str
    version: int
    side: Side
    state: str  # live | superseded | accepted | withdrawn


def check_new_offer(state: State) -> None:
    if state is not State.OPEN:
        raise TransitionError("Offers can only be made in an open room")


def check_accept(state: State, offers: Sequence[OfferRef], offer_id: str, side: Side) -> OfferRef:
    """The offer ``side`` may accept, or TransitionError: only the counterparty, only the
    latest live offer, only in an open room."""
    if state is not State.OPEN:
        raise TransitionError(f"A room that is {state.value} has no offer to accept")
    offer = next((o for o in offers if o.id == offer_id), None)
    if offer is None:
        raise TransitionError("No such offer in this room")
    if offer.side is side:
        raise TransitionError("You cannot accept your own offer; the other party must")
    latest = max(offers, key=lambda o: o.version)
    if offer.state != "live" or offer.id != latest.id:
        raise TransitionError("This offer has been superseded by a newer one")
    return offer


def undeliverable_payment(state: State, paid: bool) -> str | None:
    """Why a card payment that arrives for a deal cannot open access: only an agreed deal
    that is not paid yet can be paid. (Such a payment is refunded.)"""
    if state is not State.AGREED:
        return f"The deal is {state.value}, no longer agreed"
    if paid:
        return "The deal is already paid"
    return None


def open_room_states() -> frozenset[State]:
    """States in which a buyer's room for a dataset counts as their one open room."""
    return frozenset({State.REQUESTED, State.OPEN, State.AGREED})
