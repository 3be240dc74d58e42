"""Kept catalog pages (logic/action/catalog.py): a page is served from Redis only while every
dataset on it is as it was, and only to anonymous readers."""

from __future__ import annotations

from typing import Any

import pytest
from ckan.lib import search
from ckan.lib.redis import connect_to_redis
from ckan.tests import factories, helpers

PREFIX = "cityexchange:catalog:"

pytestmark = pytest.mark.usefixtures("clean_db", "clean_index")


def _kept() -> set[bytes]:
    return set(connect_to_redis().scan_iter(PREFIX + "*"))


@pytest.fixture
def fresh() -> None:
    redis = connect_to_redis()
    for key in redis.scan_iter(PREFIX + "*"):
        redis.delete(key)


def _catalog(app: Any, headers: dict[str, str] | None = None, query: str = "") -> str:
    response = app.get(f"/catalog.ttl{query}", headers=headers or {})
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.mark.usefixtures("fresh")
def test_a_page_is_kept_and_a_changed_dataset_is_never_served_from_it(app: Any) -> None:
    org = factories.Organization()
    dataset = factories.Dataset(owner_org=org["id"], title="Cykelstier 2025")
    first = _catalog(app)
    assert "Cykelstier 2025" in first and len(_kept()) == 1
    # The same page again comes from Redis: plant a marker in the kept page to prove it.
    (key,) = _kept()
    redis = connect_to_redis()
    redis.set(key, first.replace("Cykelstier 2025", "Kept page"), ex=60)
    assert "Kept page" in _catalog(app)
    # Edited: the page's key changes, the new title is served.
    admin = factories.Sysadmin()
    helpers.call_action(
        "package_patch", context={"user": admin["name"]}, id=dataset["id"], title="Cykelstier 2026"
    )
    assert "Cykelstier 2026" in _catalog(app) and len(_kept()) == 2
    # Indexed again (as a hold for review or a finished scan does): a new key too.
    search.rebuild(dataset["id"])
    _catalog(app)
    assert len(_kept()) == 3
    # A new dataset changes the page and its count.
    factories.Dataset(owner_org=org["id"], title="Cykelparkering")
    assert "Cykelparkering" in _catalog(app)


@pytest.mark.usefixtures("fresh")
def test_signed_in_readers_and_increments_are_never_kept(app: Any) -> None:
    factories.Dataset(owner_org=factories.Organization()["id"], title="Trafiktællinger")
    user = factories.User()
    token = helpers.call_action(
        "api_token_create", context={"user": user["name"]}, user=user["name"], name="t"
    )["token"]
    assert "Trafiktællinger" in _catalog(app, {"Authorization": token})
    assert "Trafiktællinger" in _catalog(app, query="?modified_since=2020-01-01")
    assert _kept() == set()


@pytest.mark.usefixtures("fresh")
@pytest.mark.ckan_config("ckanext.cityexchange.catalog_cache_ttl", "0")
def test_no_pages_are_kept_when_switched_off(app: Any) -> None:
    factories.Dataset(owner_org=factories.Organization()["id"], title="Luftkvalitet")
    assert "Luftkvalitet" in _catalog(app)
    assert _kept() == set()


@pytest.mark.usefixtures("fresh")
def test_a_bad_page_is_answered_as_ckanext_dcat_answers_it(app: Any) -> None:
    for page in ("0", "x", "-3"):
        response = app.get(f"/catalog.ttl?page={page}")
        assert response.status_code in (400, 404, 409)
    assert _kept() == set()
