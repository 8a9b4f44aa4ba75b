"""The sweep of due timers: every timer due at an instant fires its command on its case, a batch per transaction.

Timers whose transition reads nothing of the case but its stage fire by their plans (:mod:`domain.timer_plans`),
set-wise; the others through ``Case.handle``, as a person's command does (:mod:`domain.handlers`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby

from domain.case import Command, Timer
from domain.context import running
from domain.errors import DomainError
from domain.ports import Change, UnitOfWork
from domain.registry import PathwayRegistry
from domain.timer_plans import TIMER_ACTOR, PlannedFire, TimerPlans


@dataclass(frozen=True)
class SweepReport:
    """What one sweep of due timers did."""

    fired: int = 0
    refused: int = 0
    batches: int = 0


def fire_due_timers(
    uow: UnitOfWork, registry: PathwayRegistry, as_of: datetime, batch_size: int = 500, *, planned: bool = True,
) -> SweepReport:
    """Fire every timer due at ``as_of``, a batch per transaction, through the same case handling.

    A timer fires once: firing marks it, in the same transaction as the case's event, and a
    later sweep only sees running timers. A command the case refuses marks the timer as
    refused with the reason (a domain error is never retried). A timer whose transition reads nothing of
    the case but its stage is fired by its plan (:mod:`domain.timer_plans`), set-wise, writing what
    ``Case.handle`` would; ``planned=False`` fires every timer through ``Case.handle``.
    """
    plans = TimerPlans(registry) if planned else None
    fired = refused = batches = 0
    while True:
        with uow:
            timers = uow.claim_due_timers(as_of, batch_size)
            if not timers:
                return SweepReport(fired, refused, batches)
            done, refusals = _fire_claimed(uow, registry, plans, timers, as_of)
            uow.commit()
            fired += done
            refused += refusals
            batches += 1


def _fire_claimed(
    uow: UnitOfWork, registry: PathwayRegistry, plans: TimerPlans | None, timers: Sequence[Timer], as_of: datetime,
) -> tuple[int, int]:
    """Fire a claimed batch: how many fired and how many were refused. The events follow the order of the claim
    (a case's at its first timer); each run of cases whose one timer fires by its plan is written set-wise, the
    rest (and a case that changed since it was read) goes through ``Case.handle``.
    """
    by_case: dict[str, list[Timer]] = {}
    for timer in timers:
        by_case.setdefault(timer.case_id, []).append(timer)
    planned = _planned(uow, plans, by_case, as_of) if plans is not None else {}
    fired = refused = 0
    for by_plan, run in groupby(by_case.items(), key=lambda item: item[0] in planned):
        if by_plan:
            fires = [planned[case_id] for case_id, _ in run]
            late = uow.fire_planned(fires)
            fired += len(fires) - len(late)
            handled = [fire.timer for fire in late]
        else:
            handled = [timer for _, of_case in run for timer in of_case]
        if handled:
            changes, refusals = _fire_batch(uow, registry, handled, as_of)
            uow.save_changes(changes, refusals, as_of, registry.missed_deadlines)
            fired += sum(len(c.decisions) for c in changes)
            refused += len(refusals)
    return fired, refused


def _planned(
    uow: UnitOfWork, plans: TimerPlans, by_case: Mapping[str, Sequence[Timer]], as_of: datetime,
) -> dict[str, PlannedFire]:
    """The cases with one timer in the batch that fires by its plan, by id (several timers of one case apply in
    turn, through ``Case.handle``).
    """
    single = [of_case[0] for of_case in by_case.values() if len(of_case) == 1]
    heads = uow.case_heads([timer.case_id for timer in single])
    found: dict[str, PlannedFire] = {}
    for timer in single:
        head = heads.get(timer.case_id)
        fire = plans.fire(timer, head, as_of) if head is not None else None
        if fire is not None:
            found[timer.case_id] = fire
    return found


def _fire_batch(
    uow: UnitOfWork, registry: PathwayRegistry, timers: Sequence[Timer], as_of: datetime,
) -> tuple[list[Change], list[tuple[Timer, str]]]:
    """Each timer's command on its case, in memory; several timers of one case apply in turn. The changes
    follow the order of ``timers`` (a case's at its first timer).
    """
    cases = uow.get_cases({t.case_id for t in timers})
    changes: dict[str, Change] = {}
    refusals: list[tuple[Timer, str]] = []
    for timer in timers:
        case = cases[timer.case_id]
        if case.id not in changes:
            changes[case.id] = Change(case, case.version, [])
        occurred = max(timer.due_at, case.stage_entered_at)  # a deadline may predate the case
        command = Command(timer.fires, TIMER_ACTOR, occurred_at=occurred, timer_id=timer.id)
        definition, context = running(uow, registry, case, occurred, as_of)
        try:
            changes[case.id].decisions.append(case.handle(definition, command, as_of, context))
        except DomainError as error:
            refusals.append((timer, error.message))
    return [c for c in changes.values() if c.decisions], refusals

