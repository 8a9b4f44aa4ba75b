"""Timers fired by their plans (domain.timer_plans): a timer transition that reads nothing of the case but its stage
is recognised once per definition and fired set-wise, and writes exactly the rows the full path (``Case.handle``)
writes; every other timer, and a case that changed after it was read, takes the full path in the same transaction.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from domain.case import Actor, Case, Command
from domain.definition import PathwayDefinition
from domain.handlers import fire_due_timers, handle_command
from domain.registry import PathwayRegistry, parse
from domain.timer_plans import CaseHead, PlannedFire, TimerPlans, compile_timer
from infra.store import event_chain
from infra.store.db import make_engine
from infra.store.memory import MemoryStore, MemoryUnitOfWork
from infra.store.sql import SqlUnitOfWork
from tests.databases import BACKENDS, fresh_pg_database, migrated_sqlite

REGISTRY = PathwayRegistry.builtin()
ZC = Actor("zorgcoordinator", "zc-1")
OPENED = datetime(2026, 9, 1, 9, tzinfo=UTC)
AS_OF = datetime(2027, 12, 1, 9, tzinfo=UTC)
INSTEMMING = {"gegeven_door": "ouders", "handelingsdeel_versie": 1}
TABLES = {"cases": "id", "case_events": "case_id, seq", "outbox": "id", "timers": "id"}

PROEF = {
    "pathway": "proef", "version": 1, "initial": "open",
    "start": {"command": "open_proef", "event": "proef_geopend", "roles": ["zorgcoordinator"]},
    "stages": [{"name": "open"}, {"name": "verlopen"}, {"name": "klaar", "final": True}],
    "transitions": [
        {"command": "laat_verlopen", "from": ["open"], "to": "verlopen", "event": "proef_verlopen",
         "roles": ["systeem"]},
        {"command": "herinner", "from": ["open"], "event": "herinnerd", "roles": ["systeem"]},
        {"command": "sluit", "from": ["open", "verlopen"], "to": "klaar", "event": "gesloten",
         "roles": ["zorgcoordinator"]},
    ],
    "timers": [
        {"name": "termijn", "starts_on": "open", "cancelled_on": ["verlopen", "klaar"], "after": {"weeks": 2},
         "fires": "laat_verlopen", "basis": {"kind": "regionaal", "source": "proef", "anchor": "de opening"}},
        {"name": "herinnering", "starts_on": "open", "cancelled_on": ["verlopen", "klaar"], "after": {"weeks": 6},
         "fires": "herinner", "basis": {"kind": "regionaal", "source": "proef", "anchor": "de opening"}},
    ],
}
"""A pathway whose first deadline moves the case on and cancels the reminder that still runs."""


def _opp() -> PathwayDefinition:
    return REGISTRY.for_profile("opp", None, "standaard")


# What is planned: derived from the definition, once per (definition, stage, command).

def test_a_timer_that_only_records_a_passed_deadline_is_planned_to_keep_the_case_in_its_stage() -> None:
    plan = compile_timer(_opp(), "standaard", "concept", "meld_opp_te_laat")
    assert plan is not None
    assert (plan.event, plan.stage_to, plan.enters, plan.cancels) == ("opp_te_laat", "concept", False, ())


def test_a_timer_that_moves_the_case_on_is_planned_with_the_running_timers_its_new_stage_cancels() -> None:
    proef = parse(json.dumps(PROEF))
    plan = compile_timer(proef, "standaard", "open", "laat_verlopen")
    assert plan is not None
    assert (plan.stage_to, plan.enters, plan.cancels) == ("verlopen", True, ("termijn", "herinnering"))


@pytest.mark.parametrize(("pathway", "stage", "command", "why"), [
    ("schorsing", "geschorst", "meld_inspectiemelding_te_laat", "a guard reads the case"),
    ("tlv", "toegekend", "maak_definitief", "the stage it enters requires an artifact"),
    ("herbeoordeling", "loopt", "meld_tlv_verlopen", "the stage it enters starts a timer"),
    ("thuiszitterwacht", "waakt", "meld_controle", "the timer repeats"),
    ("tlv", "aanvulling_gevraagd", "aanvullingstermijn_verstreken", "it resumes a suspended term"),
    ("opp", "in_werking", "meld_opp_te_laat", "the command is not declared from that stage"),
])
def test_a_timer_whose_transition_needs_more_than_the_stage_is_not_planned(
    pathway: str, stage: str, command: str, why: str,
) -> None:
    assert compile_timer(REGISTRY.for_profile(pathway, None, "standaard"), "standaard", stage, command) is None, why


def test_a_timer_command_a_profile_gives_to_people_only_is_not_planned() -> None:
    people_only = _opp().with_roles({"meld_opp_te_laat": frozenset({"zorgcoordinator"})})
    assert compile_timer(people_only, "standaard", "concept", "meld_opp_te_laat") is None


def test_a_timer_of_a_case_that_entered_its_stage_after_the_sweep_instant_is_not_fired_by_its_plan() -> None:
    """The full path refuses it (its event would lie in the future); the plan leaves it to that path."""
    entered = AS_OF + timedelta(hours=1)
    head = CaseHead("c-1", "opp", 1, "standaard", "concept", entered, 1)
    timer = Case.open("c-1", _opp(), "14PS03", "lln-1", _start(), OPENED)[0].timers["opp_termijn"]
    plans = TimerPlans(REGISTRY)
    assert plans.fire(timer, head, AS_OF) is None
    assert plans.fire(timer, CaseHead("c-1", "opp", 1, "standaard", "concept", OPENED, 1), AS_OF) is not None


# The same rows as the full path, on SQLite and PostgreSQL.

class Watched(SqlUnitOfWork):
    """The SQL unit of work, noting which timers were fired by their plans."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self.planned: list[str] = []

    def fire_planned(self, fires: Sequence[PlannedFire]) -> list[PlannedFire]:
        late = super().fire_planned(fires)
        self.planned += [f.timer.id for f in fires if f not in late]
        return late


@contextmanager
def _databases(kind: str, folder: Path) -> Iterator[tuple[str, str]]:
    if kind == "sqlite":
        yield migrated_sqlite(str(folder)), migrated_sqlite(str(folder))
        return
    with fresh_pg_database() as first, fresh_pg_database() as second:
        yield first, second


def _start() -> Command:
    return Command("start_opp", ZC, {"extra_ondersteuning_sinds": "2026-09-01"})


def _seed(url: str, registry: PathwayRegistry = REGISTRY) -> None:
    """The same cases on every database (fixed ids and instants): OPPs whose deadline passed (planned, staying), OPPs
    in werking whose evaluation fell due (planned, entering a stage), herbeoordelingen (planned, then the full path:
    a timer started), schorsingen (guarded, two timers each) and thuiszitterwachten (repeating).
    """
    engine = make_engine(url)
    uow = SqlUnitOfWork(engine)
    opened = [_open(f"opp-{i:03d}", "opp", "start_opp", {"extra_ondersteuning_sinds": "2026-09-01"})
              for i in range(30)]
    opened += [_open(f"hb-{i:03d}", "herbeoordeling", "plan_herbeoordeling", {"einddatum": "2027-10-01"})
               for i in range(4)]
    opened += [_open(f"sch-{i:03d}", "schorsing", "schors", {
        "eerste_dag": "2026-09-02", "laatste_dag": "2026-09-03", "reden": "ernstig incident", "schriftelijk": True,
        "ouders_geinformeerd": True}) for i in range(4)]
    opened += [_open(f"tw-{i:03d}", "thuiszitterwacht", "start_wacht", {"reden": "anders"}) for i in range(3)]
    with uow:
        uow.add_cases(opened)
        uow.commit()
    for i in range(0, 30, 3):  # every third OPP is in werking: its evaluation falls due a year after the consent
        for name, payload in (("leg_handelingsdeel_voor", {}), ("registreer_instemming", INSTEMMING),
                              ("stel_in_werking", {})):
            handle_command(uow, registry, f"opp-{i:03d}", Command(name, ZC, payload), OPENED + timedelta(days=9))
    uow.close()
    engine.dispose()


def _open(case_id: str, pathway: str, command: str, payload: dict[str, Any]) -> Any:
    return Case.open(case_id, REGISTRY.get(pathway), "14PS03", f"lln-{case_id}", Command(command, ZC, payload), OPENED)


def _rows(url: str) -> dict[str, list[tuple[Any, ...]]]:
    engine = make_engine(url)
    with engine.connect() as conn:
        found = {table: [tuple(r) for r in conn.execute(text(f"SELECT * FROM {table} ORDER BY {key}"))]  # noqa: S608
                 for table, key in TABLES.items()}
    verified = event_chain.verify(engine)
    engine.dispose()
    assert verified.broken_seq is None, verified
    return found


def _sweep(url: str, *, planned: bool, batch: int, uow_class: type[Watched] = Watched) -> tuple[Any, Watched]:
    engine = make_engine(url)
    uow = uow_class(engine)
    report = fire_due_timers(uow, REGISTRY, AS_OF, batch, planned=planned)
    uow.close()
    engine.dispose()
    return report, uow


@pytest.mark.parametrize("kind", BACKENDS)
@pytest.mark.parametrize("batch", [500, 7])
def test_timers_fired_by_their_plans_write_every_row_exactly_as_the_full_path_writes_it(
    kind: str, batch: int, tmp_path: Path,
) -> None:
    """Cases, events (seq, payload, chain links and hashes), outbox rows and timers compared row by row, after the
    same due timers were fired on two databases seeded alike: once all through ``Case.handle``, once by plan where
    one applies. In batches of 7 the planned and the full-path cases alternate within a batch.
    """
    with _databases(kind, tmp_path) as (old, new):
        _seed(old)
        _seed(new)
        old_report, _ = _sweep(old, planned=False, batch=batch)
        new_report, uow = _sweep(new, planned=True, batch=batch)
        assert new_report.fired == old_report.fired
        assert new_report.refused == old_report.refused
        planned = uow.planned
        assert {p.split(":")[0] for p in planned} >= {f"opp-{i:03d}" for i in range(30)}
        assert not [p for p in planned if p.startswith(("sch-", "tw-"))]
        old_rows, new_rows = _rows(old), _rows(new)
        for table in TABLES:
            assert new_rows[table] == old_rows[table], table


# The fall-backs: a guarded timer, a case changed after it was read, two timers of one case.

@pytest.mark.parametrize("kind", BACKENDS)
def test_a_guarded_timer_takes_the_full_path_and_its_guard_decides(kind: str, tmp_path: Path) -> None:
    """A schorsing of two days that nobody reported: 'melding te laat' passes its guard and fires, the end of the
    schorsing is refused by its guard (it must be reported first), with the reason; neither by plan.
    """
    with _databases(kind, tmp_path) as (url, _):
        _seed(url)
        _, uow = _sweep(url, planned=True, batch=500)
        assert not [p for p in uow.planned if p.startswith("sch-")]
        timers = {row[0]: (row[5], row[7]) for row in _rows(url)["timers"] if row[0].startswith("sch-000:1:")}
        assert timers["sch-000:1:inspectiemelding"] == ("fired", None)
        state, reason = timers["sch-000:1:einde_schorsing"]
        assert state == "refused"
        assert reason


class ChangedMeanwhile(Watched):
    """Someone hands in the handelingsdeel of opp-001 just after the sweep read the case heads (before its
    versioned UPDATE), as another writer that committed in between would.
    """

    def case_heads(self, case_ids: Collection[str]) -> dict[str, CaseHead]:
        heads = super().case_heads(case_ids)
        if "opp-001" in heads:
            case = self.get_case("opp-001")
            definition = REGISTRY.for_profile("opp", 1, "standaard")
            self.save_case(case, case.handle(definition, Command("leg_handelingsdeel_voor", ZC), OPENED + timedelta(
                days=20)), REGISTRY.missed_deadlines)
        return heads


@pytest.mark.parametrize("kind", BACKENDS)
def test_a_case_changed_after_it_was_read_is_fired_through_the_full_path_in_the_same_transaction(
    kind: str, tmp_path: Path,
) -> None:
    with _databases(kind, tmp_path) as (url, _):
        _seed(url)
        report, uow = _sweep(url, planned=True, batch=500, uow_class=ChangedMeanwhile)
        assert "opp-001:1:opp_termijn" not in uow.planned
        assert "opp-002:1:opp_termijn" in uow.planned
        rows = _rows(url)
        history = [(r[1], r[2], r[4], r[5]) for r in rows["case_events"] if r[0] == "opp-001"]
        assert history == [(1, "opp_gestart", None, "concept"),
                           (2, "handelingsdeel_voorgelegd", "concept", "wacht_op_instemming"),
                           (3, "opp_te_laat", "wacht_op_instemming", "wacht_op_instemming")]
        [case] = [r for r in rows["cases"] if r[0] == "opp-001"]
        assert (case[5], case[6]) == ("wacht_op_instemming", 3)
        assert report.refused == 4  # the four schorsingen's ends, refused by their guard (see above)


@pytest.mark.parametrize("kind", BACKENDS)
def test_two_timers_of_one_case_in_one_batch_apply_in_turn_through_the_full_path(kind: str, tmp_path: Path) -> None:
    """A herbeoordeling whose start and end both passed, due on the same instant: claimed in one batch, neither is
    fired by its plan (the second sees the stage the first moved the case to); an OPP's single timer beside them is.
    """
    with _databases(kind, tmp_path) as (url, _):
        _seed(url)
        engine = make_engine(url)
        with engine.begin() as conn:  # the start falls due on the same instant as the end
            conn.execute(text("UPDATE timers SET due_at = (SELECT due_at FROM timers WHERE id = 'hb-000:1:tlv_einde') "
                              "WHERE id = 'hb-000:1:herbeoordeling_start'"))
        engine.dispose()
        _, uow = _sweep(url, planned=True, batch=500)
        assert not [p for p in uow.planned if p.startswith("hb-000:")]
        assert "opp-001:1:opp_termijn" in uow.planned
        history = [(r[1], r[2], r[5]) for r in _rows(url)["case_events"] if r[0] == "hb-000"][:3]
        assert history == [(1, "herbeoordeling_gepland", "gepland"), (2, "herbeoordeling_gestart", "loopt"),
                           (3, "tlv_verlopen_zonder_herbeoordeling", "verlopen")]


def test_the_in_memory_store_fires_by_plan_what_the_full_path_fires() -> None:
    """The fake behind the same port: the same histories, stages and timers either way."""
    proef = parse(json.dumps(PROEF))
    registry = PathwayRegistry({**REGISTRY.definitions, ("proef", 1): proef}, REGISTRY.profiles)
    outcomes = []
    for planned in (False, True):
        store = MemoryStore()
        with MemoryUnitOfWork(store) as uow:
            for i in range(5):
                uow.add_case(*Case.open(f"p-{i}", proef, "14PS03", f"lln-{i}", Command("open_proef", ZC), OPENED))
                uow.add_case(*_open(f"opp-{i}", "opp", "start_opp", {"extra_ondersteuning_sinds": "2026-08-01"}))
            uow.commit()
        report = fire_due_timers(MemoryUnitOfWork(store), registry, OPENED + timedelta(weeks=3), 3, planned=planned)
        with MemoryUnitOfWork(store) as uow:
            cases = {c: uow.get_case(c) for c in [f"p-{i}" for i in range(5)] + [f"opp-{i}" for i in range(5)]}
            outcomes.append((report, {c: (case.stage, case.version, case.stage_entered_at, sorted(case.timers))
                                      for c, case in cases.items()},
                             {c: uow.history(c) for c in cases}, dict(store.state.timers)))
    assert outcomes[0] == outcomes[1]
    assert outcomes[1][1]["p-0"][::3] == ("verlopen", [])  # the reminder was cancelled
    assert outcomes[1][3]["p-0:1:herinnering"].state == "cancelled"
