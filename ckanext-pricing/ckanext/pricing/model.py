"""The pricing plugin's own tables (created by migration/pricing, never at import).

Models never commit: the logic layer owns the transaction.
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


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


class Entitlement(tk.BaseModel):
    """A holder's right to the locked resources of one dataset, for a period."""

    __tablename__ = "pricing_entitlement"

    id: Mapped[str] = sa.Column(sa.UnicodeText, primary_key=True, default=_uuid)
    holder_type: Mapped[str] = sa.Column(sa.UnicodeText, nullable=False)
    holder_id: Mapped[str] = sa.Column(sa.UnicodeText, nullable=False)
    package_id: Mapped[str] = sa.Column(sa.UnicodeText, nullable=False)
    resource_ids: Mapped[list[str] | None] = sa.Column(JSONB, nullable=True)
    source: Mapped[str] = sa.Column(sa.UnicodeText, nullable=False)
    source_ref: Mapped[str | None] = sa.Column(sa.UnicodeText)
    valid_from: Mapped[dt.datetime] = sa.Column(sa.DateTime, nullable=False, default=_now)
    valid_until: Mapped[dt.datetime | None] = sa.Column(sa.DateTime)
    revoked_at: Mapped[dt.datetime | None] = sa.Column(sa.DateTime)
    revoked_by: Mapped[str | None] = sa.Column(sa.UnicodeText)
    revoke_reason: Mapped[str | None] = sa.Column(sa.UnicodeText)
    created: Mapped[dt.datetime] = sa.Column(sa.DateTime, nullable=False, default=_now)
    created_by: Mapped[str | None] = sa.Column(sa.UnicodeText)

    @classmethod
    def get(cls, entitlement_id: str) -> Entitlement | None:
        return model.Session.get(cls, entitlement_id)

    def dictize(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "holder_type": self.holder_type,
            "holder_id": self.holder_id,
            "package_id": self.package_id,
            "resource_ids": list(self.resource_ids) if self.resource_ids is not None else None,
            "source": self.source,
            "source_ref": self.source_ref,
            "valid_from": _iso(self.valid_from),
            "valid_until": _iso(self.valid_until),
            "revoked_at": _iso(self.revoked_at),
            "revoke_reason": self.revoke_reason,
            "created": _iso(self.created),
        }


class Block(tk.BaseModel):
    """An organisation that may not buy or be granted a dataset (e.g. a competitor)."""

    __tablename__ = "pricing_block"

    package_id: Mapped[str] = sa.Column(sa.UnicodeText, primary_key=True)
    organization_id: Mapped[str] = sa.Column(sa.UnicodeText, primary_key=True)
    created: Mapped[dt.datetime] = sa.Column(sa.DateTime, nullable=False, default=_now)
    created_by: Mapped[str | None] = sa.Column(sa.UnicodeText)


class Download(tk.BaseModel):
    """One delivery of a locked resource's data to someone outside the seller."""

    __tablename__ = "pricing_download"

    id: Mapped[int] = sa.Column(sa.BigInteger, primary_key=True, autoincrement=True)
    package_id: Mapped[str] = sa.Column(sa.UnicodeText, nullable=False)
    resource_id: Mapped[str] = sa.Column(sa.UnicodeText, nullable=False)
    user_id: Mapped[str | None] = sa.Column(sa.UnicodeText)
    via: Mapped[str] = sa.Column(sa.UnicodeText, nullable=False)
    at: Mapped[dt.datetime] = sa.Column(sa.DateTime, nullable=False, default=_now)


ORDER_STATES = ("pending", "paid", "fulfilled", "failed", "refunded", "disputed")


class Order(tk.BaseModel):
    """A buyer's purchase of one offer, and its payment at the provider."""

    __tablename__ = "pricing_order"

    id: Mapped[str] = sa.Column(sa.UnicodeText, primary_key=True, default=_uuid)
    package_id: Mapped[str] = sa.Column(sa.UnicodeText, nullable=False)
    seller_org_id: Mapped[str | None] = sa.Column(sa.UnicodeText)
    offer_id: Mapped[str] = sa.Column(sa.UnicodeText, nullable=False)
    offer: Mapped[dict[str, Any]] = sa.Column(JSONB, nullable=False)
    source: Mapped[str] = sa.Column(sa.UnicodeText, nullable=False, default="offer")  # offer | deal
    source_ref: Mapped[str | None] = sa.Column(sa.UnicodeText)  # the deal room
    buyer_id: Mapped[str] = sa.Column(sa.UnicodeText, nullable=False)
    holder_type: Mapped[str] = sa.Column(sa.UnicodeText, nullable=False)
    holder_id: Mapped[str] = sa.Column(sa.UnicodeText, nullable=False)
    state: Mapped[str] = sa.Column(sa.UnicodeText, nullable=False, default="pending")
    currency: Mapped[str] = sa.Column(sa.UnicodeText, nullable=False)
    net: Mapped[int] = sa.Column(sa.BigInteger, nullable=False)
    vat: Mapped[int] = sa.Column(sa.BigInteger, nullable=False)
    gross: Mapped[int] = sa.Column(sa.BigInteger, nullable=False)
    charged: Mapped[int] = sa.Column(sa.BigInteger, nullable=False)
    vat_rate: Mapped[int] = sa.Column(sa.Integer, nullable=False)
    vat_mode: Mapped[str] = sa.Column(sa.UnicodeText, nullable=False)
    platform_fee: Mapped[int] = sa.Column(sa.BigInteger, nullable=False, default=0)
    stripe_account: Mapped[str | None] = sa.Column(sa.UnicodeText)
    stripe_session_id: Mapped[str | None] = sa.Column(sa.UnicodeText, unique=True)
    checkout_url: Mapped[str | None] = sa.Column(sa.UnicodeText)
    stripe_payment_intent: Mapped[str | None] = sa.Column(sa.UnicodeText)
    stripe_subscription: Mapped[str | None] = sa.Column(sa.UnicodeText)
    # every Stripe id seen for the order (sessions, payment intents, invoices, charges)
    stripe_refs: Mapped[list[str]] = sa.Column(JSONB, nullable=False, default=list)
    # partial refunds: charge id -> amount refunded of it so far
    refunds: Mapped[dict[str, int]] = sa.Column(JSONB, nullable=False, default=dict)
    entitlement_id: Mapped[str | None] = sa.Column(sa.UnicodeText)
    note: Mapped[str | None] = sa.Column(sa.UnicodeText)
    created: Mapped[dt.datetime] = sa.Column(sa.DateTime, nullable=False, default=_now)
    updated: Mapped[dt.datetime] = sa.Column(sa.DateTime, nullable=False, default=_now)
    paid_at: Mapped[dt.datetime | None] = sa.Column(sa.DateTime)

    @classmethod
    def get(cls, order_id: str) -> Order | None:
        return model.Session.get(cls, order_id)

    def dictize(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "package_id": self.package_id,
            "seller_org_id": self.seller_org_id,
            "offer_id": self.offer_id,
            "offer": dict(self.offer),
            "source": self.source,
            "source_ref": self.source_ref,
            "buyer_id": self.buyer_id,
            "holder_type": self.holder_type,
            "holder_id": self.holder_id,
            "state": self.state,
            "currency": self.currency,
            "net": self.net,
            "vat": self.vat,
            "gross": self.gross,
            "charged": self.charged,
            "vat_rate": self.vat_rate,
            "vat_mode": self.vat_mode,
            "platform_fee": self.platform_fee,
            "entitlement_id": self.entitlement_id,
            "refunded": sum((self.refunds or {}).values()),
            "note": self.note,
            "created": _iso(self.created),
            "updated": _iso(self.updated),
            "paid_at": _iso(self.paid_at),
        }


class StripeEvent(tk.BaseModel):
    """Each payment event received, once: its id is the key that makes delivery idempotent.

    ``fact`` keeps what the event said about an order (never card or customer details), so
    that an event that arrived before its order's payment (a refund seen first) can be
    applied once the payment is seen.
    """

    __tablename__ = "pricing_stripe_event"

    id: Mapped[str] = sa.Column(sa.UnicodeText, primary_key=True)
    type: Mapped[str] = sa.Column(sa.UnicodeText, nullable=False)
    order_id: Mapped[str | None] = sa.Column(sa.UnicodeText)
    refs: Mapped[list[str]] = sa.Column(JSONB, nullable=False, default=list)
    fact: Mapped[dict[str, Any] | None] = sa.Column(JSONB)
    outcome: Mapped[str] = sa.Column(sa.UnicodeText, nullable=False)
    received: Mapped[dt.datetime] = sa.Column(sa.DateTime, nullable=False, default=_now)


class SellerAccount(tk.BaseModel):
    """A seller organisation's connected payment account (Stripe Connect)."""

    __tablename__ = "pricing_seller_account"

    organization_id: Mapped[str] = sa.Column(sa.UnicodeText, primary_key=True)
    stripe_account: Mapped[str] = sa.Column(sa.UnicodeText, nullable=False, unique=True)
    charges_enabled: Mapped[bool] = sa.Column(sa.Boolean, nullable=False, default=False)
    payouts_enabled: Mapped[bool] = sa.Column(sa.Boolean, nullable=False, default=False)
    created: Mapped[dt.datetime] = sa.Column(sa.DateTime, nullable=False, default=_now)
    updated: Mapped[dt.datetime] = sa.Column(sa.DateTime, nullable=False, default=_now)
