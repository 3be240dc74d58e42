"""What differs between CKAN 2.11 and 2.12 where the suite touches it, in one place.

- Extras: 2.11 keeps them in the ``package_extra`` table (``model.PackageExtra``); 2.12
  in a JSONB column ``package.extras``, which may be null.
- Tests: 2.11's ``plugins.unload_non_system_plugins`` is 2.12's ``plugins.unload_all``
  (2.12 has no system plugins left to keep).
- Indexing: 2.11 indexes a dataset when its transaction commits; 2.12 inside
  ``package_create`` and ``package_update``, and not at all when they are called with
  ``defer_commit`` (the caller commits, and must index).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import ckan.plugins.toolkit as tk
from ckan import model

CKAN_212 = tk.check_ckan_version(min_version="2.12")


def extras_of(package: Any) -> dict[str, Any]:
    """A dataset object's extras as a dict, on either release (never None)."""
    return dict(package.extras or {})


def package_ids_with_extra(key: str, values: Iterable[str] | None = None) -> list[str]:
    """Ids of the datasets with the extra ``key`` (one of ``values``, when given)."""
    wanted = list(values) if values is not None else None
    extra = getattr(model, "PackageExtra", None)
    if extra is not None:  # CKAN 2.11
        query = model.Session.query(extra.package_id).filter(
            extra.key == key, extra.state == "active"
        )
        if wanted is not None:
            query = query.filter(extra.value.in_(wanted))
    else:  # CKAN 2.12: a JSONB column
        extras: Any = model.Package.extras
        column = extras[key].astext
        query = model.Session.query(model.Package.id).filter(column.isnot(None))
        if wanted is not None:
            query = query.filter(column.in_(wanted))
    return [row[0] for row in query]


def index_committed(package_id: str) -> None:
    """Index a dataset written with ``defer_commit`` once its transaction has committed:
    on 2.12 nobody else does; on 2.11 the commit already did."""
    if not CKAN_212:
        return
    from ckan.lib.search import rebuild

    rebuild(package_id)


def unload_plugins() -> None:
    """Unload the plugins a test module loaded (``plugins.load_all``), on either release."""
    from ckan import plugins

    unload = getattr(plugins, "unload_non_system_plugins", None) or plugins.unload_all
    unload()
