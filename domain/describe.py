"""Definitions described from themselves: a plain-data dump (for `definitions --json`) and a
Mermaid state diagram per pathway (for docs/), so the documentation cannot drift from the code.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from domain.definition import PathwayDefinition, TimerSpec, Transition
from domain.reactions import Reaction
from domain.roles import SYSTEEM
from domain.terms import KINDS, duur


def as_data(definition: PathwayDefinition, profile: str) -> dict[str, Any]:
    """Stages, transitions, guards, timers (ISO 8601 durations) and roles, as plain data."""
    return {
        "pathway": definition.pathway, "version": definition.version, "profile": profile,
        "title": definition.title, "source": definition.source, "initial": definition.initial,
        "start": _transition(definition.start),
        "stages": [{"name": s.name, "label": s.label, "final": s.final, "requires": list(s.requires)}
                   for s in definition.stages.values()],
        "transitions": [_transition(t) for t in definition.transitions],
        "timers": [{"name": t.name, "label": t.label, "starts_on": t.starts_on, "cancelled_on": list(t.cancelled_on),
                    "duration": t.term.length.iso() if t.term.length else None,
                    "relative": {"na": "after", "voor": "before", "op": "on"}[t.term.direction],
                    "anchor": list(t.anchor), "basis": {"kind": t.term.basis.kind, "source": t.term.basis.source},
                    "fires": t.fires} for t in definition.timers],
    }


def _transition(t: Transition) -> dict[str, Any]:
    return {"command": t.command, "label": t.label, "from": list(t.sources), "to": t.target, "event": t.event,
            "roles": sorted(t.roles), "guards": list(t.guards), "effects": list(t.effects), "records": t.records,
            "fields": {f.name: {"type": f.type, "label": f.label, "required": f.required, "choices": list(f.choices)}
                       for f in t.fields.values()},
            "extends": {name: d.iso() for name, d in t.extends.items()}, "once": t.once, "uitleg": t.uitleg}


def _term(timer: TimerSpec) -> str:
    term = timer.term
    return "op" if term.length is None else f"{duur(term.length)} {'vóór' if term.direction == 'voor' else 'na'}"


def mermaid(definition: PathwayDefinition) -> str:
    """A Mermaid ``stateDiagram-v2`` of the pathway: stages, commands, timers as dashed notes."""
    lines = ["stateDiagram-v2", f"    [*] --> {definition.initial}: {definition.start.command}"]
    lines += [f'    state "{s.label}" as {s.name}' for s in definition.stages.values()]
    for t in definition.transitions:
        for source in t.sources:
            lines.append(f"    {source} --> {t.target_from(source)}: {t.command}")
    lines += [f"    {s.name} --> [*]" for s in definition.stages.values() if s.final]
    for timer in definition.timers:
        lines.append(f"    note right of {timer.starts_on} : termijn {timer.name} ({_term(timer)}) → {timer.fires}")
    return "\n".join(lines) + "\n"


def _steps(definition: PathwayDefinition) -> str:
    """The table of the steps people take, each with its help text (as the dossier page shows it)."""
    rows = [f"| `{t.command}` | {t.label} | {', '.join(t.sources) or 'begin'} | {t.uitleg} |"
            for t in (definition.start, *definition.transitions) if t.roles != {SYSTEEM}]
    if not rows:
        return ""
    return "| step | label | from | uitleg |\n|---|---|---|---|\n" + "\n".join(rows) + "\n\n"


def markdown(definition: PathwayDefinition) -> str:
    """The docs page of one pathway: title, source, diagram, and its deadlines."""
    timers = "\n".join(f"| `{t.name}` | {t.label} | {_term(t)} {', '.join(t.anchor) or 'begin ' + t.starts_on} "
                       f"| {t.term.basis.source} ({KINDS[t.term.basis.kind]}) | `{t.fires}` |"
                       for t in definition.timers)
    return (f"# {definition.title} (`{definition.pathway}` v{definition.version})\n\n"
            f"Generated from `domain/pathways/{definition.pathway}.v{definition.version}.json` by "
            f"`leerlingroute docs`; do not edit by hand.\n\nSource: {definition.source}\n\n"
            f"```mermaid\n{mermaid(definition)}```\n\n{_steps(definition)}"
            "| timer | meaning | when | basis | fires |\n|---|---|---|---|---|\n" + (timers or "| — | | | | |")
            + "\n\nA term ends at the end of its last day (Dutch time); 'na' counts from the day after its anchor "
            "(Awb art. 6:8). The Algemene termijnenwet moves the last day of a statutory term of at most three "
            "months off a weekend or holiday (see DOMAIN.md §8).\n")


def handoffs_markdown(reactions: Sequence[Reaction], titles: Mapping[str, str]) -> str:
    """The page of hand-offs between pathways (reactions.json): when each happens, what it does, its source."""
    rows = [f"| {r.label} | {_trigger(r, titles)} | {_action(r, titles)} | {r.source} |" for r in reactions]
    return ("# Overdrachten tussen trajecten\n\n"
            "Generated from `domain/pathways/reactions.json`. The system makes each hand-off once per event "
            "(the relay flow; `domain/reactions.py`), shows it on both dossiers, and alerts the school and the "
            "SWV coordinator when the receiving pathway refuses it.\n\n"
            "| Overdracht | Wanneer | Wat het systeem doet | Bron |\n|---|---|---|---|\n" + "\n".join(rows) + "\n")


def _trigger(reaction: Reaction, titles: Mapping[str, str]) -> str:
    events = ", ".join(f"`{e}`" for e in sorted(reaction.events))
    conditions = "".join(f"; alleen als `{ref}` een van {_allowed(allowed)} is"
                         for ref, allowed in reaction.when.items())
    unless = f"; niet als er al een lopend dossier `{reaction.unless_open}` is" if reaction.unless_open else ""
    return f"{titles.get(reaction.pathway, reaction.pathway)}: {events}{conditions}{unless}"


def _allowed(allowed: tuple[Any, ...] | str) -> str:
    if isinstance(allowed, str):
        return f"de waarden in `{allowed}`"
    return ", ".join(f"`{v}`" for v in allowed)


def _action(reaction: Reaction, titles: Mapping[str, str]) -> str:
    values = ", ".join(f"`{name}` = `{ref}`" for name, ref in reaction.values.items())
    with_values = f" met {values}" if values else ""
    if reaction.opens:
        return f"opent {titles.get(reaction.opens, reaction.opens)}{with_values}"
    return f"`{reaction.command}` op `{reaction.target}`{with_values}"
