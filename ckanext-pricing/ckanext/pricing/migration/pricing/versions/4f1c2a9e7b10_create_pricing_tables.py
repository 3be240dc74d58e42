"""Create entitlements, blocked organisations and the download log

Revision ID: 4f1c2a9e7b10
Revises:
Create Date: 2026-11-23

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "4f1c2a9e7b10"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "pricing_entitlement",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("holder_type", sa.UnicodeText, nullable=False),
        sa.Column("holder_id", sa.UnicodeText, nullable=False),
        sa.Column("package_id", sa.UnicodeText, nullable=False),
        sa.Column("resource_ids", JSONB, nullable=True),
        sa.Column("source", sa.UnicodeText, nullable=False),
        sa.Column("source_ref", sa.UnicodeText, nullable=True),
        sa.Column("valid_from", sa.DateTime, nullable=False),
        sa.Column("valid_until", sa.DateTime, nullable=True),
        sa.Column("revoked_at", sa.DateTime, nullable=True),
        sa.Column("revoked_by", sa.UnicodeText, nullable=True),
        sa.Column("revoke_reason", sa.UnicodeText, nullable=True),
        sa.Column("created", sa.DateTime, nullable=False),
        sa.Column("created_by", sa.UnicodeText, nullable=True),
        sa.CheckConstraint(
            "holder_type IN ('user', 'organization')", name="pricing_entitlement_holder_type"
        ),
        sa.CheckConstraint(
            "source IN ('order', 'deal', 'grant')", name="pricing_entitlement_source"
        ),
    )
    op.create_index("pricing_entitlement_package_idx", "pricing_entitlement", ["package_id"])
    op.create_index("pricing_entitlement_holder_idx", "pricing_entitlement", ["holder_id"])

    op.create_table(
        "pricing_block",
        sa.Column("package_id", sa.UnicodeText, primary_key=True),
        sa.Column("organization_id", sa.UnicodeText, primary_key=True),
        sa.Column("created", sa.DateTime, nullable=False),
        sa.Column("created_by", sa.UnicodeText, nullable=True),
    )

    op.create_table(
        "pricing_download",
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=True),
        sa.Column("package_id", sa.UnicodeText, nullable=False),
        sa.Column("resource_id", sa.UnicodeText, nullable=False),
        sa.Column("user_id", sa.UnicodeText, nullable=True),
        sa.Column("via", sa.UnicodeText, nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
    )
    op.create_index("pricing_download_package_idx", "pricing_download", ["package_id", "at"])


def downgrade():
    op.drop_table("pricing_download")
    op.drop_table("pricing_block")
    op.drop_index("pricing_entitlement_holder_idx", "pricing_entitlement")
    op.drop_index("pricing_entitlement_package_idx", "pricing_entitlement")
    op.drop_table("pricing_entitlement")
