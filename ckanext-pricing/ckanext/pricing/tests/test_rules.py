"""The paywall's decision on plain data."""

from __future__ import annotations

import datetime as dt

import pytest

from ckanext.pricing.rules import Access, Grant, Viewer, decide, is_locked, may_load_rows

pytestmark = pytest.mark.pure

NOW = dt.datetime(2026, 6, 1, 12, 0)
DAY = dt.timedelta(days=1)
LOCKED_RES = {"id": "r1", "access": "locked"}


def grant(**kw):  # type: ignore[no-untyped-def]
    base = {
        "holder_type": "user",
        "holder_id": "u1",
        "resource_ids": None,
        "valid_from": NOW - DAY,
        "valid_until": NOW + DAY,
        "revoked_at": None,
    }
    base.update(kw)
    return Grant(**base)


def _decide(viewer: Viewer, grants=(), blocked=(), resource=LOCKED_RES, tier="priced"):  # type: ignore[no-untyped-def]
    return decide(
        viewer,
        access_tier=tier,
        owner_org="seller",
        resource=resource,
        grants=list(grants),
        blocked_organization_ids=blocked,
        now=NOW,
    )


def test_open_datasets_and_samples_are_public() -> None:
    assert _decide(Viewer(None), tier="open") is Access.PUBLIC
    assert _decide(Viewer(None), resource={"id": "r1", "access": "sample"}) is Access.PUBLIC


def test_a_resource_of_a_priced_dataset_without_access_value_is_locked() -> None:
    assert is_locked("priced", {"id": "x"}) and is_locked("on_request", {"id": "x", "access": ""})


def test_managers() -> None:
    assert _decide(Viewer("admin", sysadmin=True)) is Access.MANAGE
    assert _decide(Viewer("m", organization_ids=frozenset({"seller"}))) is Access.MANAGE
    assert _decide(Viewer("collab", can_edit=True)) is Access.MANAGE


@pytest.mark.parametrize(
    "g, expected",
    [
        (grant(), Access.ENTITLED),
        (grant(valid_until=None), Access.ENTITLED),
        (grant(valid_until=NOW - DAY), Access.LOCKED),
        (grant(valid_until=NOW), Access.LOCKED),
        (grant(valid_from=NOW + DAY), Access.LOCKED),
        (grant(revoked_at=NOW - DAY), Access.LOCKED),
        (grant(revoked_at=NOW + DAY), Access.ENTITLED),
        (grant(resource_ids=("r2",)), Access.LOCKED),
        (grant(resource_ids=("r1", "r2")), Access.ENTITLED),
        (grant(holder_id="someone-else"), Access.LOCKED),
        (grant(holder_type="organization", holder_id="buyer-org"), Access.ENTITLED),
    ],
)
def test_entitlements(g: Grant, expected: Access) -> None:
    viewer = Viewer("u1", organization_ids=frozenset({"buyer-org"}))
    assert _decide(viewer, [g]) is expected


def test_anonymous_and_blocked_users_are_never_entitled() -> None:
    assert _decide(Viewer(None), [grant(holder_id="")]) is Access.LOCKED
    rival = Viewer("u1", organization_ids=frozenset({"rival"}))
    assert _decide(rival, [grant()], blocked=["rival"]) is Access.LOCKED


@pytest.mark.parametrize("tier", ["open", "priced", "on_request"])
def test_a_held_resource_is_withheld_from_everyone_but_managers(tier: str) -> None:
    """IPricingHolds: held for review, in open datasets too; an entitled buyer is refused
    like everyone else, the seller side and sysadmins keep it."""

    def held(viewer: Viewer, grants=()):  # type: ignore[no-untyped-def]
        return decide(
            viewer,
            access_tier=tier,
            owner_org="seller",
            resource=LOCKED_RES,
            grants=list(grants),
            blocked_organization_ids=(),
            now=NOW,
            held=True,
        )

    assert held(Viewer(None)) is Access.HELD
    assert held(Viewer("u1"), [grant()]) is Access.HELD
    assert held(Viewer("u2", organization_ids=frozenset({"seller"}))) is Access.MANAGE
    assert held(Viewer("u3", sysadmin=True)) is Access.MANAGE
    assert held(Viewer("u4", can_edit=True)) is Access.MANAGE
    assert (
        _decide(Viewer("u1"), [grant()], tier="priced") is Access.ENTITLED
    )  # the same buyer, no hold


def test_access_rights_in_the_eu_table_s_terms() -> None:
    from ckanext.pricing.rules import access_right

    assert access_right("open") == access_right(None) == "PUBLIC"
    assert access_right("priced") == access_right("on_request") == "RESTRICTED"
    assert access_right("priced", {"id": "s", "access": "sample"}) == "PUBLIC"
    assert access_right("on_request", {"id": "l", "access": "locked"}) == "RESTRICTED"
    assert access_right("priced", {"id": "x"}) == "RESTRICTED"  # fails closed, as is_locked
    assert access_right("open", {"id": "x", "access": "locked"}) == "PUBLIC"


@pytest.mark.parametrize(
    ("locked", "opted_in", "loaded"),
    [(False, False, True), (False, True, True), (True, False, False), (True, True, True)],
)
def test_rows_reach_the_datastore_when_open_or_chosen_by_the_seller(
    locked: bool, opted_in: bool, loaded: bool
) -> None:
    assert may_load_rows(locked, opted_in) is loaded
