"""Engine core: cases, append-only case events, timers, outbox, idempotency keys.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from infra.store.tables import BigId, UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_APPEND_ONLY_SQLITE = """
CREATE TRIGGER case_events_append_only_{op} BEFORE {op} ON case_events
BEGIN SELECT RAISE(ABORT, 'case_events is append-only'); END
"""
_APPEND_ONLY_PG = """
CREATE FUNCTION case_events_append_only() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN RAISE EXCEPTION 'case_events is append-only'; END $$;
CREATE TRIGGER case_events_append_only BEFORE UPDATE OR DELETE ON case_events
FOR EACH ROW EXECUTE FUNCTION case_events_append_only();
"""


def upgrade() -> None:
    """Create the engine's tables and make case_events append-only."""
    op.create_table(
        "cases",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("pathway", sa.String(40), nullable=False),
        sa.Column("definition_version", sa.Integer, nullable=False),
        sa.Column("school_brin", sa.String(8), nullable=False),
        sa.Column("pupil_id", sa.String(64), nullable=False),
        sa.Column("stage", sa.String(60), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("artifacts", sa.JSON, nullable=False),
        sa.Column("opened_at", UTCDateTime, nullable=False),
        sa.Column("stage_entered_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_cases"),
    )
    op.create_index("ix_cases_school", "cases", ["school_brin"])
    op.create_index("ix_cases_pupil", "cases", ["pupil_id"])
    op.create_index("ix_cases_pathway_stage", "cases", ["pathway", "stage"])
    op.create_table(
        "case_events",
        sa.Column("case_id", sa.String(36), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("type", sa.String(60), nullable=False),
        sa.Column("command", sa.String(60), nullable=False),
        sa.Column("stage_from", sa.String(60)),
        sa.Column("stage_to", sa.String(60), nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("actor_role", sa.String(30), nullable=False),
        sa.Column("actor_id", sa.String(64), nullable=False),
        sa.Column("pathway", sa.String(40), nullable=False),
        sa.Column("definition_version", sa.Integer, nullable=False),
        sa.Column("occurred_at", UTCDateTime, nullable=False),
        sa.Column("recorded_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("case_id", "seq", name="pk_case_events"),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_case_events_case_id_cases"),
    )
    op.create_table(
        "timers",
        sa.Column("id", sa.String(120), nullable=False),
        sa.Column("case_id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(60), nullable=False),
        sa.Column("fires", sa.String(60), nullable=False),
        sa.Column("due_at", UTCDateTime, nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("finished_at", UTCDateTime),
        sa.Column("reason", sa.Text),
        sa.PrimaryKeyConstraint("id", name="pk_timers"),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_timers_case_id_cases"),
    )
    op.create_index("ix_timers_state_due", "timers", ["state", "due_at"])
    op.create_index("ix_timers_case_state", "timers", ["case_id", "state"])
    op.create_table(
        "outbox",
        sa.Column("id", BigId, nullable=False, autoincrement=True),
        sa.Column("case_id", sa.String(36), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("type", sa.String(60), nullable=False),
        sa.Column("pathway", sa.String(40), nullable=False),
        sa.Column("stage_from", sa.String(60)),
        sa.Column("stage_to", sa.String(60), nullable=False),
        sa.Column("occurred_at", UTCDateTime, nullable=False),
        sa.Column("relayed_at", UTCDateTime),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
    )
    pending = sa.text("relayed_at IS NULL")
    op.create_index("ix_outbox_pending", "outbox", ["id"], sqlite_where=pending, postgresql_where=pending)
    op.create_table(
        "idempotency_keys",
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("outcome", sa.JSON, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_idempotency_keys"),
    )
    _append_only()


def _append_only() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for operation in ("UPDATE", "DELETE"):
            op.execute(_APPEND_ONLY_SQLITE.format(op=operation))
    else:
        op.execute(_APPEND_ONLY_PG)


def downgrade() -> None:
    """Drop everything the upgrade created."""
    for table in ("idempotency_keys", "outbox", "timers", "case_events", "cases"):
        op.drop_table(table)
    if op.get_bind().dialect.name != "sqlite":
        op.execute("DROP FUNCTION IF EXISTS case_events_append_only()")
