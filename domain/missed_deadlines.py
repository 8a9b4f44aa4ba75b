"""Which passed deadlines are not handled yet: the rule a store keeps its marks by (issue 18).

A timer that fired a command marking a missed deadline (``Transition.marks_missed_deadline``, the 'Termijn
verstreken' event) stays open
- for a command that keeps the stage: while the case is in a stage that command may fire from (of any version of
  its pathway): the term still applies there; going back to such a stage opens it again;
- for a command that moves the case (a TLV that lapsed): until an event after that command's latest event, in the
  case's own order (``seq``), moves the case from one stage to another.

Whether a fired timer is open so changes only with an event of its case that moves the stage or that is such a
command (:meth:`StageMarks.touched_by`); the store marks it again then, in the same transaction
(``infra.store.passed_deadlines``). A timer still pending after its due date is open too; that needs no mark.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from domain.case import Event
from domain.definition import PathwayDefinition


@dataclass(frozen=True)
class StageMarks:
    """How the fired timers of a case of one pathway, now in one stage, are marked: ``commands`` are every command
    of the pathway that marks a missed deadline (their timers are marked open or handled, others not at all),
    ``applies`` those that keep the stage and may fire from this one (open), ``moving`` those that move the case
    (open until the case moved on after their latest event).
    """

    commands: frozenset[str]
    applies: frozenset[str]
    moving: frozenset[str]

    def touched_by(self, event: Event) -> bool:
        """Whether ``event`` may change a mark of its case: it moves the stage, or is such a command."""
        moves = event.stage_from is not None and event.stage_from != event.stage_to
        return moves or event.command in self.commands

    def opened_by_firing(self, command: str) -> bool | None:
        """The mark of a timer that fired ``command`` by the case's latest event, the case now in this stage:
        open (True), handled (False), or None when ``command`` marks no missed deadline.
        """
        if command not in self.commands:
            return None
        return command in self.applies or command in self.moving


@dataclass(frozen=True)
class MissedDeadlines:
    """The commands that mark a missed deadline, of every version: per (pathway, command) that keeps the stage
    the stages it fires from, and per pathway the commands that move the case.
    """

    keeping: Mapping[tuple[str, str], frozenset[str]] = field(default_factory=dict)
    moving: Mapping[str, frozenset[str]] = field(default_factory=dict)
    _stages: dict[tuple[str, str], StageMarks] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def of(cls, definitions: Iterable[PathwayDefinition]) -> MissedDeadlines:
        """The rule of these definitions (every version of every pathway)."""
        keeping: dict[tuple[str, str], set[str]] = {}
        moving: dict[str, set[str]] = {}
        for definition in definitions:
            for t in definition.transitions:
                if not t.marks_missed_deadline:
                    continue
                if t.target is None:
                    keeping.setdefault((definition.pathway, t.command), set()).update(t.sources)
                else:
                    moving.setdefault(definition.pathway, set()).add(t.command)
        return cls({k: frozenset(v) for k, v in sorted(keeping.items())},
                   {k: frozenset(v) for k, v in sorted(moving.items())})

    def in_stage(self, pathway: str, stage: str) -> StageMarks:
        """How the fired timers of a case of ``pathway`` in ``stage`` are marked."""
        found = self._stages.get((pathway, stage))
        if found is None:
            kept = {command: stages for (p, command), stages in self.keeping.items() if p == pathway}
            moved = self.moving.get(pathway, frozenset())
            found = self._stages[(pathway, stage)] = StageMarks(
                frozenset(kept) | moved, frozenset(c for c, stages in kept.items() if stage in stages), moved)
        return found
