"""The marks of passed deadlines not handled yet (issue 18): ``timers.late`` (``open``, ``repeat`` or ``handled``,
of a fired timer whose command marks a missed deadline) and ``timers.profile`` (its case's, on every timer), with a
partial index on the open ones by profile (then case and name), so that the monitor counts an SWV's passed
deadlines without reading every timer's case.

The marks are filled in from the rule of the shipped definitions (:mod:`domain.missed_deadlines`), exactly as
``infra.views.digests.passed_unhandled`` decided them before: from here on the store writes them with every change
of a case that may change them (:mod:`infra.store.passed_deadlines`).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from domain.registry import PathwayRegistry
from infra.store.passed_deadlines import copy_profiles, mark_all

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the columns, copy every timer's case's profile, mark every case's fired timers, then index the open
    ones.
    """
    op.add_column("timers", sa.Column("late", sa.String(8)))
    op.add_column("timers", sa.Column("profile", sa.String(40)))
    copy_profiles(op.get_bind())
    mark_all(op.get_bind(), PathwayRegistry.builtin().missed_deadlines)
    op.create_index("ix_timers_late_open", "timers", ["profile", "case_id", "name", "due_at", "late"],
                    sqlite_where=sa.text("late = 'open'"), postgresql_where=sa.text("late = 'open'"))


def downgrade() -> None:
    """Drop the index and the columns."""
    op.drop_index("ix_timers_late_open", "timers")
    op.drop_column("timers", "profile")
    op.drop_column("timers", "late")
