"""Copies of a dataset that came through two sources without a shared identifier: the
pairs the harvest could not decide on, the operator's decision, and the merge of
duplicates imported before (or decided after the fact). A merged dataset's pages lead
to the one kept (``Alias``)."""

from __future__ import annotations

import datetime as dt
import uuid
from itertools import combinations
from typing import Any

import ckan.plugins.toolkit as tk
from ckan import model
from ckan.types import Context, DataDict

from ckanext.cityexchange.context import commit, site_context
from ckanext.cityexchange.guard import validate as _validate
from ckanext.cityharvest import mapping
from ckanext.cityharvest.logic import schema
from ckanext.cityharvest.logic.action._common import lock_identity
from ckanext.cityharvest.model import Alias, Match, Record

__all__ = ["cityharvest_duplicates_merge", "cityharvest_match_decide", "cityharvest_match_list"]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _dataset(package_id: str) -> dict[str, Any] | None:
    package = model.Package.get(package_id)
    if package is None:
        return None
    return {"id": package.id, "name": package.name, "title": package.title, "state": package.state}


@tk.side_effect_free
def cityharvest_match_list(context: Context, data_dict: DataDict) -> list[dict[str, Any]]:
    """Pairs of datasets that may be one dataset reached through two sources, which the
    harvest left apart for the operator to decide. Sysadmins only.

    :param decided: list decided pairs too (default: only undecided ones)
    :type decided: boolean
    :returns: the pairs, newest first, each with ``id``, ``source_id``, ``remote_id``,
        ``package_id``, ``candidate_id``, ``decision``, ``decided_by``, ``decided``,
        ``created``, and ``dataset`` and ``candidate`` (``id``, ``name``, ``title``,
        ``state``) and ``source_title``
    :rtype: list of dictionaries
    """
    from ckanext.harvest.model import HarvestSource

    tk.check_access("cityharvest_match_list", context, data_dict)
    data = _validate(data_dict, schema.match_list(), context)
    query = model.Session.query(Match, HarvestSource.title).outerjoin(
        HarvestSource, HarvestSource.id == Match.source_id
    )
    if not data.get("decided"):
        query = query.filter(Match.decision.is_(None))
    out = []
    for match, source_title in query.order_by(Match.created.desc()).limit(500):
        dataset, candidate = _dataset(match.package_id), _dataset(match.candidate_id)
        if not data.get("decided") and (
            dataset is None
            or candidate is None
            or dataset["state"] != "active"
            or candidate["state"] != "active"
        ):
            continue
        out.append(
            dict(match.dictize(), dataset=dataset, candidate=candidate, source_title=source_title)
        )
    return out


def _merge(from_id: str, into_id: str, site: Context) -> None:
    """Fold the dataset ``from_id`` into ``into_id``: the sources that reach it are
    recorded beside the kept one (they keep it if its source lets go), the folded dataset
    is deleted (it stays in the trash), and its name and id lead to the kept one."""
    into_owner = (
        model.Session.query(Record)
        .filter(Record.package_id == into_id, Record.owner.is_(True))
        .first()
    )
    folded = model.Session.query(Record).filter(Record.package_id == from_id).all()
    if into_owner is None or not folded:
        raise tk.ValidationError({"id": [tk._("Both datasets must be harvested")]})
    for ident in sorted({into_owner.identity, *(r.identity for r in folded)}):
        lock_identity(ident)
    folded = (
        model.Session.query(Record).filter(Record.package_id == from_id).populate_existing().all()
    )
    # Other pairs of the folded dataset now concern the one kept.
    model.Session.query(Match).filter(
        Match.candidate_id == from_id, Match.decision.is_(None)
    ).update({"candidate_id": into_id}, synchronize_session=False)
    model.Session.query(Match).filter(
        Match.package_id == from_id, Match.decision.is_(None), Match.candidate_id != into_id
    ).update({"decision": "superseded"}, synchronize_session=False)
    for record in folded:
        record.identity, record.package_id, record.owner = into_owner.identity, into_id, False
        record.stamp = ""  # imported again as a copy of the kept dataset at its next run
    gone = model.Package.get(from_id)
    now = _now()
    model.Session.query(Alias).filter(Alias.package_id == from_id).update({"package_id": into_id})
    for name in {gone.name, gone.id} if gone is not None else set():
        if model.Session.get(Alias, name) is None:
            model.Session.add(Alias(name=name, package_id=into_id, created=now))
    model.Session.flush()
    if gone is not None and gone.state == "active":
        tk.get_action("package_delete")(dict(site, defer_commit=True), {"id": from_id})


def cityharvest_match_decide(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """The operator's decision on a pair the harvest could not decide on: ``merge`` folds
    the newer copy into the dataset it was compared with (its name leads there from then
    on); ``apart`` keeps them apart for good. Sysadmins only.

    :param id: the pair's id (from ``cityharvest_match_list``)
    :type id: string
    :param decision: ``merge`` or ``apart``
    :type decision: string
    :returns: the pair, decided
    :rtype: dictionary
    """
    tk.check_access("cityharvest_match_decide", context, data_dict)
    data = _validate(data_dict, schema.match_decide(), context)
    match = model.Session.get(Match, data["id"])
    if match is None:
        raise tk.ObjectNotFound(tk._("No such pair"))
    if match.decision is not None:
        raise tk.ValidationError({"id": [tk._("This pair was decided already")]})
    candidate = model.Package.get(match.candidate_id)
    if data["decision"] == "merge" and (candidate is None or candidate.state != "active"):
        raise tk.ValidationError(
            {"id": [tk._("The dataset to merge into is no longer published here")]}
        )
    if data["decision"] == "merge":
        _merge(match.package_id, match.candidate_id, site_context())
    match.decision, match.decided_by, match.decided = (
        data["decision"],
        context.get("user") or "",
        _now(),
    )
    commit(context)
    return match.dictize()


def _backfill_keys(record: Record) -> None:
    """Keys for a record imported before they were kept, from the dataset here."""
    package = model.Package.get(record.package_id) if record.package_id else None
    if package is None:
        return
    org = model.Group.get(package.owner_org) if package.owner_org else None
    record.publisher_key = mapping.publisher_key(
        {"organization": {"title": org.title, "name": org.name}} if org else {}
    )
    record.title_key = mapping.title_key({"title": package.title, "name": package.name})
    record.urls = mapping.resource_urls(
        {"resources": [{"url": r.url} for r in package.resources if r.state == "active"]}
    )
    # An identity other than the id at the source was the dataset's own (an identifier).
    record.explicit = record.identity != record.remote_id


def cityharvest_duplicates_merge(context: Context, data_dict: DataDict) -> dict[str, Any]:
    """Merge the duplicates harvested before copies were recognised: datasets from two
    sources that ``mapping.compare`` finds the same are folded into the older one (its
    URLs keep working: the newer one's name leads to it); the uncertain pairs are listed
    for the operator (``cityharvest_match_list``). Sysadmins only (``ckan cityharvest
    merge-duplicates``).

    :param dry_run: only say what would be merged (default false)
    :type dry_run: boolean
    :returns: ``merged`` (pairs ``{"from": name, "into": name}``) and ``uncertain`` (how
        many pairs were listed for the operator)
    :rtype: dictionary
    """
    tk.check_access("cityharvest_duplicates_merge", context, data_dict)
    data = _validate(data_dict, schema.duplicates_merge(), context)
    owners = (
        model.Session.query(Record, model.Package.metadata_created)
        .join(model.Package, model.Package.id == Record.package_id)
        .filter(Record.owner.is_(True), model.Package.state == "active")
        .order_by(model.Package.metadata_created)
        .all()
    )
    for record, _created in owners:
        if not record.publisher_key:
            _backfill_keys(record)
    groups: dict[tuple[str, str], list[Record]] = {}
    for record, _created in owners:
        if record.publisher_key and record.title_key:
            groups.setdefault((record.publisher_key, record.title_key), []).append(record)
    merged: list[dict[str, str]] = []
    uncertain = 0
    folded: set[str] = set()
    site, now = site_context(), _now()
    for records in groups.values():
        for older, newer in combinations(records, 2):  # oldest first
            if older.source_id == newer.source_id or {older.package_id, newer.package_id} & folded:
                continue
            if older.explicit and newer.explicit:
                continue
            verdict = mapping.compare(
                (newer.publisher_key, newer.title_key, newer.urls),
                (older.publisher_key, older.title_key, older.urls),
            )
            if verdict == mapping.SAME:
                names = {
                    "from": model.Package.get(newer.package_id).name,
                    "into": model.Package.get(older.package_id).name,
                }
                merged.append(names)
                if not data.get("dry_run"):
                    folded.add(str(newer.package_id))
                    _merge(str(newer.package_id), str(older.package_id), site)
            elif verdict == mapping.UNCERTAIN and not data.get("dry_run"):
                exists = (
                    model.Session.query(Match.id)
                    .filter(
                        Match.package_id == newer.package_id,
                        Match.candidate_id == older.package_id,
                    )
                    .first()
                )
                if exists is None:
                    model.Session.add(
                        Match(
                            id=str(uuid.uuid4()),
                            source_id=newer.source_id,
                            remote_id=newer.remote_id,
                            package_id=newer.package_id,
                            candidate_id=older.package_id,
                            created=now,
                        )
                    )
                    uncertain += 1
    if data.get("dry_run"):
        model.Session.rollback()
    else:
        commit(context)
    return {"merged": merged, "uncertain": uncertain}
