"""Fixtures shared by every test of the suite.

CKAN's own pytest plugin (``pytest --ckan-ini=...``) provides the fixtures; this file only
adapts ``clean_db`` so that a clean database also has the tables of every enabled plugin
(activity, harvest and the suite's own), as the portal has after ``make run``.
"""
from __future__ import annotations

import os
from typing import Any, Callable

import pytest

import ckan.plugins.toolkit as tk


def _plugins_with_migrations() -> list[str]:
    from ckan.cli.db import _resolve_alembic_config

    names = tk.aslist(tk.config.get("ckan.plugins"))
    return [name for name in names if os.path.exists(_resolve_alembic_config(name))]


@pytest.fixture
def clean_db(reset_db: Callable[[], None], migrate_db_for: Callable[..., None],
             with_plugins: Any) -> None:
    """An empty database with the tables of CKAN core and every enabled plugin."""
    reset_db()
    for plugin in _plugins_with_migrations():
        migrate_db_for(plugin)
