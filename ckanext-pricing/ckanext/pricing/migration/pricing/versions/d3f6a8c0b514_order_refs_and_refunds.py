"""Orders remember every payment id they have seen, and their partial refunds

Revision ID: d3f6a8c0b514
Revises: b1d4e6f8a203
Create Date: 2026-12-02

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "d3f6a8c0b514"
down_revision = "b1d4e6f8a203"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "pricing_order", sa.Column("stripe_refs", JSONB, nullable=False, server_default="[]")
    )
    op.add_column("pricing_order", sa.Column("refunds", JSONB, nullable=False, server_default="{}"))
    # Every id an order has seen: sessions, payment intents, invoices, charges, subscriptions.
    op.execute("""UPDATE pricing_order SET stripe_refs = to_jsonb(array_remove(ARRAY[
        stripe_session_id, stripe_payment_intent, stripe_subscription], NULL))""")
    op.create_index(
        "pricing_order_stripe_refs",
        "pricing_order",
        ["stripe_refs"],
        postgresql_using="gin",
        postgresql_ops={"stripe_refs": "jsonb_path_ops"},
    )


def downgrade():
    op.drop_index("pricing_order_stripe_refs", "pricing_order")
    op.drop_column("pricing_order", "refunds")
    op.drop_column("pricing_order", "stripe_refs")
