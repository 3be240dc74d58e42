"""Auth of every pricing action for each kind of user, and the actions' own rules."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import ckan.plugins.toolkit as tk
import pytest
from ckan import model
from ckan.tests import helpers

from ckanext.pricing.tests.conftest import World

pytestmark = pytest.mark.module_plugins

# who: anonymous, a member of the seller without editor rights, a user of another
# organisation, the seller's editor, a sysadmin
PERSONAS = ["anonymous", "seller_member", "rival", "seller_editor", "sysadmin"]
SELLER_SIDE = {"seller_editor", "sysadmin"}


def _user(world: World, persona: str) -> str:
    return "" if persona == "anonymous" else world.users[persona]["name"]


def _allowed(name: str, world: World, persona: str, **data: Any) -> bool:
    context = {"user": _user(world, persona), "model": model}
    try:
        helpers.call_auth(name, context, **data)
        return True
    except tk.NotAuthorized:
        return False


CASES: list[tuple[str, Callable[[World], dict[str, Any]], set[str]]] = [
    ("pricing_entitlement_grant", lambda w: {"package_id": w.dataset["id"]}, SELLER_SIDE),
    ("pricing_entitlement_list", lambda w: {"package_id": w.dataset["id"]}, SELLER_SIDE),
    ("pricing_entitlement_list", lambda w: {}, set(PERSONAS) - {"anonymous"}),
    ("pricing_entitlement_check", lambda w: {"resource_id": w.link["id"]}, set(PERSONAS)),
    (
        "pricing_entitlement_check",
        lambda w: {"resource_id": w.link["id"], "user": w.users["buyer"]["name"]},
        SELLER_SIDE,
    ),
    ("pricing_block_create", lambda w: {"package_id": w.dataset["id"]}, SELLER_SIDE),
    ("pricing_block_delete", lambda w: {"package_id": w.dataset["id"]}, SELLER_SIDE),
    ("pricing_block_list", lambda w: {"package_id": w.dataset["id"]}, SELLER_SIDE),
    ("pricing_download_list", lambda w: {"package_id": w.dataset["id"]}, SELLER_SIDE),
]


@pytest.mark.parametrize(
    "name, data, allowed", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
@pytest.mark.parametrize("persona", PERSONAS)
def test_auth_matrix(
    world: World,
    persona: str,
    name: str,
    data: Callable[[World], dict[str, Any]],
    allowed: set[str],
) -> None:
    assert _allowed(name, world, persona, **data(world)) is (persona in allowed)


@pytest.mark.parametrize("persona", PERSONAS)
def test_revoke_auth(world: World, persona: str) -> None:
    entitlement = helpers.call_action(
        "pricing_entitlement_list",
        context={"user": world.users["seller_editor"]["name"]},
        package_id=world.dataset["id"],
    )[0]
    assert _allowed("pricing_entitlement_revoke", world, persona, id=entitlement["id"]) is (
        persona in SELLER_SIDE
    )


def test_holders_see_their_own_entitlements_with_revocation_reasons(world: World) -> None:
    mine = helpers.call_action(
        "pricing_entitlement_list", context={"user": world.users["revoked"]["name"]}
    )
    assert [(e["package_name"], e["active"], e["revoke_reason"]) for e in mine] == [
        (world.dataset["name"], False, "Payment refunded")
    ]
    org_member = helpers.call_action(
        "pricing_entitlement_list", context={"user": world.users["org_buyer"]["name"]}
    )
    assert [e["holder_type"] for e in org_member] == ["organization"]
    assert (
        helpers.call_action(
            "pricing_entitlement_list", context={"user": world.users["outsider"]["name"]}
        )
        == []
    )


def test_check_answers_for_each_kind_of_user(world: World) -> None:
    def check(persona: str) -> str:
        return helpers.call_action(
            "pricing_entitlement_check",
            context={"user": _user(world, persona)},
            resource_id=world.link["id"],
        )["access"]

    assert {
        p: check(p)
        for p in [
            "anonymous",
            "buyer",
            "org_buyer",
            "expired",
            "revoked",
            "rival",
            "seller_member",
            "sysadmin",
        ]
    } == {
        "anonymous": "locked",
        "buyer": "entitled",
        "org_buyer": "entitled",
        "expired": "locked",
        "revoked": "locked",
        "rival": "locked",
        "seller_member": "manage",
        "sysadmin": "manage",
    }
    sample = helpers.call_action(
        "pricing_entitlement_check", context={"user": ""}, resource_id=world.sample["id"]
    )
    assert sample == {"resource_id": world.sample["id"], "access": "public", "entitled": True}


def _seller(world: World) -> dict[str, Any]:
    return {"user": world.users["seller_editor"]["name"], "ignore_auth": False}


@pytest.mark.parametrize(
    "data, field",
    [
        ({}, "package_id"),
        ({"holder": "nobody-at-all"}, "holder"),
        ({"holder_type": "organization", "holder": "no-such-org"}, "holder"),
        ({"holder_type": "robot"}, "holder_type"),
        ({"resource_ids": ["not-a-resource"]}, "resource_ids"),
        ({"valid_from": "2026-02-01", "valid_until": "2026-01-01"}, "valid_until"),
        ({"valid_until": "next tuesday"}, "valid_until"),
        ({"source": "order"}, "source"),
    ],
)
def test_grant_bad_input_gives_field_errors(world: World, data: dict[str, Any], field: str) -> None:
    params = {"package_id": world.dataset["id"], "holder": world.users["outsider"]["name"]}
    params.update(data)
    if not data:
        params.pop("package_id")
    with pytest.raises(tk.ValidationError) as error:
        helpers.call_action("pricing_entitlement_grant", context=_seller(world), **params)
    assert field in error.value.error_dict


def test_grant_to_a_blocked_organisation_is_refused(world: World) -> None:
    with pytest.raises(tk.ValidationError) as error:
        helpers.call_action(
            "pricing_entitlement_grant",
            context=_seller(world),
            package_id=world.dataset["id"],
            holder=world.users["rival"]["name"],
        )
    assert "blocked" in error.value.error_dict["holder"][0]


def test_revoke_needs_a_reason_and_an_existing_entitlement(world: World) -> None:
    with pytest.raises(tk.ValidationError) as error:
        helpers.call_action("pricing_entitlement_revoke", context=_seller(world), id="x")
    assert "reason" in error.value.error_dict
    with pytest.raises(tk.ObjectNotFound):
        helpers.call_action(
            "pricing_entitlement_revoke", context=_seller(world), id="x", reason="r"
        )


def test_grant_then_revoke_changes_access_at_once(world: World) -> None:
    outsider = world.users["outsider"]["name"]
    granted = helpers.call_action(
        "pricing_entitlement_grant",
        context=_seller(world),
        package_id=world.dataset["id"],
        holder=outsider,
        resource_ids=[world.upload["id"]],
        valid_until=(
            dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(days=30)
        ).isoformat(),
    )

    def level(rid: str) -> str:
        return helpers.call_action(
            "pricing_entitlement_check", context={"user": outsider}, resource_id=rid
        )["access"]

    assert (level(world.upload["id"]), level(world.link["id"])) == ("entitled", "locked")
    helpers.call_action(
        "pricing_entitlement_revoke", context=_seller(world), id=granted["id"], reason="Trial ended"
    )
    assert level(world.upload["id"]) == "locked"


def test_api_errors_are_4xx(app: Any, world: World) -> None:
    seller = {"Authorization": world.tokens["seller_editor"]}
    cases = [
        ("pricing_entitlement_grant", {"package_id": world.dataset["id"]}, 409),
        ("pricing_entitlement_grant", {"package_id": "no-such-dataset", "holder": "x"}, 409),
        ("pricing_entitlement_revoke", {"id": "nope", "reason": "r"}, 404),
        ("pricing_entitlement_check", {"resource_id": "nope"}, 409),
        (
            "pricing_block_create",
            {"package_id": world.dataset["id"], "organization": world.org["name"]},
            409,
        ),
        (
            "pricing_block_delete",
            {"package_id": world.dataset["id"], "organization": "no-such-org"},
            409,
        ),
        ("pricing_download_list", {"package_id": world.dataset["id"], "limit": -3}, 409),
    ]
    for action, params, status in cases:
        response = app.post(f"/api/3/action/{action}", json=params, headers=seller)
        assert response.status_code == status, (action, params, response.json)
        assert response.json["success"] is False
    anonymous = app.post(
        "/api/3/action/pricing_entitlement_grant",
        json={"package_id": world.dataset["id"], "holder": "x"},
    )
    assert anonymous.status_code == 403
