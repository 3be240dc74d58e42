"""Small pieces every action module of the plugin uses."""
from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from ckan.types import Context, DataDict


def validate(data_dict: DataDict, schema: dict[str, Any], context: Context) -> dict[str, Any]:
    """The data cleaned by ``schema``, or a ValidationError with every field's errors."""
    data, errors = tk.navl_validate(data_dict, schema, context)
    if errors:
        raise tk.ValidationError(errors)
    return data


def site_context() -> Context:
    """A context acting as the site user, for reads the caller's rights do not govern."""
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})["name"]
    return {"user": site_user, "ignore_auth": True, "use_cache": False}
