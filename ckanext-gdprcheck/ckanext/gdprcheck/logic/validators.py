"""The checklist's validator, run after every field of the dataset schema
(``after_validators`` in config/schemas/dataset.yaml)."""

from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
from ckan import authz, model
from ckan.types import Context, FlattenDataDict, FlattenErrorDict, FlattenKey

from ckanext.cityexchange import compat
from ckanext.gdprcheck import checklist, status

__all__ = ["gdprcheck_checklist"]

_missing = tk.missing


def _set(data: FlattenDataDict, name: str, value: Any) -> None:
    """Change a field after its own validators ran: also where scheming's
    ``convert_to_extras`` already copied it into the extras."""
    data[(name,)] = value
    for key in list(data):
        if len(key) == 3 and key[0] == "extras" and key[2] == "key" and data[key] == name:
            data[("extras", key[1], "value")] = value


def _stored_answers(package_id: Any) -> dict[str, Any] | None:
    """The checklist answers the dataset has now (None for a new dataset)."""
    pkg = model.Package.get(package_id) if isinstance(package_id, str) and package_id else None
    if pkg is None:
        return None
    extras = compat.extras_of(pkg)
    return {name: extras.get(name) for name in checklist.FIELDS}


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
    package_id = _value(data, "id")
    if answers.get("gdpr_declared_by") == "source":
        declared = checklist.declared_by_on_save(
            answers,
            _stored_answers(package_id),
            sysadmin=authz.is_sysadmin(context.get("user")),
        )
        if declared is None:
            errors.setdefault(("gdpr_declared_by",), []).append(
                tk._("Only the harvester declares a checklist for a source portal")
            )
        elif declared != "source":
            # Edited here, so published here: the publisher's checklist and the gate.
            _set(data, "gdpr_declared_by", declared)
            answers["gdpr_declared_by"] = declared
    if tk.config.get("ckanext.gdprcheck.gate") != "enforce":
        return
    tier = _value(data, "access_tier")
    private = tk.asbool(_value(data, "private") or False)
    result = checklist.evaluate(
        answers,
        access_tier=tier,
        min_cell_count=status.min_cell_count(),
        scan_findings=status.detected(package_id),
    )
    for name, messages in checklist.gate_errors(
        result, public=not private, access_tier=tier, declared_by=answers.get("gdpr_declared_by")
    ).items():
        target = errors.setdefault((name,), [])
        target.extend(tk._(m) for m in messages if tk._(m) not in target)
