"""Fixtures shared by every test of the suite.

CKAN's own pytest plugin (``pytest --ckan-ini=...``) provides the fixtures; this file
loads the portal's plugins (``ckan.plugins`` of the test ini) for every test, as CKAN's
documentation recommends for extensions, and adapts ``clean_db`` so that a clean database
also has the tables of every enabled plugin (activity, harvest and the suite's own).
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from typing import Any

import ckan.plugins.toolkit as tk
import pytest


def pytest_configure(config: pytest.Config) -> None:
    """Sessions live in Redis (SESSION_TYPE = redis): building the app puts the sessions'
    Redis client into CKAN's config (SESSION_REDIS), and CKAN's ``ckan_config`` fixture
    deep-copies the config before every test, which a Redis client (it holds locks and
    sockets) does not survive. In the tests, a deep copy shares the client instead."""
    import redis

    def _shared(client: redis.Redis, memo: dict[int, Any]) -> redis.Redis:
        return client

    redis.Redis.__deepcopy__ = _shared  # type: ignore[attr-defined]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--shuffle",
        metavar="SEED",
        default=os.environ.get("CDX_TEST_SHUFFLE") or None,
        help="run the modules, and the tests within each module, in an order drawn from "
        "SEED (also CDX_TEST_SHUFFLE): no test may depend on another one's order",
    )


def pytest_report_header(config: pytest.Config) -> str | None:
    seed = config.getoption("--shuffle")
    return f"test order shuffled with seed {seed}" if seed else None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    seed = config.getoption("--shuffle")
    if not seed:
        return
    rng = random.Random(str(seed))
    modules: dict[str, list[pytest.Item]] = {}
    for item in items:
        modules.setdefault(item.nodeid.split("::", 1)[0], []).append(item)
    order = list(modules)
    rng.shuffle(order)
    items[:] = []
    for module in order:
        group = modules[module]
        rng.shuffle(group)
        items.extend(group)


@pytest.fixture(autouse=True)
def _portal_plugins(request: pytest.FixtureRequest) -> None:
    """Every test runs with the plugins the portal runs with, except tests of pure rules
    (marked ``pure``), which need no CKAN at all, and tests marked ``module_plugins``,
    whose module-scoped data fixture loads the plugins once for the whole module."""
    if (
        request.node.get_closest_marker("pure") is None
        and request.node.get_closest_marker("module_plugins") is None
    ):
        request.getfixturevalue("with_plugins")


def plugins_with_migrations() -> list[str]:
    from ckan.cli.db import _resolve_alembic_config

    names = tk.aslist(tk.config.get("ckan.plugins"))
    return [name for name in names if os.path.exists(_resolve_alembic_config(name))]


@pytest.fixture(scope="session")
def reset_portal_db(
    reset_db: Callable[[], None], migrate_db_for: Callable[..., None]
) -> Callable[[], None]:
    """Callable: empty the database, keeping the tables of core and every enabled plugin.
    For module-scoped fixtures that build data once and share it between tests."""

    def reset() -> None:
        reset_db()
        for plugin in plugins_with_migrations():
            migrate_db_for(plugin)

    return reset


@pytest.fixture
def clean_db(reset_portal_db: Callable[[], None], with_plugins: Any) -> None:
    """An empty database with the tables of CKAN core and every enabled plugin."""
    reset_portal_db()
