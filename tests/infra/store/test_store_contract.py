"""What every store promises the handlers: one unit of work commits all of a command or none
of it; a key makes a command idempotent; of two racing commands exactly one wins; a due timer
fires once; the outbox hands out what was recorded, in order, until it is relayed.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import date, datetime, timedelta

import pytest

from domain.case import Actor, Case, Command, Decision
from domain.durations import NL
from domain.errors import CaseNotFound, ConcurrencyConflict, DomainError, IdempotencyKeyReused
from domain.handlers import NewCase, fire_due_timers, handle_command, open_case, relay_outbox
from domain.ports import OutboxItem, UnitOfWork
from domain.registry import PathwayRegistry
from tests.infra.store.conftest import UowFactory

ZC = Actor("zorgcoordinator", "zc-1")
NOW = datetime(2026, 9, 1, 9, tzinfo=NL)
REGISTRY = PathwayRegistry.builtin()
INSTEMMING = {"gegeven_door": "ouders", "handelingsdeel_versie": 1}


def start(new_uow: UowFactory, pupil: str = "lln-1", key: str | None = None) -> str:
    command = Command("start_opp", ZC, {"extra_ondersteuning_sinds": "2026-09-01"})
    return open_case(new_uow(), REGISTRY, NewCase("opp", "14PS03", pupil), command, NOW, key).case_id


def send(new_uow: UowFactory, case_id: str, name: str, payload: dict[str, object] | None = None,
         key: str | None = None, at: datetime = NOW) -> None:
    handle_command(new_uow(), REGISTRY, case_id, Command(name, ZC, payload or {}), at, key)


def read(new_uow: UowFactory, case_id: str) -> Case:
    with new_uow() as uow:
        return uow.get_case(case_id)


def events(new_uow: UowFactory, case_id: str) -> list[str]:
    with new_uow() as uow:
        return [e.type for e in uow.history(case_id)]


def pending(new_uow: UowFactory) -> list[OutboxItem]:
    with new_uow() as uow:
        return uow.pending_outbox(1000)


def test_a_stored_case_reads_back_with_its_stage_artifacts_and_running_timers(new_uow: UowFactory) -> None:
    """What the aggregate decided is what a later unit of work reads, instants in UTC-aware form."""
    case_id = start(new_uow)
    case = read(new_uow, case_id)
    assert (case.stage, case.version, case.school_brin, case.pupil_id) == ("concept", 1, "14PS03", "lln-1")
    assert case.artifacts["extra_ondersteuning"]["extra_ondersteuning_sinds"] == "2026-09-01"
    timer = case.timers["opp_termijn"]
    assert timer.due_at == datetime(2026, 10, 14, tzinfo=NL)  # 6 weeks after 1 September: through 13 October
    assert timer.deadline is not None
    assert (timer.deadline.last_day, timer.deadline.kind) == (date(2026, 10, 13), "wet")
    assert timer.deadline.reckoning.startswith("6 weken na de start van de extra ondersteuning op 1 september 2026")
    assert case.opened_at == NOW


def test_an_unknown_case_is_not_found(new_uow: UowFactory) -> None:
    """Reading or commanding a case that does not exist raises CaseNotFound."""
    with pytest.raises(CaseNotFound):
        send(new_uow, "no-such-case", "leg_handelingsdeel_voor")


def test_state_event_outbox_and_timers_commit_together(new_uow: UowFactory) -> None:
    """After one command: the new stage, its event, its outbox row and its timer changes are all there."""
    case_id = start(new_uow)
    send(new_uow, case_id, "leg_handelingsdeel_voor")
    send(new_uow, case_id, "registreer_instemming", INSTEMMING)
    send(new_uow, case_id, "stel_in_werking")
    case = read(new_uow, case_id)
    assert case.stage == "in_werking"
    assert list(case.timers) == ["evaluatie"]
    assert events(new_uow, case_id) == ["opp_gestart", "handelingsdeel_voorgelegd", "instemming_geregistreerd",
                                        "opp_in_werking"]
    assert [(i.seq, i.type) for i in pending(new_uow)] == [(1, "opp_gestart"), (2, "handelingsdeel_voorgelegd"),
                                                            (3, "instemming_geregistreerd"), (4, "opp_in_werking")]


def test_a_unit_of_work_left_without_commit_writes_nothing(new_uow: UowFactory) -> None:
    """State, event, timers and outbox are rolled back together."""
    case_id = start(new_uow)
    with new_uow() as uow:
        case = uow.get_case(case_id)
        uow.save_case(case, case.handle(REGISTRY.get("opp"), Command("leg_handelingsdeel_voor", ZC), NOW),
                      REGISTRY.missed_deadlines)
    assert read(new_uow, case_id).stage == "concept"
    assert events(new_uow, case_id) == ["opp_gestart"]
    assert len(pending(new_uow)) == 1


def test_a_refused_command_writes_nothing(new_uow: UowFactory) -> None:
    """A guard that fails leaves the case, its history and the outbox as they were."""
    case_id = start(new_uow)
    send(new_uow, case_id, "leg_handelingsdeel_voor")
    with pytest.raises(DomainError):
        send(new_uow, case_id, "stel_in_werking")
    assert (read(new_uow, case_id).version, len(events(new_uow, case_id)), len(pending(new_uow))) == (2, 2, 2)


def test_a_command_sent_twice_with_the_same_key_is_applied_once(new_uow: UowFactory) -> None:
    """The second send returns the first outcome, marked replayed, and writes nothing new."""
    case_id = start(new_uow)
    command = Command("leg_handelingsdeel_voor", ZC)
    first = handle_command(new_uow(), REGISTRY, case_id, command, NOW, "key-1")
    again = handle_command(new_uow(), REGISTRY, case_id, command, NOW + timedelta(minutes=1), "key-1")
    assert (again.seq, again.stage, again.replayed, first.replayed) == (first.seq, first.stage, True, False)
    assert events(new_uow, case_id) == ["opp_gestart", "handelingsdeel_voorgelegd"]


def test_opening_a_case_twice_with_the_same_key_opens_one_case(new_uow: UowFactory) -> None:
    """A retried 'open' returns the case the first one opened."""
    first = start(new_uow, key="open-1")
    assert start(new_uow, key="open-1") == first
    with new_uow() as uow:
        assert sum(uow.stage_counts("opp").values()) == 1


def test_the_same_key_on_a_different_request_is_refused(new_uow: UowFactory) -> None:
    """A key names one request; reusing it for another is an error, and nothing is written."""
    case_id = start(new_uow)
    send(new_uow, case_id, "leg_handelingsdeel_voor", key="key-2")
    with pytest.raises(IdempotencyKeyReused):
        send(new_uow, case_id, "registreer_instemming", INSTEMMING, key="key-2")
    assert len(events(new_uow, case_id)) == 2


def test_of_two_commands_on_one_case_at_the_same_moment_exactly_one_wins(new_uow: UowFactory) -> None:
    """Both read version 1; the first to commit wins; the other gets a conflict and writes nothing."""
    case_id = start(new_uow)
    first, second = new_uow(), new_uow()
    with first, second:
        one, other = first.get_case(case_id), second.get_case(case_id)
        opp = REGISTRY.get("opp")
        first.save_case(one, one.handle(opp, Command("leg_handelingsdeel_voor", ZC), NOW), REGISTRY.missed_deadlines)
        first.commit()
        closing = other.handle(opp, Command("sluit_af", ZC, {"reden": "verhuisd"}), NOW)
        with pytest.raises(ConcurrencyConflict):
            _save_and_commit(second, other, closing)
    assert read(new_uow, case_id).stage == "wacht_op_instemming"
    assert events(new_uow, case_id) == ["opp_gestart", "handelingsdeel_voorgelegd"]


def _save_and_commit(uow: UnitOfWork, case: Case, decision: Decision) -> None:
    """On SQL the conflict shows at the UPDATE; on the fake at commit. Either way it raises."""
    uow.save_case(case, decision, REGISTRY.missed_deadlines)
    uow.commit()


def test_racing_threads_on_one_case_leave_exactly_one_winner(new_uow: UowFactory) -> None:
    """Eight threads close the same OPP at once: one closes it, the others are refused."""
    case_id = start(new_uow)
    outcomes: list[str] = []
    barrier = threading.Barrier(8)

    def attempt() -> None:
        barrier.wait()
        try:
            send(new_uow, case_id, "sluit_af", {"reden": "verhuisd"})
            outcomes.append("applied")
        except DomainError as error:
            outcomes.append(error.code)

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("applied") == 1
    assert set(outcomes) <= {"applied", "conflict", "transition-not-allowed"}
    assert events(new_uow, case_id) == ["opp_gestart", "opp_afgesloten"]


def test_a_due_timer_fires_once_even_when_the_sweep_runs_twice(new_uow: UowFactory) -> None:
    """The second sweep finds nothing to fire; the case has one 'OPP te laat' event."""
    late, on_time = start(new_uow, "lln-late"), start(new_uow, "lln-on-time")
    for name, payload in [("leg_handelingsdeel_voor", None), ("registreer_instemming", INSTEMMING),
                          ("stel_in_werking", None)]:
        send(new_uow, on_time, name, payload)
    after_deadline = NOW + timedelta(weeks=7)
    first = fire_due_timers(new_uow(), REGISTRY, after_deadline, batch_size=1)
    second = fire_due_timers(new_uow(), REGISTRY, after_deadline)
    assert (first.fired, first.batches, second.fired) == (1, 1, 0)
    assert events(new_uow, late) == ["opp_gestart", "opp_te_laat"]
    assert "opp_te_laat" not in events(new_uow, on_time)


def test_a_timer_not_yet_due_does_not_fire(new_uow: UowFactory) -> None:
    """Six weeks less a minute after the start of extra support, nothing is late yet."""
    case_id = start(new_uow)
    report = fire_due_timers(new_uow(), REGISTRY, datetime(2026, 10, 12, 23, 59, tzinfo=NL))
    assert report.fired == 0
    assert events(new_uow, case_id) == ["opp_gestart"]


def test_many_due_timers_fire_across_batches(new_uow: UowFactory) -> None:
    """Batches follow each other until no due timer is left."""
    ids = [start(new_uow, f"lln-{i}") for i in range(7)]
    report = fire_due_timers(new_uow(), REGISTRY, NOW + timedelta(weeks=7), batch_size=3)
    assert (report.fired, report.batches) == (7, 3)
    assert all(events(new_uow, i) == ["opp_gestart", "opp_te_laat"] for i in ids)


def test_the_outbox_is_relayed_in_order_and_marked_only_after_delivery(new_uow: UowFactory) -> None:
    """A receiver that fails gets everything again next time; one that succeeds empties the outbox."""
    case_id = start(new_uow)
    send(new_uow, case_id, "leg_handelingsdeel_voor")

    def unreachable(_: Sequence[OutboxItem]) -> None:
        raise ConnectionError

    with pytest.raises(ConnectionError):
        relay_outbox(new_uow(), unreachable, NOW)
    received: list[tuple[str, int]] = []
    assert relay_outbox(new_uow(), lambda items: received.extend((i.case_id, i.seq) for i in items), NOW, 1) == 2
    assert received == [(case_id, 1), (case_id, 2)]
    assert pending(new_uow) == []


def test_history_keeps_when_each_event_happened_and_when_it_was_recorded(new_uow: UowFactory) -> None:
    """occurred_at and recorded_at survive the round trip."""
    case_id = start(new_uow)
    held, recorded = NOW + timedelta(days=1), NOW + timedelta(days=2)
    handle_command(new_uow(), REGISTRY, case_id, Command("leg_handelingsdeel_voor", ZC, occurred_at=held), recorded)
    with new_uow() as uow:
        last = uow.history(case_id)[-1]
    assert (last.occurred_at, last.recorded_at, last.actor) == (held, recorded, ZC)
