"""Meldplicht followed through and the SWV consulted (issue 15 items 4-5): ``meldplicht_meldingen`` holds
the school's verzuimmelding to DUO per meldplicht signal and its escalation when none was made in the term;
``vrijstelling_voornemens`` holds an intended vrijstelling and the SWV coordinator's consultation; the
granted vrijstelling records the day the SWV was consulted (``vrijstellingen.swv_geraadpleegd_on``).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from infra.store.tables import BigId, UTCDateTime

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the two tables and add the consultation day to vrijstellingen (existing rows: none recorded)."""
    op.create_table(
        "meldplicht_meldingen",
        sa.Column("signal_key", sa.String(200), primary_key=True),
        sa.Column("pupil_id", sa.String(64), nullable=False),
        sa.Column("school_brin", sa.String(8), nullable=False),
        sa.Column("swv_code", sa.String(8)),
        sa.Column("residence_cbs", sa.String(4), nullable=False),
        sa.Column("reached_on", sa.Date, nullable=False),
        sa.Column("due_on", sa.Date, nullable=False),
        sa.Column("reported_on", sa.Date),
        sa.Column("kind", sa.String(20)),
        sa.Column("recorded_by", sa.String(36)),
        sa.Column("escalated_on", sa.Date),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_meldplicht_meldingen_school_brin", "meldplicht_meldingen", ["school_brin"])
    op.create_index("ix_meldplicht_meldingen_swv_code", "meldplicht_meldingen", ["swv_code"])
    op.create_index("ix_meldplicht_meldingen_reached_on", "meldplicht_meldingen", ["reached_on"])
    op.create_table(
        "vrijstelling_voornemens",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("pupil_id", sa.String(64), sa.ForeignKey("pupils.id"), nullable=False),
        sa.Column("kind", sa.String(4), nullable=False),
        sa.Column("first_day", sa.Date, nullable=False),
        sa.Column("last_day", sa.Date),
        sa.Column("swv_code", sa.String(8)),
        sa.Column("voorgenomen_on", sa.Date, nullable=False),
        sa.Column("raadplegen_uiterlijk", sa.Date, nullable=False),
        sa.Column("voorgenomen_by", sa.String(36), nullable=False),
        sa.Column("geraadpleegd_on", sa.Date),
        sa.Column("geraadpleegd_by", sa.String(36)),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_vrijstelling_voornemens_pupil_kind_first", "vrijstelling_voornemens",
                    ["pupil_id", "kind", "first_day"], unique=True)
    with op.batch_alter_table("vrijstellingen") as batch:
        batch.add_column(sa.Column("swv_geraadpleegd_on", sa.Date))


def downgrade() -> None:
    """Drop the consultation day and the two tables."""
    with op.batch_alter_table("vrijstellingen") as batch:
        batch.drop_column("swv_geraadpleegd_on")
    op.drop_index("ix_vrijstelling_voornemens_pupil_kind_first", "vrijstelling_voornemens")
    op.drop_table("vrijstelling_voornemens")
    op.drop_index("ix_meldplicht_meldingen_reached_on", "meldplicht_meldingen")
    op.drop_index("ix_meldplicht_meldingen_swv_code", "meldplicht_meldingen")
    op.drop_index("ix_meldplicht_meldingen_school_brin", "meldplicht_meldingen")
    op.drop_table("meldplicht_meldingen")
