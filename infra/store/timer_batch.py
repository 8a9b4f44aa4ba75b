"""Planned timer fires (:mod:`domain.timer_plans`) written set-wise: a few positional statements per batch.

For a batch of fires, one ``executemany`` each: the case rows' new version, and stage for those that enter
one (versioned: ``WHERE id AND version``), the fired timers, the timers their new stages cancel, the events
(the chain's next links, as :meth:`infra.store.sql.SqlUnitOfWork.save_changes` links them) and the outbox
rows. The rows are the ones ``save_changes`` writes for the same decisions; the artifacts stay as stored
(they are neither read nor decoded). A case whose row is no longer at the version its fire was planned on is
not written: the UPDATEs run in a savepoint, and when fewer rows changed than were asked, it is rolled back
and the UPDATEs are run one by one to find those cases, which then take the full path.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from domain.case import Timer
from domain.errors import ConcurrencyConflict
from domain.missed_deadlines import StageMarks
from domain.timer_plans import TIMER_ACTOR, CaseHead, PlannedFire
from infra.store import event_chain, passed_deadlines

if TYPE_CHECKING:
    from infra.store.sql import SqlUnitOfWork

_SAVEPOINT = "lr_planned_timers"
_NO_PAYLOAD = "{}"
"""A planned fire's event has no payload (its transition has no fields and no effects)."""
_MOVE_CASE = "UPDATE cases SET version = ?, updated_at = ? WHERE id = ? AND version = ?"
_ENTER_STAGE = ("UPDATE cases SET stage = ?, stage_entered_at = ?, version = ?, updated_at = ? "
                "WHERE id = ? AND version = ?")
_FIRE_TIMER = ("UPDATE timers SET state = 'fired', finished_at = ?, reason = NULL, late = ? "
               "WHERE id = ? AND state = 'pending'")
_CANCEL_TIMER = ("UPDATE timers SET state = 'cancelled', finished_at = ?, reason = NULL "
                 "WHERE case_id = ? AND name = ? AND state = 'pending'")
_INSERT_EVENT = ("INSERT INTO case_events (case_id, seq, type, command, stage_from, stage_to, payload, actor_role, "
                 "actor_id, pathway, definition_version, occurred_at, recorded_at, chain_seq, prev_hash, hash) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
_INSERT_OUTBOX = ("INSERT INTO outbox (case_id, seq, type, pathway, stage_from, stage_to, occurred_at) "
                  "VALUES (?, ?, ?, ?, ?, ?, ?)")
_CLAIM = "SELECT due_at, id, case_id, name, fires FROM timers WHERE state = 'pending' AND due_at <= ? ORDER BY due_at, "
_HEADS = "SELECT id, pathway, definition_version, profile, stage, stage_entered_at, version FROM cases WHERE id IN "


class _Sql:
    """The statements with the driver's positional marker (``?`` for sqlite3, ``%s`` for psycopg)."""

    def __init__(self, mark: str) -> None:
        self.mark = mark
        self.claim = _CLAIM.replace("?", mark) + (
            "rowid LIMIT ?" if mark == "?" else "id LIMIT %s FOR UPDATE SKIP LOCKED")
        self.move_case, self.enter_stage, self.fire_timer, self.cancel_timer, self.insert_event, self.insert_outbox = (
            sql.replace("?", mark)
            for sql in (_MOVE_CASE, _ENTER_STAGE, _FIRE_TIMER, _CANCEL_TIMER, _INSERT_EVENT, _INSERT_OUTBOX))

    def heads(self, count: int) -> str:
        """The SELECT of ``count`` case heads by id."""
        return _HEADS + "(" + ", ".join([self.mark] * count) + ")"


_SQLITE, _POSTGRES = _Sql("?"), _Sql("%s")


def claim_due_timers(uow: SqlUnitOfWork, as_of: datetime, limit: int) -> list[Timer]:
    """Up to ``limit`` pending timers due at ``as_of``, oldest first (of those due at the same instant: by id): on
    PostgreSQL locked, those another sweeper locked skipped; on SQLite the caller holds the write lock. Their
    deadlines are not read (what a timer's command does is read from its case, whose timers carry them).

    On SQLite, which timers due at the same instant make a batch follows the order they were written in (the
    index on state and due date gives it without sorting every pending timer); the batch is then put in order.
    """
    sql, instant = _sql(uow), _from_driver(uow)
    cursor = _cursor(uow)
    cursor.execute(sql.claim, (_sqlite_instant(as_of) if sql is _SQLITE else _utc(as_of), limit))
    rows = sorted(cursor.fetchall()) if sql is _SQLITE else cursor.fetchall()  # SQLite's text instants sort as time
    return [Timer(row[1], row[2], row[3], row[4], instant(row[0])) for row in rows]


def case_heads(uow: SqlUnitOfWork, case_ids: Collection[str]) -> dict[str, CaseHead]:
    """The heads of the cases with these ids (missing ids left out)."""
    if not case_ids:
        return {}
    cursor, instant = _cursor(uow), _from_driver(uow)
    cursor.execute(_sql(uow).heads(len(case_ids)), list(case_ids))
    return {row[0]: CaseHead(row[0], row[1], row[2], row[3], row[4], instant(row[5]), row[6])
            for row in cursor.fetchall()}


def fire_planned(uow: SqlUnitOfWork, fires: Sequence[PlannedFire]) -> list[PlannedFire]:
    """Write ``fires`` set-wise, their events in the order given; return those whose case changed since it was
    read (nothing is written for them). ConcurrencyConflict, as ``save_changes`` raises it, when a fired timer
    is no longer pending or an event's number is taken.
    """
    if not fires:
        return []
    sql = _sql(uow)
    to_driver = _sqlite_instant if sql is _SQLITE else _utc
    cursor = _cursor(uow)
    late = _update_cases(cursor, sql, fires, to_driver)
    written = [f for f in fires if id(f) not in late] if late else list(fires)
    if not written:
        return [f for f in fires if id(f) in late]
    conflict = ConcurrencyConflict(", ".join(f.case.id for f in written[:3]))
    cursor.executemany(sql.fire_timer, [(to_driver(f.now), _own_mark(f), f.timer.id) for f in written])
    if cursor.rowcount != len(written):
        raise conflict
    cancelled = [(to_driver(f.now), f.case.id, name) for f in written for name in f.plan.cancels]
    if cancelled:
        cursor.executemany(sql.cancel_timer, cancelled)
    events = [_event_row(f) for f in written]
    try:
        _link(cursor, sql, events)
        cursor.executemany(sql.insert_event, [
            (e["case_id"], e["seq"], e["type"], e["command"], e["stage_from"], e["stage_to"], _NO_PAYLOAD,
             e["actor_role"], e["actor_id"], e["pathway"], e["definition_version"], to_driver(e["occurred_at"]),
             to_driver(e["recorded_at"]), e["chain_seq"], e["prev_hash"], e["hash"]) for e in events])
    except _integrity_errors(uow) as exc:
        raise conflict from exc
    cursor.executemany(sql.insert_outbox, [
        (e["case_id"], e["seq"], e["type"], e["pathway"], e["stage_from"], e["stage_to"], to_driver(e["occurred_at"]))
        for e in events])
    _mark_others(uow, cursor, written)
    uow.events_written += [(f.case.id, f.seq) for f in written]
    return [f for f in fires if id(f) in late]


def _own_mark(fire: PlannedFire) -> str | None:
    """The fired timer's own mark (:mod:`infra.store.passed_deadlines`), if it has one: its command's event is the
    case's latest.
    """
    if fire.plan.marks is None:
        msg = "a planned fire needs its plan's passed-deadline marks (TimerPlans compiles them)"
        raise ValueError(msg)
    is_open = fire.plan.marks.opened_by_firing(fire.timer.fires)
    if is_open is None:
        return None
    return passed_deadlines.OPEN if is_open else passed_deadlines.HANDLED


def _mark_others(uow: SqlUnitOfWork, cursor: Any, written: Sequence[PlannedFire]) -> None:
    """Mark again the case's other fired timers where the fire may have changed their marks: it moved the case to
    another stage, or its command moves cases (its earlier timers' marks count from this, its latest event); where
    only the fired timer was marked open, rank it among the open ones of its name, if it has any
    (:func:`passed_deadlines.rank_repeated`).
    """
    touched: dict[StageMarks, list[tuple[str, str]]] = {}
    opened: list[str] = []  # cases whose fired timer alone was marked open: to rank among its name's open ones
    for f in written:
        marks = f.plan.marks
        if marks is not None and (f.plan.enters or f.timer.fires in marks.moving):
            touched.setdefault(marks, []).append((f.case.id, f.case.profile))
        elif _own_mark(f) == passed_deadlines.OPEN:
            opened.append(f.case.id)
    for marks, cases in touched.items():
        passed_deadlines.mark(cursor, uow.engine.dialect, marks, cases)
    passed_deadlines.rank_repeated(cursor, uow.engine.dialect, opened)


def _update_cases(cursor: Any, sql: _Sql, fires: Sequence[PlannedFire], to_driver: Any) -> set[int]:
    """Move each case on to its next version (and its plan's stage, when it enters one) from the version read; the
    ids (``id()``) of the fires whose case was no longer at that version. Only what changes is set: a stage index
    is not rewritten for a case that stays in its stage.
    """
    rows = [_case_update(sql, fire, to_driver) for fire in fires]
    cursor.execute(f"SAVEPOINT {_SAVEPOINT}")
    updated = 0
    for statement in (sql.move_case, sql.enter_stage):
        same = [values for used, values in rows if used is statement]
        if same:
            cursor.executemany(statement, same)
            updated += cursor.rowcount
    if updated == len(rows):
        cursor.execute(f"RELEASE SAVEPOINT {_SAVEPOINT}")
        return set()
    cursor.execute(f"ROLLBACK TO SAVEPOINT {_SAVEPOINT}")
    cursor.execute(f"RELEASE SAVEPOINT {_SAVEPOINT}")
    late: set[int] = set()
    for fire, (statement, values) in zip(fires, rows, strict=True):
        cursor.execute(statement, values)
        if cursor.rowcount != 1:
            late.add(id(fire))
    return late


def _case_update(sql: _Sql, fire: PlannedFire, to_driver: Any) -> tuple[str, tuple[Any, ...]]:
    at = (fire.seq, to_driver(fire.now), fire.case.id, fire.case.version)
    if fire.plan.enters:
        return sql.enter_stage, (fire.plan.stage_to, to_driver(fire.stage_entered_at), *at)
    return sql.move_case, at


def _event_row(fire: PlannedFire) -> dict[str, Any]:
    """The event of ``fire`` (:meth:`PlannedFire.event`) as a row to link into the chain, built straight from it."""
    plan, case = fire.plan, fire.case
    return {"case_id": case.id, "seq": case.version + 1, "type": plan.event, "command": plan.command,
            "stage_from": plan.stage, "stage_to": plan.stage_to, "payload": {}, "actor_role": TIMER_ACTOR.role,
            "actor_id": TIMER_ACTOR.id, "pathway": case.pathway, "definition_version": case.definition_version,
            "occurred_at": fire.occurred_at, "recorded_at": fire.now}


def _link(cursor: Any, sql: _Sql, events: list[dict[str, Any]]) -> None:
    """Make the events the chain's next links. The chain's lock is held from here to the commit: on SQLite the
    write lock, which the case UPDATEs above took; on PostgreSQL the chain's advisory lock.
    """
    if sql is _POSTGRES:
        cursor.execute(event_chain.LOCK_SQL)
    cursor.execute(event_chain.HEAD_SQL)
    head = cursor.fetchone()
    event_chain.link(events, (head[0], head[1]) if head else None)


def _sql(uow: SqlUnitOfWork) -> _Sql:
    return _SQLITE if uow.statements.sqlite else _POSTGRES


def _from_driver(uow: SqlUnitOfWork) -> Callable[[Any], datetime]:
    """How an instant read from the driver becomes aware: SQLite's text, parsed once per distinct value."""
    return _sqlite_read if uow.statements.sqlite else uow.statements.instant


@lru_cache(maxsize=4096)
def _sqlite_read(value: str) -> datetime:
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def _cursor(uow: SqlUnitOfWork) -> Any:
    return uow.conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]


def _integrity_errors(uow: SqlUnitOfWork) -> tuple[type[Exception], ...]:
    driver = uow.engine.dialect.dbapi
    return (driver.IntegrityError,) if driver is not None else ()


@lru_cache(maxsize=256)
def _sqlite_instant(value: datetime) -> str:
    """As SQLAlchemy stores an instant on SQLite (and :mod:`infra.store.statements` binds it): naive UTC text with
    microseconds.
    """
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)
