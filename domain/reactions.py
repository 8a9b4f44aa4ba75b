"""Hand-offs between pathways, declared as data (``domain/pathways/reactions.json``) and made by the system.

A reaction reads: "when event E happens on a case of pathway P (and its conditions hold), open pathway Q
for the same pupil with these values" or "... issue command K on a related case". The relay flow carries
each out exactly once per source event: the link it records is keyed on (reaction, source case, source
seq) and written in the same transaction as what the reaction did, so a re-run, a crash or two workers
never double it (``domain.handlers.react``).

Values and conditions name where a value comes from:
- ``artifact:<name>.<field>``: a field of the source case's artifact (``besluit.einddatum``);
- ``event:<field>``: a field of the source event's payload; ``event:date``: the Dutch day it happened;
- ``case:id`` / ``case:school_brin``: the source case's id or school;
- ``profile:<setting>``: a setting of the source case's SWV profile (``profile:sector``);
- any other JSON value (a number, a bool, a list) is itself; a literal text is written ``text:<text>``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from domain.durations import NL
from domain.errors import DefinitionError
from domain.roles import SYSTEEM

if TYPE_CHECKING:
    from domain.case import Case, Event
    from domain.context import Context
    from domain.definition import PathwayDefinition

JSON = Any
PREFIXES = ("artifact:", "event:", "case:", "profile:", "text:")
CASE_VALUES = ("case:id", "case:school_brin")
SELF = "self"
OPENED = "opened:"
"""Target prefix: the cases that reaction ``<name>`` opened from this case (``opened:tlv_naar_herbeoordeling``)."""
OPEN = "open:"
"""Target prefix: the pupil's most recent case of ``<pathway>`` that is not in a final stage."""


@dataclass(frozen=True)
class Reaction:
    """One declared hand-off: its trigger, conditions and action (open a pathway, or issue a command)."""

    name: str
    label: str
    source: str
    pathway: str
    events: frozenset[str]
    when: Mapping[str, tuple[JSON, ...] | str] = field(default_factory=dict)
    """Per value reference, the values it must have: a list, or a ``profile:<setting>`` that holds one."""
    unless_open: str | None = None
    opens: str | None = None
    command: str | None = None
    target: str = SELF
    school: str = "case:school_brin"
    values: Mapping[str, JSON] = field(default_factory=dict)

    def reacts_to(self, pathway: str, event: str) -> bool:
        """Whether an event of this type on a case of ``pathway`` triggers this reaction."""
        return pathway == self.pathway and event in self.events

    def applies(self, source: Case, event: Event, context: Context) -> bool:
        """Whether the event's facts meet the reaction's conditions (``when``); if not, it is no hand-off at all."""
        return all(resolve(ref, source, event, context) in _values(allowed, source, event, context)
                   for ref, allowed in self.when.items())

    def not_needed(self, open_pathways: set[str]) -> str | None:
        """Why this hand-off is not needed now (Dutch), or None when it must be made. ``open_pathways``: the
        pathways on which the pupil has a case that is not in a final stage.
        """
        if self.unless_open in open_pathways:
            return f"de leerling heeft al een lopend dossier {self.unless_open}"
        return None

    def payload(self, source: Case, event: Event, context: Context) -> dict[str, JSON]:
        """The values for the command, resolved against the source; a value that is not on record is left out."""
        found = {name: resolve(ref, source, event, context) for name, ref in self.values.items()}
        return {name: value for name, value in found.items() if value is not None}


@dataclass(frozen=True)
class Link:
    """What one reaction did for one source event: ``geopend`` (opened ``target_case_id``), ``opdracht``
    (issued its command there), ``overgeslagen`` (not needed, with the reason) or ``geweigerd`` (the target
    refused, with the reason: a person must act).
    """

    reaction: str
    source_case_id: str
    source_seq: int
    outcome: str
    reason: str
    at: datetime
    target_case_id: str | None = None
    target_seq: int | None = None


OUTCOMES = ("geopend", "opdracht", "overgeslagen", "geweigerd")


def _values(allowed: tuple[JSON, ...] | str, source: Case, event: Event, context: Context) -> tuple[JSON, ...]:
    if isinstance(allowed, tuple):
        return allowed
    return tuple(resolve(allowed, source, event, context) or ())


def resolve(ref: JSON, source: Case, event: Event, context: Context) -> JSON:
    """The value ``ref`` names (see the module docstring); None when it is not on record."""
    if not isinstance(ref, str):
        return ref
    kind, _, name = ref.partition(":")
    if kind == "text":
        return name
    if kind == "artifact":
        artifact, _, key = name.partition(".")
        return source.artifacts.get(artifact, {}).get(key)
    if kind == "event":
        return event.occurred_at.astimezone(NL).date().isoformat() if name == "date" else event.payload.get(name)
    if kind == "case":
        return {"id": source.id, "school_brin": source.school_brin}[name]
    return context.profile.setting(name)


def parse_reactions(text: str) -> tuple[Reaction, ...]:
    """The reactions of a reactions.json document (not yet checked against the pathways)."""
    document = json.loads(text)
    return tuple(_reaction(item) for item in document["reactions"])


def _reaction(item: Mapping[str, JSON]) -> Reaction:
    when = {ref: allowed if isinstance(allowed, str) else tuple(allowed)
            for ref, allowed in item.get("when", {}).items()}
    return Reaction(
        name=item["name"], label=item["label"], source=item["source"], pathway=item["on"]["pathway"],
        events=frozenset(item["on"]["events"]), when=when, unless_open=item.get("unless_open"),
        opens=item.get("opens"), command=item.get("command"), target=item.get("target", SELF),
        school=item.get("school", "case:school_brin"), values=dict(item.get("values", {})),
    )


def check_reactions(reactions: Sequence[Reaction], definitions: Mapping[str, PathwayDefinition]) -> None:
    """Every reaction names a pathway and events that exist, and an action the system may take: a start
    command or a command that allows the role ``systeem``, with fields that exist; DefinitionError if not.
    """
    names = [r.name for r in reactions]
    if len(set(names)) != len(names):
        raise DefinitionError("reactions", [f"a name is used twice in {sorted(names)}"])
    opens = {r.name: r.opens for r in reactions if r.opens}
    for reaction in reactions:
        problems = _problems(reaction, definitions, opens)
        if problems:
            raise DefinitionError(f"reactions/{reaction.name}", problems)


def _problems(reaction: Reaction, definitions: Mapping[str, PathwayDefinition], opens: Mapping[str, str],
              ) -> list[str]:
    source = definitions.get(reaction.pathway)
    if source is None:
        return [f"unknown pathway {reaction.pathway!r}"]
    events = {t.event for t in source.transitions} | {source.start.event}
    problems = [f"{reaction.pathway} records no event {e!r}" for e in sorted(reaction.events - events)]
    problems += [f"value {ref!r} does not start with one of {PREFIXES}"
                 for ref in [reaction.school, *reaction.values.values(), *reaction.when]
                 if isinstance(ref, str) and not ref.startswith(PREFIXES)]
    problems += [f"value {ref!r} names no value of the case; known: {', '.join(CASE_VALUES)}"
                 for ref in [reaction.school, *reaction.values.values(), *reaction.when]
                 if isinstance(ref, str) and ref.startswith("case:") and ref not in CASE_VALUES]
    problems += [f"the values of {ref!r} must be a list or a 'profile:' setting"
                 for ref, allowed in reaction.when.items()
                 if isinstance(allowed, str) and not allowed.startswith("profile:")]
    if (reaction.opens is None) == (reaction.command is None):
        return [*problems, "declare exactly one of 'opens' and 'command'"]
    return problems + _action_problems(reaction, definitions, opens)


def _action_problems(reaction: Reaction, definitions: Mapping[str, PathwayDefinition], opens: Mapping[str, str],
                     ) -> list[str]:
    if reaction.unless_open is not None and reaction.unless_open not in definitions:
        return [f"unless_open names unknown pathway {reaction.unless_open!r}"]
    if reaction.opens is not None:
        target = definitions.get(reaction.opens)
        if target is None:
            return [f"opens unknown pathway {reaction.opens!r}"]
        steps = [target.start]
    else:
        pathway = target_pathway(reaction, definitions, opens)
        if pathway is None:
            return [f"target {reaction.target!r} names no pathway"]
        steps = [t for t in definitions[pathway].transitions if t.command == reaction.command]
        if not steps:
            return [f"{pathway} has no command {reaction.command!r}"]
    if not any(SYSTEEM in step.roles for step in steps):
        return [f"the system may not issue {steps[0].command!r}: add the role {SYSTEEM!r} to it"]
    unknown = sorted(set(reaction.values) - {f for step in steps for f in step.fields})
    return [f"{steps[0].command} has no field {name!r}" for name in unknown]


def target_pathway(reaction: Reaction, definitions: Mapping[str, PathwayDefinition], opens: Mapping[str, str],
                   ) -> str | None:
    """The pathway of the case a command reaction acts on: its own (``self``), the pupil's open case of a
    pathway (``open:<pathway>``) or what reaction ``<name>`` opened (``opened:<name>``); None if unknown.
    """
    if reaction.target == SELF:
        return reaction.pathway
    if reaction.target.startswith(OPEN):
        name = reaction.target.removeprefix(OPEN)
        return name if name in definitions else None
    if reaction.target.startswith(OPENED):
        return opens.get(reaction.target.removeprefix(OPENED))
    return None
