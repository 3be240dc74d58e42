"""The checklist's validator, run after every field of the dataset schema
(``after_validators`` in config/schemas/dataset.yaml)."""

from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from ckan.types import Context, FlattenDataDict, FlattenErrorDict, FlattenKey

from ckanext.gdprcheck import checklist, status

__all__ = ["gdprcheck_checklist"]

_missing = tk.missing


def _value(data: FlattenDataDict, name: str) -> Any:
    value = data.get((name,))
    return None if value is _missing else value


def gdprcheck_checklist(
    key: FlattenKey, data: FlattenDataDict, errors: FlattenErrorDict, context: Context
) -> None:
    """Contradictory answers are always field errors; with the gate enforced, a dataset
    whose checklist is not complete can be neither public nor for sale."""
    answers = {name: _value(data, name) for name in checklist.FIELDS}
    for name, messages in checklist.field_errors(
        answers, min_cell_count=status.min_cell_count()
    ).items():
        errors.setdefault((name,), []).extend(tk._(m) for m in messages)
    if tk.config.get("ckanext.gdprcheck.gate") != "enforce":
        return
    tier = _value(data, "access_tier")
    private = tk.asbool(_value(data, "private") or False)
    package_id = _value(data, "id")
    result = checklist.evaluate(
        answers,
        access_tier=tier,
        min_cell_count=status.min_cell_count(),
        scan_findings=status.detected(package_id),
    )
    for name, messages in checklist.gate_errors(
        result, public=not private, access_tier=tier
    ).items():
        target = errors.setdefault((name,), [])
        target.extend(tk._(m) for m in messages if tk._(m) not in target)
