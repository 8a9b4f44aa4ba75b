"""Read models: what a person or system sees of a case and of a pathway."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.case import Case, Event
from domain.definition import PathwayDefinition, Transition
from domain.fields import FieldSpec
from domain.roles import SYSTEEM


@dataclass(frozen=True)
class TimerView:
    """An open deadline of a case."""

    name: str
    label: str
    due_at: datetime
    overdue: bool


@dataclass(frozen=True)
class CommandView:
    """A command the case accepts now: who may issue it and what it takes."""

    command: str
    label: str
    roles: tuple[str, ...]
    fields: tuple[FieldSpec, ...]
    target: str


@dataclass(frozen=True)
class CaseStatus:
    """A case's stage, open deadlines and the commands allowed next."""

    case_id: str
    pathway: str
    definition_version: int
    profile: str
    school_brin: str
    pupil_id: str
    stage: str
    stage_label: str
    final: bool
    stage_entered_at: datetime
    opened_at: datetime
    version: int
    open_timers: tuple[TimerView, ...]
    next_commands: tuple[CommandView, ...]
    on_record: tuple[str, ...]


def case_status(case: Case, definition: PathwayDefinition, now: datetime, role: str | None = None) -> CaseStatus:
    """The status of ``case`` at ``now``; commands only the system issues are left out, and with a
    ``role`` so are the commands that role may not issue.
    """
    stage = definition.stages[case.stage]
    timers = tuple(sorted((TimerView(t.name, definition.timer(t.name).label, t.due_at, t.due_at <= now)
                           for t in case.timers.values()), key=lambda t: t.due_at))
    commands = tuple(command_view(t, case.stage) for t in definition.commands_from(case.stage)
                     if t.roles != {SYSTEEM} and (role is None or role in t.roles))
    return CaseStatus(case.id, case.pathway, case.definition_version, case.profile, case.school_brin, case.pupil_id,
                      case.stage, stage.label, stage.final, case.stage_entered_at, case.opened_at,
                      case.version, timers, commands, tuple(sorted(case.artifacts)))


def command_view(transition: Transition, stage: str) -> CommandView:
    """How a transition looks to someone who may issue it from ``stage``."""
    return CommandView(transition.command, transition.label, tuple(sorted(transition.roles)),
                       tuple(transition.fields.values()), transition.target_from(stage))


@dataclass(frozen=True)
class HistoryEntry:
    """One event in a case's history."""

    seq: int
    type: str
    command: str
    stage_from: str | None
    stage_to: str
    actor_role: str
    occurred_at: datetime
    recorded_at: datetime
    definition_version: int
    payload: dict[str, object]


def history_entry(event: Event) -> HistoryEntry:
    """An event as the history shows it (the actor by role; ids stay in the record)."""
    return HistoryEntry(event.seq, event.type, event.command, event.stage_from, event.stage_to,
                        event.actor.role, event.occurred_at, event.recorded_at, event.definition_version,
                        dict(event.payload))
