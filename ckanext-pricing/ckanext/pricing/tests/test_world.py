"""The test catalog builds as a seller would build it (a smoke test of the fixtures)."""

from __future__ import annotations

import pytest

from ckanext.pricing.tests.conftest import World

pytestmark = pytest.mark.module_plugins


def test_world_builds(world: World) -> None:
    assert world.dataset["access_tier"] == "priced"
    by_id = {r["id"]: r for r in world.dataset["resources"]}
    assert by_id[world.sample["id"]]["access"] == "sample"
    assert world.secret in by_id[world.link["id"]]["url"]
    assert world.secret in by_id[world.upload["id"]]["url"]
