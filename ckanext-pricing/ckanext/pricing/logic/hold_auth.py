"""Auth of the action offered to plugins that hold resources for review: sysadmins only
(those plugins call it as the site user)."""

from __future__ import annotations

import ckan.plugins.toolkit as tk
from ckan.types import AuthResult, Context, DataDict

__all__ = ["pricing_entitlement_extend"]


def pricing_entitlement_extend(context: Context, data_dict: DataDict) -> AuthResult:
    return {"success": False, "msg": tk._("Only sysadmins can extend entitlements for a hold")}
