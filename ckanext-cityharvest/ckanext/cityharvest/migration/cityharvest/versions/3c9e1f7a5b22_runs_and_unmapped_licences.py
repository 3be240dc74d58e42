"""Runs of a source, unmapped licences, what makes two copies one dataset, merges

Revision ID: 3c9e1f7a5b22
Revises: 7a2c4e6b8d10
Create Date: 2026-12-03

"""

import sqlalchemy as sa
from alembic import op

revision = "3c9e1f7a5b22"
down_revision = "7a2c4e6b8d10"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "cityharvest_run",
        sa.Column("job_id", sa.UnicodeText, primary_key=True),
        sa.Column("source_id", sa.UnicodeText, nullable=False, index=True),
        # "command" (imported by the process that gathered) or "queue" (the consumers).
        sa.Column("mode", sa.UnicodeText, nullable=False),
        sa.Column("planned_new", sa.Integer, nullable=False, server_default="0"),
        sa.Column("planned_changed", sa.Integer, nullable=False, server_default="0"),
        sa.Column("planned_unchanged", sa.Integer, nullable=False, server_default="0"),
        sa.Column("planned_withdrawn", sa.Integer, nullable=False, server_default="0"),
        sa.Column("listing_complete", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created", sa.DateTime, nullable=False),
    )
    op.add_column("cityharvest_record", sa.Column("unmapped_licence", sa.UnicodeText))
    # What recognises two sources' copies of a dataset that has no identifier of its own.
    op.add_column(
        "cityharvest_record",
        sa.Column("explicit", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.add_column(
        "cityharvest_record",
        sa.Column("publisher_key", sa.UnicodeText, nullable=False, server_default=""),
    )
    op.add_column(
        "cityharvest_record",
        sa.Column("title_key", sa.UnicodeText, nullable=False, server_default=""),
    )
    op.add_column(
        "cityharvest_record",
        sa.Column("urls", sa.ARRAY(sa.UnicodeText), nullable=False, server_default="{}"),
    )
    op.create_index(
        "ix_cityharvest_record_publisher_title",
        "cityharvest_record",
        ["publisher_key", "title_key"],
    )
    # Pairs the harvest could not decide on; the operator merges them or keeps them apart.
    op.create_table(
        "cityharvest_match",
        sa.Column("id", sa.UnicodeText, primary_key=True),
        sa.Column("source_id", sa.UnicodeText, nullable=False),
        sa.Column("remote_id", sa.UnicodeText, nullable=False),
        sa.Column("package_id", sa.UnicodeText, nullable=False),
        sa.Column("candidate_id", sa.UnicodeText, nullable=False),
        sa.Column("decision", sa.UnicodeText),
        sa.Column("decided_by", sa.UnicodeText),
        sa.Column("decided", sa.DateTime),
        sa.Column("created", sa.DateTime, nullable=False),
        sa.UniqueConstraint("source_id", "remote_id", "candidate_id"),
    )
    # Names of datasets merged into another: their pages lead to the one kept.
    op.create_table(
        "cityharvest_alias",
        sa.Column("name", sa.UnicodeText, primary_key=True),
        sa.Column("package_id", sa.UnicodeText, nullable=False),
        sa.Column("created", sa.DateTime, nullable=False),
    )


def downgrade():
    op.drop_table("cityharvest_alias")
    op.drop_table("cityharvest_match")
    op.drop_index("ix_cityharvest_record_publisher_title", "cityharvest_record")
    for column in ("urls", "title_key", "publisher_key", "explicit", "unmapped_licence"):
        op.drop_column("cityharvest_record", column)
    op.drop_table("cityharvest_run")
