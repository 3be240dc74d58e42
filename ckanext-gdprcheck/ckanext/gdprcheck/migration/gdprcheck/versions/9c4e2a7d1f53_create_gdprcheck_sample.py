"""Samples of harvested files scanned for personal data (the operator's view; never the
source publisher's gate).

Revision ID: 9c4e2a7d1f53
Revises: 7b2d4e6f8a31
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "9c4e2a7d1f53"
down_revision = "7b2d4e6f8a31"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "gdprcheck_sample",
        sa.Column("resource_id", sa.UnicodeText, primary_key=True),
        sa.Column("package_id", sa.UnicodeText, nullable=False),
        sa.Column("state", sa.UnicodeText, nullable=False),
        sa.Column("findings", JSONB, nullable=False),
        sa.Column("detected", JSONB, nullable=False),
        sa.Column("bytes_scanned", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("rows", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("truncated", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("message", sa.UnicodeText),
        sa.Column("source", sa.UnicodeText),
        sa.Column("updated", sa.DateTime, nullable=False),
    )
    op.create_index("ix_gdprcheck_sample_package_id", "gdprcheck_sample", ["package_id"])


def downgrade():
    op.drop_table("gdprcheck_sample")
