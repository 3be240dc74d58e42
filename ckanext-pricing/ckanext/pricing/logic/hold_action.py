"""An action the paywall offers to plugins that hold resources for review
(``IPricingHolds``): extend a dataset's buyers' entitlements by the length of a hold
when it ends. (Closing the open checkouts of a dataset whose sales pause is
``pricing_checkout_expire``.)"""

from __future__ import annotations

import datetime as dt
from typing import Any

import ckan.plugins.toolkit as tk
from ckan import model
from ckan.types import Context, DataDict

from ckanext.pricing.logic import schema
from ckanext.pricing.logic.util import validate as _validate
from ckanext.pricing.model import Entitlement

__all__ = ["pricing_entitlement_extend"]


def _package_id(name_or_id: str) -> str:
    pkg = model.Package.get(name_or_id)
    if pkg is None:
        raise tk.ObjectNotFound(tk._("Dataset not found"))
    return pkg.id


def pricing_entitlement_extend(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Extend, by the length of a hold, every entitlement to a dataset that was valid
    during it (not revoked, with an end date after the hold began), so that buyers do not
    pay for the time its data was withheld. Unlimited entitlements stay unlimited.
    Sysadmins only (the plugin that held the data calls it as the site user). Commits
    unless ``defer_commit`` is set, so that the caller can make it part of its release.

    :param package_id: the dataset (id or name)
    :type package_id: string
    :param held_from: when the hold began (ISO 8601, UTC)
    :type held_from: string
    :param held_until: when it ended (default: now)
    :type held_until: string
    :param resource_ids: the held resources: entitlements to other resources of the
        dataset only are not extended (default: every entitlement to the dataset)
    :type resource_ids: list of strings
    :returns: ``{"extended": [entitlement ids], "seconds": length of the hold}``
    :rtype: dictionary
    """
    tk.check_access("pricing_entitlement_extend", context, data_dict)
    data = _validate(data_dict, schema.entitlement_extend(), context)
    package_id = _package_id(data["package_id"])
    held_from: dt.datetime = data["held_from"].replace(tzinfo=None)
    held_until: dt.datetime = (
        data.get("held_until") or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    ).replace(tzinfo=None)
    if held_until <= held_from:
        raise tk.ValidationError({"held_until": [tk._("The hold must end after it began")]})
    length = held_until - held_from
    wanted = set(data.get("resource_ids") or [])
    rows = (
        model.Session.query(Entitlement)
        .filter(
            Entitlement.package_id == package_id,
            Entitlement.revoked_at.is_(None),
            Entitlement.valid_until.isnot(None),
            Entitlement.valid_until > held_from,
            Entitlement.valid_from < held_until,
        )
        .with_for_update()
        .all()
    )
    extended = []
    for row in rows:
        if wanted and row.resource_ids and not wanted & set(row.resource_ids):
            continue
        row.valid_until = row.valid_until + length
        extended.append(row.id)
    if context.get("defer_commit"):
        model.Session.flush()
    else:
        model.repo.commit()
    return {"extended": extended, "seconds": int(length.total_seconds())}
