"""Validators of the harvest provenance fields."""

from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from ckan import authz
from ckan.types import Context, FlattenDataDict, FlattenErrorDict, FlattenKey

from ckanext.cityexchange import compat

__all__ = ["cityharvest_provenance"]


def cityharvest_provenance(
    key: FlattenKey, data: FlattenDataDict, errors: FlattenErrorDict, context: Context
) -> Any:
    """Provenance (which portal a dataset came from) is written by the harvester, which
    acts as the site user. For anyone else the stored value stands: the dataset form
    does not show these fields, an API update that leaves them out does not erase them,
    and an editor cannot make a local dataset look harvested (or the reverse)."""
    value = data.get(key)
    package = context.get("package")
    stored = compat.extras_of(package).get(key[0]) if package is not None else None
    writer = context.get("ignore_auth") or authz.is_sysadmin(context.get("user"))
    if not writer or value in (None, "", tk.missing):
        value = stored
    if not value:
        data.pop(key, None)
        raise tk.StopOnError
    if not isinstance(value, str):
        errors[key].append(tk._("Must be text"))
        raise tk.StopOnError
    data[key] = value
