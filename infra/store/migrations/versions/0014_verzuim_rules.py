"""Thuiszitters exactly (issue 15 items 1-3): the pupil's startkwalificatie date (kwalificatieplicht ends
with it), the absence's reason category (a closed list; the free-text reason stays) and the hours on the
pupil's timetable that day (whole days out of school), and the duty a register episode applied under
(leerplicht or kwalificatieplicht).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the four columns; existing rows keep their meaning (no startkwalificatie, no category, the
    default day length, duty leerplicht).
    """
    with op.batch_alter_table("pupils") as batch:
        batch.add_column(sa.Column("startkwalificatie_on", sa.Date))
    with op.batch_alter_table("absences") as batch:
        batch.add_column(sa.Column("reason_kind", sa.String(20), nullable=False, server_default=""))
        batch.add_column(sa.Column("scheduled_hours", sa.Float))
    with op.batch_alter_table("thuiszitter_episodes") as batch:
        batch.add_column(sa.Column("duty", sa.String(20), nullable=False, server_default="leerplicht"))


def downgrade() -> None:
    """Drop the four columns."""
    with op.batch_alter_table("thuiszitter_episodes") as batch:
        batch.drop_column("duty")
    with op.batch_alter_table("absences") as batch:
        batch.drop_column("scheduled_hours")
        batch.drop_column("reason_kind")
    with op.batch_alter_table("pupils") as batch:
        batch.drop_column("startkwalificatie_on")
