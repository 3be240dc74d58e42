"""What the catalog holds from each harvest source

Revision ID: 7a2c4e6b8d10
Revises:
Create Date: 2026-11-24

"""

import sqlalchemy as sa
from alembic import op

revision = "7a2c4e6b8d10"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "cityharvest_record",
        sa.Column("source_id", sa.UnicodeText, primary_key=True),
        sa.Column("remote_id", sa.UnicodeText, primary_key=True),
        sa.Column("identity", sa.UnicodeText, nullable=False),
        sa.Column("package_id", sa.UnicodeText),
        sa.Column("owner", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("stamp", sa.UnicodeText, nullable=False, server_default=""),
        sa.Column("remote_url", sa.UnicodeText),
        sa.Column("harvested", sa.DateTime, nullable=False),
    )
    op.create_index("ix_cityharvest_record_identity", "cityharvest_record", ["identity"])
    op.create_index("ix_cityharvest_record_package_id", "cityharvest_record", ["package_id"])
    # One importing source per dataset: the dedupe across sources rests on this.
    op.create_index(
        "ux_cityharvest_record_owner",
        "cityharvest_record",
        ["identity"],
        unique=True,
        postgresql_where=sa.text("owner"),
    )


def downgrade():
    op.drop_table("cityharvest_record")
