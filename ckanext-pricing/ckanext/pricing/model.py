"""The pricing plugin's own tables (created by migration/pricing, never at import).

Models never commit: the logic layer owns the transaction.
"""
from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Optional

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped

import ckan.model as model
import ckan.plugins.toolkit as tk


def _uuid() -> str:
    return str(uuid.uuid4())


def _now() -> dt.datetime:
    return dt.datetime.utcnow()


class Entitlement(tk.BaseModel):  # type: ignore[misc, valid-type]
    """A holder's right to the locked resources of one dataset, for a period."""

    __tablename__ = "pricing_entitlement"

    id: Mapped[str] = sa.Column(sa.UnicodeText, primary_key=True, default=_uuid)
    holder_type: Mapped[str] = sa.Column(sa.UnicodeText, nullable=False)
    holder_id: Mapped[str] = sa.Column(sa.UnicodeText, nullable=False)
    package_id: Mapped[str] = sa.Column(sa.UnicodeText, nullable=False)
    resource_ids: Mapped[Optional[list[str]]] = sa.Column(JSONB, nullable=True)
    source: Mapped[str] = sa.Column(sa.UnicodeText, nullable=False)
    source_ref: Mapped[Optional[str]] = sa.Column(sa.UnicodeText)
    valid_from: Mapped[dt.datetime] = sa.Column(sa.DateTime, nullable=False, default=_now)
    valid_until: Mapped[Optional[dt.datetime]] = sa.Column(sa.DateTime)
    revoked_at: Mapped[Optional[dt.datetime]] = sa.Column(sa.DateTime)
    revoked_by: Mapped[Optional[str]] = sa.Column(sa.UnicodeText)
    revoke_reason: Mapped[Optional[str]] = sa.Column(sa.UnicodeText)
    created: Mapped[dt.datetime] = sa.Column(sa.DateTime, nullable=False, default=_now)
    created_by: Mapped[Optional[str]] = sa.Column(sa.UnicodeText)

    @classmethod
    def get(cls, entitlement_id: str) -> Optional["Entitlement"]:
        return model.Session.query(cls).get(entitlement_id)

    def dictize(self) -> dict[str, Any]:
        def iso(value: Optional[dt.datetime]) -> Optional[str]:
            return value.isoformat() if value else None

        return {
            "id": self.id,
            "holder_type": self.holder_type,
            "holder_id": self.holder_id,
            "package_id": self.package_id,
            "resource_ids": list(self.resource_ids) if self.resource_ids is not None else None,
            "source": self.source,
            "source_ref": self.source_ref,
            "valid_from": iso(self.valid_from),
            "valid_until": iso(self.valid_until),
            "revoked_at": iso(self.revoked_at),
            "revoke_reason": self.revoke_reason,
            "created": iso(self.created),
        }


class Block(tk.BaseModel):  # type: ignore[misc, valid-type]
    """An organisation that may not buy or be granted a dataset (e.g. a competitor)."""

    __tablename__ = "pricing_block"

    package_id: Mapped[str] = sa.Column(sa.UnicodeText, primary_key=True)
    organization_id: Mapped[str] = sa.Column(sa.UnicodeText, primary_key=True)
    created: Mapped[dt.datetime] = sa.Column(sa.DateTime, nullable=False, default=_now)
    created_by: Mapped[Optional[str]] = sa.Column(sa.UnicodeText)


class Download(tk.BaseModel):  # type: ignore[misc, valid-type]
    """One delivery of a locked resource's data to someone outside the seller."""

    __tablename__ = "pricing_download"

    id: Mapped[int] = sa.Column(sa.BigInteger, primary_key=True, autoincrement=True)
    package_id: Mapped[str] = sa.Column(sa.UnicodeText, nullable=False)
    resource_id: Mapped[str] = sa.Column(sa.UnicodeText, nullable=False)
    user_id: Mapped[Optional[str]] = sa.Column(sa.UnicodeText)
    via: Mapped[str] = sa.Column(sa.UnicodeText, nullable=False)
    at: Mapped[dt.datetime] = sa.Column(sa.DateTime, nullable=False, default=_now)
