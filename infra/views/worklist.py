"""The worklist's query: the active cases in scope ordered by urgency, a page at a time, in one statement.

The urgency order (issue 16, "Know what to do next"):

1. cases whose deadline has passed and is not handled, longest overdue first: a timer still pending after its due
   date, or one that fired a 'deadline passed' step while the case has not moved on since (the one definition
   of :func:`infra.views.digests.passed_unhandled`, which the monitor and the weekly digest use too: the sweep firing
   the timer does not take the case off the top of the list, only moving the case on does);
2. cases with a running deadline, soonest first;
3. cases without a running deadline that are over their stage's norm (the profile's ``stage_norms``),
   longest in the stage first (never last: they stall silently);
4. the rest, longest in the stage first.

A case's next deadline is the earliest due date of its open deadlines (one grouped ``min`` over the pending or
passed-and-unhandled timers of the cases in scope, joined once); "over the norm" is one ``CASE`` over the
(profile, pathway, stage) cutoffs, so the order, the filters, the count and the page are set-based whatever
the number of cases.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, Connection, Subquery, and_, case, false, func, or_, select

from domain.durations import start_of_day
from domain.registry import PathwayRegistry
from domain.stalled import stage_norms
from infra.store.search import CaseFilter, case_conditions
from infra.store.tables import cases, schools, timers
from infra.views.digests import passed_unhandled
from infra.views.monitoring import finals

_PENDING = "pending"
OVERDUE, DUE, OVER_NORM, REST = 0, 1, 2, 3
"""The urgency groups, most urgent first."""


@dataclass(frozen=True)
class WorkQuery:
    """Which cases to list and which page; None means any."""

    school_brin: str | None = None
    pathway: str | None = None
    stage: str | None = None
    overdue: bool = False
    week_of: date | None = None
    """Only the deadlines whose last day lies in the ISO week of this day (the "deze week" view)."""
    limit: int = 50
    offset: int = 0


@dataclass(frozen=True)
class WorkCase:
    """One case on the worklist (codes; the page puts them into words)."""

    case_id: str
    pathway: str
    definition_version: int
    profile: str
    school_brin: str
    school_name: str | None
    pupil_id: str
    stage: str
    stage_entered_at: datetime
    next_due_at: datetime | None
    next_timer: str | None
    urgency: int


@dataclass(frozen=True)
class WorkPage:
    """A page of the worklist and how many cases match in all."""

    cases: list[WorkCase]
    total: int


def week_bounds(day: date) -> tuple[datetime, datetime]:
    """The due instants (exclusive, inclusive] of the terms whose last day lies in ``day``'s ISO week."""
    monday = day - timedelta(days=day.weekday())
    return start_of_day(monday), start_of_day(monday + timedelta(days=7))


def worklist(conn: Connection, scope: ColumnElement[bool], registry: PathwayRegistry, now: datetime,
             query: WorkQuery) -> WorkPage:
    """The page of the active cases in scope matching ``query``, most urgent first."""
    open_deadline = _open_deadline(now)
    next_due = _next_due(scope, query, open_deadline)
    due = next_due.c.due_at
    over = _over_norm(registry, now)
    urgency = case((due <= now, OVERDUE), (due.is_not(None), DUE), (over, OVER_NORM), else_=REST)
    conditions = [scope, *_conditions(registry, now, query, due)]
    joined = cases.outerjoin(next_due, next_due.c.case_id == cases.c.id)
    total = int(conn.execute(select(func.count()).select_from(joined).where(*conditions)).scalar_one())
    rows = conn.execute(
        select(cases.c.id, cases.c.pathway, cases.c.definition_version, cases.c.profile, cases.c.school_brin,
               schools.c.name, cases.c.pupil_id, cases.c.stage, cases.c.stage_entered_at, due.label("due"),
               urgency.label("urgency"))
        .select_from(joined.outerjoin(schools, schools.c.brin == cases.c.school_brin))
        .where(*conditions)
        .order_by(urgency, due.asc().nulls_last(), cases.c.stage_entered_at, cases.c.id)
        .limit(query.limit).offset(query.offset)).all()
    names = _timer_names(conn, [r.id for r in rows], query, open_deadline)
    return WorkPage([WorkCase(r.id, r.pathway, r.definition_version, r.profile, r.school_brin, r.name, r.pupil_id,
                              r.stage, r.stage_entered_at, r.due, names.get(r.id), int(r.urgency)) for r in rows],
                    total)


def schools_in_scope(conn: Connection, scope: ColumnElement[bool], registry: PathwayRegistry, now: datetime,
                     ) -> list[tuple[str, str | None]]:
    """(BRIN, name or None) of the schools with active cases in scope, by BRIN."""
    rows = conn.execute(
        select(cases.c.school_brin, schools.c.name).distinct()
        .select_from(cases.outerjoin(schools, schools.c.brin == cases.c.school_brin))
        .where(scope, *case_conditions(CaseFilter(active=True), finals(registry), now))
        .order_by(cases.c.school_brin)).all()
    return [(r[0], r[1]) for r in rows]


def _window(query: WorkQuery) -> list[ColumnElement[bool]]:
    if query.week_of is None:
        return []
    start, end = week_bounds(query.week_of)
    return [timers.c.due_at > start, timers.c.due_at <= end]


def _open_deadline(now: datetime) -> ColumnElement[bool]:
    """Over ``timers`` joined with ``cases``: a deadline still to come, or one passed and not handled."""
    return or_(timers.c.state == _PENDING, passed_unhandled(now))


def _next_due(scope: ColumnElement[bool], query: WorkQuery, open_deadline: ColumnElement[bool]) -> Subquery:
    """Per case in scope with an open deadline (in the week, for the week view): its earliest due date."""
    return (select(timers.c.case_id, func.min(timers.c.due_at).label("due_at"))
            .select_from(timers.join(cases, cases.c.id == timers.c.case_id))
            .where(scope, open_deadline, *_window(query))
            .group_by(timers.c.case_id).subquery("next_due"))


def _over_norm(registry: PathwayRegistry, now: datetime) -> ColumnElement[bool]:
    """Whether a case entered its stage a whole day or more before its profile's norm for it ran out."""
    over = [and_(cases.c.profile == code, cases.c.pathway == pathway, cases.c.stage == stage,
                 cases.c.stage_entered_at <= norm.before(now - timedelta(days=1)))
            for code, profile in registry.profiles.items()
            for pathway, stages in stage_norms(profile).items() for stage, norm in stages.items()]
    return or_(false(), *over)


def _conditions(registry: PathwayRegistry, now: datetime, query: WorkQuery, due: ColumnElement[datetime],
                ) -> list[ColumnElement[bool]]:
    wanted = CaseFilter(pathway=query.pathway, stage=query.stage, school_brin=query.school_brin, active=True)
    conditions = case_conditions(wanted, finals(registry), now)
    if query.overdue:
        conditions.append(due <= now)
    if query.week_of is not None:
        conditions.append(due.is_not(None))
    return conditions


def _timer_names(conn: Connection, case_ids: list[str], query: WorkQuery, open_deadline: ColumnElement[bool],
                 ) -> dict[str, str]:
    """Per case of the page, the name of its earliest open deadline (in the week, for the week view)."""
    if not case_ids:
        return {}
    rows = conn.execute(select(timers.c.case_id, timers.c.name)
                        .select_from(timers.join(cases, cases.c.id == timers.c.case_id))
                        .where(timers.c.case_id.in_(case_ids), open_deadline, *_window(query))
                        .order_by(timers.c.case_id, timers.c.due_at.desc(), timers.c.name.desc())).all()
    return {str(r.case_id): str(r.name) for r in rows}

