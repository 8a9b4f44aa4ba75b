"""An in-memory store behind the same port: the fake the contract suite runs beside SQL.

A unit of work works on a private copy and commits with optimistic checks, so two
units that touch the same case behave as they do on a database: one wins.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from domain.case import Case, Decision, Event, Timer
from domain.errors import CaseNotFound, ConcurrencyConflict
from domain.missed_deadlines import MissedDeadlines
from domain.ports import Change, OutboxItem, Recalled, UnitOfWork
from domain.reactions import Link
from domain.timer_plans import CaseHead, PlannedFire


@dataclass
class _TimerRecord:
    timer: Timer
    state: str = "pending"
    reason: str | None = None


@dataclass
class _State:
    cases: dict[str, Case] = field(default_factory=dict)
    events: dict[str, list[Event]] = field(default_factory=dict)
    timers: dict[str, _TimerRecord] = field(default_factory=dict)
    outbox: list[tuple[OutboxItem, datetime | None]] = field(default_factory=list)
    keys: dict[str, Recalled] = field(default_factory=dict)
    links: dict[tuple[str, str, int], Link] = field(default_factory=dict)


class MemoryStore:
    """The shared state that memory units of work commit to; ``schools``: the BRIN codes the reference
    data knows (read only; the fake imports none); ``registrations``: the school of each registered pupil.
    """

    def __init__(self, schools: Collection[str] = (), registrations: dict[str, str] | None = None) -> None:
        self.state = _State()
        self.lock = threading.Lock()
        self.schools = frozenset(schools)
        self.registrations = dict(registrations or {})


class MemoryUnitOfWork(UnitOfWork):
    """A unit of work over a :class:`MemoryStore`."""

    def __init__(self, store: MemoryStore) -> None:
        self.store = store
        self._work = _State()
        self._expect: dict[str, int | None] = {}
        self._timers_touched: set[str] = set()
        self._keys_added: set[str] = set()
        self._links_added: set[tuple[str, str, int]] = set()
        self._new_events: list[Event] = []
        self._relayed: set[int] = set()
        self._before_commit: list[Callable[[], None]] = []
        self._moves: dict[str, str] = {}
        self.commits = 0
        """How many of this unit's transactions committed."""

    def begin(self) -> None:
        with self.store.lock:
            self._work = copy.deepcopy(self.store.state)
        self._expect, self._timers_touched, self._keys_added, self._links_added = {}, set(), set(), set()
        self._new_events, self._relayed = [], set()
        self._moves = {}

    @property
    def events_written(self) -> list[tuple[str, int]]:
        """(case id, seq) of each event written in the running transaction, in order."""
        return [(e.case_id, e.seq) for e in self._new_events]

    def before_commit(self, hook: Callable[[], None]) -> None:
        """Run ``hook`` just before each commit of this unit (as the SQL unit of work does); a hook that
        raises rolls the unit back.
        """
        self._before_commit.append(hook)

    def commit(self) -> None:
        try:
            for hook in self._before_commit:
                hook()
        except BaseException:
            self.rollback()
            raise
        with self.store.lock:
            self._check(self.store.state)
            self._apply(self.store.state)
            self.store.registrations.update(self._moves)
        self.begin()
        self.commits += 1

    def rollback(self) -> None:
        self.begin()

    def _check(self, state: _State) -> None:
        for case_id, version in self._expect.items():
            stored = state.cases.get(case_id)
            if (stored.version if stored else None) != version:
                raise ConcurrencyConflict(case_id)
        for timer_id in self._timers_touched:
            if timer_id in state.timers and state.timers[timer_id].state != "pending":
                raise ConcurrencyConflict(state.timers[timer_id].timer.case_id)
        if self._keys_added & set(state.keys):
            raise ConcurrencyConflict("(idempotency key)")
        if self._links_added & set(state.links):
            raise ConcurrencyConflict("(case link)")

    def _apply(self, state: _State) -> None:
        for case_id in self._expect:
            state.cases[case_id] = copy.deepcopy(self._work.cases[case_id])
        for event in self._new_events:
            state.events.setdefault(event.case_id, []).append(event)
            state.outbox.append((_outbox_item(len(state.outbox) + 1, event), None))
        for timer_id in self._timers_touched:
            state.timers[timer_id] = copy.deepcopy(self._work.timers[timer_id])
        for key in self._keys_added:
            state.keys[key] = self._work.keys[key]
        for link_key in self._links_added:
            state.links[link_key] = self._work.links[link_key]
        state.outbox = [(item, self._work_relayed(item.id) or at) for item, at in state.outbox]

    def _work_relayed(self, outbox_id: int) -> datetime | None:
        if outbox_id not in self._relayed:
            return None
        return next(at for item, at in self._work.outbox if item.id == outbox_id)

    def get_case(self, case_id: str) -> Case:
        case = self._work.cases.get(case_id)
        if case is None:
            raise CaseNotFound(case_id)
        found = copy.deepcopy(case)
        found.timers = {r.timer.name: r.timer for r in self._work.timers.values()
                        if r.timer.case_id == case_id and r.state == "pending"}
        return found

    def get_cases(self, case_ids: Collection[str]) -> dict[str, Case]:
        return {case_id: self.get_case(case_id) for case_id in case_ids if case_id in self._work.cases}

    def save_changes(self, changes: Sequence[Change], refused: Sequence[tuple[Timer, str]], now: datetime,
                     missed: MissedDeadlines | None) -> None:
        del missed  # the fake has no monitor: it keeps no marks of passed deadlines
        for change in changes:
            self._expect.setdefault(change.case.id, change.read_at_version)
            for decision in change.decisions:
                if decision.fired is not None:
                    record = self._work.timers.get(decision.fired.id)
                    if record is None or record.state != "pending":
                        raise ConcurrencyConflict(change.case.id)
                    self._set_timer(decision.fired, "fired")
                self._store(change.case, decision)
        for timer, reason in refused:
            self.fail_timer(timer, reason, now)

    def case_heads(self, case_ids: Collection[str]) -> dict[str, CaseHead]:
        found = (self._work.cases.get(case_id) for case_id in case_ids)
        return {c.id: CaseHead(c.id, c.pathway, c.definition_version, c.profile, c.stage, c.stage_entered_at, c.version)
                for c in found if c is not None}

    def fire_planned(self, fires: Sequence[PlannedFire]) -> list[PlannedFire]:
        late = []
        for fire in fires:
            stored = self._work.cases.get(fire.case.id)
            if stored is None or stored.version != fire.case.version:
                late.append(fire)
                continue
            case = self.get_case(fire.case.id)
            case.timers.pop(fire.timer.name, None)
            cancelled = tuple(case.timers.pop(name) for name in fire.plan.cancels if name in case.timers)
            case.stage, case.version, case.stage_entered_at = fire.plan.stage_to, fire.seq, fire.stage_entered_at
            self.save_changes([Change(case, fire.case.version, [Decision(fire.event(), (), cancelled, fire.timer)])],
                              (), fire.now, None)
        return late

    def school_known(self, school_brin: str) -> bool:
        return school_brin in self.store.schools

    def move_registration(self, pupil_id: str, from_schools: Collection[str], school_brin: str, now: datetime,
                          ) -> None:
        del now  # the fake keeps no update times
        if self.store.registrations.get(pupil_id) in from_schools:
            self._moves[pupil_id] = school_brin

    def trajectories_of(self, pupil_id: str) -> list[Case]:
        mine = sorted((c for c in self._work.cases.values() if c.pupil_id == pupil_id), key=lambda c: c.opened_at)
        return [self.get_case(c.id) for c in mine]

    def cases_on(self, pathway: str, below_version: int) -> list[Case]:
        return [self.get_case(c.id) for c in self._work.cases.values()
                if c.pathway == pathway and c.definition_version < below_version]

    def add_case(self, case: Case, decision: Decision) -> None:
        self._expect.setdefault(case.id, None)
        self._store(case, decision)

    def add_cases(self, opened: Sequence[tuple[Case, Decision]]) -> None:
        for case, decision in opened:
            self.add_case(case, decision)

    def save_case(self, case: Case, decision: Decision, missed: MissedDeadlines | None) -> None:
        self.save_changes([Change(case, case.version - 1, [decision])], (), decision.event.recorded_at, missed)

    def _store(self, case: Case, decision: Decision) -> None:
        self._work.cases[case.id] = replace(copy.deepcopy(case), timers={})
        self._work.events.setdefault(case.id, []).append(decision.event)
        self._new_events.append(decision.event)
        for timer in decision.cancelled:
            self._set_timer(timer, "cancelled")
        for timer in decision.started:
            self._work.timers[timer.id] = _TimerRecord(timer)
            self._timers_touched.add(timer.id)

    def _set_timer(self, timer: Timer, state: str, reason: str | None = None) -> None:
        self._work.timers[timer.id] = _TimerRecord(timer, state, reason)
        self._timers_touched.add(timer.id)

    def history(self, case_id: str) -> list[Event]:
        return list(self._work.events.get(case_id, []))

    def event_of(self, case_id: str, seq: int) -> Event:
        found = [e for e in self._work.events.get(case_id, []) if e.seq == seq]
        if not found:
            raise CaseNotFound(case_id)
        return found[0]

    def link_for(self, reaction: str, source_case_id: str, source_seq: int) -> Link | None:
        return self._work.links.get((reaction, source_case_id, source_seq))

    def record_link(self, link: Link) -> None:
        key = (link.reaction, link.source_case_id, link.source_seq)
        if key in self._work.links:
            raise ConcurrencyConflict(link.source_case_id)
        self._work.links[key] = link
        self._links_added.add(key)

    def links_of(self, case_id: str) -> list[Link]:
        found = [link for link in self._work.links.values() if case_id in (link.source_case_id, link.target_case_id)]
        return sorted(found, key=lambda link: (link.at, link.source_seq))

    def recall(self, key: str) -> Recalled | None:
        return self._work.keys.get(key)

    def remember(self, key: str, fingerprint: str, outcome: Mapping[str, Any], now: datetime) -> None:  # noqa: ARG002 - the fake keeps no timestamps
        if key in self._work.keys:
            raise ConcurrencyConflict("(idempotency key)")
        self._work.keys[key] = Recalled(fingerprint, dict(outcome))
        self._keys_added.add(key)

    def claim_due_timers(self, as_of: datetime, limit: int) -> list[Timer]:
        due = [r.timer for r in self._work.timers.values() if r.state == "pending" and r.timer.due_at <= as_of]
        return sorted(due, key=lambda t: (t.due_at, t.id))[:limit]

    def fail_timer(self, timer: Timer, reason: str, now: datetime) -> None:  # noqa: ARG002 - the fake keeps no timestamps
        self._set_timer(timer, "refused", reason)

    def pending_outbox(self, limit: int) -> list[OutboxItem]:
        return [item for item, at in self._work.outbox if at is None][:limit]

    def mark_relayed(self, ids: Sequence[int], now: datetime) -> None:
        wanted = set(ids)
        self._work.outbox = [(item, now if item.id in wanted else at) for item, at in self._work.outbox]
        self._relayed |= wanted

    def stage_counts(self, pathway: str) -> dict[str, int]:
        counts: dict[str, int] = {}
        for case in self._work.cases.values():
            if case.pathway == pathway:
                counts[case.stage] = counts.get(case.stage, 0) + 1
        return counts

    def event_counts(self, pathway: str) -> dict[str, int]:
        counts: dict[str, int] = {}
        for event in (e for events in self._work.events.values() for e in events if e.pathway == pathway):
            counts[event.type] = counts.get(event.type, 0) + 1
        return counts


def _outbox_item(outbox_id: int, event: Event) -> OutboxItem:
    return OutboxItem(outbox_id, event.case_id, event.seq, event.type, event.pathway,
                      event.stage_from, event.stage_to, event.occurred_at)
