"""What this catalog holds from each harvest source (created by migration/cityharvest).

One row per source and remote dataset. Several rows share an ``identity`` when two
sources reach the same dataset: the row with ``owner`` set is the source that imports
it; the others are recorded sightings (they keep the dataset when the owner withdraws
it). Models never commit: the logic layer owns the transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import ckan.plugins.toolkit as tk
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Mapped


class Record(tk.BaseModel):
    __tablename__ = "cityharvest_record"

    source_id: Mapped[str] = sa.Column(sa.UnicodeText, primary_key=True)
    remote_id: Mapped[str] = sa.Column(sa.UnicodeText, primary_key=True)
    identity: Mapped[str] = sa.Column(sa.UnicodeText, nullable=False, index=True)
    package_id: Mapped[str | None] = sa.Column(sa.UnicodeText, index=True)
    owner: Mapped[bool] = sa.Column(sa.Boolean, nullable=False, default=False)
    stamp: Mapped[str] = sa.Column(sa.UnicodeText, nullable=False, default="")
    remote_url: Mapped[str | None] = sa.Column(sa.UnicodeText)
    harvested: Mapped[dt.datetime] = sa.Column(sa.DateTime, nullable=False)
    # The licence the source names when this portal's register has no match for it.
    unmapped_licence: Mapped[str | None] = sa.Column(sa.UnicodeText)
    # Whether the identity is the dataset's own (an identifier, a URI) rather than its id
    # at the source; and what recognises a copy without one (mapping.compare).
    explicit: Mapped[bool] = sa.Column(sa.Boolean, nullable=False, default=False)
    publisher_key: Mapped[str] = sa.Column(sa.UnicodeText, nullable=False, default="")
    title_key: Mapped[str] = sa.Column(sa.UnicodeText, nullable=False, default="")
    urls: Mapped[list[str]] = sa.Column(
        postgresql.ARRAY(sa.UnicodeText), nullable=False, default=list
    )

    def dictize(self) -> dict[str, Any]:
        return {
            "source_id": self.source_id,
            "remote_id": self.remote_id,
            "identity": self.identity,
            "package_id": self.package_id,
            "owner": self.owner,
            "stamp": self.stamp,
            "remote_url": self.remote_url,
            "harvested": self.harvested.isoformat(),
            "unmapped_licence": self.unmapped_licence,
        }


class Run(tk.BaseModel):
    """One harvest job of a cityharvest source, as planned at gather: how many remote
    datasets were new, changed, unchanged and withdrawn (unchanged ones get no harvest
    object, so ckanext-harvest's report cannot count them) and who imports its objects:
    the process that gathered (``command``: its objects are created claimed, so that no
    queue consumer takes them) or the queue consumers (``queue``)."""

    __tablename__ = "cityharvest_run"

    job_id: Mapped[str] = sa.Column(sa.UnicodeText, primary_key=True)
    source_id: Mapped[str] = sa.Column(sa.UnicodeText, nullable=False, index=True)
    mode: Mapped[str] = sa.Column(sa.UnicodeText, nullable=False)
    planned_new: Mapped[int] = sa.Column(sa.Integer, nullable=False, default=0)
    planned_changed: Mapped[int] = sa.Column(sa.Integer, nullable=False, default=0)
    planned_unchanged: Mapped[int] = sa.Column(sa.Integer, nullable=False, default=0)
    planned_withdrawn: Mapped[int] = sa.Column(sa.Integer, nullable=False, default=0)
    listing_complete: Mapped[bool] = sa.Column(sa.Boolean, nullable=False, default=False)
    created: Mapped[dt.datetime] = sa.Column(sa.DateTime, nullable=False)


class Match(tk.BaseModel):
    """A remote dataset that may be a copy of a dataset here (``candidate_id``), without
    an identifier to tell: imported as its own dataset (``package_id``) until the
    operator decides (``merge`` or ``apart``)."""

    __tablename__ = "cityharvest_match"

    id: Mapped[str] = sa.Column(sa.UnicodeText, primary_key=True)
    source_id: Mapped[str] = sa.Column(sa.UnicodeText, nullable=False)
    remote_id: Mapped[str] = sa.Column(sa.UnicodeText, nullable=False)
    package_id: Mapped[str] = sa.Column(sa.UnicodeText, nullable=False)
    candidate_id: Mapped[str] = sa.Column(sa.UnicodeText, nullable=False)
    decision: Mapped[str | None] = sa.Column(sa.UnicodeText)
    decided_by: Mapped[str | None] = sa.Column(sa.UnicodeText)
    decided: Mapped[dt.datetime | None] = sa.Column(sa.DateTime)
    created: Mapped[dt.datetime] = sa.Column(sa.DateTime, nullable=False)

    def dictize(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "source_id": self.source_id,
            "remote_id": self.remote_id,
            "package_id": self.package_id,
            "candidate_id": self.candidate_id,
            "decision": self.decision,
            "decided_by": self.decided_by,
            "decided": self.decided.isoformat() if self.decided else None,
            "created": self.created.isoformat(),
        }


class Alias(tk.BaseModel):
    """The name of a dataset merged into another: its pages lead to the one kept."""

    __tablename__ = "cityharvest_alias"

    name: Mapped[str] = sa.Column(sa.UnicodeText, primary_key=True)
    package_id: Mapped[str] = sa.Column(sa.UnicodeText, nullable=False)
    created: Mapped[dt.datetime] = sa.Column(sa.DateTime, nullable=False)
