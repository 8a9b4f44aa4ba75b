"""Load a pathway definition from plain data and validate its graph, naming every defect."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from typing import Any

from domain.definition import ArtifactSpec, PathwayDefinition, Stage, TimerSpec, Transition
from domain.durations import Duration
from domain.errors import DefinitionError
from domain.fields import FieldSpec, field_from_data
from domain.roles import SYSTEEM
from domain.terms import Basis, Direction, Term

Data = Mapping[str, Any]


def load_definition(
    data: Data,
    *,
    roles: Iterable[str],
    guards: Iterable[str],
    effects: Iterable[str],
) -> PathwayDefinition:
    """Build and validate a definition; raise DefinitionError naming every defect found."""
    name = str(data.get("pathway", "?"))
    try:
        definition = _build(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise DefinitionError(name, [f"malformed definition: {_reason(exc)}"]) from exc
    defects = _defects(definition, set(roles), set(guards), set(effects))
    if defects:
        raise DefinitionError(name, defects)
    return definition


def _reason(exc: Exception) -> str:
    return f"missing key {exc}" if isinstance(exc, KeyError) else str(exc)


def _build(data: Data) -> PathwayDefinition:
    stages = {s["name"]: _stage(s) for s in data["stages"]}
    transitions = tuple(_transition(t) for t in data["transitions"])
    start = _transition({**data["start"], "from": [], "to": data["initial"]})
    index = {(source, t.command): t for t in transitions for source in t.sources}
    return PathwayDefinition(
        pathway=str(data["pathway"]),
        version=int(data["version"]),
        title=str(data.get("title", data["pathway"])),
        source=str(data.get("source", "")),
        initial=str(data["initial"]),
        start=start,
        stages=stages,
        transitions=transitions,
        timers=tuple(_timer(t) for t in data.get("timers", ())),
        artifacts={k: ArtifactSpec(k, str(v.get("label", k))) for k, v in data.get("artifacts", {}).items()},
        _index=index,
    )


def _stage(data: Data) -> Stage:
    return Stage(str(data["name"]), str(data.get("label", data["name"])), bool(data.get("final", False)),
                 tuple(data.get("requires", ())))


def _transition(data: Data) -> Transition:
    fields: dict[str, FieldSpec] = {k: field_from_data(k, v) for k, v in data.get("fields", {}).items()}
    return Transition(
        command=str(data["command"]),
        sources=tuple(data["from"]),
        target=data.get("to"),
        event=str(data["event"]),
        label=str(data.get("label", data["command"])),
        roles=frozenset(data["roles"]),
        fields=fields,
        guards=tuple(data.get("guards", ())),
        effects=tuple(data.get("effects", ())),
        records=data.get("records"),
        extends={name: Duration.from_data(by) for name, by in data.get("extends", {}).items()},
        once=bool(data.get("once", False)),
        suspends=tuple(data.get("suspends", ())),
        resumes=tuple(data.get("resumes", ())),
        missed_deadline=data.get("missed_deadline"),
        tells_leerplicht=bool(data.get("tells_leerplicht", False)),
        uitleg=_uitleg(data.get("uitleg", "")),
    )


def _uitleg(value: Any) -> str:
    if not isinstance(value, str):
        msg = f"uitleg must be text, not {type(value).__name__}"
        raise TypeError(msg)
    return " ".join(value.split())


def _timer(data: Data) -> TimerSpec:
    directions = [key for key in ("after", "before", "on") if key in data]
    if len(directions) != 1:
        msg = f"timer {data.get('name')!r} needs exactly one of 'after', 'before' and 'on'"
        raise ValueError(msg)
    basis = data["basis"]
    direction = directions[0]
    length = None if direction == "on" else Duration.from_data(data[direction])
    return TimerSpec(
        name=str(data["name"]),
        label=str(data.get("label", data["name"])),
        starts_on=str(data["starts_on"]),
        cancelled_on=tuple(data.get("cancelled_on", ())),
        term=Term(length, _DIRECTIONS[direction], Basis(str(basis["kind"]), str(basis["source"]),
                                                        str(basis["anchor"]))),
        fires=str(data["fires"]),
        anchor=tuple(data.get("anchor", ())),
        once=bool(data.get("once", False)),
        repeats=bool(data.get("repeats", False)),
    )


_DIRECTIONS: Mapping[str, Direction] = {"after": "na", "before": "voor", "on": "op"}


def _defects(d: PathwayDefinition, roles: set[str], guards: set[str], effects: set[str]) -> list[str]:
    defects = _reference_defects(d, roles, guards, effects)
    if defects:  # graph checks assume every reference resolves
        return defects
    return _graph_defects(d) + [m for t in d.timers for m in _timer_defects(d, t)]


def _reference_defects(d: PathwayDefinition, roles: set[str], guards: set[str], effects: set[str]) -> list[str]:
    found: list[str] = []
    if d.initial not in d.stages:
        found.append(f"initial stage {d.initial!r} is not a declared stage")
    found += _duplicate_defects(d)
    for t in (d.start, *d.transitions):
        found += _transition_defects(d, t, roles, guards, effects)
    for s in d.stages.values():
        found += [f"stage {s.name!r} requires unknown artifact {a!r}" for a in s.requires if a not in d.artifacts]
    for timer in d.timers:
        found += [f"timer {timer.name!r} names unknown stage {s!r}" for s in (timer.starts_on, *timer.cancelled_on)
                  if s not in d.stages]
        found += [f"timer {timer.name!r} anchors on unknown artifact {a!r}" for a in timer.anchor
                  if a.split(".")[0] not in d.artifacts]
        if timer.term.direction != "na" and not timer.anchor:
            found.append(f"timer {timer.name!r} falls due before or on an anchor but names none")
        if timer.repeats and (timer.term.direction != "na" or timer.anchor):
            found.append(f"timer {timer.name!r} repeats, so it counts from the day it fired: 'after' without an anchor")
    return found


def _duplicate_defects(d: PathwayDefinition) -> list[str]:
    seen: set[tuple[str, str]] = set()
    found: list[str] = []
    for t in d.transitions:
        for source in t.sources:
            if (source, t.command) in seen:
                found.append(f"command {t.command!r} is declared twice from stage {source!r}")
            seen.add((source, t.command))
    return found


def _transition_defects(
    d: PathwayDefinition, t: Transition, roles: set[str], guards: set[str], effects: set[str],
) -> list[str]:
    where = f"transition {t.command!r}"
    found = [f"{where} names unknown stage {s!r}" for s in (*t.sources, t.target) if s and s not in d.stages]
    found += [f"{where} allows unknown role {r!r}" for r in sorted(t.roles - roles)]
    found += [f"{where} uses unknown guard {g!r}" for g in t.guards if g not in guards]
    found += [f"{where} uses unknown effect {e!r}" for e in t.effects if e not in effects]
    if t.records and t.records not in d.artifacts:
        found.append(f"{where} records unknown artifact {t.records!r}")
    timers = {timer.name for timer in d.timers}
    found += [f"{where} extends unknown timer {name!r}" for name in t.extends if name not in timers]
    found += [f"{where} suspends or resumes unknown timer {name!r}" for name in (*t.suspends, *t.resumes)
              if name not in timers]
    found += [f"{where} field {f.name!r} prefills from unknown artifact {f.prefill_artifact!r}"
              for f in t.fields.values() if f.prefill_artifact and f.prefill_artifact not in d.artifacts]
    if not t.roles:
        found.append(f"{where} allows no role")
    if t.missed_deadline and t.roles != {SYSTEEM}:
        found.append(f"{where} marks a missed deadline but is not the system's own command")
    if t.tells_leerplicht and not t.marks_missed_deadline:
        found.append(f"{where} tells leerplicht but marks no missed deadline")
    return found


def _graph_defects(d: PathwayDefinition) -> list[str]:
    edges = {name: {t.target_from(name) for t in d.commands_from(name)} - {name} for name in d.stages}
    reachable = _closure([d.initial], lambda s: edges[s])
    finals = {name for name, s in d.stages.items() if s.final}
    backwards = {name: {src for src, targets in edges.items() if name in targets} for name in d.stages}
    can_finish = _closure(finals, lambda s: backwards[s])
    found = [f"stage {s!r} is unreachable from {d.initial!r}" for s in d.stages if s not in reachable]
    for name, stage in d.stages.items():
        if stage.final and d.commands_from(name):
            found.append(f"final stage {name!r} has outgoing transitions")
        elif not stage.final and not edges[name]:
            found.append(f"stage {name!r} is a dead end but not final")
        elif not stage.final and name not in can_finish:
            found.append(f"stage {name!r} can never reach a final stage")
    if not finals:
        found.append("no stage is final")
    return found


def _timer_defects(d: PathwayDefinition, timer: TimerSpec) -> list[str]:
    found: list[str] = []
    for stage in sorted(_running_in(d, timer)):
        transition = d.transition(stage, timer.fires)
        if transition is None:
            found.append(f"timer {timer.name!r} fires {timer.fires!r}, which is not a declared transition "
                         f"from stage {stage!r} where the timer can be running")
        elif SYSTEEM not in transition.roles:
            found.append(f"timer {timer.name!r} fires {timer.fires!r}, which role {SYSTEEM!r} may not issue "
                         f"from stage {stage!r}")
    return found


def _running_in(d: PathwayDefinition, timer: TimerSpec) -> set[str]:
    """Stages a case can be in while ``timer`` is still running (firing it ends it)."""

    def onward(stage: str) -> set[str]:
        return {t.target_from(stage) for t in d.commands_from(stage)
                if t.command != timer.fires and t.target_from(stage) not in timer.cancelled_on}

    return _closure([timer.starts_on], onward)


def _closure(seeds: Iterable[str], step: Any) -> set[str]:
    seen, queue = set(seeds), deque(seeds)
    while queue:
        for nxt in step(queue.popleft()):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen
