"""The deal-room rules on plain data: every transition, offers, contracts, attachments."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ckanext.dealroom import contracts, states
from ckanext.dealroom.states import OfferRef, Side, State

pytestmark = pytest.mark.pure

ALLOWED = {
    # (state, action): who may
    (State.REQUESTED, "accept_request"): {Side.SELLER},
    (State.REQUESTED, "decline"): {Side.SELLER},
    (State.OPEN, "decline"): {Side.SELLER},
    (State.REQUESTED, "withdraw"): {Side.SELLER, Side.BUYER},
    (State.OPEN, "withdraw"): {Side.SELLER, Side.BUYER},
    (State.OPEN, "accept_offer"): {Side.SELLER, Side.BUYER},
    (State.AGREED, "activate"): {Side.SELLER},
    (State.AGREED, "revoke"): {Side.SELLER},
    (State.ACTIVE, "revoke"): {Side.SELLER},
    (State.ACTIVE, "expire"): {Side.SELLER},
    (State.REVOKED, "reinstate"): {Side.SELLER},  # the system's, when a dispute is won
}
TARGET = {
    "accept_request": State.OPEN,
    "decline": State.DECLINED,
    "withdraw": State.WITHDRAWN,
    "accept_offer": State.AGREED,
    "activate": State.ACTIVE,
    "revoke": State.REVOKED,
    "expire": State.EXPIRED,
    "reinstate": State.ACTIVE,
}


@pytest.mark.parametrize(
    "state, action, side", list(itertools.product(State, list(states.TRANSITIONS), Side))
)
def test_every_transition_allowed_or_refused(state: State, action: str, side: Side) -> None:
    if side in ALLOWED.get((state, action), set()):
        assert states.next_state(state, action, side) is TARGET[action]
    else:
        with pytest.raises(states.TransitionError):
            states.next_state(state, action, side)


@pytest.mark.parametrize("state", sorted(states.FINAL, key=lambda s: s.value))
def test_final_states_allow_nothing(state: State) -> None:
    assert (
        states.allowed_actions(state, Side.SELLER)
        == states.allowed_actions(state, Side.BUYER)
        == []
    )


def test_unknown_action() -> None:
    with pytest.raises(states.TransitionError):
        states.next_state(State.OPEN, "teleport", Side.SELLER)


def test_offers_only_in_an_open_room() -> None:
    states.check_new_offer(State.OPEN)
    for state in set(State) - {State.OPEN}:
        with pytest.raises(states.TransitionError):
            states.check_new_offer(state)


OFFERS = [OfferRef("a", 1, Side.SELLER, "superseded"), OfferRef("b", 2, Side.BUYER, "live")]


def test_only_the_counterparty_accepts_the_latest_live_offer() -> None:
    assert states.check_accept(State.OPEN, OFFERS, "b", Side.SELLER).id == "b"
    with pytest.raises(states.TransitionError, match="own offer"):
        states.check_accept(State.OPEN, OFFERS, "b", Side.BUYER)
    with pytest.raises(states.TransitionError, match="superseded"):
        states.check_accept(State.OPEN, OFFERS, "a", Side.BUYER)
    with pytest.raises(states.TransitionError):
        states.check_accept(State.AGREED, OFFERS, "b", Side.SELLER)
    with pytest.raises(states.TransitionError):
        states.check_accept(State.OPEN, OFFERS, "zzz", Side.SELLER)


@given(
    st.dictionaries(
        st.text(max_size=8),
        st.one_of(st.integers(), st.text(max_size=8), st.booleans()),
        max_size=8,
    )
)
def test_fingerprint_ignores_key_order(terms: dict) -> None:
    reordered = dict(reversed(list(terms.items())))
    assert contracts.fingerprint(terms) == contracts.fingerprint(reordered)
    assert len(contracts.fingerprint(terms)) == 64


def test_fingerprint_changes_with_any_term() -> None:
    assert contracts.fingerprint({"amount": 1}) != contracts.fingerprint({"amount": 2})
    assert contracts.canonical_json({"b": 1, "a": "æ"}) == '{"a":"æ","b":1}'


MB = 1024 * 1024


@pytest.mark.parametrize(
    "name, head, size, error",
    [
        ("nda.pdf", b"%PDF-1.7", 100, None),
        ("terms.docx", b"PK\x03\x04", 100, None),
        ("notes.txt", b"hello", 5, None),
        ("photo.JPEG", b"\xff\xd8\xff\xe0", 100, None),
        ("nda.pdf", b"MZ\x90\x00", 100, "not a .pdf"),
        ("tool.exe", b"MZ", 100, "Attach a PDF"),
        ("noextension", b"%PDF", 100, "Attach a PDF"),
        ("notes.txt", b"\x00\x01", 2, "not a .txt"),
        ("big.pdf", b"%PDF", 10 * MB + 1, "larger than 10 MB"),
        ("empty.pdf", b"", 0, "empty"),
    ],
)
def test_attachment_checks(name: str, head: bytes, size: int, error: str | None) -> None:
    if error is None:
        assert (
            contracts.check_attachment(name, head, size, 10 * MB)[0] in contracts.ATTACHMENT_TYPES
        )
    else:
        with pytest.raises(ValueError, match=error):
            contracts.check_attachment(name, head, size, 10 * MB)


@pytest.mark.parametrize(
    "value, donation, result",
    [
        (125000, False, 125000),
        ("500", False, 500),
        (0, True, 0),
        (-1, False, "negative"),
        ("-5", True, "negative"),
        (0, False, "donation"),
        ("1.5", False, "whole"),
        (True, False, "whole"),
        (10**13, False, "too large"),
    ],
)
def test_parse_amount(value: object, donation: bool, result: object) -> None:
    if isinstance(result, int):
        assert contracts.parse_amount(value, allow_zero=donation) == result
    else:
        with pytest.raises(ValueError, match=str(result)):
            contracts.parse_amount(value, allow_zero=donation)


def test_rule_modules_import_no_ckan() -> None:
    import ast
    from pathlib import Path

    for module in ("states.py", "contracts.py"):
        tree = ast.parse((Path(states.__file__).parent / module).read_text())
        names = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)} | {
            a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names
        }
        assert not any(n and (n == "ckan" or n.startswith("ckan.")) for n in names)


@pytest.mark.parametrize("state", list(State))
def test_only_an_agreed_unpaid_deal_can_be_paid(state: State) -> None:
    for paid in (False, True):
        reason = states.undeliverable_payment(state, paid)
        assert (reason is None) == (state is State.AGREED and not paid)
