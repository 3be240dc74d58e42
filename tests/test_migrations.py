"""Every migration of the suite's plugins on the CKAN release under test: up from nothing
to head over core's schema, down to nothing and up again, with the tables each plugin's
models declare there after each way up and gone after the way down."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from ckan import model
from ckan.cli.db import current_revision

from conftest import plugins_with_migrations

SUITE = ["pricing", "dealroom", "gdprcheck", "cityharvest"]
# At least these tables (the probe that the prefix below finds what it should).
KNOWN = {
    "pricing": {"pricing_entitlement", "pricing_order", "pricing_stripe_event"},
    "dealroom": {"dealroom_room", "dealroom_offer", "dealroom_contract"},
    "gdprcheck": {"gdprcheck_scan", "gdprcheck_hold", "gdprcheck_sample"},
    "cityharvest": {"cityharvest_record", "cityharvest_run"},
}


def _tables(plugin: str) -> set[str]:
    """The plugin's tables (its name as prefix), not counting its alembic version table."""
    names = sa.inspect(model.Session.get_bind()).get_table_names()
    return {n for n in names if n.startswith(f"{plugin}_") and not n.endswith("alembic_version")}


def test_the_suite_declares_every_migrating_plugin() -> None:
    assert set(SUITE) <= set(plugins_with_migrations())


@pytest.mark.parametrize("plugin", SUITE)
def test_migrations_go_down_to_nothing_and_up_again(
    plugin: str, reset_portal_db: Any, migrate_db_for: Any, with_plugins: Any
) -> None:
    reset_portal_db()
    model.Session.remove()
    tables = _tables(plugin)
    assert KNOWN[plugin] <= tables, KNOWN[plugin] - tables
    head = current_revision(plugin)
    assert head
    migrate_db_for(plugin, "base", False)
    model.Session.remove()
    assert _tables(plugin) == set()
    assert current_revision(plugin) in (None, "base")
    migrate_db_for(plugin)
    model.Session.remove()
    assert _tables(plugin) == tables
    assert current_revision(plugin) == head
