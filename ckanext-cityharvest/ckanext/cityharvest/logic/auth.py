"""Auth functions of the cityharvest actions.

Loading, running and importing are for sysadmins only (CKAN lets sysadmins through
before any auth function; the harvesters act as the site user). The summary is public
like the harvest pages; the provenance of a dataset follows core's ``package_show``.
"""

from __future__ import annotations

import ckan.plugins.toolkit as tk
from ckan.types import AuthResult, Context, DataDict

__all__ = [
    "cityharvest_dataset_import",
    "cityharvest_dataset_withdraw",
    "cityharvest_duplicates_merge",
    "cityharvest_match_decide",
    "cityharvest_match_list",
    "cityharvest_record_list",
    "cityharvest_source_load",
    "cityharvest_source_run",
    "cityharvest_source_summary",
]


def _sysadmins_only(context: Context, data_dict: DataDict) -> AuthResult:
    return {"success": False, "msg": tk._("Only sysadmins manage harvesting")}


cityharvest_source_load = _sysadmins_only
cityharvest_source_run = _sysadmins_only
cityharvest_dataset_import = _sysadmins_only
cityharvest_dataset_withdraw = _sysadmins_only
cityharvest_match_list = _sysadmins_only
cityharvest_match_decide = _sysadmins_only
cityharvest_duplicates_merge = _sysadmins_only


@tk.auth_allow_anonymous_access
def cityharvest_source_summary(context: Context, data_dict: DataDict) -> AuthResult:
    return {"success": True}


@tk.auth_allow_anonymous_access
def cityharvest_record_list(context: Context, data_dict: DataDict) -> AuthResult:
    try:
        tk.check_access("package_show", context, {"id": data_dict.get("id")})
    except tk.NotAuthorized:
        return {"success": False, "msg": tk._("Dataset not found")}
    return {"success": True}
