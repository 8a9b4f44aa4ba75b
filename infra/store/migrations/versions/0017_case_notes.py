"""Notes on a case (issue 16): what the SWV coordinator and the school write on a case, and whether a note was
the coordinator's question to the school ('vraag de school', which raises a ``vraag_school`` alert), and the
one-time key of the form or request that wrote it (a note sent twice is stored once).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from infra.store.tables import BigId, UTCDateTime

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the notes, indexed by case."""
    op.create_table(
        "case_notes",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.String(36), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("author_id", sa.String(36), nullable=False),
        sa.Column("author_role", sa.String(30), nullable=False),
        sa.Column("text", sa.String(2000), nullable=False),
        sa.Column("asks_school", sa.Boolean, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("request_key", sa.String(200)),
        sa.UniqueConstraint("case_id", "author_id", "request_key", name="uq_case_notes_request"),
    )
    op.create_index("ix_case_notes_case_id", "case_notes", ["case_id"])


def downgrade() -> None:
    """Drop the notes."""
    op.drop_index("ix_case_notes_case_id", "case_notes")
    op.drop_table("case_notes")
