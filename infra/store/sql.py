"""The SQL store: one unit of work is one database transaction on SQLite or PostgreSQL.

Optimistic concurrency: a case row is updated only at the version it was read at, and
a timer is fired only while still pending, so of two racing commands exactly one wins.

Events are hash-chained as they are written (:mod:`infra.store.event_chain`), and hooks registered with
:meth:`SqlUnitOfWork.before_commit` run in the transaction just before it commits (the audit row of a
command is written so: it commits with the command or not at all).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, Row, Select, Transaction, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from domain.case import Actor, Case, Decision, Event, Timer
from domain.errors import CaseNotFound, ConcurrencyConflict
from domain.missed_deadlines import MissedDeadlines
from domain.ports import Change, OutboxItem, Recalled, UnitOfWork
from domain.reactions import Link
from domain.terms import Deadline
from domain.timer_plans import CaseHead, PlannedFire
from infra.store import event_chain, passed_deadlines, timer_batch
from infra.store.group_commit import Savepoint
from infra.store.statements import CASE_FIELDS, LINK_FIELDS, Statements
from infra.store.tables import case_events, case_links, cases, idempotency_keys, outbox, pupils, schools

_PENDING = "pending"


class SqlUnitOfWork(UnitOfWork):
    """A unit of work on an SQLAlchemy engine; re-enterable, one transaction per ``with``.

    ``within`` a connection whose transaction someone else owns (the group-committing writer of
    :mod:`infra.store.group_commit`), each ``with`` is a SAVEPOINT instead: its commit releases the savepoint
    and its rollback undoes its writes alone; what it wrote is durable once that owner commits. One that is
    only ``reading`` runs each statement on its own on PostgreSQL (autocommit), as SQLite's driver does anyway.
    """

    def __init__(self, engine: Engine, within: Connection | None = None, *, reading: bool = False) -> None:
        self.engine = engine
        self._reading = reading
        self._sqlite = engine.dialect.name == "sqlite"
        self.statements = Statements.for_dialect(engine.dialect)
        self._integrity_errors = _integrity_errors(engine)
        self._within = within
        self._conn: Connection | None = within
        self._tx: Transaction | Savepoint | None = None
        self._before_commit: list[Callable[[], None]] = []
        self.commits = 0
        """How many of this unit's transactions committed."""
        self.events_written: list[tuple[str, int]] = []
        """(case id, seq) of each event written in the running transaction, in order."""

    @property
    def conn(self) -> Connection:
        """The connection of the running transaction."""
        if self._conn is None or self._tx is None:
            msg = "use the unit of work in a with-block"
            raise RuntimeError(msg)
        return self._conn

    def begin(self) -> None:
        if self._conn is None:
            self._conn = self.engine.connect()
            if self._reading and not self._sqlite:  # statements on their own: no BEGIN and ROLLBACK round trips
                self._conn.execution_options(isolation_level="AUTOCOMMIT")
        self._tx = self._conn.begin() if self._within is None else Savepoint(self._conn)
        self.events_written = []

    def before_commit(self, hook: Callable[[], None]) -> None:
        """Run ``hook`` just before each commit of this unit, in its transaction (on :attr:`conn`): what
        it writes commits with the unit's writes or not at all. A hook that raises rolls the unit back.
        """
        self._before_commit.append(hook)

    def commit(self) -> None:
        if self._tx is None:
            return
        try:
            for hook in self._before_commit:
                hook()
        except BaseException:
            self.rollback()
            raise
        try:
            self._tx.commit()
        except IntegrityError as exc:
            raise ConcurrencyConflict("(commit)") from exc
        finally:
            self._close()
        self.commits += 1

    def rollback(self) -> None:
        if self._tx is not None and self._tx.is_active:
            self._tx.rollback()
        self._close()

    def _close(self) -> None:
        self._tx = None

    def close(self) -> None:
        """Give the connection back to the pool (the unit of work stays usable); one it was given stays open."""
        if self._conn is not None and self._within is None:
            self._conn.close()
            self._conn = None

    def _run(self, name: str, values: Mapping[str, Any]) -> Any:
        cursor = self.conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        cursor.execute(self.statements.sql[name], self.statements.params(name, values))
        return cursor

    def get_case(self, case_id: str) -> Case:
        found = self._cases(self._run("get_case", {"id": case_id}).fetchall())
        if case_id not in found:
            raise CaseNotFound(case_id)
        return found[case_id]

    def get_cases(self, case_ids: Collection[str]) -> dict[str, Case]:
        if not case_ids:
            return {}
        sql, names = self.statements.cases_in(len(case_ids))
        cursor = self.conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        cursor.execute(sql, dict(zip(names, case_ids, strict=True)))
        return self._cases(cursor.fetchall())

    def case_heads(self, case_ids: Collection[str]) -> dict[str, CaseHead]:
        return timer_batch.case_heads(self, case_ids)

    def fire_planned(self, fires: Sequence[PlannedFire]) -> list[PlannedFire]:
        return timer_batch.fire_planned(self, fires)

    def _cases(self, rows: Sequence[Sequence[Any]]) -> dict[str, Case]:
        """Cases from rows of case columns followed by (possibly null) running-timer columns."""
        s, n = self.statements, len(CASE_FIELDS)
        found: dict[str, Case] = {}
        for row in rows:
            case = found.get(row[0])
            if case is None:
                values = dict(zip(CASE_FIELDS, row[:n], strict=True))
                case = found[row[0]] = Case(**{
                    **values, "opened_at": s.instant(values["opened_at"]),
                    "stage_entered_at": s.instant(values["stage_entered_at"]),
                    "artifacts": s.document(values["artifacts"])})
            if row[n] is not None:
                case.timers[row[n + 2]] = Timer(row[n], row[n + 1], row[n + 2], row[n + 3], s.instant(row[n + 4]),
                                                _deadline(row[n + 5]))
        return found

    def save_changes(self, changes: Sequence[Change], refused: Sequence[tuple[Timer, str]], now: datetime,
                     missed: MissedDeadlines | None) -> None:
        conflict = ConcurrencyConflict(", ".join(c.case.id for c in changes[:3]) or "(timers)")
        decisions = [d for change in changes for d in change.decisions]
        updates = [{**_case_values(c.case, c.decisions[-1], only_state=True), "case_id": c.case.id,
                    "expected_version": c.read_at_version} for c in changes]
        if self._run_many("update_case", updates) != len(updates):
            raise conflict
        finishing = [_finish_values(d.fired, "fired", d.event.recorded_at) for d in decisions if d.fired]
        finishing += [_finish_values(t, "cancelled", d.event.recorded_at) for d in decisions for t in d.cancelled]
        finishing += [_finish_values(t, "refused", now, reason) for t, reason in refused]
        if self._run_many("finish_timer", finishing) != len(finishing):
            raise conflict
        try:
            self._insert_events([d.event for d in decisions])
        except self._integrity_errors as exc:
            raise conflict from exc
        self._run_many("insert_outbox", [_outbox_values(d.event) for d in decisions])
        self._run_many("insert_timer", [_timer_values(t, c.case.profile) for c in changes for d in c.decisions
                                        for t in d.started])
        passed_deadlines.mark_changes(self.conn.connection.dbapi_connection.cursor(),  # type: ignore[union-attr]
                                      self.engine.dialect, changes, missed)

    def _insert_events(self, events: Sequence[Event]) -> None:
        """Insert events as the chain's next links; the chain's lock is held from here to the commit."""
        if not events:
            return
        rows = [_event_values(e) for e in events]
        cursor = self.conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        if self._sqlite:
            self._write_lock()
        else:
            cursor.execute(event_chain.LOCK_SQL)
        cursor.execute(event_chain.HEAD_SQL)
        head = cursor.fetchone()
        event_chain.link(rows, (head[0], head[1]) if head else None)
        self._run_many("insert_event", rows)
        self.events_written += [(e.case_id, e.seq) for e in events]

    def _write_lock(self) -> None:
        """On SQLite, the database's write lock for the rest of the transaction (a writer has it already)."""
        if not self.conn.connection.dbapi_connection.in_transaction:  # type: ignore[union-attr]
            self.conn.exec_driver_sql("BEGIN IMMEDIATE")

    def _run_many(self, name: str, rows: Sequence[Mapping[str, Any]]) -> int:
        """Run one statement for many rows in one driver call; the rows it changed."""
        if not rows:
            return 0
        cursor = self.conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        cursor.executemany(self.statements.sql[name], [self.statements.params(name, r) for r in rows])
        count: int = cursor.rowcount
        return count

    def school_known(self, school_brin: str) -> bool:
        return self.conn.execute(select(schools.c.brin).where(schools.c.brin == school_brin)).first() is not None

    def move_registration(self, pupil_id: str, from_schools: Collection[str], school_brin: str, now: datetime,
                          ) -> None:
        self.conn.execute(update(pupils).where(pupils.c.id == pupil_id, pupils.c.school_brin.in_(list(from_schools)))
                          .values(school_brin=school_brin, updated_at=now))

    def trajectories_of(self, pupil_id: str) -> list[Case]:
        ids = self.conn.execute(
            select(cases.c.id).where(cases.c.pupil_id == pupil_id).order_by(cases.c.opened_at, cases.c.id),
        ).scalars().all()
        found = self.get_cases(ids)  # one statement for all of them
        return [found[case_id] for case_id in ids]

    def cases_on(self, pathway: str, below_version: int) -> list[Case]:
        ids = self.conn.execute(
            select(cases.c.id).where(cases.c.pathway == pathway, cases.c.definition_version < below_version)
            .order_by(cases.c.id),
        ).scalars().all()
        return [self.get_case(case_id) for case_id in ids]

    def add_case(self, case: Case, decision: Decision) -> None:
        self.add_cases([(case, decision)])

    def add_cases(self, opened: Sequence[tuple[Case, Decision]]) -> None:
        try:
            self._run_many("insert_case", [_case_values(case, decision) for case, decision in opened])
            self._insert_events([d.event for _, d in opened])
        except self._integrity_errors as exc:
            raise ConcurrencyConflict(", ".join(case.id for case, _ in opened[:3])) from exc
        self._run_many("insert_outbox", [_outbox_values(d.event) for _, d in opened])
        self._run_many("insert_timer", [_timer_values(t, case.profile) for case, d in opened for t in d.started])

    def save_case(self, case: Case, decision: Decision, missed: MissedDeadlines | None) -> None:
        self.save_changes([Change(case, case.version - 1, [decision])], (), decision.event.recorded_at, missed)

    def history(self, case_id: str, after: int = 0, limit: int | None = None) -> list[Event]:
        """The case's events with a seq above ``after``, in order, at most ``limit`` of them (None: all): a range
        of the primary key (case id, seq), so a page costs its own rows, not the case's whole history.
        """
        query = (select(case_events).where(case_events.c.case_id == case_id, case_events.c.seq > after)
                 .order_by(case_events.c.seq))
        rows = self.conn.execute(query if limit is None else query.limit(limit))
        return [_event(r) for r in rows]

    def event_of(self, case_id: str, seq: int) -> Event:
        row = self.conn.execute(
            select(case_events).where(case_events.c.case_id == case_id, case_events.c.seq == seq)).first()
        if row is None:
            raise CaseNotFound(case_id)
        return _event(row)

    def link_for(self, reaction: str, source_case_id: str, source_seq: int) -> Link | None:
        row = self.conn.execute(select(case_links).where(
            case_links.c.reaction == reaction, case_links.c.source_case_id == source_case_id,
            case_links.c.source_seq == source_seq)).mappings().first()
        return Link(**row) if row else None

    def record_link(self, link: Link) -> None:
        try:
            self.conn.execute(insert(case_links), [vars(link)])
        except IntegrityError as exc:
            raise ConcurrencyConflict(link.source_case_id) from exc

    def links_of(self, case_id: str) -> list[Link]:
        rows = [dict(zip(LINK_FIELDS, row, strict=True)) for row in self._run("links_of", {"case_id": case_id})]
        return [Link(**{**row, "at": self.statements.instant(row["at"])}) for row in rows]

    def recall(self, key: str) -> Recalled | None:
        row = self.conn.execute(
            select(idempotency_keys.c.fingerprint, idempotency_keys.c.outcome)
            .where(idempotency_keys.c.key == key),
        ).first()
        return Recalled(row.fingerprint, row.outcome) if row else None

    def remember(self, key: str, fingerprint: str, outcome: Mapping[str, Any], now: datetime) -> None:
        try:
            self.conn.execute(insert(idempotency_keys), {
                "key": key, "fingerprint": fingerprint, "outcome": dict(outcome), "created_at": now,
            })
        except IntegrityError as exc:
            raise ConcurrencyConflict("(idempotency key)") from exc

    def claim_due_timers(self, as_of: datetime, limit: int) -> list[Timer]:
        if self._sqlite:
            self._write_lock()
        return timer_batch.claim_due_timers(self, as_of, limit)

    def _locked(self, query: Select[Any]) -> Select[Any]:
        """Rows this unit works through alone: on PostgreSQL locked, others skipped
        (several workers share the work); on SQLite the write lock is taken first.
        """
        if self._sqlite:
            self._write_lock()
            return query
        return query.with_for_update(skip_locked=True)

    def fail_timer(self, timer: Timer, reason: str, now: datetime) -> None:
        if self._run("finish_timer", _finish_values(timer, "refused", now, reason)).rowcount != 1:
            raise ConcurrencyConflict(timer.case_id)

    def pending_outbox(self, limit: int) -> list[OutboxItem]:
        query = select(outbox).where(outbox.c.relayed_at.is_(None)).order_by(outbox.c.id).limit(limit)
        rows = self.conn.execute(self._locked(query))
        return [OutboxItem(r.id, r.case_id, r.seq, r.type, r.pathway, r.stage_from, r.stage_to, r.occurred_at)
                for r in rows]

    def mark_relayed(self, ids: Sequence[int], now: datetime) -> None:
        if ids:
            self.conn.execute(update(outbox).where(outbox.c.id.in_(ids)), {"relayed_at": now})

    def stage_counts(self, pathway: str) -> dict[str, int]:
        rows = self.conn.execute(
            select(cases.c.stage, func.count()).where(cases.c.pathway == pathway).group_by(cases.c.stage),
        )
        return dict(rows.tuples().all())

    def event_counts(self, pathway: str) -> dict[str, int]:
        rows = self.conn.execute(
            select(case_events.c.type, func.count()).where(case_events.c.pathway == pathway)
            .group_by(case_events.c.type),
        )
        return dict(rows.tuples().all())


def _case_values(case: Case, decision: Decision, *, only_state: bool = False) -> dict[str, Any]:
    values: dict[str, Any] = {
        "stage": case.stage, "version": case.version, "artifacts": case.artifacts,
        "definition_version": case.definition_version, "school_brin": case.school_brin,
        "stage_entered_at": case.stage_entered_at, "updated_at": decision.event.recorded_at,
    }
    if only_state:
        return values
    return {**values, "id": case.id, "pathway": case.pathway,
            "pupil_id": case.pupil_id, "opened_at": case.opened_at,
            "profile": case.profile}


def _event_values(e: Event) -> dict[str, Any]:
    return {
        "case_id": e.case_id, "seq": e.seq, "type": e.type, "command": e.command,
        "stage_from": e.stage_from, "stage_to": e.stage_to, "payload": dict(e.payload),
        "actor_role": e.actor.role, "actor_id": e.actor.id, "pathway": e.pathway,
        "definition_version": e.definition_version, "occurred_at": e.occurred_at, "recorded_at": e.recorded_at,
    }


def _outbox_values(e: Event) -> dict[str, Any]:
    return {"case_id": e.case_id, "seq": e.seq, "type": e.type, "pathway": e.pathway,
            "stage_from": e.stage_from, "stage_to": e.stage_to, "occurred_at": e.occurred_at}


def _timer_values(t: Timer, profile: str) -> dict[str, Any]:
    deadline = json.dumps(t.deadline.to_data(), separators=(",", ":"), ensure_ascii=False) if t.deadline else None
    return {"id": t.id, "case_id": t.case_id, "name": t.name, "fires": t.fires, "due_at": t.due_at,
            "state": _PENDING, "deadline": deadline, "profile": profile}


def _deadline(stored: str | None) -> Deadline | None:
    """A timer's deadline as stored (JSON text), or None for a timer from before deadlines were kept."""
    return Deadline.from_data(json.loads(stored)) if stored else None


def _finish_values(timer: Timer, state: str, now: datetime, reason: str | None = None) -> dict[str, Any]:
    return {"timer_id": timer.id, "state": state, "finished_at": now, "reason": reason}


def _event(r: Row[Any]) -> Event:
    return Event(r.case_id, r.seq, r.type, r.command, r.stage_from, r.stage_to, r.payload,
                 Actor(r.actor_role, r.actor_id), r.pathway, r.definition_version, r.occurred_at, r.recorded_at)


def _integrity_errors(engine: Engine) -> tuple[type[Exception], ...]:
    """The driver's own integrity error (raised on the raw cursor) and SQLAlchemy's wrapper."""
    driver = engine.dialect.dbapi
    return (IntegrityError, driver.IntegrityError) if driver is not None else (IntegrityError,)
