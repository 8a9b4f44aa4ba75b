"""The event stream: the outbox after a position, restricted to the cases a principal sees.

Only ids, types, stages and instants: no payload content, no names (as for webhooks). Reads go up to
the outbox's high-water mark (see :func:`infra.delivery.webhooks.outbox_high_water`), so a reader that resumes
after the last id it saw never skips an event that committed late.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Engine, func, select

from infra.delivery.webhooks import outbox_high_water
from infra.store.tables import cases, outbox

BATCH = 200


@dataclass(frozen=True)
class StreamedEvent:
    """One case event as the stream sends it."""

    id: int
    case_id: str
    seq: int
    type: str
    pathway: str
    stage_from: str | None
    stage_to: str
    school_brin: str
    occurred_at: datetime


def latest_position(engine: Engine) -> int:
    """The id of the newest outbox row (where a new stream starts)."""
    with engine.connect() as conn:
        return int(conn.execute(select(func.coalesce(func.max(outbox.c.id), 0))).scalar_one())


@dataclass(frozen=True)
class Batch:
    """The next in-scope events after a position, and how far the read looked."""

    events: list[StreamedEvent]
    high_water: int
    """Every event up to this outbox id was considered; a later read need only look past it."""
    complete: bool
    """False when the read stopped at ``BATCH`` events: read again at once for the rest."""


def events_after(engine: Engine, scope: ColumnElement[bool], position: int, limit: int = BATCH) -> Batch:
    """At most ``limit`` in-scope events after ``position`` that can no longer be overtaken, in id order.

    One short read (the high-water mark, then one query), so a caller can run it on a worker thread
    between waits without holding the thread while it waits.
    """
    high_water = outbox_high_water(engine)
    if position >= high_water:
        return Batch([], high_water, complete=True)
    with engine.connect() as conn:
        rows = conn.execute(
            select(outbox.c.id, outbox.c.case_id, outbox.c.seq, outbox.c.type, outbox.c.pathway,
                   outbox.c.stage_from, outbox.c.stage_to, cases.c.school_brin, outbox.c.occurred_at)
            .join(cases, cases.c.id == outbox.c.case_id)
            .where(outbox.c.id > position, outbox.c.id <= high_water, scope)
            .order_by(outbox.c.id).limit(limit)).all()
    events = [StreamedEvent(*r) for r in rows]
    return Batch(events, high_water, complete=len(events) < limit)
