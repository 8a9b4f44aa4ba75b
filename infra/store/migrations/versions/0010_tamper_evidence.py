"""Tamper evidence: REPLACE blocked, case events chained, signed checkpoints.

On SQLite ``INSERT OR REPLACE`` deleted a conflicting row of audit_log or case_events without firing the
DELETE trigger (unless ``recursive_triggers`` is on, which the application now sets, but another client
need not): a BEFORE INSERT trigger now refuses an insert whose key exists. On PostgreSQL ``ON CONFLICT DO
UPDATE`` already meets the UPDATE trigger; TRUNCATE fires no row trigger, so a statement trigger refuses it.
case_events get ``chain_seq``, ``prev_hash`` and ``hash`` (:mod:`infra.store.event_chain`); existing events are
chained in the order they were recorded (recorded_at, case, seq). The signed checkpoints live outside the
database (:mod:`infra.identity.checkpoints`): nothing to create for them here.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from infra.store import event_chain
from infra.store.tables import case_events

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_SQLITE_NO_REPLACE = """
CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table}
WHEN {exists}
BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END
"""
_SQLITE_EXISTS = {
    "audit_log": "EXISTS (SELECT 1 FROM audit_log WHERE seq = NEW.seq)",
    "case_events": "EXISTS (SELECT 1 FROM case_events WHERE case_id = NEW.case_id AND seq = NEW.seq) "
                   "OR EXISTS (SELECT 1 FROM case_events WHERE chain_seq = NEW.chain_seq)",
}
_SQLITE_NO_UPDATE = """
CREATE TRIGGER case_events_append_only_UPDATE BEFORE UPDATE ON case_events
BEGIN SELECT RAISE(ABORT, 'case_events is append-only'); END
"""
_PG_NO_TRUNCATE = """
CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
FOR EACH STATEMENT EXECUTE FUNCTION {table}_append_only()
"""
_BATCH = 2000


def upgrade() -> None:
    """Chain the existing case events, then refuse REPLACE (SQLite) and TRUNCATE (PostgreSQL)."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    for name, column in (("chain_seq", sa.Integer), ("prev_hash", sa.String(64)), ("hash", sa.String(64))):
        op.add_column("case_events", sa.Column(name, column, nullable=False,
                                               server_default="0" if name == "chain_seq" else ""))
    if sqlite:
        op.execute("DROP TRIGGER case_events_append_only_UPDATE")
    else:
        op.execute("ALTER TABLE case_events DISABLE TRIGGER case_events_append_only")
    _chain_existing_events()
    if sqlite:
        op.execute(_SQLITE_NO_UPDATE)
    else:
        op.execute("ALTER TABLE case_events ENABLE TRIGGER case_events_append_only")
        for name in ("chain_seq", "prev_hash", "hash"):
            op.alter_column("case_events", name, server_default=None)
    op.create_index("ix_case_events_chain_seq", "case_events", ["chain_seq"], unique=True)
    for table in ("audit_log", "case_events"):
        op.execute(_SQLITE_NO_REPLACE.format(table=table, exists=_SQLITE_EXISTS[table]) if sqlite
                   else _PG_NO_TRUNCATE.format(table=table))


def _chain_existing_events() -> None:
    """Give every existing event its link, oldest first, a batch at a time (streamed, not all in memory)."""
    conn = op.get_bind()
    columns = [c for c in case_events.c if c.name not in {"chain_seq", "prev_hash", "hash"}]
    query = sa.select(*columns).order_by(case_events.c.recorded_at, case_events.c.case_id, case_events.c.seq)
    update = (sa.update(case_events)
              .where(case_events.c.case_id == sa.bindparam("key_case_id"), case_events.c.seq == sa.bindparam("key_seq"))
              .values(chain_seq=sa.bindparam("chain_seq"), prev_hash=sa.bindparam("prev_hash"),
                      hash=sa.bindparam("hash")))
    head: tuple[int, str] | None = None
    for batch in conn.execute(query.execution_options(yield_per=_BATCH)).partitions():
        rows: list[dict[str, Any]] = [dict(r._mapping) for r in batch]  # noqa: SLF001 - public row mapping
        event_chain.link(rows, head)
        head = rows[-1]["chain_seq"], rows[-1]["hash"]
        conn.execute(update, [{"key_case_id": r["case_id"], "key_seq": r["seq"], "chain_seq": r["chain_seq"],
                               "prev_hash": r["prev_hash"], "hash": r["hash"]} for r in rows])


def downgrade() -> None:
    """Drop the triggers, the index and the chain's columns."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table in ("audit_log", "case_events"):
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_replace" if sqlite
                   else f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
    op.drop_index("ix_case_events_chain_seq", table_name="case_events")
    for name in ("hash", "prev_hash", "chain_seq"):
        op.drop_column("case_events", name)
