"""Alembic environment of the dealroom plugin: only `dealroom_*` tables, own version table."""

from __future__ import annotations

import os
from logging.config import fileConfig

from alembic import context
from ckan.model.meta import metadata
from sqlalchemy import engine_from_config, pool

config = context.config
if config.config_file_name:
    fileConfig(config.config_file_name)
name = os.path.basename(os.path.dirname(__file__))


def include_object(obj, object_name, type_, reflected, compare_to):
    return not (type_ == "table" and not object_name.startswith(name))


def _configure(**kwargs) -> None:
    context.configure(
        target_metadata=metadata,
        include_object=include_object,
        version_table=f"{name}_alembic_version",
        **kwargs,
    )


if context.is_offline_mode():
    _configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    engine = engine_from_config(
        config.get_section(config.config_ini_section) or {},
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    with engine.connect() as connection:
        _configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
