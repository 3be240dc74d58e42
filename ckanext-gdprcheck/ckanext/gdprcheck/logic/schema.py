"""The schemas of the gdprcheck plugin's actions."""

from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk

from ckanext.cityexchange.guard import boolean, whole_number


@tk.validator_args
def id_only(not_empty: Any, unicode_safe: Any) -> dict[str, Any]:
    return {"id": [not_empty, unicode_safe]}


@tk.validator_args
def release(not_empty: Any, unicode_safe: Any) -> dict[str, Any]:
    return {"id": [not_empty, unicode_safe], "reason": [not_empty, unicode_safe]}


@tk.validator_args
def sample_list(ignore_missing: Any, unicode_safe: Any) -> dict[str, Any]:
    return {
        "package_ids": [ignore_missing, tk.get_validator("list_of_strings")],
        "only_findings": [ignore_missing, boolean],
        "limit": [ignore_missing, whole_number(1, 1000)],
    }
