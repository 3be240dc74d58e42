"""The seller's Buyers tab and the buyer's My data page, rendered."""

from __future__ import annotations

from typing import Any

import pytest
from bs4 import BeautifulSoup

from ckanext.pricing.tests.conftest import World

pytestmark = pytest.mark.module_plugins


def _h(world: World, persona: str) -> dict[str, str]:
    return {"Authorization": world.tokens[persona]}


def _post(app: Any, url: str, headers: dict[str, str], data: dict[str, str]) -> Any:
    page = app.get(url, headers=headers)
    token = BeautifulSoup(page.get_data(as_text=True), "html.parser").find(
        "input", {"name": "_csrf_token"}
    )["value"]
    return app.post(url, data=dict(data, _csrf_token=token), headers=headers)


@pytest.mark.parametrize(
    "persona, status",
    [
        ("seller_editor", 200),
        ("sysadmin", 200),
        ("seller_member", 403),
        ("buyer", 403),
        ("outsider", 403),
    ],
)
def test_only_the_seller_side_sees_the_buyers_tab(
    app: Any, world: World, persona: str, status: int
) -> None:
    response = app.get(f"/dataset/{world.dataset['name']}/buyers", headers=_h(world, persona))
    assert response.status_code == status
    assert app.get(f"/dataset/{world.dataset['name']}/buyers").status_code == 403


def test_seller_grants_revokes_and_blocks_from_the_buyers_tab(app: Any, world: World) -> None:
    url = f"/dataset/{world.dataset['name']}/buyers"
    seller = _h(world, "seller_editor")
    outsider = world.users["outsider"]["name"]
    page = _post(
        app,
        url,
        seller,
        {"do": "grant", "holder_type": "user", "holder": outsider, "valid_until": "2099-01-01"},
    ).get_data(as_text=True)
    assert outsider in page and "Payment refunded" in page  # new grant, and the earlier revocation
    mine = app.get("/pricing/my-data", headers=_h(world, "outsider")).get_data(as_text=True)
    assert world.dataset["title"] in mine and "pricing-active" in mine

    bad = _post(app, url, seller, {"do": "grant", "holder_type": "user", "holder": "nobody-here"})
    assert bad.status_code == 200 and "No such user" in bad.get_data(as_text=True)

    page = _post(app, url, seller, {"do": "block", "organization": "no-such-org"})
    assert page.status_code == 200
    assert app.get("/pricing/my-data").status_code == 200  # anonymous: sent to log in


def test_my_data_shows_revocation_reasons(app: Any, world: World) -> None:
    page = app.get("/pricing/my-data", headers=_h(world, "revoked")).get_data(as_text=True)
    assert "Payment refunded" in page and "Revoked" in page
