"""Pathway definitions are data: stages, transitions, guards, artifacts, timers, roles, a version.

A definition is validated when loaded (after python-statemachine's graph checks):
every stage reachable, no dead end or trap except final stages, every timer leads
to a declared transition in every stage where it can be running, every role,
guard, effect and artifact named is known. Each defect is named in the error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from domain.durations import Duration
from domain.fields import FieldSpec
from domain.roles import SYSTEEM
from domain.terms import Term


@dataclass(frozen=True)
class Stage:
    """A stage of a pathway; ``requires`` names artifacts that must be on record to enter it."""

    name: str
    label: str
    final: bool = False
    requires: tuple[str, ...] = ()


@dataclass(frozen=True)
class Transition:
    """``command`` moves a case from any of ``sources`` to ``target`` (``None``: it stays).

    ``extends`` pushes running timers' due dates back (a legal extension); ``once`` allows the
    command only once per case (an extension that may be used once). ``suspends`` stops running timers'
    clocks from the day after (Awb art. 4:15: an aanvulling asked); ``resumes`` restarts them on the day
    the command happened, their last day moved by the days suspended.
    """

    command: str
    sources: tuple[str, ...]
    target: str | None
    event: str
    label: str
    roles: frozenset[str]
    fields: Mapping[str, FieldSpec] = field(default_factory=dict)
    guards: tuple[str, ...] = ()
    effects: tuple[str, ...] = ()
    records: str | None = None
    extends: Mapping[str, Duration] = field(default_factory=dict)
    once: bool = False
    suspends: tuple[str, ...] = ()
    resumes: tuple[str, ...] = ()
    missed_deadline: bool | None = None
    """Whether this (system) command marks a deadline that passed, so that people are told; by default one
    that keeps the stage does, one that moves it (a bezwaartermijn ending in a final decision) does not."""
    tells_leerplicht: bool = False
    """Whether leerplicht (of the municipality where the pupil lives) hears of this missed deadline too, because
    the law makes it a party to it (a schorsing of more than a day that the school did not report)."""
    uitleg: str = ""
    """A short Dutch help text for the people who take this step: what it means and which rule applies (with
    its source). Text only: it changes nothing the engine does, so a case is not affected when it is edited."""

    @property
    def marks_missed_deadline(self) -> bool:
        """Whether its event is a passed deadline that reaches the people responsible."""
        if self.missed_deadline is not None:
            return self.missed_deadline
        return self.roles == {SYSTEEM} and self.target is None

    def target_from(self, stage: str) -> str:
        """The stage a case in ``stage`` ends up in."""
        return self.target or stage


@dataclass(frozen=True)
class TimerSpec:
    """A timer started on entering ``starts_on``; cancelled on entering any of ``cancelled_on``.

    Its ``term`` counts from the Dutch date of the latest anchor on record (an artifact's occurred_at,
    or ``artifact.field`` for a date field), else of the entering event's occurred_at: that long after
    it, before it (the orientation phase 5 months before a planned transfer), or on it (a date set in a
    decision). At the end of the term's last day the timer fires ``fires`` as the system.
    """

    name: str
    label: str
    starts_on: str
    cancelled_on: tuple[str, ...]
    term: Term
    fires: str
    anchor: tuple[str, ...] = ()
    repeats: bool = False
    """Started again when it fired and the case stayed in ``starts_on`` (a reminder while nothing happens),
    counted from the day it fired."""
    once: bool = False
    """Started at most once per case (a statutory term that runs from the request, however often the case
    re-enters ``starts_on``)."""


@dataclass(frozen=True)
class ArtifactSpec:
    """Something recorded on a case that stages and guards can require (e.g. an instemming)."""

    name: str
    label: str


@dataclass(frozen=True)
class PathwayDefinition:
    """A validated pathway graph at one version. Build it with ``domain.loading.load_definition``."""

    pathway: str
    version: int
    title: str
    source: str
    initial: str
    start: Transition
    stages: Mapping[str, Stage]
    transitions: tuple[Transition, ...]
    timers: tuple[TimerSpec, ...]
    artifacts: Mapping[str, ArtifactSpec]
    _index: Mapping[tuple[str, str], Transition] = field(repr=False, compare=False, default_factory=dict)

    def transition(self, stage: str, command: str) -> Transition | None:
        """The transition ``command`` takes from ``stage``, if declared."""
        return self._index.get((stage, command))

    def commands_from(self, stage: str) -> list[Transition]:
        """Every transition declared from ``stage``, in declaration order."""
        return [t for t in self.transitions if stage in t.sources]

    def timer(self, name: str) -> TimerSpec:
        """The timer spec named ``name``."""
        return next(t for t in self.timers if t.name == name)

    def with_durations(self, durations: Mapping[str, Duration]) -> PathwayDefinition:
        """The same definition with some timer durations replaced (a region's profile)."""
        unknown = sorted(set(durations) - {t.name for t in self.timers})
        if unknown:
            msg = f"pathway {self.pathway!r} has no timer(s) {unknown}"
            raise ValueError(msg)
        timers = tuple(replace(t, term=replace(t.term, length=durations[t.name])) if t.name in durations else t
                       for t in self.timers)
        return replace(self, timers=timers)

    def with_roles(self, roles: Mapping[str, frozenset[str]]) -> PathwayDefinition:
        """The same definition with the roles of some commands replaced (a region's profile: who decides)."""
        unknown = sorted(set(roles) - {t.command for t in self.transitions})
        if unknown:
            msg = f"pathway {self.pathway!r} has no command(s) {unknown}"
            raise ValueError(msg)
        if not roles:
            return self
        transitions = tuple(replace(t, roles=frozenset(roles[t.command])) if t.command in roles else t
                            for t in self.transitions)
        index = {(source, t.command): t for t in transitions for source in t.sources}
        return replace(self, transitions=transitions, _index=index)

