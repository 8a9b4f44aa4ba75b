"""Moving running cases to a newer definition version, only when nothing would silently change.

A case moves when its current stage exists in the target version; timers the target no longer
declares would end, and the plan says so before anything moves (``--dry-run``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.case import Actor, Case, Decision, Event
from domain.definition import PathwayDefinition


@dataclass(frozen=True)
class MigrationStep:
    """What migrating one case would do."""

    case_id: str
    pathway: str
    stage: str
    from_version: int
    to_version: int
    movable: bool
    problems: tuple[str, ...]
    timers_ending: tuple[str, ...]
    commands_gone: tuple[str, ...]
    commands_new: tuple[str, ...]


def plan_step(case: Case, current: PathwayDefinition, target: PathwayDefinition) -> MigrationStep:
    """The migration of ``case`` from ``current`` to ``target``, without changing anything."""
    problems = []
    if case.stage not in target.stages:
        problems.append(f"stage {case.stage!r} does not exist in version {target.version}")
    declared = {t.name for t in target.timers}
    ending = tuple(sorted(name for name in case.timers if name not in declared))
    before = {t.command for t in current.commands_from(case.stage)}
    after = {t.command for t in target.commands_from(case.stage)} if not problems else set()
    return MigrationStep(case.id, case.pathway, case.stage, case.definition_version, target.version,
                         not problems, tuple(problems), ending, tuple(sorted(before - after)),
                         tuple(sorted(after - before)))


def migrate(case: Case, step: MigrationStep, actor: Actor, now: datetime) -> Decision:
    """Move ``case`` as ``step`` planned; the timers the target does not declare end."""
    ended = tuple(case.timers.pop(name) for name in step.timers_ending)
    case.definition_version, case.version = step.to_version, case.version + 1
    payload = {"van_versie": step.from_version, "naar_versie": step.to_version,
               "beeindigde_termijnen": list(step.timers_ending)}
    event = Event(case.id, case.version, "definitie_gemigreerd", "migreer_definitie", case.stage, case.stage,
                  payload, actor, case.pathway, step.to_version, now, now)
    return Decision(event, (), ended)
