"""The storage port: what the handlers need from a store. Fakes and SQL stores implement it.

One unit of work is one transaction: the case, its event, its outbox row, its timer
changes and an idempotency record commit together or not at all.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any, Self

from domain.case import Case, Decision, Event, Timer
from domain.missed_deadlines import MissedDeadlines
from domain.reactions import Link
from domain.timer_plans import CaseHead, PlannedFire


@dataclass(frozen=True)
class Recalled:
    """What an idempotency key remembers: the request's fingerprint and its first outcome."""

    fingerprint: str
    outcome: Mapping[str, Any]


@dataclass(frozen=True)
class OutboxItem:
    """An event waiting to be relayed; carries ids and stages only, never payload content."""

    id: int
    case_id: str
    seq: int
    type: str
    pathway: str
    stage_from: str | None
    stage_to: str
    occurred_at: datetime


@dataclass
class Change:
    """What a batch did to one case: its state now, the version it was read at, its decisions."""

    case: Case
    read_at_version: int
    decisions: list[Decision]


class UnitOfWork(ABC):
    """A transaction against the store; leaving the ``with`` block without commit rolls back."""

    def __enter__(self) -> Self:
        self.begin()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None,
    ) -> None:
        self.rollback()

    @abstractmethod
    def begin(self) -> None:
        """Start a transaction."""

    @abstractmethod
    def commit(self) -> None:
        """Make everything done in this unit durable; raise ConcurrencyConflict if a write lost a race."""

    @abstractmethod
    def rollback(self) -> None:
        """Forget everything not committed (a no-op after commit)."""

    @abstractmethod
    def get_case(self, case_id: str) -> Case:
        """The case with its running timers; raise CaseNotFound."""

    @abstractmethod
    def get_cases(self, case_ids: Collection[str]) -> dict[str, Case]:
        """Several cases at once, by id, with their running timers (missing ids are left out)."""

    @abstractmethod
    def save_changes(self, changes: Sequence[Change], refused: Sequence[tuple[Timer, str]], now: datetime,
                     missed: MissedDeadlines | None) -> None:
        """Store a batch: each case's final state (ConcurrencyConflict if any changed since it was
        read), all their events, outbox rows and timer changes, and the timers whose command was refused;
        and, by ``missed`` (the registry's :attr:`~domain.registry.PathwayRegistry.missed_deadlines`), which
        passed deadlines of those cases are not handled yet (:mod:`domain.missed_deadlines`). ``missed`` may be
        None only for changes that move no stage and fire no timer (a transfer to another school).
        """

    @abstractmethod
    def case_heads(self, case_ids: Collection[str]) -> dict[str, CaseHead]:
        """Several cases' stage and version by id (missing ids are left out), without artifacts or timers."""

    @abstractmethod
    def fire_planned(self, fires: Sequence[PlannedFire]) -> list[PlannedFire]:
        """Store what the planned fires did (:mod:`domain.timer_plans`), as ``save_changes`` would store the same
        decisions, with their events in the order given: each case's new stage and version, its fired and
        cancelled timers, its event and outbox row; its artifacts as stored. A fire whose case is no longer at
        the version it was read at is left out, with nothing written for it, and returned (it takes the full path).
        """

    @abstractmethod
    def school_known(self, school_brin: str) -> bool:
        """Whether the reference data knows the school (an admin imported it)."""

    @abstractmethod
    def move_registration(self, pupil_id: str, from_schools: Collection[str], school_brin: str, now: datetime,
                          ) -> None:
        """Register the pupil at ``school_brin`` where the reference data has them at one of ``from_schools``
        (the schools their trajectories leave; a pupil registered elsewhere, or unknown, stays as is): a
        transfer moves the pupil, not only their trajectories, and never a registration it does not cover.
        """

    @abstractmethod
    def trajectories_of(self, pupil_id: str) -> list[Case]:
        """Every trajectory (case) of the pupil, oldest first, with running timers."""

    @abstractmethod
    def cases_on(self, pathway: str, below_version: int) -> list[Case]:
        """Every case of ``pathway`` running under a definition version below ``below_version``."""

    @abstractmethod
    def add_case(self, case: Case, decision: Decision) -> None:
        """Store a newly opened case with its first event."""

    @abstractmethod
    def add_cases(self, opened: Sequence[tuple[Case, Decision]]) -> None:
        """Store many newly opened cases at once (imports, seeding)."""

    @abstractmethod
    def save_case(self, case: Case, decision: Decision, missed: MissedDeadlines | None) -> None:
        """Store the case's new state and the decision; ConcurrencyConflict if it changed meanwhile (``missed``:
        as for :meth:`save_changes`).
        """

    @abstractmethod
    def history(self, case_id: str) -> list[Event]:
        """Every event of the case in sequence order."""

    @abstractmethod
    def event_of(self, case_id: str, seq: int) -> Event:
        """The case's event number ``seq``; raise CaseNotFound if there is none."""

    @abstractmethod
    def link_for(self, reaction: str, source_case_id: str, source_seq: int) -> Link | None:
        """What ``reaction`` did for that source event, if it ran."""

    @abstractmethod
    def record_link(self, link: Link) -> None:
        """Record what a reaction did; ConcurrencyConflict if it was recorded for that event meanwhile
        (the conditional write that makes a hand-off happen once).
        """

    @abstractmethod
    def links_of(self, case_id: str) -> list[Link]:
        """The hand-offs from and to the case, oldest first."""

    @abstractmethod
    def recall(self, key: str) -> Recalled | None:
        """The outcome first recorded under ``key``, if any."""

    @abstractmethod
    def remember(self, key: str, fingerprint: str, outcome: Mapping[str, Any], now: datetime) -> None:
        """Record ``outcome`` under ``key``; ConcurrencyConflict if the key was taken meanwhile."""

    @abstractmethod
    def claim_due_timers(self, as_of: datetime, limit: int) -> list[Timer]:
        """Up to ``limit`` running timers due at ``as_of``, oldest first, locked for this unit. Their deadlines
        may be left out (None): what a timer's command does is read from its case, whose timers carry them.
        """

    @abstractmethod
    def fail_timer(self, timer: Timer, reason: str, now: datetime) -> None:
        """Mark a timer whose command the case refused, so it is not tried again."""

    @abstractmethod
    def pending_outbox(self, limit: int) -> list[OutboxItem]:
        """Up to ``limit`` events not yet relayed, in the order they were recorded."""

    @abstractmethod
    def mark_relayed(self, ids: Sequence[int], now: datetime) -> None:
        """Mark outbox items as relayed."""

    @abstractmethod
    def stage_counts(self, pathway: str) -> dict[str, int]:
        """How many cases of ``pathway`` are in each stage."""

    @abstractmethod
    def event_counts(self, pathway: str) -> dict[str, int]:
        """How many events of each type cases of ``pathway`` have recorded."""
