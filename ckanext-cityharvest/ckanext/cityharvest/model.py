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
        }
