"""Deal rooms, offers, messages, attachments, contracts, the audit trail, closed datasets

Revision ID: 2b7d9e4c6a10
Revises:
Create Date: 2026-11-23

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "2b7d9e4c6a10"
down_revision = None
branch_labels = None
depends_on = None

T = sa.UnicodeText


def upgrade():
    op.create_table(
        "dealroom_room",
        sa.Column("id", T, primary_key=True),
        sa.Column("package_id", T, nullable=False),
        sa.Column("seller_org_id", T, nullable=False),
        sa.Column("buyer_user_id", T, nullable=False),
        sa.Column("buyer_org_id", T),
        sa.Column("deal_type", T, nullable=False),
        sa.Column("use_case", T, nullable=False),
        sa.Column("intended_use", T),
        sa.Column("resource_ids", JSONB, nullable=False),
        sa.Column("period_months", sa.Integer),
        sa.Column("state", T, nullable=False),
        sa.Column("reason", T),
        sa.Column("story_buyer", sa.Boolean, nullable=False),
        sa.Column("story_seller", sa.Boolean, nullable=False),
        sa.Column("entitlement_id", T),
        sa.Column("created", sa.DateTime, nullable=False),
        sa.Column("updated", sa.DateTime, nullable=False),
        sa.CheckConstraint(
            "state IN ('requested', 'open', 'declined', 'agreed', 'active', 'expired', 'revoked', 'withdrawn')",
            name="dealroom_room_state",
        ),
        sa.CheckConstraint("deal_type IN ('sale', 'donation')", name="dealroom_room_deal_type"),
    )
    op.create_index("dealroom_room_seller_idx", "dealroom_room", ["seller_org_id", "updated"])
    op.create_index("dealroom_room_buyer_idx", "dealroom_room", ["buyer_user_id", "updated"])
    op.create_index("dealroom_room_package_idx", "dealroom_room", ["package_id"])

    op.create_table(
        "dealroom_offer",
        sa.Column("id", T, primary_key=True),
        sa.Column("room_id", T, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("side", T, nullable=False),
        sa.Column("author_id", T, nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("currency", T, nullable=False),
        sa.Column("period_months", sa.Integer),
        sa.Column("resource_ids", JSONB, nullable=False),
        sa.Column("licence", T, nullable=False),
        sa.Column("clauses", T),
        sa.Column("dpa_required", sa.Boolean, nullable=False),
        sa.Column("state", T, nullable=False),
        sa.Column("created", sa.DateTime, nullable=False),
        sa.UniqueConstraint("room_id", "version", name="dealroom_offer_version"),
        sa.CheckConstraint("amount >= 0", name="dealroom_offer_amount"),
        sa.CheckConstraint("side IN ('buyer', 'seller')", name="dealroom_offer_side"),
    )

    op.create_table(
        "dealroom_message",
        sa.Column("id", T, primary_key=True),
        sa.Column("room_id", T, nullable=False),
        sa.Column("author_id", T),
        sa.Column("body", T, nullable=False),
        sa.Column("created", sa.DateTime, nullable=False),
    )
    op.create_index("dealroom_message_room_idx", "dealroom_message", ["room_id", "created"])

    op.create_table(
        "dealroom_attachment",
        sa.Column("id", T, primary_key=True),
        sa.Column("room_id", T, nullable=False),
        sa.Column("message_id", T, nullable=False),
        sa.Column("filename", T, nullable=False),
        sa.Column("media_type", T, nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("sha256", T, nullable=False),
        sa.Column("created", sa.DateTime, nullable=False),
    )
    op.create_index("dealroom_attachment_room_idx", "dealroom_attachment", ["room_id"])

    op.create_table(
        "dealroom_contract",
        sa.Column("id", T, primary_key=True),
        sa.Column("room_id", T, nullable=False, unique=True),
        sa.Column("offer_id", T, nullable=False, unique=True),
        sa.Column("terms", JSONB, nullable=False),
        sa.Column("sha256", T, nullable=False),
        sa.Column("accepted_by", T, nullable=False),
        sa.Column("accepted_at", sa.DateTime, nullable=False),
        sa.Column("paid_at", sa.DateTime),
        sa.Column("payment", T),
    )

    op.create_table(
        "dealroom_audit",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("room_id", T, nullable=False),
        sa.Column("actor_id", T),
        sa.Column("action", T, nullable=False),
        sa.Column("from_state", T),
        sa.Column("to_state", T, nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
    )
    op.create_index("dealroom_audit_room_idx", "dealroom_audit", ["room_id", "at"])

    op.create_table(
        "dealroom_closed_dataset",
        sa.Column("package_id", T, primary_key=True),
        sa.Column("closed_by", T),
        sa.Column("created", sa.DateTime, nullable=False),
    )


def downgrade():
    for table in (
        "dealroom_closed_dataset",
        "dealroom_audit",
        "dealroom_contract",
        "dealroom_attachment",
        "dealroom_message",
        "dealroom_offer",
        "dealroom_room",
    ):
        op.drop_table(table)
