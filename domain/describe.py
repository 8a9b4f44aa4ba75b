"""Definitions described from themselves: a plain-data dump (for `definitions --json`) and a
Mermaid state diagram per pathway (for docs/), so the documentation cannot drift from the code.
"""

from __future__ import annotations

from typing import Any

from domain.definition import PathwayDefinition, Transition


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
                    "duration": t.after.iso(), "relative": "before" if t.before else "after",
                    "anchor": list(t.anchor), "fires": t.fires} for t in definition.timers],
    }


def _transition(t: Transition) -> dict[str, Any]:
    return {"command": t.command, "label": t.label, "from": list(t.sources), "to": t.target, "event": t.event,
            "roles": sorted(t.roles), "guards": list(t.guards), "effects": list(t.effects), "records": t.records,
            "fields": {f.name: {"type": f.type, "label": f.label, "required": f.required, "choices": list(f.choices)}
                       for f in t.fields.values()},
            "extends": {name: d.iso() for name, d in t.extends.items()}, "once": t.once}


def mermaid(definition: PathwayDefinition) -> str:
    """A Mermaid ``stateDiagram-v2`` of the pathway: stages, commands, timers as dashed notes."""
    lines = ["stateDiagram-v2", f"    [*] --> {definition.initial}: {definition.start.command}"]
    lines += [f'    state "{s.label}" as {s.name}' for s in definition.stages.values()]
    for t in definition.transitions:
        for source in t.sources:
            lines.append(f"    {source} --> {t.target_from(source)}: {t.command}")
    lines += [f"    {s.name} --> [*]" for s in definition.stages.values() if s.final]
    for timer in definition.timers:
        relative = "voor" if timer.before else "na"
        lines.append(f"    note right of {timer.starts_on} : termijn {timer.name} ({timer.after.iso()} {relative}) "
                     f"→ {timer.fires}")
    return "\n".join(lines) + "\n"


def markdown(definition: PathwayDefinition) -> str:
    """The docs page of one pathway: title, source, diagram, and its deadlines."""
    timers = "\n".join(f"| `{t.name}` | {t.label} | {t.after.iso()} {'before' if t.before else 'after'} "
                       f"{', '.join(t.anchor) or 'entering ' + t.starts_on} | `{t.fires}` |" for t in definition.timers)
    return (f"# {definition.title} (`{definition.pathway}` v{definition.version})\n\n"
            f"Generated from `domain/pathways/{definition.pathway}.v{definition.version}.json` by "
            f"`leerlingroute docs`; do not edit by hand.\n\nSource: {definition.source}\n\n"
            f"```mermaid\n{mermaid(definition)}```\n\n"
            "| timer | meaning | when | fires |\n|---|---|---|---|\n" + (timers or "| — | | | |") + "\n")
