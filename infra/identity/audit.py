"""The audit log: who read or changed which case or pupil, with which role, when, why, and how it ended.

Append-only (database triggers refuse UPDATE and DELETE) and hash-chained: each row's ``hash`` is the
SHA-256 of the previous row's hash followed by the row's canonical JSON, so a row changed or removed
behind the triggers' back breaks the chain from there on. Appending is serialised so that two writers
never chain on the same row: on PostgreSQL a transaction-level advisory lock, on SQLite ``BEGIN
IMMEDIATE`` (the database's write lock), both held until the transaction ends. :func:`append` is one
small transaction of its own; :func:`append_in` appends within a transaction the caller already has
open (a read and its audit row in one connection and one commit: the row exists exactly if the
caller's transaction commits). Commands append their row through the unit of work's before-commit hook:
the write and its row commit together. The chain is plain SHA-256, so anyone may check it; what makes a
rewrite or a truncation detectable is :mod:`infra.identity.checkpoints` (signed heads kept outside the database).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, ColumnElement, Connection, Engine, Row, Table, and_, literal, or_, select, text

from infra.store.statements import Statements
from infra.store.tables import audit_log, cases

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
    heads: Mapping[int, str] = field(default_factory=dict, compare=False, repr=False)
    """The hash of each asked-for seq the walk passed (to compare with signed checkpoints)."""
    head: str = field(default=GENESIS, compare=False, repr=False)
    """The hash of the last intact row (GENESIS if none)."""


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
    statements = Statements.for_dialect(conn.dialect)  # on the driver's cursor: this runs for every read of a case
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    cursor.execute(statements.sql["audit_head"])
    last = cursor.fetchone()
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    digest = chain_hash(prev, canonical(seq, at, user_id, role, action, resource, purpose, outcome))
    entry = AuditEntry(seq, at, user_id, role, action, resource, purpose, outcome, prev, digest)
    cursor.execute(statements.sql["insert_audit"], statements.params("insert_audit", _row(entry)))
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


SEARCH_KINDS = ("case", "pupil")
"""What the audit log can be searched by: its resources ``case:<id>`` and ``pupil:<id>``."""
MAX_IDENT = 80
LIKE_ESCAPE = "/"


@dataclass(frozen=True)
class AuditSearch:
    """A search of the audit log: part of a case or pupil id (``ident``; a pupil search also finds the rows of
    that pupil's cases), one user, and an instant range ``[since, until)``; empty fields match everything.
    """

    kind: str = "case"
    ident: str = ""
    user_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def __post_init__(self) -> None:
        if self.kind not in SEARCH_KINDS:
            msg = f"unknown search kind {self.kind!r}"
            raise ValueError(msg)
        if len(self.ident) > MAX_IDENT:
            msg = f"an id to search for is at most {MAX_IDENT} characters"
            raise ValueError(msg)

    def described(self) -> str:
        """The search as an audit resource (ids and dates only, at most 120 characters)."""
        parts = [f"{self.kind}={self.ident}" if self.ident else "",
                 f"user={self.user_id}" if self.user_id else "",
                 f"van={self.since.astimezone(UTC).isoformat()}" if self.since else "",
                 f"tot={self.until.astimezone(UTC).isoformat()}" if self.until else ""]
        return ("auditlog?" + "&".join(p for p in parts if p))[:120]


def search(engine: Engine, wanted: AuditSearch, limit: int = 100, offset: int = 0) -> list[AuditEntry]:
    """The rows ``wanted`` finds, newest first.

    The id matches anywhere in the resource's id (``LIKE`` with ``%`` and ``_`` escaped). A pupil search
    matches ``pupil:<id>`` and ``case:<id>`` of every case whose pupil id matches: who read or changed
    anything of this child, in one search.
    """
    query = select(audit_log).where(*_conditions(wanted)).order_by(audit_log.c.seq.desc()).limit(limit).offset(offset)
    with engine.connect() as conn:
        return [AuditEntry(**r._mapping) for r in conn.execute(query)]  # noqa: SLF001 - public row mapping


def like_part(text: str) -> str:
    """``%text%`` for LIKE with :data:`LIKE_ESCAPE` before every ``%``, ``_`` and escape character in ``text``."""
    escaped = text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2).replace("%", f"{LIKE_ESCAPE}%").replace("_", f"{LIKE_ESCAPE}_")
    return f"%{escaped}%"


def _conditions(wanted: AuditSearch) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = []
    if wanted.ident:
        part = like_part(wanted.ident)
        own: ColumnElement[bool] = audit_log.c.resource.like(f"{wanted.kind}:{part}", escape=LIKE_ESCAPE)
        if wanted.kind == "pupil":
            of_cases = select(literal("case:") + cases.c.id).where(cases.c.pupil_id.like(part, escape=LIKE_ESCAPE))
            own = or_(own, audit_log.c.resource.in_(of_cases))
        found.append(own)
    if wanted.user_id:
        found.append(audit_log.c.user_id == wanted.user_id)
    if wanted.since is not None:
        found.append(audit_log.c.at >= wanted.since.astimezone(UTC))
    if wanted.until is not None:
        found.append(audit_log.c.at < wanted.until.astimezone(UTC))
    return [and_(*found)] if found else []


def verify(engine: Engine, batch: int = 5000, heads_at: Collection[int] = ()) -> Verification:
    """Walk the chain from the first row; stop at the first row whose link or hash is wrong. The hashes
    of the rows numbered in ``heads_at`` are reported in ``heads``.
    """
    with engine.connect() as conn:
        return walk(conn, audit_log, audit_log.c.seq, row_content, heads_at, batch=batch)


def row_content(row: Row[Any]) -> str:
    """A stored row's content as hashed."""
    return canonical(row.seq, row.at, row.user_id, row.role, row.action, row.resource, row.purpose, row.outcome)


def walk(conn: Connection, table: Table, position: Column[int], content: Callable[[Row[Any]], str],
         heads_at: Collection[int] = (), *, after: int = 0, prev: str = GENESIS, batch: int = 5000) -> Verification:
    """Walk a hash chain (``prev_hash``/``hash`` columns, ordered by ``position``, dense from 1) from the
    row after ``after`` (whose hash is ``prev``); stop at the first row whose link or hash is wrong.
    """
    wanted, count = set(heads_at), after
    heads: dict[int, str] = {}
    while True:
        rows = conn.execute(select(table).where(position > after).order_by(position).limit(batch)).all()
        if not rows:
            return Verification(count, heads=heads, head=prev)
        for row in rows:
            seq = row._mapping[position.name]  # noqa: SLF001 - public row mapping
            if seq != count + 1:
                return Verification(count, seq, "er ontbreken regels vóór deze regel", heads, prev)
            if row.prev_hash != prev:
                return Verification(count, seq, "de verwijzing naar de vorige regel klopt niet", heads, prev)
            if chain_hash(prev, content(row)) != row.hash:
                return Verification(count, seq, "de inhoud past niet bij de opgeslagen hash", heads, prev)
            if seq in wanted:
                heads[seq] = row.hash
            prev, count, after = row.hash, seq, seq
