"""No stored copy of a locked URL outside the resource row.

The activity stream stores a full dataset dict for every change; core's resource history
page reads those rows directly, so no redaction when reading can cover it. These tests
read the database itself.
"""

from __future__ import annotations

import json
from typing import Any

import ckan.plugins.toolkit as tk
import pytest
import sqlalchemy as sa
from ckan import model
from ckan.tests import helpers

from ckanext.pricing.tests.conftest import World

pytestmark = pytest.mark.module_plugins


def _activities_holding(marker: str) -> list[str]:
    rows = model.Session.execute(
        sa.text("SELECT id FROM activity WHERE data LIKE :pattern"), {"pattern": f"%{marker}%"}
    )
    return [row[0] for row in rows]


def test_no_stored_activity_holds_a_locked_url(world: World) -> None:
    # The probe reaches what it probes: the dataset has activities, and they hold the
    # unlocked sample's URL (stored unredacted) but no locked URL.
    assert len(world.activities) >= 5
    assert _activities_holding(world.sample["url"])
    assert _activities_holding(world.secret) == []


def test_snapshots_from_before_the_dataset_was_priced_are_redacted(world: World) -> None:
    """The dataset was born open with its future locked URL: the first snapshot held it."""
    first = world.activities[-1]
    assert first["activity_type"] == "new package"
    row = model.Session.execute(
        sa.text("SELECT data FROM activity WHERE id = :id"), {"id": first["id"]}
    ).scalar()
    stored = json.loads(row)["package"]
    link = next(r for r in stored["resources"] if r["id"] == world.link["id"])
    assert link["url"].endswith(f"/pricing/locked/{world.link['id']}")
    sample = next(r for r in stored["resources"] if r["id"] == world.sample["id"])
    assert sample["url"] == world.sample["url"]


def _plant(activity_id: str, secret_url: str, resource_id: str) -> None:
    """An activity as stored before this rule: the real URL in the snapshot and a note."""
    row = model.Session.execute(
        sa.text("SELECT data FROM activity WHERE id = :id"), {"id": activity_id}
    ).scalar()
    data = json.loads(row)
    for res in data["package"]["resources"]:
        if res["id"] == resource_id:
            res["url"] = secret_url
    data["package"]["notes"] = f"See {secret_url} for the full data"
    model.Session.execute(
        sa.text("UPDATE activity SET data = :data WHERE id = :id"),
        {"data": json.dumps(data), "id": activity_id},
    )
    model.Session.commit()


def test_the_scrub_command_redacts_activities_stored_before(
    world: World, cli: Any, ckan_config: Any
) -> None:
    from ckanext.pricing.cli import pricing

    changed = next(a for a in world.activities if a["activity_type"] == "changed package")
    _plant(changed["id"], world.link["url"], world.link["id"])
    assert _activities_holding(world.secret) == [changed["id"]]

    result = cli.invoke(pricing, ["scrub-activities"])
    assert result.exit_code == 0, result.output
    assert "1 stored activities redacted" in result.output
    assert _activities_holding(world.secret) == []
    # Run again: nothing left to do.
    again = cli.invoke(pricing, ["scrub-activities"])
    assert "0 stored activities redacted" in again.output
    # The seller still has the real URL, in the dataset itself.
    shown = helpers.call_action(
        "package_show",
        context={"user": world.users["seller_admin"]["name"]},
        id=world.dataset["id"],
    )
    assert {r["id"]: r["url"] for r in shown["resources"]}[world.link["id"]] == world.link["url"]


def test_a_new_activity_scrubs_older_ones_that_still_hold_the_url(world: World) -> None:
    """An activity planted with the URL (as if stored before the rule) is redacted by the
    next change of the dataset, without the command."""
    changed = [a for a in world.activities if a["activity_type"] == "changed package"][-1]
    _plant(changed["id"], world.link["url"], world.link["id"])
    assert _activities_holding(world.secret) == [changed["id"]]
    helpers.call_action(
        "package_patch",
        context={"user": world.users["seller_editor"]["name"]},
        id=world.dataset["id"],
        notes="Edited again",
    )
    assert _activities_holding(world.secret) == []


def test_the_sysadmin_only_may_scrub(world: World) -> None:
    from ckan.tests.helpers import call_auth

    for persona in ("seller_admin", "outsider"):
        with pytest.raises(tk.NotAuthorized):
            call_auth(
                "pricing_activity_scrub",
                context={"user": world.users[persona]["name"], "model": model},
            )
