"""One open room per buyer (or buying organisation) and dataset

Revision ID: 6c1e3a5b7d92
Revises: 2b7d9e4c6a10
Create Date: 2026-12-02

"""

from alembic import op

revision = "6c1e3a5b7d92"
down_revision = "2b7d9e4c6a10"
branch_labels = None
depends_on = None

OPEN = "state IN ('requested', 'open', 'agreed')"


def upgrade():
    op.create_index(
        "dealroom_room_one_open_per_user",
        "dealroom_room",
        ["package_id", "buyer_user_id"],
        unique=True,
        postgresql_where=f"{OPEN} AND buyer_org_id IS NULL",
    )
    op.create_index(
        "dealroom_room_one_open_per_org",
        "dealroom_room",
        ["package_id", "buyer_org_id"],
        unique=True,
        postgresql_where=f"{OPEN} AND buyer_org_id IS NOT NULL",
    )


def downgrade():
    op.drop_index("dealroom_room_one_open_per_org", "dealroom_room")
    op.drop_index("dealroom_room_one_open_per_user", "dealroom_room")
