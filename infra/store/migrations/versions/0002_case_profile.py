"""Cases record the SWV profile they run under.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add cases.profile; existing cases ran under the law's standard."""
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("profile", sa.String(40), nullable=False, server_default="standaard"))


def downgrade() -> None:
    """Drop cases.profile."""
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("profile")
