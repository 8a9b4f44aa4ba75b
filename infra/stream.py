"""The event stream: the outbox after a position, restricted to the cases a principal sees.

Only ids, types, stages and instants: no payload content, no names (as for webhooks). Reads go up to
the outbox's high-water mark (see :func:`infra.webhooks.outbox_high_water`), so a reader that resumes
after the last id it saw never skips an event that committed late.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Engine, func, select

from infra.tables import cases, outbox
from infra.webhooks import outbox_high_water

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


def events_after(engine: Engine, scope: ColumnElement[bool], position: int) -> Iterator[StreamedEvent]:
    """The in-scope events after ``position`` that can no longer be overtaken, in id order."""
    high_water = outbox_high_water(engine)
    while position < high_water:
        with engine.connect() as conn:
            rows = conn.execute(
                select(outbox.c.id, outbox.c.case_id, outbox.c.seq, outbox.c.type, outbox.c.pathway,
                       outbox.c.stage_from, outbox.c.stage_to, cases.c.school_brin, outbox.c.occurred_at)
                .join(cases, cases.c.id == outbox.c.case_id)
                .where(outbox.c.id > position, outbox.c.id <= high_water, scope)
                .order_by(outbox.c.id).limit(BATCH)).all()
        if not rows:
            return
        for r in rows:
            yield StreamedEvent(*r)
        position = rows[-1].id
