"""The Case aggregate: one pupil's trajectory on one pathway, moved only by commands.

Handling is check first, mutate second: find the transition (else an error naming
the stage and the allowed commands) -> role -> payload -> guards -> new stage ->
event -> timers started and cancelled. ``now`` is always passed in; no clock is read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from domain.context import DEFAULT_PROFILE, Context
from domain.definition import PathwayDefinition, TimerSpec, Transition
from domain.durations import start_of_day
from domain.errors import GuardFailed, InvalidCommand, Missing, RoleNotAllowed, TransitionNotAllowed
from domain.fields import clean_payload
from domain.roles import SYSTEEM
from domain.rules import EFFECTS, GUARDS

JSON = Any
TRANSFER_ROLES = frozenset({"zorgcoordinator", "swv_coordinator"})
_ONCE = "_eenmalig"
"""Artifact recording which once-only commands a case has used (e.g. an extension)."""


@dataclass(frozen=True)
class Actor:
    """Who issues a command: a role and a pseudonymous user id (never a name)."""

    role: str
    id: str


@dataclass(frozen=True)
class Command:
    """A request to move a case. ``occurred_at`` is when it happened in the world (default: now)."""

    name: str
    actor: Actor
    payload: Mapping[str, JSON] = field(default_factory=dict)
    occurred_at: datetime | None = None
    timer_id: str | None = None


@dataclass(frozen=True)
class Timer:
    """A running timer of a case: when it falls due, it fires ``fires`` as the system."""

    id: str
    case_id: str
    name: str
    fires: str
    due_at: datetime


@dataclass(frozen=True)
class Event:
    """What happened to a case: append-only, numbered per case, with both instants."""

    case_id: str
    seq: int
    type: str
    command: str
    stage_from: str | None
    stage_to: str
    payload: Mapping[str, JSON]
    actor: Actor
    pathway: str
    definition_version: int
    occurred_at: datetime
    recorded_at: datetime


@dataclass(frozen=True)
class Decision:
    """The outcome of one command: its event and the timers it started, cancelled or fired."""

    event: Event
    started: tuple[Timer, ...] = ()
    cancelled: tuple[Timer, ...] = ()
    fired: Timer | None = None


@dataclass
class Case:
    """A pupil's case on one pathway, at the definition version it was opened under."""

    id: str
    pathway: str
    definition_version: int
    school_brin: str
    pupil_id: str
    stage: str
    opened_at: datetime
    stage_entered_at: datetime
    version: int = 0
    artifacts: dict[str, dict[str, JSON]] = field(default_factory=dict)
    timers: dict[str, Timer] = field(default_factory=dict)
    profile: str = DEFAULT_PROFILE

    @classmethod
    def open(
        cls, case_id: str, definition: PathwayDefinition, school_brin: str, pupil_id: str,
        command: Command, now: datetime, context: Context | None = None,
    ) -> tuple[Case, Decision]:
        """Open a case with the pathway's start command; the case begins in its initial stage."""
        start = definition.start
        if command.name != start.command:
            raise TransitionNotAllowed(command.name, "(nieuw)", [start.command])
        occurred = _occurred_at(command, now)
        context = context or Context()
        case = cls(case_id, definition.pathway, definition.version, school_brin, pupil_id,
                   definition.initial, occurred, occurred, profile=context.profile.code)
        payload = case._checked(definition, start, command, now, context)
        return case, case._apply(definition, start, command, payload, occurred, now, context, opening=True)

    def handle(
        self, definition: PathwayDefinition, command: Command, now: datetime, context: Context | None = None,
    ) -> Decision:
        """Apply ``command`` at ``now``; raise a DomainError and change nothing if it is refused."""
        transition = definition.transition(self.stage, command.name)
        if transition is None:
            raise TransitionNotAllowed(command.name, self.stage, self.allowed_commands(definition))
        context = context or Context()
        payload = self._checked(definition, transition, command, now, context)
        return self._apply(definition, transition, command, payload, _occurred_at(command, now), now, context)

    def transfer(self, school_brin: str, actor: Actor, now: datetime, occurred_at: datetime | None = None) -> Decision:
        """The pupil changes school: the case goes along, with everything on record (consents,
        instemming); the stage and running deadlines stay as they are.
        """
        if actor.role not in TRANSFER_ROLES:
            raise RoleNotAllowed("plaats_over", actor.role, sorted(TRANSFER_ROLES))
        occurred = occurred_at or now
        problems = _instant_problems(occurred, now)
        if school_brin == self.school_brin:
            problems.append(f"De leerling staat al ingeschreven op school {school_brin}.")
        if problems:
            raise InvalidCommand(problems)
        payload = {"van_school": self.school_brin, "naar_school": school_brin}
        self.school_brin, self.version = school_brin, self.version + 1
        return Decision(Event(self.id, self.version, "leerling_overgeplaatst", "plaats_over", self.stage, self.stage,
                              payload, actor, self.pathway, self.definition_version, occurred, now))

    def allowed_commands(self, definition: PathwayDefinition, role: str | None = None) -> list[str]:
        """The commands people may issue now (optionally: that ``role`` may issue); a timer's own
        commands are left out, since only the system issues them.
        """
        return [t.command for t in definition.commands_from(self.stage)
                if t.roles - {SYSTEEM} and (role is None or role in t.roles)]

    def _checked(
        self, definition: PathwayDefinition, transition: Transition, command: Command, now: datetime,
        context: Context,
    ) -> dict[str, JSON]:
        if command.actor.role not in transition.roles:
            raise RoleNotAllowed(command.name, command.actor.role, sorted(transition.roles))
        payload, problems = clean_payload(transition.fields, command.payload)
        problems += self._timer_problems(command)
        if command.occurred_at is not None:
            problems += _instant_problems(command.occurred_at, now)
            problems += self._before_stage_problems(command.occurred_at, definition)
        if problems:
            raise InvalidCommand(problems)
        missing = [m for g in transition.guards for m in GUARDS[g](self, payload, context)]
        missing += self._missing_requirements(definition, transition, payload, context)
        if transition.once and transition.command in self.artifacts.get(_ONCE, {}):
            missing.append(Missing(f"{transition.command}-al-gebruikt",
                                   f"'{transition.label}' kan maar één keer; dat is al gebeurd."))
        if missing:
            raise GuardFailed(command.name, _first_per_code(missing))
        return payload

    def _before_stage_problems(self, occurred_at: datetime, definition: PathwayDefinition) -> list[str]:
        """A step from a stage cannot have happened before the case entered that stage."""
        if self.version == 0 or occurred_at.tzinfo is None or occurred_at >= self.stage_entered_at:
            return []
        label = definition.stages[self.stage].label
        entered = self.stage_entered_at.isoformat()
        return [f"Het tijdstip 'occurred_at' ligt vóór {entered}, toen het dossier in fase '{label}' kwam."]

    def _timer_problems(self, command: Command) -> list[str]:
        if command.timer_id is None or any(t.id == command.timer_id for t in self.timers.values()):
            return []
        return [f"Termijn {command.timer_id} loopt niet (meer) voor dit dossier."]

    def _missing_requirements(
        self, definition: PathwayDefinition, transition: Transition, payload: Mapping[str, JSON], context: Context,
    ) -> list[Missing]:
        target = definition.stages[transition.target_from(self.stage)]
        recorded = set(self.artifacts) | ({transition.records} if transition.records else set())
        recorded |= {name for e in transition.effects for name in EFFECTS[e](self, payload, context)}
        return [Missing(f"{a}-ontbreekt", f"{definition.artifacts[a].label[:1].upper()}"
                        f"{definition.artifacts[a].label[1:]} ontbreekt.")
                for a in target.requires if a not in recorded]

    def _apply(
        self, definition: PathwayDefinition, transition: Transition, command: Command,
        payload: dict[str, JSON], occurred: datetime, now: datetime, context: Context, *, opening: bool = False,
    ) -> Decision:
        source = None if opening else self.stage
        target = transition.target_from(self.stage)
        entered = opening or target != self.stage
        recorded = self._record(transition, payload, occurred, context)
        fired = self._fire(command.timer_id)
        self.stage, self.version = target, self.version + 1
        if entered:
            self.stage_entered_at = occurred
        cancelled = self._cancel(definition, target) if entered else ()
        extended_from, extended = self._extend(transition)
        started = (self._start(definition, target, occurred) if entered else ()) + extended
        event = Event(self.id, self.version, transition.event, command.name, source, target,
                      {**payload, **recorded}, command.actor, self.pathway, self.definition_version,
                      occurred, now)
        return Decision(event, started, cancelled + extended_from, fired)

    def _record(
        self, transition: Transition, payload: Mapping[str, JSON], occurred: datetime, context: Context,
    ) -> dict[str, JSON]:
        """Store the artifacts this transition records; return what effects added to the event."""
        added: dict[str, JSON] = {}
        if transition.once:
            self.artifacts[_ONCE] = {**self.artifacts.get(_ONCE, {}), transition.command: occurred.isoformat()}
        for effect in transition.effects:
            for name, values in EFFECTS[effect](self, payload, context).items():
                self.artifacts[name] = {**values, "occurred_at": occurred.isoformat()}
                added.update({f"{name}_{key}": value for key, value in values.items()})
        if transition.records:
            self.artifacts[transition.records] = {**payload, "occurred_at": occurred.isoformat()}
        return added

    def _fire(self, timer_id: str | None) -> Timer | None:
        timer = next((t for t in self.timers.values() if t.id == timer_id), None)
        if timer is not None:
            del self.timers[timer.name]
        return timer

    def _cancel(self, definition: PathwayDefinition, target: str) -> tuple[Timer, ...]:
        cancelled = tuple(t for t in self.timers.values() if target in definition.timer(t.name).cancelled_on)
        for timer in cancelled:
            del self.timers[timer.name]
        return cancelled

    def _extend(self, transition: Transition) -> tuple[tuple[Timer, ...], tuple[Timer, ...]]:
        """Running timers this transition pushes back: the old ones end, new ones take their place."""
        old = tuple(self.timers[name] for name in transition.extends if name in self.timers)
        for timer in old:
            due = transition.extends[timer.name].after(timer.due_at)
            self.timers[timer.name] = replace(timer, id=f"{self.id}:{self.version}:{timer.name}", due_at=due)
        return old, tuple(self.timers[t.name] for t in old)

    def _start(self, definition: PathwayDefinition, target: str, occurred: datetime) -> tuple[Timer, ...]:
        specs = [s for s in definition.timers if s.starts_on == target and s.name not in self.timers]
        for spec in specs:
            anchor = self._anchor(spec) or occurred
            due = spec.after.before(anchor) if spec.before else spec.after.after(anchor)
            self.timers[spec.name] = Timer(f"{self.id}:{self.version}:{spec.name}", self.id, spec.name,
                                           spec.fires, due)
        return tuple(self.timers[s.name] for s in specs)

    def _anchor(self, spec: TimerSpec) -> datetime | None:
        """The latest anchor on record: an artifact's occurred_at or one of its date fields."""
        found = [_anchor_instant(self.artifacts.get(name.split(".")[0]), name) for name in spec.anchor]
        instants = [i for i in found if i is not None]
        return max(instants) if instants else None


def _anchor_instant(artifact: Mapping[str, JSON] | None, name: str) -> datetime | None:
    if artifact is None:
        return None
    key = name.split(".", 1)[1] if "." in name else "occurred_at"
    value = str(artifact[key])
    return datetime.fromisoformat(value) if "T" in value else start_of_day(date.fromisoformat(value))


def _first_per_code(missing: list[Missing]) -> list[Missing]:
    seen: dict[str, Missing] = {}
    for item in missing:
        seen.setdefault(item.code, item)
    return list(seen.values())


def _occurred_at(command: Command, now: datetime) -> datetime:
    return command.occurred_at or now


def _instant_problems(occurred_at: datetime, now: datetime) -> list[str]:
    if occurred_at.tzinfo is None:
        return ["Het tijdstip 'occurred_at' mist een tijdzone."]
    if occurred_at > now:
        return ["Het tijdstip 'occurred_at' ligt in de toekomst."]
    return []
