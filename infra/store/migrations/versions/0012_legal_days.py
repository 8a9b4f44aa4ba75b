"""Legal days: a deadline ends at the end of its last day, shows its basis, and a clock you can move.

``timers.deadline`` holds a timer's deadline as JSON: its last day, its basis (law article, regional
agreement, profile setting or decision) and the reckoning in Dutch (see :mod:`domain.terms`). Pending timers
from before this revision fell due at an instant inside their last day (10:00 on 14 December); they now fall
due at the end of that day, the start of the next Dutch day, as the law counts. Their basis is unknown and
stays empty. ``simulated_clock`` holds the oefenomgeving's clock (:mod:`infra.clock`).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

from infra.store.tables import UTCDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_NL = ZoneInfo("Europe/Amsterdam")


def _end_of_day(due_at: datetime) -> datetime:
    """The start of the Dutch day after the one ``due_at`` falls on; a Dutch midnight stays as it is."""
    local = due_at.astimezone(_NL)
    if local.time() == datetime.min.time():
        return due_at
    day = local.date() + timedelta(days=1)
    return datetime(day.year, day.month, day.day, tzinfo=_NL).astimezone(UTC)


def upgrade() -> None:
    """Add timers.deadline, create simulated_clock, move pending timers to the end of their day."""
    op.add_column("timers", sa.Column("deadline", sa.Text))
    op.create_table(
        "simulated_clock",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("simulated_at", UTCDateTime, nullable=False),
        sa.Column("set_at", UTCDateTime, nullable=False),
    )
    timers = sa.table("timers", sa.column("id", sa.String), sa.column("due_at", UTCDateTime),
                      sa.column("state", sa.String))
    connection = op.get_bind()
    pending = connection.execute(sa.select(timers.c.id, timers.c.due_at).where(timers.c.state == "pending"))
    moved = [{"key": row.id, "due": _end_of_day(row.due_at)} for row in pending
             if _end_of_day(row.due_at) != row.due_at]
    if moved:
        connection.execute(timers.update().where(timers.c.id == sa.bindparam("key"))
                           .values(due_at=sa.bindparam("due")), moved)


def downgrade() -> None:
    """Drop simulated_clock and timers.deadline (pending timers keep their end-of-day instants)."""
    op.drop_table("simulated_clock")
    op.drop_column("timers", "deadline")
