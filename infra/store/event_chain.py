"""The case events' hash chain: one chain over every case's events, in the order they were committed.

Each event row carries ``chain_seq`` (its place in the chain, dense from 1), ``prev_hash`` (the hash of
the event before it, of whichever case) and ``hash`` = SHA-256 of ``prev_hash`` followed by the event's
canonical JSON, as the audit log is chained (:func:`infra.identity.audit.chain_hash`).

Why one chain for all cases and not one per case: a signed checkpoint (:mod:`infra.identity.checkpoints`) then
pins every event ever written with two values (how many and the head hash), and deleting a case's newest
events (which a per-case chain would not notice: its remaining prefix still verifies) shortens the one
chain or breaks it. The price is that writers of events are serialised from their first event to their
commit: on PostgreSQL by a transaction-level advisory lock of its own (taken as the events are written,
after the case rows are updated and locked, so it is held for a few inserts and the commit), on SQLite
by the database's write lock, which a writer holds anyway.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from datetime import UTC
from typing import Any

from sqlalchemy import Engine, Row

from infra.identity.audit import GENESIS, Verification, chain_hash, walk
from infra.store.tables import case_events

EVENT_LOCK = 0x4C52_4556  # "LREV": the case-event chain's lock on PostgreSQL
HEAD_SQL = "SELECT chain_seq, hash FROM case_events ORDER BY chain_seq DESC LIMIT 1"
"""The chain's newest link (an index lookup on ``ix_case_events_chain_seq``)."""
LOCK_SQL = f"SELECT pg_advisory_xact_lock({EVENT_LOCK})"
_FIELDS = ("case_id", "seq", "type", "command", "stage_from", "stage_to", "payload", "actor_role", "actor_id",
           "pathway", "definition_version")


def content(values: Mapping[Any, Any], chain_seq: int) -> str:
    """An event's content as hashed: its columns (instants in UTC ISO 8601) and its place in the chain,
    as JSON with sorted keys and no whitespace.
    """
    document = {name: values[name] for name in _FIELDS}
    document.update(chain_seq=chain_seq, occurred_at=values["occurred_at"].astimezone(UTC).isoformat(),
                    recorded_at=values["recorded_at"].astimezone(UTC).isoformat())
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def link(rows: Sequence[dict[str, Any]], head: tuple[int, str] | None) -> None:
    """Give each event row (in the order written) its ``chain_seq``, ``prev_hash`` and ``hash``, after
    ``head`` (the newest link, None for an empty chain).
    """
    position, prev = head if head is not None else (0, GENESIS)
    for row in rows:
        position += 1
        digest = chain_hash(prev, content(row, position))
        row.update(chain_seq=position, prev_hash=prev, hash=digest)
        prev = digest


def verify(engine: Engine, batch: int = 5000, heads_at: Collection[int] = ()) -> Verification:
    """Walk the events' chain from the first link; stop at the first wrong one (``broken_seq`` is then
    its ``chain_seq``). The hashes at the positions in ``heads_at`` are reported in ``heads``.
    """
    with engine.connect() as conn:
        return walk(conn, case_events, case_events.c.chain_seq, row_content, heads_at, batch=batch)


def row_content(row: Row[Any]) -> str:
    """A stored event's content as hashed."""
    return content(row._mapping, row.chain_seq)  # noqa: SLF001 - public row mapping
