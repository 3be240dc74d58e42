"""The schemas of the cityharvest plugin's actions."""

from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk

from ckanext.cityexchange.guard import boolean, whole_number


@tk.validator_args
def id_only(not_empty: Any, unicode_safe: Any) -> dict[str, Any]:
    return {"id": [not_empty, unicode_safe]}


@tk.validator_args
def dataset_import(not_empty: Any, unicode_safe: Any, ignore_missing: Any) -> dict[str, Any]:
    return {
        "source_id": [not_empty, unicode_safe],
        "stamp": [ignore_missing, unicode_safe],
        "harvest_object_id": [ignore_missing, unicode_safe],
        "remote": [not_empty],
    }


@tk.validator_args
def withdraw(not_empty: Any, unicode_safe: Any) -> dict[str, Any]:
    return {"source_id": [not_empty, unicode_safe], "remote_id": [not_empty, unicode_safe]}


@tk.validator_args
def run(
    not_empty: Any, unicode_safe: Any, ignore_missing: Any, limit_to_configured_maximum: Any
) -> dict[str, Any]:
    return {
        "id": [not_empty, unicode_safe],
        "workers": [
            ignore_missing,
            whole_number(1),
            limit_to_configured_maximum("ckanext.cityharvest.max_workers", 8),
        ],
        "refresh": [ignore_missing, boolean],
    }


@tk.validator_args
def match_list(ignore_missing: Any) -> dict[str, Any]:
    return {"decided": [ignore_missing, boolean]}


@tk.validator_args
def match_decide(not_empty: Any, unicode_safe: Any, one_of: Any) -> dict[str, Any]:
    return {"id": [not_empty, unicode_safe], "decision": [not_empty, one_of(["merge", "apart"])]}


@tk.validator_args
def duplicates_merge(ignore_missing: Any) -> dict[str, Any]:
    return {"dry_run": [ignore_missing, boolean]}
