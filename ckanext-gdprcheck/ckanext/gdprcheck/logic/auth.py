"""Auth functions of the gdprcheck actions; the editor checks chain core's
``package_update``."""

from __future__ import annotations

import ckan.plugins.toolkit as tk
from ckan.types import AuthResult, Context, DataDict

__all__ = [
    "gdprcheck_hold_list",
    "gdprcheck_hold_release",
    "gdprcheck_sample_list",
    "gdprcheck_scan_request",
    "gdprcheck_scan_show",
    "gdprcheck_source_checklist",
    "gdprcheck_status_show",
]


@tk.auth_allow_anonymous_access
def gdprcheck_status_show(context: Context, data_dict: DataDict) -> AuthResult:
    try:
        tk.check_access("package_show", context, {"id": data_dict.get("id")})
    except tk.NotAuthorized:
        return {"success": False, "msg": tk._("Dataset not found")}
    return {"success": True}


def gdprcheck_scan_show(context: Context, data_dict: DataDict) -> AuthResult:
    try:
        tk.check_access("package_update", context, {"id": data_dict.get("package_id")})
    except tk.NotAuthorized:
        return {
            "success": False,
            "msg": tk._("Only the publisher's editors see what the scanner found"),
        }
    return {"success": True}


gdprcheck_scan_request = gdprcheck_scan_show


def gdprcheck_hold_list(context: Context, data_dict: DataDict) -> AuthResult:
    try:
        tk.check_access("package_update", context, {"id": data_dict.get("id")})
    except tk.NotAuthorized:
        return {
            "success": False,
            "msg": tk._("Only the publisher's editors see the holds of a dataset"),
        }
    return {"success": True}


def gdprcheck_hold_release(context: Context, data_dict: DataDict) -> AuthResult:
    """Sysadmins only (they pass every auth function); the publisher releases a hold by
    correcting the checklist or replacing the file."""
    return {"success": False, "msg": tk._("Only sysadmins can release a hold with a reason")}


def gdprcheck_sample_list(context: Context, data_dict: DataDict) -> AuthResult:
    """Sysadmins only (they pass every auth function): what samples of harvested files
    hold is for the operator."""
    return {
        "success": False,
        "msg": tk._("Only sysadmins see what samples of harvested files hold"),
    }


@tk.auth_allow_anonymous_access
def gdprcheck_source_checklist(context: Context, data_dict: DataDict) -> AuthResult:
    """Anyone: it maps the dataset it is given and reads nothing stored."""
    return {"success": True}
