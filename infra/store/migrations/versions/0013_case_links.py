"""Hand-offs between pathways: ``case_links`` records what each declared reaction did for one source event
(opened a case, issued a command, not needed, or refused), keyed on (reaction, source case, source seq) so
that it happens once. The reactions feed starts at the outbox's current end: events recorded before this
revision get no hand-off afterwards (the silence check lists what they should have opened).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from infra.store.tables import UTCDateTime

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create case_links and start the reactions feed after the last outbox row."""
    op.create_table(
        "case_links",
        sa.Column("reaction", sa.String(60), primary_key=True),
        sa.Column("source_case_id", sa.String(36), primary_key=True),
        sa.Column("source_seq", sa.Integer, primary_key=True),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("target_case_id", sa.String(36)),
        sa.Column("target_seq", sa.Integer),
        sa.Column("at", UTCDateTime, nullable=False),
    )
    op.create_index("ix_case_links_source", "case_links", ["source_case_id"])
    op.create_index("ix_case_links_target", "case_links", ["target_case_id"])
    op.execute("INSERT INTO feed_cursors (name, position) SELECT 'reactions', COALESCE(MAX(id), 0) FROM outbox")


def downgrade() -> None:
    """Drop case_links and the reactions feed's cursor."""
    op.execute("DELETE FROM feed_cursors WHERE name = 'reactions'")
    op.drop_index("ix_case_links_target", "case_links")
    op.drop_index("ix_case_links_source", "case_links")
    op.drop_table("case_links")
