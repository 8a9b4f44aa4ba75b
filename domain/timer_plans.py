"""Timer transitions that read nothing of a case but its stage, recognised once per definition and fired set-wise.

Most timers only record that a deadline passed ("OPP te laat"): the transition has no fields, no guards, no
effects, records nothing, extends, suspends or resumes no term, the stage it leads to requires nothing and
starts no timer. What :meth:`domain.case.Case.handle` does for such a timer follows from the definition alone:
the next stage, the event, the timers that entering the stage cancels. :func:`compile_timer` derives that once
as a :class:`TimerPlan`; a store then fires many such timers with a few statements for the whole batch
(:meth:`domain.ports.UnitOfWork.fire_planned`) and leaves the artifacts as they are stored. Every other timer,
and any case whose row changed after it was read, takes the full path through ``Case.handle``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from domain.case import Actor, Event, Timer
from domain.definition import PathwayDefinition, Transition
from domain.missed_deadlines import MissedDeadlines, StageMarks
from domain.roles import SYSTEEM

if TYPE_CHECKING:
    from domain.registry import PathwayRegistry

TIMER_ACTOR = Actor(SYSTEEM, "termijnbewaking")
"""Who fires a timer's command."""


@dataclass(frozen=True)
class TimerPlan:
    """What firing ``command`` does to a case of ``pathway`` (at ``version``, in ``profile``) in ``stage``:
    its event and the stage after it, and the running timers (by name) that entering that stage cancels.
    """

    pathway: str
    version: int
    profile: str
    stage: str
    command: str
    event: str
    stage_to: str
    cancels: tuple[str, ...] = ()
    marks: StageMarks | None = None
    """How the case's fired timers are marked in ``stage_to`` (:mod:`domain.missed_deadlines`); None when compiled
    without the registry's rule (such a plan is not fired)."""

    @property
    def enters(self) -> bool:
        """Whether the case enters another stage (then it was entered when the timer's command happened)."""
        return self.stage_to != self.stage


@dataclass(frozen=True)
class CaseHead:
    """The columns of a case row a plan needs: no artifacts, no timers."""

    id: str
    pathway: str
    definition_version: int
    profile: str
    stage: str
    stage_entered_at: datetime
    version: int


@dataclass(frozen=True)
class PlannedFire:
    """One due timer fired by its plan on a case as read (``case``), at ``occurred_at``, recorded at ``now``."""

    timer: Timer
    case: CaseHead
    plan: TimerPlan
    occurred_at: datetime
    now: datetime

    @property
    def seq(self) -> int:
        """The event's number, which is also the case's version after it."""
        return self.case.version + 1

    @property
    def stage_entered_at(self) -> datetime:
        """When the case entered the stage it is in after the timer fired."""
        return self.occurred_at if self.plan.enters else self.case.stage_entered_at

    def event(self) -> Event:
        """The event ``Case.handle`` records for the timer's command."""
        plan, case = self.plan, self.case
        return Event(case.id, self.seq, plan.event, plan.command, plan.stage, plan.stage_to, {}, TIMER_ACTOR,
                     case.pathway, case.definition_version, self.occurred_at, self.now)


def compile_timer(definition: PathwayDefinition, profile: str, stage: str, command: str,
                  missed: MissedDeadlines | None = None) -> TimerPlan | None:
    """The plan of ``command`` from ``stage`` under ``definition`` (as it runs in ``profile``), or None when
    firing it needs the case itself (or is refused): then it takes the full path. ``missed``: the registry's
    rule for the passed deadlines' marks.
    """
    transition = definition.transition(stage, command)
    if transition is None or _reads_the_case(transition):
        return None
    target = transition.target_from(stage)
    if definition.stages[target].requires:
        return None
    if target == stage:
        if any(t.repeats and t.starts_on == stage for t in definition.timers if t.fires == command):
            return None  # a repeating timer starts again: its term needs the day it fired and the profile
        cancels: tuple[str, ...] = ()
    else:
        if any(t.starts_on == target for t in definition.timers):
            return None  # a timer starts: its term may need the artifacts, the profile and the calendar
        cancels = tuple(t.name for t in definition.timers if target in t.cancelled_on)
    marks = missed.in_stage(definition.pathway, target) if missed is not None else None
    return TimerPlan(definition.pathway, definition.version, profile, stage, command, transition.event, target,
                     cancels, marks)


def _reads_the_case(transition: Transition) -> bool:
    """Whether handling the transition depends on more than the case's stage (or the system may not issue it)."""
    return bool(SYSTEEM not in transition.roles or transition.fields or transition.guards or transition.effects
                or transition.records or transition.extends or transition.once or transition.suspends
                or transition.resumes)


class TimerPlans:
    """The plans of a registry's definitions (as each profile runs them), each compiled the first time it is
    asked for.
    """

    def __init__(self, registry: PathwayRegistry) -> None:
        self._registry = registry
        self._plans: dict[tuple[str, int, str, str, str], TimerPlan | None] = {}

    def plan(self, case: CaseHead, command: str) -> TimerPlan | None:
        """The plan of ``command`` for a case in its stage, or None: the full path."""
        key = (case.pathway, case.definition_version, case.profile, case.stage, command)
        if key not in self._plans:
            definition = self._registry.for_profile(case.pathway, case.definition_version, case.profile)
            self._plans[key] = compile_timer(definition, case.profile, case.stage, command,
                                             self._registry.missed_deadlines)
        return self._plans[key]

    def fire(self, timer: Timer, case: CaseHead, now: datetime) -> PlannedFire | None:
        """``timer`` fired by its plan at ``now``, or None when it takes the full path: it has no plan, or its
        command would be refused (the case entered its stage after ``now``: the event would lie in the future).
        """
        plan = self.plan(case, timer.fires)
        occurred = max(timer.due_at, case.stage_entered_at)  # a deadline may predate the case
        if plan is None or timer.case_id != case.id or occurred > now:
            return None
        return PlannedFire(timer, case, plan, occurred, now)
