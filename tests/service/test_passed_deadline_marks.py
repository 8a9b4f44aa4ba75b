"""The marks of passed deadlines (``timers.late``, issue 18) answer exactly as the expression they replaced: over
varied histories written through the service — deadlines that keep the stage and that move the case, going back to
a stage the term applies in, back-dated steps, sweeps running ahead, repeating timers, timers cancelled in time or
refused by their guard, a migration to a new definition version, hand-offs between pathways, sweeps fired by plan
and through the full path — the timers ``passed_unhandled`` selects are those the pre-issue-18 expression (below,
the oracle) selects, at several instants; so are the monitor's counts and pages. Marks wiped and written again as
migration 0018 writes them (:mod:`infra.store.passed_deadlines`) are the same marks. SQLite always; PostgreSQL
when ``LEERLINGROUTE_TEST_PG_URL`` names a server.
"""

from __future__ import annotations

import contextlib
import json
import random
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import ColumnElement, Connection, and_, exists, false, func, or_, select, update

from domain.access import Principal
from domain.case import Actor, Command
from domain.errors import DomainError
from domain.handlers import NewCase, fire_due_timers, handle_command, migrate_cases, open_case
from domain.registry import PathwayRegistry, parse
from domain.roles import SYSTEEM
from infra.store import scope
from infra.store.passed_deadlines import copy_profiles, mark_all
from infra.store.sql import SqlUnitOfWork
from infra.store.tables import PENDING_DUE, case_events, cases, timers
from infra.views import digests
from service import Service
from tests.databases import fresh_service

START = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
PATHWAYS: dict[str, tuple[str, dict[str, Any]]] = {"opp": ("start_opp", {"extra_ondersteuning_sinds": "2026-09-01"}),
            "herbeoordeling": ("plan_herbeoordeling", {"einddatum": "2026-10-15"}),
            "thuiszitterwacht": ("start_wacht", {"reden": "anders"}),
            "schorsing": ("schors", {"eerste_dag": "2026-09-02", "laatste_dag": "2026-09-03", "reden": "incident",
                                     "schriftelijk": True, "ouders_geinformeerd": True})}
SCHOOLS = ("14PS03", "14PS00", "20XY00")
SYSTEM = Actor(SYSTEEM, "migratie")


def passed_unhandled_before_issue_18(registry: PathwayRegistry, as_of: datetime) -> ColumnElement[bool]:
    """The definition of a passed deadline not handled yet as ``infra.views.digests.passed_unhandled`` read it
    before issue 18, over ``timers`` joined with ``cases``, evaluated in full at every read: the oracle here and the
    "before" of ``bench/stalled_monitor.py``.
    """
    keeping: dict[tuple[str, str], set[str]] = {}
    moving: dict[str, set[str]] = {}
    for definition in registry.definitions.values():
        for t in definition.transitions:
            if t.marks_missed_deadline and t.target is None:
                keeping.setdefault((definition.pathway, t.command), set()).update(t.sources)
            elif t.marks_missed_deadline:
                moving.setdefault(definition.pathway, set()).add(t.command)
    still_applies = or_(false(), *(and_(cases.c.pathway == pathway, timers.c.fires == command,
                                        cases.c.stage.in_(sorted(stages)))
                                   for (pathway, command), stages in sorted(keeping.items())))
    marks_moving = or_(false(), *(and_(cases.c.pathway == pathway, timers.c.fires.in_(sorted(commands)))
                                  for pathway, commands in sorted(moving.items())))
    firing = case_events.alias("firing")
    fired_at = (select(func.max(firing.c.seq)).where(firing.c.case_id == timers.c.case_id,
                                                     firing.c.command == timers.c.fires)
                .correlate(timers).scalar_subquery())
    moved_on = exists().where(case_events.c.case_id == timers.c.case_id, case_events.c.seq > fired_at,
                              case_events.c.stage_from != case_events.c.stage_to).correlate(timers)
    pending = and_(timers.c.state == "pending", timers.c.due_at <= as_of, as_of > PENDING_DUE)
    fired = and_(timers.c.state == "fired", timers.c.due_at <= as_of, or_(still_applies, and_(marks_moving, ~moved_on)))
    return or_(pending, fired)


def with_opp_version_2(registry: PathwayRegistry) -> PathwayRegistry:
    """The registry plus an OPP v2 equal to v1 (a case can migrate to it and go on)."""
    v1 = registry.get("opp")
    return PathwayRegistry({**registry.definitions, ("opp", 2): replace(v1, version=2)}, registry.profiles,
                           registry.reactions)


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def service(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """The service (with an OPP v2 to migrate to) on a freshly migrated database of each kind."""
    with fresh_service(request.param, tmp_path_factory) as built:
        yield Service(built.engine, with_opp_version_2(built.registry), built.settings)


def selected(conn: Connection, condition: ColumnElement[bool]) -> set[str]:
    query = select(timers.c.id).select_from(timers.join(cases, cases.c.id == timers.c.case_id)).where(condition)
    return set(conn.execute(query).scalars())


def instants(now: datetime) -> list[datetime]:
    return [START - timedelta(days=1), now - timedelta(days=20), now - timedelta(days=1), now,
            now + timedelta(days=45), now + timedelta(days=400)]


def assert_same_as_before(service: Service, now: datetime) -> int:
    """At several instants, the timers selected now are those the oracle selects; how many passed ones in all."""
    found = 0
    with service.engine.connect() as conn:
        for as_of in instants(now):
            new = selected(conn, digests.passed_unhandled(as_of))
            old = selected(conn, passed_unhandled_before_issue_18(service.registry, as_of))
            assert new == old, (as_of, sorted(new - old), sorted(old - new))
            found += len(new)
    return found


def history(service: Service, seed: int, steps: int) -> datetime:
    """A random history: cases opened, random steps by people (sometimes back-dated), sweeps (sometimes running
    ahead), hand-offs, a migration of the OPPs to v2 half-way; checked against the oracle as it goes. The last
    instant.
    """
    rng = random.Random(seed)
    now = START
    opened = [_open(service, rng, i, now) for i in range(16)]
    for step in range(steps):
        now += timedelta(hours=rng.choice([1, 5, 30, 24 * 9]))
        roll = rng.random()
        if roll < 0.15:
            ahead = now + timedelta(days=rng.choice([0, 0, 20]))
            with service.unit_of_work() as uow:
                fire_due_timers(uow, service.registry, ahead, rng.choice([2, 500]), planned=rng.random() < 0.7)
        elif roll < 0.2:
            service.react(now)
        elif roll < 0.25:
            opened.append(_open(service, rng, len(opened), now))
        else:
            _step(service, rng, rng.choice(opened), now)
        if step == steps // 2:
            with service.unit_of_work() as uow:
                migrate_cases(uow, service.registry, "opp", 2, SYSTEM, now, dry_run=False)
        if step % 10 == 0:
            assert_same_as_before(service, now)
    return now


def _open(service: Service, rng: random.Random, i: int, now: datetime) -> str:
    pathway = rng.choice(sorted(PATHWAYS))
    command, payload = PATHWAYS[pathway]
    opened = now - timedelta(days=rng.choice([0, 10, 60]))
    new = NewCase(pathway, rng.choice(SCHOOLS), f"lln-{i}", "standaard")
    return service.open_case(new, Command(command, Actor("zorgcoordinator", "zc-1"), payload, occurred_at=opened),
                             now).case_id


def _step(service: Service, rng: random.Random, case_id: str, now: datetime) -> None:
    """One of the case's commands by a person, with plausible fields, now or back-dated; refusals are fine."""
    with service.unit_of_work(reading=True) as uow, uow:
        case = uow.get_case(case_id)
    definition = service.registry.for_profile(case.pathway, case.definition_version, case.profile)
    commands = case.allowed_commands(definition)
    if not commands:
        return
    transition = definition.transition(case.stage, rng.choice(commands))
    assert transition is not None
    if definition.stages[transition.target_from(case.stage)].final and rng.random() < 0.8:
        return  # most cases stay open a while
    day = now.date().isoformat()
    payload: dict[str, Any] = {n: {"date": day, "int": 1, "bool": True, "text": "besproken"}.get(
        s.type, rng.choice(s.choices) if s.choices else "x") for n, s in transition.fields.items() if s.required}
    occurred = now - timedelta(days=rng.choice([0, 0, 0, 3, 30]))
    actor = Actor(min(transition.roles - {SYSTEEM}), "mens-1")
    with contextlib.suppress(DomainError):  # a guard or a back-dated instant may refuse it: that is history too
        service.handle(case_id, Command(transition.command, actor, payload, occurred_at=occurred), now)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_passed_deadlines_marked_as_histories_happen_are_those_the_old_expression_selects(
        service: Service, seed: int) -> None:
    now = history(service, seed, 90)
    assert assert_same_as_before(service, now) > 0


def test_marks_wiped_and_written_again_from_the_cases_as_migration_0018_does_are_the_same(service: Service) -> None:
    now = history(service, 7, 60)
    with service.engine.begin() as conn:
        kept = conn.execute(select(timers.c.id, timers.c.late, timers.c.profile).order_by(timers.c.id)).all()
        conn.execute(update(timers).values(late=None, profile=None))
    assert_wiped = _open_marks(service)
    assert assert_wiped == 0
    with service.engine.begin() as conn:
        copy_profiles(conn)
        mark_all(conn, service.registry.missed_deadlines)
        again = conn.execute(select(timers.c.id, timers.c.late, timers.c.profile).order_by(timers.c.id)).all()
    assert again == kept
    assert assert_same_as_before(service, now) > 0


def _open_marks(service: Service) -> int:
    with service.engine.connect() as conn:
        return int(conn.execute(select(func.count()).where(timers.c.late == "open")).scalar_one())


def test_a_timer_that_fired_no_missed_deadline_or_is_still_pending_or_was_cancelled_has_no_mark(
        service: Service) -> None:
    history(service, 11, 40)
    with service.engine.connect() as conn:
        rows = conn.execute(select(timers.c.state, timers.c.fires, timers.c.late, timers.c.profile)).all()
    missed = {c for d in service.registry.definitions.values() for t in d.transitions if t.marks_missed_deadline
              for c in [t.command]}
    assert {r.late for r in rows if r.state != "fired" or r.fires not in missed} == {None}
    assert {r.late for r in rows if r.state == "fired" and r.fires in missed} <= {"open", "repeat", "handled"}
    assert all(r.profile == "standaard" for r in rows)


def test_of_each_case_and_timer_name_the_first_open_mark_by_due_date_is_open_and_later_ones_repeat(
        service: Service) -> None:
    history(service, 13, 120)
    with service.engine.connect() as conn:
        rows = conn.execute(select(timers.c.case_id, timers.c.name, timers.c.due_at, timers.c.id, timers.c.late)
                            .where(timers.c.late.in_(["open", "repeat"]))
                            .order_by(timers.c.case_id, timers.c.name, timers.c.due_at, timers.c.id)).all()
    pairs: dict[tuple[str, str], list[str]] = {}
    for r in rows:
        pairs.setdefault((r.case_id, r.name), []).append(r.late)
    assert pairs
    assert all(marks == ["open"] + ["repeat"] * (len(marks) - 1) for marks in pairs.values())
    assert any(len(marks) > 1 for marks in pairs.values())  # a repeating timer's later ones


@pytest.mark.parametrize("who", ["swv", "swv-herbeoordeling", "swv-school", "school"])
def test_the_monitors_count_and_page_of_passed_deadlines_are_the_old_expressions(service: Service, who: str) -> None:
    """Counted by the SWV's profile on the timers alone (with the cases for a pathway or school asked too), or for
    a school's cases through their rows.
    """
    now = history(service, 5, 80)
    swv = scope.case_scope(Principal("swv", "swv_coordinator", ("standaard",)), service.registry)
    in_scope = {"swv": swv, "swv-herbeoordeling": swv & (cases.c.pathway == "herbeoordeling"),
                "swv-school": swv & (cases.c.school_brin == "14PS00"),
                "school": scope.case_scope(Principal("zc", "zorgcoordinator", ("14PS03",)), service.registry)}[who]
    with service.engine.connect() as conn:
        for as_of in instants(now):
            old = (select(timers.c.case_id, timers.c.name, func.min(timers.c.due_at).label("due_at"))
                   .join(cases, cases.c.id == timers.c.case_id)
                   .where(passed_unhandled_before_issue_18(service.registry, as_of), in_scope)
                   .group_by(timers.c.case_id, timers.c.name).subquery())
            expected = conn.execute(select(old).order_by(old.c.due_at, old.c.case_id, old.c.name)).all()
            for offset, limit in ((0, 5), (0, 1), (3, 2), (4, 3), (len(expected) - 1, 4), (len(expected) + 2, 4)):
                page, total = digests.overdue_page(conn, in_scope, as_of, limit, max(offset, 0))
                assert total == len(expected) == digests.count_overdue(conn, in_scope, as_of)
                assert [(t.case_id, t.timer, t.due_at) for t in page] == [
                    tuple(r) for r in expected[max(offset, 0):max(offset, 0) + limit]]
            assert [(t.case_id, t.timer, t.due_at) for t in digests.overdue_timers(
                conn, in_scope, as_of)] == [tuple(r) for r in expected]


PROEF = {
    "pathway": "proef", "version": 1, "initial": "open",
    "start": {"command": "open_proef", "event": "proef_geopend", "roles": ["zorgcoordinator"]},
    "stages": [{"name": "open"}, {"name": "verlopen"}, {"name": "klaar", "final": True}],
    "transitions": [
        {"command": "meld_te_laat", "from": ["open"], "event": "te_laat", "roles": ["systeem"]},
        {"command": "laat_verlopen", "from": ["open"], "to": "verlopen", "event": "proef_verlopen",
         "roles": ["systeem"], "missed_deadline": True},
        {"command": "heropen", "from": ["verlopen"], "to": "open", "event": "heropend", "roles": ["zorgcoordinator"]},
        {"command": "sluit", "from": ["open", "verlopen"], "to": "klaar", "event": "gesloten",
         "roles": ["zorgcoordinator"]},
    ],
    "timers": [
        {"name": "te_laat", "starts_on": "open", "cancelled_on": ["verlopen", "klaar"], "after": {"weeks": 1},
         "fires": "meld_te_laat", "basis": {"kind": "regionaal", "source": "proef", "anchor": "de opening"}},
        {"name": "verloop", "starts_on": "open", "cancelled_on": ["verlopen", "klaar"], "after": {"weeks": 3},
         "fires": "laat_verlopen", "basis": {"kind": "regionaal", "source": "proef", "anchor": "de opening"}},
    ],
}
"""A pathway whose deadlines are both fired by their plans: one that keeps the stage ('te laat', open while the
case is 'open') and one that moves the case to 'verlopen' and marks a missed deadline too."""


@pytest.mark.parametrize("planned", [True, False], ids=["by-plan", "full-path"])
def test_a_sweep_that_moves_a_case_marks_its_earlier_deadlines_again_and_going_back_opens_them_again(
        service: Service, planned: bool) -> None:
    """'te laat' fired and open; then 'verloop' moves the case to 'verlopen': 'te laat' is handled there (its term
    does not apply), 'verloop' open; reopened by a person: 'te laat' open again, 'verloop' handled. As the oracle
    says at each point, whether the sweep fires by plan or through the full path.
    """
    registry = PathwayRegistry({**service.registry.definitions, ("proef", 1): parse(json.dumps(PROEF))},
                               service.registry.profiles, service.registry.reactions)
    uow = SqlUnitOfWork(service.engine)
    opened = START + timedelta(days=400)
    case_id = open_case(uow, registry, NewCase("proef", "14PS03", f"lln-proef-{planned}", "standaard"),
                        Command("open_proef", Actor("zorgcoordinator", "zc-1")), opened).case_id
    expected = [{"te_laat": "open"}, {"te_laat": "handled", "verloop": "open"},
                {"te_laat": "open", "verloop": "handled"}]
    for step, marks in enumerate(expected):
        if step < 2:
            fire_due_timers(uow, registry, opened + timedelta(weeks=2 + 2 * step), planned=planned)
        else:
            handle_command(uow, registry, case_id, Command("heropen", Actor("zorgcoordinator", "zc-1")),
                           opened + timedelta(weeks=5))
        with service.engine.connect() as conn:
            found = dict(conn.execute(select(timers.c.name, timers.c.late)
                                      .where(timers.c.case_id == case_id, timers.c.state == "fired")).tuples().all())
            at = opened + timedelta(weeks=6)
            assert selected(conn, digests.passed_unhandled(at)) == selected(
                conn, passed_unhandled_before_issue_18(registry, at))
        assert found == marks
    uow.close()
