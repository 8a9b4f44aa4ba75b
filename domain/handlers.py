"""Command handlers: the one path by which the API, the flows and the demo change a case.

Each handler runs in one unit of work. With an idempotency key, a repeated request
returns the first outcome and writes nothing new; the same key on a different request
is refused.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from domain.case import Actor, Case, Command, Event
from domain.context import DEFAULT_PROFILE, Context, running
from domain.errors import ConcurrencyConflict, DomainError, IdempotencyKeyReused, InvalidCommand, PupilNotFound
from domain.migration import MigrationStep, migrate, plan_step
from domain.ports import OutboxItem, UnitOfWork
from domain.reactions import OPEN, OPENED, SELF, Link, Reaction, resolve
from domain.registry import PathwayRegistry
from domain.roles import SYSTEEM
from domain.sweep import SweepReport as SweepReport  # noqa: PLC0414 - the sweep's words, re-exported
from domain.sweep import fire_due_timers as fire_due_timers  # noqa: PLC0414
from domain.timer_plans import TIMER_ACTOR as TIMER_ACTOR  # noqa: PLC0414


@dataclass(frozen=True)
class Outcome:
    """What a command did: the case, the event's sequence number and type, the stage after it."""

    case_id: str
    pathway: str
    seq: int
    event: str
    stage: str
    replayed: bool = False


@dataclass(frozen=True)
class NewCase:
    """Where a new case belongs: its pathway, the school (BRIN), the pseudonymous pupil id and
    the SWV profile whose rules and deadlines it runs under.
    """

    pathway: str
    school_brin: str
    pupil_id: str
    profile: str = DEFAULT_PROFILE


def open_case(
    uow: UnitOfWork, registry: PathwayRegistry, new: NewCase, command: Command, now: datetime,
    idempotency_key: str | None = None,
) -> Outcome:
    """Open a case on the latest version of ``new.pathway`` with its start command."""
    return _once(uow, idempotency_key, lambda: {"open": asdict(new), **_describe(command)},
                 lambda: _open(uow, registry, new, command, now), now)


def _open(uow: UnitOfWork, registry: PathwayRegistry, new: NewCase, command: Command, now: datetime) -> Outcome:
    definition = registry.for_profile(new.pathway, None, new.profile)
    context = Context(registry.profile(new.profile), lambda: uow.trajectories_of(new.pupil_id),
                      command.occurred_at or now, now)
    case, decision = Case.open(str(uuid.uuid4()), definition, new.school_brin, new.pupil_id, command, now, context)
    uow.add_case(case, decision)
    return Outcome(case.id, case.pathway, decision.event.seq, decision.event.type, case.stage)


def handle_command(
    uow: UnitOfWork, registry: PathwayRegistry, case_id: str, command: Command, now: datetime,
    idempotency_key: str | None = None, expected_version: int | None = None,
    authorize: Callable[[Case], None] | None = None,
) -> Outcome:
    """Apply ``command`` to the case at ``now``; raise a DomainError and write nothing if refused.

    With ``expected_version`` the command applies only to the case as the sender saw it; ``authorize``
    sees the case first, in the same transaction, and may refuse it by raising.
    """

    def write() -> Outcome:
        case = uow.get_case(case_id)
        if authorize is not None:
            authorize(case)
        if expected_version is not None and expected_version != case.version:
            raise ConcurrencyConflict(case_id)
        definition, context = running(uow, registry, case, command.occurred_at or now, now)
        decision = case.handle(definition, command, now, context)
        uow.save_case(case, decision, registry.missed_deadlines)
        return Outcome(case.id, case.pathway, decision.event.seq, decision.event.type, case.stage)

    return _once(uow, idempotency_key, lambda: {"case_id": case_id, **_describe(command)}, write, now)


def _once(
    uow: UnitOfWork, key: str | None, request: Callable[[], dict[str, Any]], write: Callable[[], Outcome],
    now: datetime,
) -> Outcome:
    """Run ``write`` in one unit of work; with a key, at most once per distinct request."""
    fingerprint = _fingerprint(request()) if key is not None else ""
    try:
        with uow:
            if key is not None and (earlier := _recalled(uow, key, fingerprint)):
                return earlier
            outcome = write()
            if key is not None:
                uow.remember(key, fingerprint, asdict(outcome), now)
            uow.commit()
            return outcome
    except ConcurrencyConflict:
        if key is None:
            raise
        with uow:  # the same request may have won the race: then its outcome is ours
            if earlier := _recalled(uow, key, fingerprint):
                return earlier
        raise


def _fingerprint(request: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(request, sort_keys=True, default=str).encode()).hexdigest()


def _recalled(uow: UnitOfWork, key: str, fingerprint: str) -> Outcome | None:
    recalled = uow.recall(key)
    if recalled is None:
        return None
    if recalled.fingerprint != fingerprint:
        raise IdempotencyKeyReused(key)
    return Outcome(**{**recalled.outcome, "replayed": True})


def _describe(command: Command) -> dict[str, Any]:
    occurred = command.occurred_at.isoformat() if command.occurred_at else None
    return {"command": command.name, "actor": asdict(command.actor), "payload": dict(command.payload),
            "occurred_at": occurred}


def transfer_pupil(
    uow: UnitOfWork, pupil_id: str, school_brin: str, actor: Actor, now: datetime,
    authorize: Callable[[list[Case]], None] | None = None,
) -> list[Outcome]:
    """Move all of a pupil's trajectories, and their registration, to another school, in one unit of work
    (the receiving school reads the pupil's record and opens new cases there, the old one no longer). Sending it
    again is refused (the pupil is already there), so a retry cannot move anything twice; so is a
    school the reference data does not know (nobody's scope would cover the trajectories there).
    ``authorize`` sees the trajectories first and may refuse by raising.
    """
    with uow:
        trajectories = uow.trajectories_of(pupil_id)
        if not trajectories:
            raise PupilNotFound(pupil_id)
        if authorize is not None:
            authorize(trajectories)
        moving = [case for case in trajectories if case.school_brin != school_brin]
        if not moving:
            raise InvalidCommand([f"De leerling staat al ingeschreven op school {school_brin}."])
        if not uow.school_known(school_brin):
            unknown = (f"Onbekende school {school_brin}: die staat niet in de referentiegegevens. Overplaatsen kan "
                       "alleen naar een school die de beheerder heeft geïmporteerd.")
            raise InvalidCommand([unknown])
        leaving, outcomes = {case.school_brin for case in moving}, []
        for case in moving:
            decision = case.transfer(school_brin, actor, now)
            uow.save_case(case, decision, None)  # the stage stays: no passed deadline changes
            outcomes.append(Outcome(case.id, case.pathway, decision.event.seq, decision.event.type, case.stage))
        uow.move_registration(pupil_id, leaving, school_brin, now)
        uow.commit()
        return outcomes


def migrate_cases(
    uow: UnitOfWork, registry: PathwayRegistry, pathway: str, to_version: int, actor: Actor, now: datetime,
    *, dry_run: bool,
) -> list[MigrationStep]:
    """Plan (and unless ``dry_run``, apply in one unit of work) moving every case of ``pathway`` on an
    older version to ``to_version``. Cases that cannot move are reported and left as they are.
    """
    with uow:
        steps = []
        for case in uow.cases_on(pathway, below_version=to_version):
            current = registry.for_profile(pathway, case.definition_version, case.profile)
            step = plan_step(case, current, registry.for_profile(pathway, to_version, case.profile))
            steps.append(step)
            if step.movable and not dry_run:
                uow.save_case(case, migrate(case, step, actor, now), registry.missed_deadlines)
        if not dry_run:
            uow.commit()
        return steps


def relay_outbox(
    uow: UnitOfWork, emit: Callable[[Sequence[OutboxItem]], None], now: datetime, batch_size: int = 500,
) -> int:
    """Hand pending outbox items to ``emit`` a batch at a time; mark a batch relayed only after
    ``emit`` returned, so an unreachable receiver loses nothing (it is offered again next time).
    """
    relayed = 0
    while True:
        with uow:
            items = uow.pending_outbox(batch_size)
            if not items:
                return relayed
            emit(items)
            uow.mark_relayed([item.id for item in items], now)
            uow.commit()
            relayed += len(items)


HANDOFF_ACTOR = Actor(SYSTEEM, "overdracht")
"""Who acts when the system makes a hand-off between pathways (reactions.json)."""


def react(uow: UnitOfWork, registry: PathwayRegistry, reaction: Reaction, case_id: str, seq: int, now: datetime,
          ) -> tuple[Link | None, bool]:
    """Carry out ``reaction`` for event ``seq`` of case ``case_id``, at most once: what it did (None when the
    event does not meet its conditions: no hand-off, nothing recorded), and whether that was done now (False:
    it had been done before). Its link is written in the same transaction as the case it opened or moved, and
    that write is conditional, so a re-run or a second worker replays it. A target that refuses is recorded as
    ``geweigerd`` with the reason (not tried again: a person acts).
    """
    def carry_out() -> Link | None:
        return _carried_out(uow, registry, reaction, uow.get_case(case_id), uow.event_of(case_id, seq), now)

    try:
        return _recorded(uow, reaction, case_id, seq, carry_out)
    except ConcurrencyConflict:
        with uow:  # another worker may have made it: then its link is ours
            if done := uow.link_for(reaction.name, case_id, seq):
                return done, False
        raise
    except DomainError as refused:
        reason = refused.detail_nl or refused.message
        return _recorded(uow, reaction, case_id, seq,
                         lambda: Link(reaction.name, case_id, seq, "geweigerd", reason, now))


def _recorded(uow: UnitOfWork, reaction: Reaction, case_id: str, seq: int, make: Callable[[], Link | None],
              ) -> tuple[Link | None, bool]:
    with uow:
        if done := uow.link_for(reaction.name, case_id, seq):
            return done, False
        link = make()
        if link is None:
            return None, False
        uow.record_link(link)
        uow.commit()
        return link, True


def _carried_out(uow: UnitOfWork, registry: PathwayRegistry, reaction: Reaction, source: Case, event: Event,
                 now: datetime) -> Link | None:
    context = Context(registry.profile(source.profile), lambda: uow.trajectories_of(source.pupil_id),
                      event.occurred_at, now)
    if not reaction.applies(source, event, context):
        return None
    skipped = reaction.not_needed(_open_pathways(registry, context.siblings))
    if skipped is not None:
        return Link(reaction.name, source.id, event.seq, "overgeslagen", skipped, now)
    name = registry.get(reaction.opens).start.command if reaction.opens else str(reaction.command)
    command = Command(name,
                      HANDOFF_ACTOR, reaction.payload(source, event, context), occurred_at=event.occurred_at)
    if reaction.opens is not None:
        school = resolve(reaction.school, source, event, context) or source.school_brin
        opened = _open(uow, registry, NewCase(reaction.opens, str(school), source.pupil_id, source.profile),
                       command, now)
        return Link(reaction.name, source.id, event.seq, "geopend", reaction.label, now, opened.case_id, opened.seq)
    target = _target(uow, registry, reaction, source, context)
    if target is None:
        return Link(reaction.name, source.id, event.seq, "overgeslagen",
                    f"geen dossier om '{reaction.command}' op te doen", now)
    definition, target_context = running(uow, registry, target, event.occurred_at, now)
    if definition.transition(target.stage, command.name) is None:  # a person moved it on meanwhile
        return Link(reaction.name, source.id, event.seq, "overgeslagen",
                    f"het dossier staat inmiddels in fase '{target.stage}'", now, target.id)
    decision = target.handle(definition, command, now, target_context)
    uow.save_case(target, decision, registry.missed_deadlines)
    return Link(reaction.name, source.id, event.seq, "opdracht", reaction.label, now, target.id, decision.event.seq)


def _open_pathways(registry: PathwayRegistry, cases: Sequence[Case]) -> set[str]:
    return {c.pathway for c in cases if not _final(registry, c)}


def _final(registry: PathwayRegistry, case: Case) -> bool:
    return registry.get(case.pathway, case.definition_version).stages[case.stage].final


def _target(uow: UnitOfWork, registry: PathwayRegistry, reaction: Reaction, source: Case, context: Context,
            ) -> Case | None:
    """The case a command reaction acts on (the latest running one, else the latest; see ``domain.reactions``)."""
    if reaction.target == SELF:
        found: list[Case] = [source]
    elif reaction.target.startswith(OPEN):
        found = [c for c in context.siblings if c.pathway == reaction.target.removeprefix(OPEN)]
    else:
        opener = reaction.target.removeprefix(OPENED)
        found = [uow.get_case(link.target_case_id) for link in uow.links_of(source.id)
                 if link.reaction == opener and link.source_case_id == source.id and link.target_case_id]
    running = [case for case in found if not _final(registry, case)]
    return running[-1] if running else found[-1] if found else None
