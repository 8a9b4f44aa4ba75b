"""The Case aggregate: one pupil's trajectory on one pathway, moved only by commands.

Handling is check first, mutate second: find the transition (else an error naming
the stage and the allowed commands) -> role -> payload -> guards -> new stage ->
event -> timers started and cancelled. ``now`` is always passed in; no clock is read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from domain.context import DEFAULT_PROFILE, Context
from domain.definition import PathwayDefinition, TimerSpec, Transition
from domain.durations import NL
from domain.errors import GuardFailed, InvalidCommand, Missing, RoleNotAllowed, TransitionNotAllowed
from domain.fields import clean_payload
from domain.roles import SYSTEEM
from domain.rules import EFFECTS, GUARDS
from domain.terms import Deadline, datum

JSON = Any
TRANSFER_ROLES = frozenset({"zorgcoordinator", "swv_coordinator"})
_ONCE = "_eenmalig"
"""Artifact recording which once-only commands a case has used (e.g. an extension)."""
SUSPENDED = "_opgeschort"
"""Artifact holding the suspended timers (Awb art. 4:15): their deadline and the day the suspension began."""


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
    """A running timer of a case: when it falls due, it fires ``fires`` as the system.

    ``deadline`` is the term it guards (its last day, basis and reckoning); ``due_at`` is the start of
    the Dutch day after that last day. Timers written before deadlines were kept have none.
    """

    id: str
    case_id: str
    name: str
    fires: str
    due_at: datetime
    deadline: Deadline | None = None


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
        cancelled = (self._cancel(definition, target) if entered else ()) + self._suspend(transition, occurred)
        extended_from, extended = self._extend(transition)
        resumed = self._resume(transition, occurred)
        started = resumed + (self._start(definition, target, occurred, context) if entered else ()) + extended
        started += self._repeat(definition, fired, occurred, context) if fired and not entered else ()
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
            length = transition.extends[timer.name]
            if timer.deadline is None:
                due, deadline = length.after(timer.due_at), None
            else:
                deadline = timer.deadline.extended(length, transition.label)
                due = deadline.due_at
            self.timers[timer.name] = replace(timer, id=self._timer_id(timer.name), due_at=due, deadline=deadline)
        return old, tuple(self.timers[t.name] for t in old)

    def _suspend(self, transition: Transition, occurred: datetime) -> tuple[Timer, ...]:
        """Stop the clocks of running timers from the day after ``occurred`` (Awb art. 4:15)."""
        stopped = tuple(self.timers.pop(name) for name in transition.suspends if name in self.timers)
        if stopped:
            held = dict(self.artifacts.get(SUSPENDED, {}))
            for timer in stopped:
                held[timer.name] = {"sinds": _dag(occurred).isoformat(), "fires": timer.fires,
                                    "deadline": timer.deadline.to_data() if timer.deadline else None,
                                    "due_at": timer.due_at.isoformat()}
            self.artifacts[SUSPENDED] = held
        return stopped

    def _resume(self, transition: Transition, occurred: datetime) -> tuple[Timer, ...]:
        """Restart suspended clocks on the day of ``occurred``: the last day moves by the days suspended
        (from the day after the suspension began up to, not including, this day).
        """
        held = dict(self.artifacts.get(SUSPENDED, {}))
        names = [name for name in transition.resumes if name in held]
        for name in names:
            self.timers[name] = self._resumed(name, held.pop(name), _dag(occurred))
        if names:
            self.artifacts[SUSPENDED] = held
        return tuple(self.timers[name] for name in names)

    def _resumed(self, name: str, held: Mapping[str, JSON], resumed_on: date) -> Timer:
        since = date.fromisoformat(held["sinds"])
        days = max((resumed_on - since).days - 1, 0)
        why = (f"opgeschort van {datum(since + timedelta(days=1))} tot {datum(resumed_on)}: {days} "
               f"{'dag' if days == 1 else 'dagen'} erbij (Awb art. 4:15)") if days else (
               f"hervat op {datum(resumed_on)}, de dag na het verzoek: geen dagen opgeschort (Awb art. 4:15)")
        if held.get("deadline") is None:
            due = datetime.fromisoformat(held["due_at"]) + timedelta(days=days)
            return Timer(self._timer_id(name), self.id, name, str(held["fires"]), due)
        deadline = Deadline.from_data(held["deadline"]).shifted(days, why)
        return Timer(self._timer_id(name), self.id, name, str(held["fires"]), deadline.due_at, deadline)

    def _start(
        self, definition: PathwayDefinition, target: str, occurred: datetime, context: Context,
    ) -> tuple[Timer, ...]:
        held, used = self.artifacts.get(SUSPENDED, {}), self.artifacts.get(_ONCE, {})
        specs = [s for s in definition.timers if s.starts_on == target and s.name not in self.timers
                 and s.name not in held and f"termijn:{s.name}" not in used]
        for spec in specs:
            self._run_timer(spec, self._anchor(spec) or _dag(occurred), context)
            if spec.once:
                self.artifacts[_ONCE] = {**self.artifacts.get(_ONCE, {}), f"termijn:{spec.name}": occurred.isoformat()}
        return tuple(self.timers[s.name] for s in specs)

    def _repeat(self, definition: PathwayDefinition, fired: Timer, occurred: datetime,
                context: Context) -> tuple[Timer, ...]:
        """A repeating timer that fired while the case stays in its stage runs again from the day it fired."""
        spec = definition.timer(fired.name)
        if not spec.repeats or spec.starts_on != self.stage:
            return ()
        return (self._run_timer(spec, _dag(occurred), context),)

    def _run_timer(self, spec: TimerSpec, anchor: date, context: Context) -> Timer:
        """Start ``spec``'s timer with its term counted from ``anchor``, under the profile's choices."""
        regional = bool(context.profile.setting("atw_voor_regionale_termijnen", default=False))
        calendar = context.calendar if spec.term.in_school_weeks else None
        deadline = spec.term.deadline(anchor, atw_for_regional=regional, calendar=calendar)
        timer = Timer(self._timer_id(spec.name), self.id, spec.name, spec.fires, deadline.due_at, deadline)
        self.timers[spec.name] = timer
        return timer

    def _timer_id(self, name: str) -> str:
        return f"{self.id}:{self.version}:{name}"

    def _anchor(self, spec: TimerSpec) -> date | None:
        """The latest anchor on record, as a Dutch date: an artifact's occurred_at or one of its date fields."""
        found = [_anchor_day(self.artifacts.get(name.split(".")[0]), name) for name in spec.anchor]
        days = [d for d in found if d is not None]
        return max(days) if days else None


def _anchor_day(artifact: Mapping[str, JSON] | None, name: str) -> date | None:
    if artifact is None:
        return None
    key = name.split(".", 1)[1] if "." in name else "occurred_at"
    value = artifact.get(key)
    if not value:
        return None
    return _dag(datetime.fromisoformat(str(value))) if "T" in str(value) else date.fromisoformat(str(value))


def _dag(instant: datetime) -> date:
    """The Dutch date of an instant."""
    return instant.astimezone(NL).date()


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
