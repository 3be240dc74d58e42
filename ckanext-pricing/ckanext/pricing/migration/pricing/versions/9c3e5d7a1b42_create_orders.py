"""Orders, received payment events, seller payment accounts; one entitlement per order

Revision ID: 9c3e5d7a1b42
Revises: 4f1c2a9e7b10
Create Date: 2026-11-23

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "9c3e5d7a1b42"
down_revision = "4f1c2a9e7b10"
branch_labels = None
depends_on = None

STATES = "'pending', 'paid', 'fulfilled', 'failed', 'refunded', 'disputed'"


def upgrade():
    op.create_table(
        "pricing_order",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("package_id", sa.UnicodeText, nullable=False),
        sa.Column("seller_org_id", sa.UnicodeText, nullable=True),
        sa.Column("offer_id", sa.UnicodeText, nullable=False),
        sa.Column("offer", JSONB, nullable=False),
        sa.Column("buyer_id", sa.UnicodeText, nullable=False),
        sa.Column("holder_type", sa.UnicodeText, nullable=False),
        sa.Column("holder_id", sa.UnicodeText, nullable=False),
        sa.Column("state", sa.UnicodeText, nullable=False),
        sa.Column("currency", sa.UnicodeText, nullable=False),
        sa.Column("net", sa.BigInteger, nullable=False),
        sa.Column("vat", sa.BigInteger, nullable=False),
        sa.Column("gross", sa.BigInteger, nullable=False),
        sa.Column("charged", sa.BigInteger, nullable=False),
        sa.Column("vat_rate", sa.Integer, nullable=False),
        sa.Column("vat_mode", sa.UnicodeText, nullable=False),
        sa.Column("platform_fee", sa.BigInteger, nullable=False),
        sa.Column("stripe_account", sa.UnicodeText, nullable=True),
        sa.Column("stripe_session_id", sa.UnicodeText, nullable=True, unique=True),
        sa.Column("checkout_url", sa.UnicodeText, nullable=True),
        sa.Column("stripe_payment_intent", sa.UnicodeText, nullable=True),
        sa.Column("stripe_subscription", sa.UnicodeText, nullable=True),
        sa.Column("entitlement_id", sa.UnicodeText, nullable=True),
        sa.Column("note", sa.UnicodeText, nullable=True),
        sa.Column("created", sa.DateTime, nullable=False),
        sa.Column("updated", sa.DateTime, nullable=False),
        sa.Column("paid_at", sa.DateTime, nullable=True),
        sa.CheckConstraint(f"state IN ({STATES})", name="pricing_order_state"),
        sa.CheckConstraint(
            "holder_type IN ('user', 'organization')", name="pricing_order_holder_type"
        ),
        sa.CheckConstraint(
            "net >= 0 AND vat >= 0 AND gross > 0 AND charged > 0", name="pricing_order_amounts"
        ),
    )
    op.create_index("pricing_order_buyer_idx", "pricing_order", ["buyer_id", "created"])
    op.create_index("pricing_order_seller_idx", "pricing_order", ["seller_org_id", "paid_at"])
    op.create_index("pricing_order_package_idx", "pricing_order", ["package_id"])
    op.create_index("pricing_order_intent_idx", "pricing_order", ["stripe_payment_intent"])
    op.create_index("pricing_order_subscription_idx", "pricing_order", ["stripe_subscription"])

    op.create_table(
        "pricing_stripe_event",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("type", sa.UnicodeText, nullable=False),
        sa.Column("order_id", sa.UnicodeText, nullable=True),
        sa.Column("refs", JSONB, nullable=False),
        sa.Column("fact", JSONB, nullable=True),
        sa.Column("outcome", sa.UnicodeText, nullable=False),
        sa.Column("received", sa.DateTime, nullable=False),
    )
    op.create_index("pricing_stripe_event_order_idx", "pricing_stripe_event", ["order_id"])
    op.create_index(
        "pricing_stripe_event_refs_idx", "pricing_stripe_event", ["refs"], postgresql_using="gin"
    )

    op.create_table(
        "pricing_seller_account",
        sa.Column("organization_id", sa.UnicodeText, primary_key=True),
        sa.Column("stripe_account", sa.UnicodeText, nullable=False, unique=True),
        sa.Column("charges_enabled", sa.Boolean, nullable=False),
        sa.Column("payouts_enabled", sa.Boolean, nullable=False),
        sa.Column("created", sa.DateTime, nullable=False),
        sa.Column("updated", sa.DateTime, nullable=False),
    )

    # A paid order grants one entitlement, however often its payment is reported.
    op.create_index(
        "pricing_entitlement_order_uniq",
        "pricing_entitlement",
        ["source_ref"],
        unique=True,
        postgresql_where=sa.text("source = 'order'"),
    )


def downgrade():
    op.drop_index("pricing_entitlement_order_uniq", "pricing_entitlement")
    op.drop_table("pricing_seller_account")
    op.drop_table("pricing_stripe_event")
    op.drop_table("pricing_order")
