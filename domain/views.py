"""Read models: what a person or system sees of a case and of a pathway."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from domain.case import SUSPENDED, Case, Event
from domain.definition import PathwayDefinition, Transition
from domain.fields import FieldSpec
from domain.reactions import Link, Reaction
from domain.roles import SYSTEEM
from domain.terms import Deadline, last_day_of


@dataclass(frozen=True)
class TimerView:
    """An open deadline of a case: when it has passed (the start of the day after its last day), and
    its basis and reckoning (:class:`domain.terms.Deadline`); a suspended one (Awb art. 4:15) says since
    when, its due date being the one it had when its clock stopped.
    """

    name: str
    label: str
    due_at: datetime
    overdue: bool
    deadline: Deadline | None = None
    suspended_since: date | None = None

    @property
    def last_day(self) -> date:
        """The last day on which a step is in time (for a timer from before deadlines were kept: the
        Dutch day before ``due_at``).
        """
        return self.deadline.last_day if self.deadline is not None else last_day_of(self.due_at)


@dataclass(frozen=True)
class CommandView:
    """A command the case accepts now: who may issue it and what it takes."""

    command: str
    label: str
    roles: tuple[str, ...]
    fields: tuple[FieldSpec, ...]
    target: str
    prefilled: tuple[tuple[str, Any], ...] = ()
    """The starting value of each field that declares a prefill and has one on this case (a form's
    suggestion, e.g. the version of the handelingsdeel now presented)."""


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
    opened_by: tuple[LinkView, ...] = ()
    opened: tuple[LinkView, ...] = ()


@dataclass(frozen=True)
class LinkView:
    """A hand-off seen from one case: the other case (None when nothing was opened) and its pathway, the
    reaction and what it did (``geopend``, ``opdracht``, ``overgeslagen``, ``geweigerd``) with the reason.
    """

    case_id: str | None
    pathway: str | None
    reaction: str
    label: str
    outcome: str
    reason: str
    at: datetime


def with_links(status: CaseStatus, links: list[Link], reactions: tuple[Reaction, ...]) -> CaseStatus:
    """``status`` with the hand-offs that opened the case and those it made (``links`` from the store)."""
    declared = {r.name: r for r in reactions}
    opened_by, opened = [], []
    for link in links:
        reaction = declared.get(link.reaction)
        label = reaction.label if reaction else link.reaction
        if link.target_case_id == status.case_id and link.source_case_id != status.case_id:
            source = reaction.pathway if reaction else None
            opened_by.append(LinkView(link.source_case_id, source, link.reaction, label, link.outcome, link.reason,
                                      link.at))
        elif link.source_case_id == status.case_id:
            target = (reaction.opens or reaction.pathway) if reaction and link.target_case_id else None
            opened.append(LinkView(link.target_case_id, target, link.reaction, label, link.outcome, link.reason,
                                   link.at))
    return replace(status, opened_by=tuple(opened_by), opened=tuple(opened))


def case_status(case: Case, definition: PathwayDefinition, now: datetime, role: str | None = None) -> CaseStatus:
    """The status of ``case`` at ``now``; commands only the system issues are left out, and with a
    ``role`` so are the commands that role may not issue.
    """
    stage = definition.stages[case.stage]
    running = [TimerView(t.name, definition.timer(t.name).label, t.due_at, t.due_at <= now, t.deadline)
               for t in case.timers.values()]
    timers = tuple(sorted(running + _suspended(case, definition), key=lambda t: t.due_at))
    commands = tuple(command_view(t, case.stage, case.artifacts) for t in definition.commands_from(case.stage)
                     if t.roles != {SYSTEEM} and (role is None or role in t.roles))
    return CaseStatus(case.id, case.pathway, case.definition_version, case.profile, case.school_brin, case.pupil_id,
                      case.stage, stage.label, stage.final, case.stage_entered_at, case.opened_at,
                      case.version, timers, commands, tuple(sorted(a for a in case.artifacts if not a.startswith("_"))))


def _suspended(case: Case, definition: PathwayDefinition) -> list[TimerView]:
    held: dict[str, dict[str, Any]] = case.artifacts.get(SUSPENDED, {})
    return [TimerView(name, definition.timer(name).label, datetime.fromisoformat(str(h["due_at"])), overdue=False,
                      deadline=Deadline.from_data(h["deadline"]) if isinstance(h.get("deadline"), dict) else None,
                      suspended_since=date.fromisoformat(str(h["sinds"])))
            for name, h in held.items()]


def command_view(transition: Transition, stage: str,
                 artifacts: Mapping[str, Mapping[str, Any]] | None = None) -> CommandView:
    """How a transition looks to someone who may issue it from ``stage`` (with ``artifacts``, the case's
    record: the fields' prefilled values).
    """
    found = ((f.name, f.prefilled(artifacts)) for f in transition.fields.values() if f.prefill and artifacts)
    return CommandView(transition.command, transition.label, tuple(sorted(transition.roles)),
                       tuple(transition.fields.values()), transition.target_from(stage),
                       tuple((name, value) for name, value in found if value is not None))


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
