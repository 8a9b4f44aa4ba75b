"""The stalled-pathways digests in SQL: what a digest reads, and the one row per profile and week.

Reading is kept to what can be stalled: per (pathway, stage) that has a norm, the profile's cases
that entered it before ``as_of`` minus that norm (the ``ix_cases_pathway_stage`` index), and the
profile's pending timers due before ``as_of`` (``ix_timers_state_due``). The domain then decides
in whole days (:func:`domain.stalled.build_digest`).

Writing is an upsert on the unique (profile, week) index: re-running a week replaces its digest,
also when two runs race.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, func, or_, select

from domain.stalled import CaseSummary, Digest, Norms, PendingTimer
from infra.db import dialect_insert
from infra.tables import PENDING_DUE, cases, digests, timers

_PENDING = "pending"


@dataclass(frozen=True)
class StoredDigest:
    """A digest as stored: its row and its content (:meth:`domain.stalled.Digest.to_data`)."""

    id: str
    profile: str
    week: str
    created_at: datetime
    as_of: datetime
    content: dict[str, Any]


def stalled_candidates(conn: Connection, where: ColumnElement[bool], norms: Norms, as_of: datetime,
                       ) -> list[CaseSummary]:
    """The cases matching ``where`` that have been in a stage with a norm for longer than that norm."""
    longer_than_norm = [and_(cases.c.pathway == pathway, cases.c.stage == stage,
                             cases.c.stage_entered_at < norm.before(as_of))
                        for pathway, stages in norms.items() for stage, norm in stages.items()]
    if not longer_than_norm:
        return []
    rows = conn.execute(
        select(cases.c.id, cases.c.pathway, cases.c.definition_version, cases.c.stage, cases.c.stage_entered_at,
               cases.c.school_brin, cases.c.profile)
        .where(where, or_(*longer_than_norm)).order_by(cases.c.id),
    )
    return [CaseSummary(r.id, r.pathway, r.definition_version, r.stage, r.stage_entered_at, r.school_brin, r.profile)
            for r in rows]


def overdue_timers(conn: Connection, where: ColumnElement[bool], as_of: datetime, limit: int | None = None,
                   offset: int = 0) -> list[PendingTimer]:
    """The pending timers of the cases matching ``where`` that fell due before ``as_of``, longest
    overdue first (a page of them, given a ``limit``).
    """
    query = (select(timers.c.case_id, cases.c.pathway, cases.c.definition_version, cases.c.school_brin,
                    cases.c.profile, timers.c.name, timers.c.due_at)
             .join(cases, cases.c.id == timers.c.case_id).where(_overdue(as_of), where)
             .order_by(timers.c.due_at, timers.c.id).limit(limit).offset(offset))
    return [PendingTimer(r.case_id, r.pathway, r.definition_version, r.school_brin, r.profile, r.name, r.due_at)
            for r in conn.execute(query)]


def count_overdue(conn: Connection, where: ColumnElement[bool], as_of: datetime) -> int:
    """How many pending timers of the cases matching ``where`` fell due at or before ``as_of``."""
    query = (select(func.count()).select_from(timers.join(cases, cases.c.id == timers.c.case_id))
             .where(_overdue(as_of), where))
    return int(conn.execute(query).scalar_one())


def _overdue(as_of: datetime) -> ColumnElement[bool]:
    """Pending and due at or before ``as_of`` (the sweep's and the status's rule); the expression index
    ``ix_timers_pending_due`` gives PostgreSQL the statistics of pending timers only (finished ones keep their
    past due dates).
    """
    return and_(timers.c.state == _PENDING, timers.c.due_at <= as_of, as_of > PENDING_DUE)


def entered_before(conn: Connection, where: ColumnElement[bool], cutoff: datetime, limit: int) -> list[CaseSummary]:
    """The ``limit`` cases matching ``where`` that entered their stage longest before ``cutoff``."""
    rows = conn.execute(
        select(cases.c.id, cases.c.pathway, cases.c.definition_version, cases.c.stage, cases.c.stage_entered_at,
               cases.c.school_brin, cases.c.profile)
        .where(where, cases.c.stage_entered_at <= cutoff)
        .order_by(cases.c.stage_entered_at, cases.c.id).limit(limit))
    return [CaseSummary(*r) for r in rows]


def count_entered_before(conn: Connection, where: ColumnElement[bool], cutoff: datetime) -> int:
    """How many cases matching ``where`` entered their stage at or before ``cutoff``."""
    query = select(func.count()).select_from(cases).where(where, cases.c.stage_entered_at <= cutoff)
    return int(conn.execute(query).scalar_one())


def store_digest(conn: Connection, digest: Digest, now: datetime) -> str:
    """Store ``digest`` as its profile's digest of its week, replacing an earlier one; its new id."""
    digest_id = str(uuid.uuid4())
    statement = dialect_insert(conn, digests).values(
        id=digest_id, profile=digest.profile, week=digest.week, created_at=now, as_of=digest.as_of,
        content=digest.to_data())
    conn.execute(statement.on_conflict_do_update(
        index_elements=[digests.c.profile, digests.c.week],
        set_={name: statement.excluded[name] for name in ("id", "created_at", "as_of", "content")}))
    return digest_id


def list_digests(conn: Connection, profile: str | None, limit: int, offset: int,
                 covered: list[str] | None = None) -> list[StoredDigest]:
    """Stored digests, the latest week first (optionally of one profile only; of ``covered`` profiles
    only, unless None).
    """
    query = select(digests).order_by(digests.c.week.desc(), digests.c.profile).limit(limit).offset(offset)
    if covered is not None:
        query = query.where(digests.c.profile.in_(covered))
    if profile is not None:
        query = query.where(digests.c.profile == profile)
    return [StoredDigest(r.id, r.profile, r.week, r.created_at, r.as_of, r.content) for r in conn.execute(query)]


def latest_digest(conn: Connection, profile: str, covered: list[str] | None = None) -> StoredDigest | None:
    """The profile's digest of its latest week, if any was written (and the profile is ``covered``)."""
    found = list_digests(conn, profile, limit=1, offset=0, covered=covered)
    return found[0] if found else None
