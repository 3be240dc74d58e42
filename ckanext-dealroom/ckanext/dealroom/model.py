"""The deal room's own tables (created by migration/dealroom, never at import).

Models never commit: the logic layer owns the transaction. No foreign keys onto core
tables; ids of datasets, users and organisations are plain text.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import ckan.plugins.toolkit as tk
import sqlalchemy as sa
from ckan import model
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped


def _uuid() -> str:
    return str(uuid.uuid4())


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


class Room(tk.BaseModel):
    __tablename__ = "dealroom_room"

    id: Mapped[str] = sa.Column(sa.UnicodeText, primary_key=True, default=_uuid)
    package_id: Mapped[str] = sa.Column(sa.UnicodeText, nullable=False)
    seller_org_id: Mapped[str] = sa.Column(sa.UnicodeText, nullable=False)
    buyer_user_id: Mapped[str] = sa.Column(sa.UnicodeText, nullable=False)
    buyer_org_id: Mapped[str | None] = sa.Column(sa.UnicodeText)
    deal_type: Mapped[str] = sa.Column(sa.UnicodeText, nullable=False)
    use_case: Mapped[str] = sa.Column(sa.UnicodeText, nullable=False)
    intended_use: Mapped[str | None] = sa.Column(sa.UnicodeText)
    resource_ids: Mapped[list[str]] = sa.Column(JSONB, nullable=False, default=list)
    period_months: Mapped[int | None] = sa.Column(sa.Integer)
    state: Mapped[str] = sa.Column(sa.UnicodeText, nullable=False)
    reason: Mapped[str | None] = sa.Column(sa.UnicodeText)
    story_buyer: Mapped[bool] = sa.Column(sa.Boolean, nullable=False, default=False)
    story_seller: Mapped[bool] = sa.Column(sa.Boolean, nullable=False, default=False)
    entitlement_id: Mapped[str | None] = sa.Column(sa.UnicodeText)
    created: Mapped[dt.datetime] = sa.Column(sa.DateTime, nullable=False, default=_now)
    updated: Mapped[dt.datetime] = sa.Column(sa.DateTime, nullable=False, default=_now)

    @classmethod
    def get(cls, room_id: str, *, lock: bool = False) -> Room | None:
        query = model.Session.query(cls).filter(cls.id == room_id)
        # A locked read returns the row as it is now, not as this session last saw it.
        return (query.with_for_update().populate_existing() if lock else query).first()


class Offer(tk.BaseModel):
    """Immutable terms proposed by one side; only ``state`` changes (live → superseded,
    accepted or withdrawn)."""

    __tablename__ = "dealroom_offer"

    id: Mapped[str] = sa.Column(sa.UnicodeText, primary_key=True, default=_uuid)
    room_id: Mapped[str] = sa.Column(sa.UnicodeText, nullable=False)
    version: Mapped[int] = sa.Column(sa.Integer, nullable=False)
    side: Mapped[str] = sa.Column(sa.UnicodeText, nullable=False)
    author_id: Mapped[str] = sa.Column(sa.UnicodeText, nullable=False)
    amount: Mapped[int] = sa.Column(sa.BigInteger, nullable=False)
    currency: Mapped[str] = sa.Column(sa.UnicodeText, nullable=False)
    period_months: Mapped[int | None] = sa.Column(sa.Integer)
    resource_ids: Mapped[list[str]] = sa.Column(JSONB, nullable=False, default=list)
    licence: Mapped[str] = sa.Column(sa.UnicodeText, nullable=False)
    clauses: Mapped[str | None] = sa.Column(sa.UnicodeText)
    dpa_required: Mapped[bool] = sa.Column(sa.Boolean, nullable=False, default=False)
    state: Mapped[str] = sa.Column(sa.UnicodeText, nullable=False, default="live")
    created: Mapped[dt.datetime] = sa.Column(sa.DateTime, nullable=False, default=_now)

    def dictize(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "room_id": self.room_id,
            "version": self.version,
            "side": self.side,
            "author_id": self.author_id,
            "amount": self.amount,
            "currency": self.currency,
            "period_months": self.period_months,
            "resource_ids": list(self.resource_ids or []),
            "licence": self.licence,
            "clauses": self.clauses,
            "dpa_required": self.dpa_required,
            "state": self.state,
            "created": iso(self.created),
        }


class Message(tk.BaseModel):
    __tablename__ = "dealroom_message"

    id: Mapped[str] = sa.Column(sa.UnicodeText, primary_key=True, default=_uuid)
    room_id: Mapped[str] = sa.Column(sa.UnicodeText, nullable=False)
    author_id: Mapped[str | None] = sa.Column(sa.UnicodeText)  # None: a system message
    body: Mapped[str] = sa.Column(sa.UnicodeText, nullable=False)
    created: Mapped[dt.datetime] = sa.Column(sa.DateTime, nullable=False, default=_now)


class Attachment(tk.BaseModel):
    __tablename__ = "dealroom_attachment"

    id: Mapped[str] = sa.Column(sa.UnicodeText, primary_key=True, default=_uuid)
    room_id: Mapped[str] = sa.Column(sa.UnicodeText, nullable=False)
    message_id: Mapped[str] = sa.Column(sa.UnicodeText, nullable=False)
    filename: Mapped[str] = sa.Column(sa.UnicodeText, nullable=False)
    media_type: Mapped[str] = sa.Column(sa.UnicodeText, nullable=False)
    size: Mapped[int] = sa.Column(sa.BigInteger, nullable=False)
    sha256: Mapped[str] = sa.Column(sa.UnicodeText, nullable=False)
    created: Mapped[dt.datetime] = sa.Column(sa.DateTime, nullable=False, default=_now)


class Contract(tk.BaseModel):
    __tablename__ = "dealroom_contract"

    id: Mapped[str] = sa.Column(sa.UnicodeText, primary_key=True, default=_uuid)
    room_id: Mapped[str] = sa.Column(sa.UnicodeText, nullable=False, unique=True)
    offer_id: Mapped[str] = sa.Column(sa.UnicodeText, nullable=False, unique=True)
    terms: Mapped[dict[str, Any]] = sa.Column(JSONB, nullable=False)
    sha256: Mapped[str] = sa.Column(sa.UnicodeText, nullable=False)
    accepted_by: Mapped[str] = sa.Column(sa.UnicodeText, nullable=False)
    accepted_at: Mapped[dt.datetime] = sa.Column(sa.DateTime, nullable=False)
    paid_at: Mapped[dt.datetime | None] = sa.Column(sa.DateTime)
    payment: Mapped[str | None] = sa.Column(sa.UnicodeText)  # invoice | free

    def dictize(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "room_id": self.room_id,
            "offer_id": self.offer_id,
            "terms": dict(self.terms),
            "sha256": self.sha256,
            "accepted_by": self.accepted_by,
            "accepted_at": iso(self.accepted_at),
            "paid_at": iso(self.paid_at),
            "payment": self.payment,
        }


class Audit(tk.BaseModel):
    __tablename__ = "dealroom_audit"

    id: Mapped[int] = sa.Column(sa.BigInteger, primary_key=True, autoincrement=True)
    room_id: Mapped[str] = sa.Column(sa.UnicodeText, nullable=False)
    actor_id: Mapped[str | None] = sa.Column(sa.UnicodeText)
    action: Mapped[str] = sa.Column(sa.UnicodeText, nullable=False)
    from_state: Mapped[str | None] = sa.Column(sa.UnicodeText)
    to_state: Mapped[str] = sa.Column(sa.UnicodeText, nullable=False)
    at: Mapped[dt.datetime] = sa.Column(sa.DateTime, nullable=False, default=_now)


class ClosedDataset(tk.BaseModel):
    """A dataset whose seller takes no new deal rooms."""

    __tablename__ = "dealroom_closed_dataset"

    package_id: Mapped[str] = sa.Column(sa.UnicodeText, primary_key=True)
    closed_by: Mapped[str | None] = sa.Column(sa.UnicodeText)
    created: Mapped[dt.datetime] = sa.Column(sa.DateTime, nullable=False, default=_now)
