"""The audit log: who read or changed which case or pupil, with which role, when, why, and how it ended.

Append-only (database triggers refuse UPDATE and DELETE) and hash-chained: each row's ``hash`` is the
SHA-256 of the previous row's hash followed by the row's canonical JSON, so a row changed or removed
behind the triggers' back breaks the chain from there on. Appending is serialised so that two writers
never chain on the same row: on PostgreSQL a transaction-level advisory lock, on SQLite ``BEGIN
IMMEDIATE`` (the database's write lock), both held until the transaction ends. :func:`append` is one
small transaction of its own; :func:`append_in` appends within a transaction the caller already has
open (a read and its audit row in one connection and one commit: the row exists exactly if the
caller's transaction commits).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, text

from infra.tables import audit_log

GENESIS = "0" * 64
"""The ``prev_hash`` of the first row."""
ADVISORY_LOCK = 0x4C52_4155  # "LRAU": the audit chain's lock on PostgreSQL


@dataclass(frozen=True)
class AuditEntry:
    """One row of the audit log."""

    seq: int
    at: datetime
    user_id: str
    role: str
    action: str
    resource: str
    purpose: str
    outcome: str
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class Verification:
    """What walking the chain found: how many rows, and the first broken one (if any)."""

    rows: int
    broken_seq: int | None = None
    problem: str = ""


def canonical(seq: int, at: datetime, user_id: str, role: str, action: str, resource: str, purpose: str,
              outcome: str) -> str:
    """The row's content as hashed: sorted keys, no whitespace, the instant in UTC ISO 8601."""
    return json.dumps({"seq": seq, "at": at.astimezone(UTC).isoformat(), "user_id": user_id, "role": role,
                       "action": action, "resource": resource, "purpose": purpose, "outcome": outcome},
                      sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def chain_hash(prev_hash: str, content: str) -> str:
    """``sha256(prev_hash + content)`` in hex."""
    return hashlib.sha256((prev_hash + content).encode()).hexdigest()


def append(engine: Engine, *, at: datetime, user_id: str, role: str, action: str, resource: str,
           purpose: str, outcome: str) -> AuditEntry:
    """Append one row to the chain, in its own transaction."""
    with engine.connect() as conn, conn.begin():
        return append_in(conn, at=at, user_id=user_id, role=role, action=action, resource=resource,
                         purpose=purpose, outcome=outcome)


def append_in(conn: Connection, *, at: datetime, user_id: str, role: str, action: str, resource: str,
              purpose: str, outcome: str) -> AuditEntry:
    """Append one row to the chain within the transaction open on ``conn``; it commits or rolls back
    with that transaction. The chain's lock is taken here and held until the caller commits, so call
    this last, just before the commit. On SQLite call it while the driver has no transaction open yet
    (plain SELECTs run outside one): ``BEGIN IMMEDIATE`` starts it here, so the append never has to
    turn an older read snapshot into a write (which fails if another writer committed in between).
    """
    at = at.astimezone(UTC)
    _lock(conn)
    last = conn.execute(select(audit_log.c.seq, audit_log.c.hash).order_by(audit_log.c.seq.desc()).limit(1)).first()
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    digest = chain_hash(prev, canonical(seq, at, user_id, role, action, resource, purpose, outcome))
    entry = AuditEntry(seq, at, user_id, role, action, resource, purpose, outcome, prev, digest)
    conn.execute(insert(audit_log), _row(entry))
    return entry


def _lock(conn: Connection) -> None:
    if conn.dialect.name == "sqlite":
        if not conn.connection.dbapi_connection.in_transaction:  # type: ignore[union-attr]
            conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK})


def _row(entry: AuditEntry) -> dict[str, Any]:
    return {"seq": entry.seq, "at": entry.at, "user_id": entry.user_id, "role": entry.role,
            "action": entry.action, "resource": entry.resource, "purpose": entry.purpose,
            "outcome": entry.outcome, "prev_hash": entry.prev_hash, "hash": entry.hash}


def entries(engine: Engine, resource: str | None = None, user_id: str | None = None, limit: int = 100,
            offset: int = 0) -> list[AuditEntry]:
    """Rows, newest first, optionally of one resource and/or one user."""
    query = select(audit_log).order_by(audit_log.c.seq.desc()).limit(limit).offset(offset)
    if resource is not None:
        query = query.where(audit_log.c.resource == resource)
    if user_id is not None:
        query = query.where(audit_log.c.user_id == user_id)
    with engine.connect() as conn:
        return [AuditEntry(**r._mapping) for r in conn.execute(query)]  # noqa: SLF001 - public row mapping


def verify(engine: Engine, batch: int = 5000) -> Verification:
    """Walk the chain from the first row; stop at the first row whose link or hash is wrong."""
    prev, count, after = GENESIS, 0, 0
    with engine.connect() as conn:
        while True:
            rows = conn.execute(select(audit_log).where(audit_log.c.seq > after)
                                .order_by(audit_log.c.seq).limit(batch)).all()
            if not rows:
                return Verification(count)
            for r in rows:
                e = AuditEntry(**r._mapping)  # noqa: SLF001
                if e.prev_hash != prev:
                    return Verification(count, e.seq, "de verwijzing naar de vorige regel klopt niet")
                content = canonical(e.seq, e.at, e.user_id, e.role, e.action, e.resource, e.purpose, e.outcome)
                if chain_hash(prev, content) != e.hash:
                    return Verification(count, e.seq, "de inhoud past niet bij de opgeslagen hash")
                prev, count, after = e.hash, count + 1, e.seq
