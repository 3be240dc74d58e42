"""The scanner's results, one row per resource (created by migration/gdprcheck).

Only detector names, columns, counts and masked examples are stored: never a raw value.
Models never commit: the logic layer and the scan job own the transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import ckan.plugins.toolkit as tk
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped


class Scan(tk.BaseModel):
    __tablename__ = "gdprcheck_scan"

    resource_id: Mapped[str] = sa.Column(sa.UnicodeText, primary_key=True)
    package_id: Mapped[str] = sa.Column(sa.UnicodeText, nullable=False, index=True)
    state: Mapped[str] = sa.Column(
        sa.UnicodeText, nullable=False
    )  # queued | done | skipped | error
    findings: Mapped[list[dict[str, Any]]] = sa.Column(JSONB, nullable=False, default=list)
    detected: Mapped[list[str]] = sa.Column(JSONB, nullable=False, default=list)
    bytes_scanned: Mapped[int] = sa.Column(sa.BigInteger, nullable=False, default=0)
    rows: Mapped[int] = sa.Column(sa.BigInteger, nullable=False, default=0)
    encoding: Mapped[str | None] = sa.Column(sa.UnicodeText)
    message: Mapped[str | None] = sa.Column(sa.UnicodeText)
    seconds: Mapped[float | None] = sa.Column(sa.Float)
    source: Mapped[str | None] = sa.Column(sa.UnicodeText)  # what was scanned: URL, modified, size
    updated: Mapped[dt.datetime] = sa.Column(sa.DateTime, nullable=False)

    def dictize(self) -> dict[str, Any]:
        return {
            "resource_id": self.resource_id,
            "package_id": self.package_id,
            "state": self.state,
            "findings": list(self.findings or []),
            "detected": list(self.detected or []),
            "bytes_scanned": self.bytes_scanned,
            "rows": self.rows,
            "encoding": self.encoding,
            "message": self.message,
            "seconds": self.seconds,
            "updated": self.updated.isoformat(),
        }


class Sample(tk.BaseModel):
    """The first megabytes of a harvested file, scanned in the background. Findings are
    for the operator (the harvest status page and an e-mail to sysadmins): the file lives
    on the source portal, whose publisher our gate does not reach."""

    __tablename__ = "gdprcheck_sample"

    resource_id: Mapped[str] = sa.Column(sa.UnicodeText, primary_key=True)
    package_id: Mapped[str] = sa.Column(sa.UnicodeText, nullable=False, index=True)
    state: Mapped[str] = sa.Column(sa.UnicodeText, nullable=False)  # done | skipped | error
    findings: Mapped[list[dict[str, Any]]] = sa.Column(JSONB, nullable=False, default=list)
    detected: Mapped[list[str]] = sa.Column(JSONB, nullable=False, default=list)
    bytes_scanned: Mapped[int] = sa.Column(sa.BigInteger, nullable=False, default=0)
    rows: Mapped[int] = sa.Column(sa.BigInteger, nullable=False, default=0)
    truncated: Mapped[bool] = sa.Column(
        sa.Boolean, nullable=False, default=False
    )  # the file is longer
    message: Mapped[str | None] = sa.Column(sa.UnicodeText)
    source: Mapped[str | None] = sa.Column(sa.UnicodeText)  # what was sampled: URL, modified, size
    updated: Mapped[dt.datetime] = sa.Column(sa.DateTime, nullable=False)

    def dictize(self) -> dict[str, Any]:
        return {
            "resource_id": self.resource_id,
            "package_id": self.package_id,
            "state": self.state,
            "findings": list(self.findings or []),
            "detected": list(self.detected or []),
            "bytes_scanned": self.bytes_scanned,
            "rows": self.rows,
            "truncated": self.truncated,
            "message": self.message,
            "updated": self.updated.isoformat(),
        }


class Hold(tk.BaseModel):
    """A file withheld for review, and how the hold ended: the audit trail. Rows are
    never deleted; a resource has at most one active hold (``released_at`` empty)."""

    __tablename__ = "gdprcheck_hold"

    id: Mapped[str] = sa.Column(sa.UnicodeText, primary_key=True)
    package_id: Mapped[str] = sa.Column(sa.UnicodeText, nullable=False, index=True)
    resource_id: Mapped[str] = sa.Column(sa.UnicodeText, nullable=False, index=True)
    detected: Mapped[list[str]] = sa.Column(
        JSONB, nullable=False, default=list
    )  # detector names only
    reason: Mapped[str] = sa.Column(sa.UnicodeText, nullable=False)
    scan_source: Mapped[str | None] = sa.Column(sa.UnicodeText)  # the file the scan read
    held_at: Mapped[dt.datetime] = sa.Column(sa.DateTime, nullable=False)
    released_at: Mapped[dt.datetime | None] = sa.Column(sa.DateTime)
    released_by: Mapped[str | None] = sa.Column(sa.UnicodeText)  # user id; empty: automatic
    release_kind: Mapped[str | None] = sa.Column(
        sa.UnicodeText
    )  # corrected | replaced | sysadmin | removed
    release_reason: Mapped[str | None] = sa.Column(sa.UnicodeText)
    entitlements_extended: Mapped[int] = sa.Column(sa.Integer, nullable=False, default=0)

    def dictize(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "package_id": self.package_id,
            "resource_id": self.resource_id,
            "detected": list(self.detected or []),
            "reason": self.reason,
            "held_at": self.held_at.isoformat(),
            "active": self.released_at is None,
            "released_at": self.released_at.isoformat() if self.released_at else None,
            "released_by": self.released_by,
            "release_kind": self.release_kind,
            "release_reason": self.release_reason,
            "entitlements_extended": self.entitlements_extended,
        }
