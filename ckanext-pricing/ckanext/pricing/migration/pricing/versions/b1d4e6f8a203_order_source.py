"""Orders know what they pay for: a dataset offer, or a deal-room contract

Revision ID: b1d4e6f8a203
Revises: 9c3e5d7a1b42
Create Date: 2026-11-23

"""

import sqlalchemy as sa
from alembic import op

revision = "b1d4e6f8a203"
down_revision = "9c3e5d7a1b42"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "pricing_order", sa.Column("source", sa.UnicodeText, nullable=False, server_default="offer")
    )
    op.add_column("pricing_order", sa.Column("source_ref", sa.UnicodeText, nullable=True))
    op.create_check_constraint(
        "pricing_order_source", "pricing_order", "source IN ('offer', 'deal')"
    )


def downgrade():
    op.drop_constraint("pricing_order_source", "pricing_order")
    op.drop_column("pricing_order", "source_ref")
    op.drop_column("pricing_order", "source")
