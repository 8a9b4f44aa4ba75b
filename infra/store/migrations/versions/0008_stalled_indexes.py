"""Indexes for the stalled-pathways monitor at scale: cases by (profile, pathway, stage, entered), and
the due date of pending timers only (an expression index: PostgreSQL keeps statistics on it).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create both indexes."""
    op.create_index("ix_cases_profile_pathway_stage_entered", "cases",
                    ["profile", "pathway", "stage", "stage_entered_at"])
    op.create_index("ix_timers_pending_due", "timers",
                    [sa.text("(CASE WHEN state = 'pending' THEN due_at END)")])


def downgrade() -> None:
    """Drop both indexes."""
    op.drop_index("ix_timers_pending_due", table_name="timers")
    op.drop_index("ix_cases_profile_pathway_stage_entered", table_name="cases")
