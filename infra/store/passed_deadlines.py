"""The marks of passed deadlines not handled yet (``timers.late``), written with the change of their case.

By the rule of :mod:`domain.missed_deadlines`, a fired timer whose command marks a missed deadline is ``open``
or ``handled``; whether it is changes only with an event of its case that moves the stage or is such a command.
A store that writes such an event marks the case's fired timers again, in the same transaction and after the
case's versioned UPDATE (so under its optimistic version check): one UPDATE of the case's fired timers per case,
its statement rendered once per dialect and per :class:`~domain.missed_deadlines.StageMarks` (the pathway's
commands and which of them are open in the case's stage). A moving command's timer is open while no event after
that command's latest event (in ``seq`` order) moved the case from one stage to another, as before issue 18. Of
the open ones, the first by due date of each case and timer name is ``open`` and later ones (a repeating timer's)
``repeat`` (:func:`rank`), so that the monitor reads one per pair without grouping.

The marks follow the rule of the registry whose writes made them (the shipped definitions, for migration 0018): a
release whose definitions change which commands mark a missed deadline, or the stages such a command fires from,
must mark every case again (:func:`mark_all`, in a migration), or the monitor keeps the old rule for cases that
have not changed since. :func:`mark_all` marks every case so (migration 0018, and a database filled in bulk).
Every timer carries its case's profile (``timers.profile``, written with it; :func:`copy_profiles` for rows
written without it).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Dialect,
    FromClause,
    Update,
    and_,
    bindparam,
    case,
    exists,
    false,
    func,
    literal_column,
    or_,
    select,
    update,
)

from domain.missed_deadlines import MissedDeadlines, StageMarks
from domain.ports import Change
from infra.store.statements import rendering_dialect
from infra.store.tables import LATE_OPEN, case_events, cases, timers

OPEN, REPEAT, HANDLED = "open", "repeat", "handled"
"""A mark: open (the first open one, by due date, of its case and timer name), open after such a first one (a
repeating timer's later ones), handled."""
_FIRED: ColumnElement[str] = literal_column("'fired'")


def mark_changes(cursor: Any, dialect: Dialect, changes: Sequence[Change], missed: MissedDeadlines | None) -> None:
    """Mark again, on the driver's cursor, the fired timers of the changed cases whose events may have opened or
    handled one (run after the events are written: a moving command's mark reads them). ``missed`` may be None
    only when no event moves a stage and no timer fired.
    """
    if missed is None:
        if any(d.fired or d.event.stage_from != d.event.stage_to for c in changes for d in c.decisions):
            msg = "a change that moves a stage or fires a timer needs the registry's missed deadlines"
            raise ValueError(msg)
        return
    touched: dict[StageMarks, list[tuple[str, str]]] = {}
    for change in changes:
        marks = missed.in_stage(change.case.pathway, change.case.stage)
        if marks.commands and any(marks.touched_by(d.event) for d in change.decisions):
            touched.setdefault(marks, []).append((change.case.id, change.case.profile))
    for marks, marked in touched.items():
        mark(cursor, dialect, marks, marked)


def mark(cursor: Any, dialect: Dialect, marks: StageMarks, cases_marked: Sequence[tuple[str, str]]) -> None:
    """Mark the fired timers of these cases, each (id, profile) of a case now in a stage whose marks are
    ``marks``, on the driver's cursor.
    """
    if not cases_marked or not marks.commands:
        return
    sql, fixed = _rendered(dialect, marks)
    cursor.executemany(sql, [{**fixed, "case_id": case_id, "profile": profile} for case_id, profile in cases_marked])


def rank(cursor: Any, dialect: Dialect, case_ids: Sequence[str]) -> None:
    """Of each open case and timer name of these cases, keep the first by due date (then id) ``open`` and mark the
    later ones ``repeat`` (as :func:`mark` does for the cases it marks): the monitor counts and pages the first ones
    alone, one per case and name. For a case one of whose timers alone was just marked open.
    """
    if case_ids:
        cursor.executemany(_rank_rendered(dialect), [{"case_id": case_id} for case_id in case_ids])


def rank_repeated(cursor: Any, dialect: Dialect, case_ids: Sequence[str]) -> None:
    """:func:`rank` those of these cases that have more than one open mark of a timer name (read in one statement:
    a case whose only open mark of its name was just written needs none).
    """
    if not case_ids:
        return
    mark = "?" if dialect.name == "sqlite" else "%s"
    cursor.execute(f"SELECT DISTINCT case_id FROM timers WHERE case_id IN ({', '.join([mark] * len(case_ids))}) "  # noqa: S608 - marks only
                   f"AND late IN ('{OPEN}', '{REPEAT}') GROUP BY case_id, name HAVING count(*) > 1", list(case_ids))
    rank(cursor, dialect, [row[0] for row in cursor.fetchall()])


def copy_profiles(conn: Connection) -> None:
    """Give every timer written without it its case's profile (migration 0018; a database filled in bulk)."""
    conn.execute(update(timers).where(timers.c.profile.is_(None)).values(
        profile=select(cases.c.profile).where(cases.c.id == timers.c.case_id).scalar_subquery()))


def mark_all(conn: Connection, missed: MissedDeadlines) -> None:
    """Mark the fired timers of every case (migration 0018; a database filled in bulk): per (pathway, stage)
    the cases have, one UPDATE of the fired timers of the cases there.
    """
    stages = conn.execute(select(cases.c.pathway, cases.c.stage).distinct()).all()
    for pathway, stage in stages:
        marks = missed.in_stage(pathway, stage)
        if marks.commands:
            there = select(cases.c.id).where(cases.c.pathway == pathway, cases.c.stage == stage)
            profile = select(cases.c.profile).where(cases.c.id == timers.c.case_id).scalar_subquery()
            conn.execute(_marking(marks, timers.c.case_id.in_(there)).values(profile=profile))


def _marking(marks: StageMarks, which: ColumnElement[bool]) -> Update:
    """The UPDATE marking the fired timers of the cases ``which`` selects, in a stage whose marks are ``marks``:
    ``open`` the first open one of its case and name (by due date, then id), ``repeat`` a later open one.
    """
    earlier = timers.alias("earlier")
    first = ~exists().where(
        earlier.c.case_id == timers.c.case_id, earlier.c.name == timers.c.name, earlier.c.state == _FIRED,
        earlier.c.fires.in_(sorted(marks.commands)), _still_open(marks, earlier),
        or_(earlier.c.due_at < timers.c.due_at, and_(earlier.c.due_at == timers.c.due_at, earlier.c.id < timers.c.id)),
    ).correlate(timers)
    still_open = _still_open(marks, timers)
    return (update(timers).where(which, timers.c.state == _FIRED, timers.c.fires.in_(sorted(marks.commands)))
            .values(late=case((and_(still_open, first), OPEN), (still_open, REPEAT), else_=HANDLED)))


def _still_open(marks: StageMarks, fired: FromClause) -> ColumnElement[bool]:
    """Whether the fired timer of ``fired`` (``timers`` or an alias of it) is open, its case in a stage whose marks
    are ``marks``: its command keeps the stage and may fire from this one, or moved the case and no event after
    its latest event (``seq``) moved the case from one stage to another.
    """
    fires = fired.c.fires
    firing, later = case_events.alias(), case_events.alias()
    fired_at = (select(func.max(firing.c.seq)).where(firing.c.case_id == fired.c.case_id, firing.c.command == fires)
                .correlate(fired).scalar_subquery())  # the command's latest event (NULL: none: never moved on)
    moved_on = exists().where(later.c.case_id == fired.c.case_id, later.c.seq > fired_at,
                              later.c.stage_from != later.c.stage_to).correlate(fired)
    return or_(false(), *([fires.in_(sorted(marks.applies))] if marks.applies else []),
               *([and_(fires.in_(sorted(marks.moving)), ~moved_on)] if marks.moving else []))


def _ranking(which: ColumnElement[bool]) -> Update:
    """The UPDATE marking ``repeat`` each open timer (of the cases ``which`` selects) after which an open one of the
    same case and name falls due first (it was marked ``open`` again just before, with the case's marks).
    """
    earlier = timers.alias("earlier")
    before = exists().where(
        earlier.c.case_id == timers.c.case_id, earlier.c.name == timers.c.name,
        earlier.c.late.in_([literal_column(f"'{OPEN}'"), literal_column(f"'{REPEAT}'")]),
        or_(earlier.c.due_at < timers.c.due_at, and_(earlier.c.due_at == timers.c.due_at, earlier.c.id < timers.c.id)),
    ).correlate(timers)
    return update(timers).where(which, timers.c.late == LATE_OPEN, before).values(late=literal_column(f"'{REPEAT}'"))


@lru_cache(maxsize=16)
def _rank_rendered(dialect: Dialect) -> str:
    return str(_ranking(timers.c.case_id == bindparam("case_id", "")).compile(dialect=rendering_dialect(dialect)))


@lru_cache(maxsize=512)
def _rendered(dialect: Dialect, marks: StageMarks) -> tuple[str, dict[str, Any]]:
    """The marking UPDATE of one case (parameters ``case_id`` and ``profile``) as the driver takes it, and its
    fixed parameters (the commands).
    """
    statement = _marking(marks, timers.c.case_id == bindparam("case_id", "")).values(profile=bindparam("profile", ""))
    compiled = statement.compile(dialect=rendering_dialect(dialect), compile_kwargs={"render_postcompile": True})
    fixed = {k: v for k, v in compiled.params.items() if k not in ("case_id", "profile")}
    return str(compiled), fixed
