"""The signed-link proxy fetches only what the outbound guard allows: the seller's URL
on 127.0.0.1 is refused with an honest 502 when the allow-list is empty, and served
when it lists 127.0.0.1 (as the test configuration does)."""

from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
import pytest

from ckanext.pricing import access
from ckanext.pricing.tests.conftest import World

pytestmark = pytest.mark.module_plugins


def _fetch(app: Any, world: World) -> Any:
    link = access.signed_link(world.users["buyer"]["id"], world.link["id"])
    return app.get(link.replace(tk.config["ckan.site_url"], ""))


@pytest.mark.ckan_config("ckanext.cityexchange.outbound_allow", "")
def test_a_link_to_a_loopback_address_is_refused_with_502(
    app: Any, world: World, ckan_config: Any
) -> None:
    response = _fetch(app, world)
    body = response.get_data(as_text=True)
    assert response.status_code == 502
    assert "does not fetch from" in body
    assert world.secret not in body  # neither the data nor the upstream URL


@pytest.mark.ckan_config("ckanext.cityexchange.outbound_allow", "10.0.0.0/8 localhost")
def test_an_allow_list_without_the_address_still_refuses(
    app: Any, world: World, ckan_config: Any
) -> None:
    assert _fetch(app, world).status_code == 502


@pytest.mark.ckan_config("ckanext.cityexchange.outbound_allow", "127.0.0.1")
def test_the_allow_list_lets_the_link_through(app: Any, world: World, ckan_config: Any) -> None:
    response = _fetch(app, world)
    assert response.status_code == 200 and f"{world.secret}-link-data" in response.get_data(
        as_text=True
    )
