"""Files withheld for review, and how each hold ended (the audit trail)

Revision ID: 7b2d4e6f8a31
Revises: 5e8a1c3f9d20
Create Date: 2026-12-02

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "7b2d4e6f8a31"
down_revision = "5e8a1c3f9d20"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "gdprcheck_hold",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("package_id", sa.UnicodeText, nullable=False),
        sa.Column("resource_id", sa.UnicodeText, nullable=False),
        sa.Column("detected", JSONB, nullable=False),
        sa.Column("reason", sa.UnicodeText, nullable=False),
        sa.Column("scan_source", sa.UnicodeText),
        sa.Column("held_at", sa.DateTime, nullable=False),
        sa.Column("released_at", sa.DateTime),
        sa.Column("released_by", sa.UnicodeText),
        sa.Column("release_kind", sa.UnicodeText),
        sa.Column("release_reason", sa.UnicodeText),
        sa.Column("entitlements_extended", sa.Integer, nullable=False, server_default="0"),
        sa.CheckConstraint(
            "release_kind IS NULL OR release_kind IN ('corrected', 'replaced', 'sysadmin', 'removed')",
            name="gdprcheck_hold_release_kind",
        ),
        sa.CheckConstraint(
            "(released_at IS NULL) = (release_kind IS NULL)", name="gdprcheck_hold_released"
        ),
    )
    op.create_index("ix_gdprcheck_hold_package_id", "gdprcheck_hold", ["package_id"])
    op.create_index("ix_gdprcheck_hold_resource_id", "gdprcheck_hold", ["resource_id"])
    # One active hold per resource, whatever runs concurrently.
    op.create_index(
        "ux_gdprcheck_hold_active",
        "gdprcheck_hold",
        ["resource_id"],
        unique=True,
        postgresql_where=sa.text("released_at IS NULL"),
    )


def downgrade():
    op.drop_table("gdprcheck_hold")
