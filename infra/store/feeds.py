"""Readers of the outbox that keep their own place (``feed_cursors``): the alert feed, the reactions feed.

A reader handles the outbox rows after its cursor up to a high water mark
(``infra.delivery.webhooks.outbox_high_water``:
no id below it can still appear), then moves the cursor conditionally, so that of two workers that read the
same rows only one moves it; what they did must itself be idempotent.
"""

from __future__ import annotations

from sqlalchemy import Connection, select, update

from infra.store.db import dialect_insert
from infra.store.tables import feed_cursors


def position(conn: Connection, feed: str) -> int:
    """The last outbox id ``feed`` handled (0 for a new feed)."""
    found = conn.execute(select(feed_cursors.c.position).where(feed_cursors.c.name == feed)).scalar_one_or_none()
    if found is None:
        conn.execute(dialect_insert(conn, feed_cursors).values(name=feed, position=0).on_conflict_do_nothing())
        return 0
    return int(found)


def advance(conn: Connection, feed: str, cursor: int, to: int) -> None:
    """Move ``feed`` from ``cursor`` to ``to``, unless another worker moved it meanwhile."""
    conn.execute(update(feed_cursors).where(feed_cursors.c.name == feed, feed_cursors.c.position == cursor)
                 .values(position=to))
