"""The personal-data scanner's results per resource

Revision ID: 5e8a1c3f9d20
Revises:
Create Date: 2026-11-23

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "5e8a1c3f9d20"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "gdprcheck_scan",
        sa.Column("resource_id", sa.UnicodeText, primary_key=True),
        sa.Column("package_id", sa.UnicodeText, nullable=False),
        sa.Column("state", sa.UnicodeText, nullable=False),
        sa.Column("findings", JSONB, nullable=False),
        sa.Column("detected", JSONB, nullable=False),
        sa.Column("bytes_scanned", sa.BigInteger, nullable=False),
        sa.Column("rows", sa.BigInteger, nullable=False),
        sa.Column("encoding", sa.UnicodeText),
        sa.Column("message", sa.UnicodeText),
        sa.Column("seconds", sa.Float),
        sa.Column("source", sa.UnicodeText),
        sa.Column("updated", sa.DateTime, nullable=False),
        sa.CheckConstraint(
            "state IN ('queued', 'done', 'skipped', 'error')", name="gdprcheck_scan_state"
        ),
    )
    op.create_index("ix_gdprcheck_scan_package_id", "gdprcheck_scan", ["package_id"])


def downgrade():
    op.drop_table("gdprcheck_scan")
