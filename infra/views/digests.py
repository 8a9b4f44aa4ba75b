"""The stalled-pathways digests in SQL: what a digest reads, and the one row per profile and week.

Reading is kept to what can be stalled: per (pathway, stage) that has a norm, the profile's cases
that entered it before ``as_of`` minus that norm (the ``ix_cases_pathway_stage`` index), and the
profile's deadlines that passed and are not handled yet (:func:`passed_unhandled`, one definition for
the monitor, the weekly digest and the report flow). The domain then decides in whole days
(:func:`domain.stalled.build_digest`).

Writing is an upsert on the unique (profile, week) index: re-running a week replaces its digest,
also when two runs race.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Exists,
    Row,
    ScalarSelect,
    Select,
    Subquery,
    and_,
    exists,
    func,
    or_,
    select,
    union_all,
)
from sqlalchemy.sql import operators, visitors
from sqlalchemy.sql.elements import BooleanClauseList, ColumnClause
from sqlalchemy.sql.selectable import SelectBase

from domain.registry import PathwayRegistry
from domain.stalled import CaseSummary, Digest, Norms, PendingTimer
from infra.store.db import dialect_insert
from infra.store.tables import LATE_OPEN, LATE_REPEAT, PENDING_DUE, cases, digests, timers

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
    """The deadlines of the cases matching ``where`` that passed at or before ``as_of`` and are not handled
    (:func:`passed_unhandled`), one per case and timer (a repeating timer's first passed due date), longest
    overdue first (a page of them, given a ``limit``).
    """
    grouped = _per_case_and_timer(where, as_of).subquery()
    page = (select(grouped).order_by(grouped.c.due_at, grouped.c.case_id, grouped.c.name)
            .limit(limit).offset(offset).subquery("page"))
    return [_pending_timer(r) for r in conn.execute(_with_cases(page))]


def count_overdue(conn: Connection, where: ColumnElement[bool], as_of: datetime) -> int:
    """How many deadlines of the cases matching ``where`` passed at or before ``as_of`` and are not handled
    (:func:`passed_unhandled`), counted per case and timer as :func:`overdue_timers` lists them.
    """
    split = _on_timers(where)
    if split is not None:
        return _count_by_profile(conn, where, split, as_of)
    grouped = _per_case_and_timer(where, as_of).subquery()
    return int(conn.execute(select(func.count()).select_from(grouped)).scalar_one())


def overdue_page(conn: Connection, where: ColumnElement[bool], as_of: datetime, limit: int, offset: int = 0,
                 ) -> tuple[list[PendingTimer], int]:
    """A page of :func:`overdue_timers` and how many there are in all (:func:`count_overdue`), from one pass over
    the passed deadlines: the count is a window over the grouped rows, read with the page (only a page past the
    last row counts them apart). Only the page's rows read their cases' columns. For a scope by profile (an SWV's),
    the page and the count are read apart, by the timers' copy of the profile (:func:`_page_by_profile`).
    """
    split = _on_timers(where)
    if split is not None:
        return _page_by_profile(conn, where, split, as_of, limit, offset), _count_by_profile(conn, where, split, as_of)
    grouped = _per_case_and_timer(where, as_of).subquery()
    page = (select(grouped, func.count().over().label("total"))
            .order_by(grouped.c.due_at, grouped.c.case_id, grouped.c.name).limit(limit).offset(offset).subquery("page"))
    rows = conn.execute(_with_cases(page, page.c.total)).all()
    if not rows:
        return [], count_overdue(conn, where, as_of) if offset else 0
    return [_pending_timer(r) for r in rows], int(rows[0].total)


def _per_case_and_timer(where: ColumnElement[bool], as_of: datetime) -> Select[Any]:
    """Per case matching ``where`` and timer name, the first due date of its passed deadlines not handled. When
    ``where`` asks a case's profile (an SWV's scope), the timers are read by their copy of it (pending ones from
    ``ix_timers_state_due``, open marks from the partial indexes; a pending timer written without it, with its
    case), and only for the rest of ``where`` with their cases; else with their cases.
    """
    columns = (timers.c.case_id, timers.c.name, timers.c.due_at)
    split = _on_timers(where)
    if split is None:
        passed = (select(*columns).join(cases, cases.c.id == timers.c.case_id)
                  .where(passed_unhandled(as_of), where).subquery("passed"))
    else:
        passed = union_all(
            _scoped(select(*columns).where(_pending(as_of)), split),
            select(*columns).join(cases, cases.c.id == timers.c.case_id)
            .where(_pending(as_of), timers.c.profile.is_(None), where),
            _scoped(select(*columns).where(_open_mark(as_of)), split)).subquery("passed")
    return (select(passed.c.case_id, passed.c.name, func.min(passed.c.due_at).label("due_at"))
            .group_by(passed.c.case_id, passed.c.name))


def _pending_by_profile(where: ColumnElement[bool], split: _Split, as_of: datetime) -> Subquery:
    """The pending timers passed at ``as_of`` (case id, name, due date, profile) of the cases matching ``where``
    (``split``: the same, its profile part on the timers' copy of the profile; a timer written without it, with
    its case).
    """
    return union_all(
        _scoped(select(timers.c.case_id, timers.c.name, timers.c.due_at, timers.c.profile).where(_pending(as_of)),
                split),
        select(timers.c.case_id, timers.c.name, timers.c.due_at, cases.c.profile)
        .join(cases, cases.c.id == timers.c.case_id).where(_pending(as_of), timers.c.profile.is_(None), where),
    ).subquery("pending")


def _count_by_profile(conn: Connection, where: ColumnElement[bool], split: _Split, as_of: datetime) -> int:
    """Per case and timer name, counted without grouping every passed deadline together: the first open marks
    (one per case and name), counted along ``ix_timers_late_open``, plus the (case, name) pairs of the pending
    timers that have no open mark passed at ``as_of`` (a repeating timer's next one, pending beside it).
    """
    marks = _scoped(select(timers.c.profile).where(_first_mark(as_of)), split).subquery("marks")
    pending = _pending_by_profile(where, split, as_of)
    marked = timers.alias("marked")
    also_marked = exists().where(marked.c.profile == pending.c.profile, marked.c.case_id == pending.c.case_id,
                                 marked.c.name == pending.c.name, marked.c.late == LATE_OPEN,  # a first one
                                 marked.c.due_at <= as_of)
    only_pending = (select(pending.c.case_id).where(~also_marked)
                    .group_by(pending.c.case_id, pending.c.name).subquery("only_pending"))
    counted = (select(func.count()).select_from(marks).scalar_subquery()
               + select(func.count()).select_from(only_pending).scalar_subquery())
    return int(conn.execute(select(counted)).scalar_one())


def _page_by_profile(conn: Connection, where: ColumnElement[bool], split: _Split, as_of: datetime, limit: int,
                     offset: int) -> list[PendingTimer]:
    """The page (``offset``, ``limit``) of :func:`overdue_timers` for an SWV's scope, without grouping every
    passed deadline: the first ``offset + limit`` first open marks by due date (one per case and name, read along
    ``ix_timers_late_open`` and put in order) and the pending timers, grouped per case and name. A pair ranked
    within the page is among those read: every pair whose first mark falls due before its own ranks before it.
    """
    marks = (_scoped(select(timers.c.case_id, timers.c.name, timers.c.due_at).where(_first_mark(as_of)), split)
             .order_by(timers.c.due_at, timers.c.case_id, timers.c.name).limit(offset + limit).subquery("marks"))
    pending = _pending_by_profile(where, split, as_of)
    passed = union_all(select(marks.c.case_id, marks.c.name, marks.c.due_at),
                       select(pending.c.case_id, pending.c.name, pending.c.due_at)).subquery("passed")
    grouped = (select(passed.c.case_id, passed.c.name, func.min(passed.c.due_at).label("due_at"))
               .group_by(passed.c.case_id, passed.c.name).subquery())
    page = (select(grouped).order_by(grouped.c.due_at, grouped.c.case_id, grouped.c.name).limit(limit)
            .offset(offset).subquery("page"))
    return [_pending_timer(r) for r in conn.execute(_with_cases(page))]


def _with_cases(page: Subquery, *extra: ColumnElement[Any]) -> Select[Any]:
    """The rows of ``page`` with their cases' columns, in the page's order."""
    return (select(page.c.case_id, cases.c.pathway, cases.c.definition_version, cases.c.school_brin, cases.c.profile,
                   page.c.name, page.c.due_at, *extra)
            .join(cases, cases.c.id == page.c.case_id).order_by(page.c.due_at, page.c.case_id, page.c.name))


def _pending_timer(r: Row[Any]) -> PendingTimer:
    return PendingTimer(r.case_id, r.pathway, r.definition_version, r.school_brin, r.profile, r.name, r.due_at)


_Split = tuple[ColumnElement[bool], ColumnElement[bool] | None]
"""``where`` as its profile part on the timers' copy of the profile, and the rest on the cases (None: nothing)."""


def _on_timers(where: ColumnElement[bool]) -> _Split | None:
    """``where`` split in the parts (AND) that ask only a case's profile (no other column, no subquery), on the
    timers' copy of it, and the rest; None when no part asks the profile (nothing to read the timers by).
    """
    parts = list(where.clauses) if isinstance(where, BooleanClauseList) and where.operator is operators.and_ \
        else [where]
    alone = [p for p in parts if _profile_only(p)]
    if not alone:
        return None
    rest = [p for p in parts if not _profile_only(p)]
    on_timers = [visitors.replacement_traverse(p, {}, _profile_on_timers) for p in alone]
    return and_(*on_timers), (and_(*rest) if rest else None)


def _profile_only(part: ColumnElement[bool]) -> bool:
    elements = list(visitors.iterate(part))
    return (not any(isinstance(e, SelectBase | Exists | ScalarSelect) for e in elements)
            and all(e is cases.c.profile for e in elements if isinstance(e, ColumnClause)))


def _scoped(query: Select[Any], split: _Split) -> Select[Any]:
    """``query`` on ``timers`` narrowed to the cases of ``split``: by the timers' profile, and the rest with the
    cases.
    """
    alone, rest = split
    query = query.where(alone)
    return query if rest is None else query.join(cases, cases.c.id == timers.c.case_id).where(rest)


def _profile_on_timers(element: visitors.ExternallyTraversible, **_: Any) -> visitors.ExternallyTraversible | None:
    return timers.c.profile if element is cases.c.profile else None


def still_open(conn: Connection, registry: PathwayRegistry, case_id: str, event_type: str, as_of: datetime,
               ) -> bool:
    """Whether the passed deadline whose 'deadline passed' event (``event_type``) a case got is still not handled
    (:func:`passed_unhandled`): what an escalation alert's page tells the person who reads it.
    """
    commands = {t.command for d in registry.definitions.values() for t in d.transitions if t.event == event_type}
    if not commands:
        return False
    query = (select(func.count()).select_from(timers)
             .where(timers.c.case_id == case_id, timers.c.fires.in_(sorted(commands)), passed_unhandled(as_of)))
    return int(conn.execute(query).scalar_one()) > 0


def passed_unhandled(as_of: datetime) -> ColumnElement[bool]:
    """The one definition of a passed deadline that is not handled yet, over ``timers``: what the monitor lists
    and counts under 'Verlopen termijnen' and what the weekly digest (the report-stalled-pathways flow) reports,
    so that nothing goes silent between the inbox and the monitor.

    A deadline has passed when its timer is due at or before ``as_of``. It is not handled while
    - its timer is still pending (the sweep has not fired it yet), or
    - its timer fired a command that marks a missed deadline and is marked open (``timers.late``: ``open``, or
      ``repeat`` after an earlier open one of its case and name): by the rule
      of :mod:`domain.missed_deadlines`, which the store applies with every change of the case that may change
      it (:mod:`infra.store.passed_deadlines`). A command that keeps the stage stays open while the case is in a
      stage that command may fire from: the term still applies there. An OPP whose six weeks passed in 'concept'
      stays late when it goes on to 'wacht op instemming' (the law asks for the OPP in werking); it is handled
      when it is in werking, or closed. A knooppunt late when 'aangevraagd' stays late when 'gepland', until it
      is held. Going back to such a stage (the parents refuse consent: back to 'concept') lists it again. A
      command that moved the case (a TLV that lapsed) stays open until an event after that command's (latest)
      event, in the case's own order (``seq``, not the clock: a step may be back-dated, a sweep may run ahead),
      moved the case from one stage to another: it is handled when the case moves on from where that command
      put it.

    Acknowledging the alert does not: the alert says someone has seen it, the case still waits. A timer that
    was cancelled (the step was taken in time) or refused, or that fired a step that is no missed deadline
    (a term that simply runs out, such as a bezwaartermijn), never counts.
    """
    return or_(_pending(as_of), _open_mark(as_of))


def _pending(as_of: datetime) -> ColumnElement[bool]:
    return and_(timers.c.state == _PENDING, timers.c.due_at <= as_of, as_of > PENDING_DUE)


def _open_mark(as_of: datetime) -> ColumnElement[bool]:
    return and_(timers.c.late.in_([LATE_OPEN, LATE_REPEAT]), timers.c.due_at <= as_of)


def _first_mark(as_of: datetime) -> ColumnElement[bool]:
    """The first open mark of its case and timer name (by due date), passed at ``as_of``: one per pair (if any of
    a pair's open marks passed, its first did).
    """
    return and_(timers.c.late == LATE_OPEN, timers.c.due_at <= as_of)


SUMMARY_COLUMNS = (cases.c.id, cases.c.pathway, cases.c.definition_version, cases.c.stage, cases.c.stage_entered_at,
                   cases.c.school_brin, cases.c.profile)
"""What a :class:`domain.stalled.CaseSummary` is read from, in its order."""
NORMS_PER_STATEMENT = 200
"""At most this many (profile, pathway, stage) ranges in one statement (SQLite allows 500 parts of a compound
SELECT): the ~190 norms of the built-in profiles take one."""


@dataclass(frozen=True)
class StageCutoff:
    """The cases of one profile in one stage of one pathway that entered it at or before ``cutoff``."""

    profile: str
    pathway: str
    stage: str
    cutoff: datetime


def count_entered_before(conn: Connection, where: ColumnElement[bool], cutoffs: Sequence[StageCutoff]) -> int:
    """How many cases matching ``where`` entered their stage at or before its cutoff: per cutoff one range of the
    index ``ix_cases_profile_pathway_stage_entered``, counted together in one statement (UNION ALL).
    """
    total = 0
    for part in _parts(cutoffs):
        counts = union_all(*(select(func.count().label("n")).select_from(cases).where(_entered_before(where, c))
                             for c in part)).subquery()
        total += int(conn.execute(select(func.coalesce(func.sum(counts.c.n), 0))).scalar_one())
    return total


def entered_before(conn: Connection, where: ColumnElement[bool], cutoffs: Sequence[StageCutoff], limit: int,
                   ) -> list[CaseSummary]:
    """Per cutoff, the ``limit`` cases matching ``where`` that entered their stage longest before it (then by id):
    the first ``limit`` entries of each index range, read together in one statement (UNION ALL).
    """
    found: list[CaseSummary] = []
    for part in _parts(cutoffs):
        oldest = [select(*SUMMARY_COLUMNS).where(_entered_before(where, c))
                  .order_by(cases.c.stage_entered_at, cases.c.id).limit(limit).subquery() for c in part]
        found += [CaseSummary(*r) for r in conn.execute(union_all(*(select(*o.c) for o in oldest)))]
    return found


def _entered_before(where: ColumnElement[bool], cutoff: StageCutoff) -> ColumnElement[bool]:
    return and_(where, cases.c.profile == cutoff.profile, cases.c.pathway == cutoff.pathway,
                cases.c.stage == cutoff.stage, cases.c.stage_entered_at <= cutoff.cutoff)


def _parts(cutoffs: Sequence[StageCutoff]) -> list[Sequence[StageCutoff]]:
    return [cutoffs[i:i + NORMS_PER_STATEMENT] for i in range(0, len(cutoffs), NORMS_PER_STATEMENT)]


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
