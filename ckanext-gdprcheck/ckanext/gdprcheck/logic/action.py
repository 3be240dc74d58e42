"""Actions of the GDPR checklist and the personal-data scanner."""

from __future__ import annotations

from typing import Any

import ckan.plugins.toolkit as tk
import sqlalchemy as sa
from ckan import model
from ckan.types import Context, DataDict

from ckanext.cityexchange.context import commit
from ckanext.cityexchange.guard import validate as _validate
from ckanext.gdprcheck import checklist, holds, jobs, status
from ckanext.gdprcheck.helpers import gdprcheck_detector_label
from ckanext.gdprcheck.logic import schema
from ckanext.gdprcheck.model import Hold, Sample, Scan

__all__ = [
    "gdprcheck_hold_list",
    "gdprcheck_hold_release",
    "gdprcheck_sample_list",
    "gdprcheck_scan_request",
    "gdprcheck_scan_show",
    "gdprcheck_source_checklist",
    "gdprcheck_status_show",
]


def _resource(context: Context, data_dict: DataDict, auth: str) -> model.Resource:
    """The resource named by ``id``, once the caller passes ``auth`` for its dataset."""
    # Validated before the access check: the resource it names decides who may act.
    data = _validate(data_dict, schema.id_only(), context)
    resource = model.Resource.get(data["id"])
    if resource is None:
        raise tk.ObjectNotFound(tk._("Resource not found"))
    tk.check_access(auth, context, {"id": resource.id, "package_id": resource.package_id})
    return resource


@tk.side_effect_free
def gdprcheck_status_show(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """A dataset's checklist status: ``complete``, ``incomplete`` (with the missing items)
    or ``blocked`` (with the reasons). Anyone who may see the dataset may ask; what the
    scanner found is named only to its editors.

    :param id: the dataset (id or name)
    :type id: string
    :returns: ``status``, ``missing`` (and ``missing_text``, each item in words),
        ``reasons``, ``field_errors``, ``package_id`` and ``declared_by`` (who answered
        the checklist: ``publisher`` unless the dataset says otherwise)
    :rtype: dictionary
    """
    tk.check_access("gdprcheck_status_show", context, data_dict)
    data = _validate(data_dict, schema.id_only(), context)
    pkg = tk.get_action("package_show")({"user": context.get("user")}, {"id": data["id"]})
    return status.for_viewer(pkg, context.get("user"))


@tk.side_effect_free
def gdprcheck_scan_show(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """What the scanner found in a resource: detector, column, count and masked examples
    (never raw values). For the publisher's editors.

    :param id: the resource's id
    :type id: string
    :returns: the scan: ``resource_id``, ``package_id``, ``state`` (``not scanned`` if
        it never was), ``findings`` and ``detected``; once scanned, also
        ``bytes_scanned``, ``rows``, ``encoding``, ``message``, ``seconds`` and
        ``updated``
    :rtype: dictionary
    """
    resource = _resource(context, data_dict, "gdprcheck_scan_show")
    scan = model.Session.get(Scan, resource.id)
    if scan is None:
        return {
            "resource_id": resource.id,
            "package_id": resource.package_id,
            "state": "not scanned",
            "findings": [],
            "detected": [],
        }
    return scan.dictize()


def gdprcheck_scan_request(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Scan a resource again, in the background. For the publisher's editors.

    :param id: the resource's id
    :type id: string
    :returns: ``resource_id`` and ``queued`` (false when the resource is not a file the
        scanner reads)
    :rtype: dictionary
    """
    resource = _resource(context, data_dict, "gdprcheck_scan_request")
    queued = jobs.enqueue(resource.id, force=True)
    return {"resource_id": resource.id, "queued": queued}


@tk.side_effect_free
def gdprcheck_hold_list(context: Context, data_dict: DataDict) -> list[dict[str, Any]]:
    """The audit trail of a dataset's holds: every file withheld for review, what the
    scanner found (detector names only), and how and by whom each hold ended. For the
    publisher's editors and sysadmins.

    :param id: the dataset (id or name)
    :type id: string
    :returns: the holds, newest first
    :rtype: list of dictionaries
    """
    # Validated before the access check: the dataset it names decides who may act.
    data = _validate(data_dict, schema.id_only(), context)
    pkg = model.Package.get(data["id"])
    if pkg is None:
        raise tk.ObjectNotFound(tk._("Dataset not found"))
    tk.check_access("gdprcheck_hold_list", context, {"id": pkg.id})
    return holds.trail(pkg.id)


def gdprcheck_hold_release(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Release a hold although the scan still contradicts the checklist (a false
    positive, say). Sysadmins only, with a reason, which goes into the audit trail; the
    same file is not held again by the same scan. Buyers' entitlements are extended by
    the hold's length.

    :param id: the hold
    :type id: string
    :param reason: why the file may be published
    :type reason: string
    :returns: the released hold
    :rtype: dictionary
    """
    tk.check_access("gdprcheck_hold_release", context, data_dict)
    data = _validate(data_dict, schema.release(), context)
    hold = model.Session.query(Hold).filter(Hold.id == data["id"]).with_for_update().one_or_none()
    if hold is None:
        raise tk.ObjectNotFound(tk._("Hold not found"))
    if hold.released_at is not None:
        raise tk.ValidationError({"id": [tk._("This hold has already ended")]})
    user = model.User.get(context.get("user") or "")
    holds.release(hold, kind="sysadmin", by=user.id if user else None, reason=data["reason"])
    result = hold.dictize()
    commit(context)
    holds.reindex(hold.package_id)
    return result


@tk.side_effect_free
def gdprcheck_sample_list(context: Context, data_dict: DataDict) -> list[dict[str, Any]]:
    """What the scans of samples of harvested files found (detector, column, count and
    masked examples; never raw values). For sysadmins, the operator: the files are
    published by the source portals, and nothing is held here.

    :param package_ids: only these datasets (optional)
    :type package_ids: list of strings
    :param only_findings: only samples in which personal data was found (default true)
    :type only_findings: boolean
    :param limit: at most this many, newest first (default 100, at most 1000)
    :type limit: integer
    :returns: the samples, each with ``package_id``, ``resource_id``, ``detected`` and
        ``findings`` (each with the detector's ``label`` in the caller's language)
    :rtype: list of dictionaries
    """
    tk.check_access("gdprcheck_sample_list", context, data_dict)
    data = _validate(data_dict, schema.sample_list(), context)
    query = model.Session.query(Sample)
    if data.get("package_ids") is not None:
        query = query.filter(Sample.package_id.in_(data["package_ids"]))
    if data.get("only_findings", True):
        query = query.filter(Sample.detected != sa.text("'[]'::jsonb"))
    rows = query.order_by(Sample.updated.desc()).limit(data.get("limit", 100)).all()
    out = [row.dictize() for row in rows]
    for sample in out:
        for finding in sample["findings"]:
            finding["label"] = gdprcheck_detector_label(finding["detector"])
    return out


@tk.side_effect_free
def gdprcheck_source_checklist(context: Context, data_dict: DataDict) -> dict[str, str]:
    """The checklist a harvester sets on a dataset it brings from another portal: what
    the source declared (the checklist's own fields, DCAT-AP-DK's personal-data category,
    DPV's legal basis, purpose and controller), marked "declared by the source". Where
    the source declares nothing about personal data, that answer stays empty and the
    status is ``not_declared``. Its files are sampled for the operator, never held.
    Anyone may call it: it reads nothing stored.

    :param dataset: the remote dataset, as the source portal's API or ckanext-dcat's
        parser gives it (top-level fields and ``extras``)
    :type dataset: dictionary
    :returns: the checklist fields and their values
    :rtype: dictionary
    """
    tk.check_access("gdprcheck_source_checklist", context, data_dict)
    dataset = data_dict.get("dataset", {})
    if not isinstance(dataset, dict):
        raise tk.ValidationError({"dataset": [tk._("Must be a dataset object")]})
    return checklist.source_checklist(dataset)
