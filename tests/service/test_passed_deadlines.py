"""A passed deadline stays listed until it is handled (``infra.views.digests.passed_unhandled``), and the monitor's
list, the monitor's count and the weekly digest agree on it: before the timer fires, after it fired (its
'Termijn verstreken' alert in the inbox), after the alert is acknowledged; not once the case moved on or closed,
not when the deadline never passed. SQLite always; PostgreSQL when ``LEERLINGROUTE_TEST_PG_URL`` names a server.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from domain.access import Principal
from domain.case import Actor, Command
from domain.errors import NotFound
from domain.handlers import NewCase
from infra.delivery import alerts as alert_store
from infra.views.monitoring import StalledQuery
from service import Service
from tests.databases import fresh_service

ZC = Actor("zorgcoordinator", "zc-1")
READER = Principal("zc-1", "zorgcoordinator", ("14PS03",))
OPENED = datetime(2026, 9, 7, 9, 0, tzinfo=UTC)
"""An OPP opened then on 'extra ondersteuning sinds' that day: its six weeks end on 19 October."""
AFTER = datetime(2026, 10, 27, 5, 0, tzinfo=UTC)
PROFILE = "standaard"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def service(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """The service on a freshly migrated database of each kind."""
    with fresh_service(request.param, tmp_path_factory) as built:
        yield built


def open_opp(service: Service, pupil: str = "lln-1", opened: datetime = OPENED) -> str:
    command = Command("start_opp", ZC, {"extra_ondersteuning_sinds": opened.date().isoformat()})
    return service.open_case(NewCase("opp", "14PS03", pupil, PROFILE), command, opened).case_id


def listed(service: Service, at: datetime = AFTER) -> tuple[list[str], int, list[str]]:
    """The monitor's passed deadlines (case ids), its count, and the digest's passed deadlines at ``at``."""
    page = service.stalled(READER, StalledQuery(), at)
    digest = service.write_digest(PROFILE, at, at)
    assert digest.counts()["overdue"] == len(digest.overdue)
    return [t.case_id for t in page.overdue], page.overdue_total, [t.case_id for t in digest.overdue]


def fire(service: Service, at: datetime = AFTER) -> None:
    service.fire_due_timers(at)
    service.raise_alerts(at)


def test_a_passed_deadline_is_listed_before_and_after_its_timer_fired_and_after_its_alert_was_acknowledged(
        service: Service) -> None:
    late = open_opp(service)
    assert listed(service) == ([late], 1, [late])
    fire(service)
    assert listed(service) == ([late], 1, [late])
    [group], _ = alert_store.groups(service.engine, READER, "new", 10, 0, "escalatie")
    assert group.newest.case_id == late
    assert service.alert_deadline_open(READER, group.id, AFTER) is True
    service.acknowledge_alert_group(READER, group.id, None, AFTER)
    assert listed(service) == ([late], 1, [late])
    assert service.alert_deadline_open(READER, group.id, AFTER) is True


def in_werking(service: Service, case_id: str, at: datetime) -> None:
    """The OPP put to the parents, agreed and put in werking at ``at`` (three steps a minute apart)."""
    service.handle(case_id, Command("leg_handelingsdeel_voor", ZC, {}, occurred_at=at), at)
    service.handle(case_id, Command("registreer_instemming", ZC, {"gegeven_door": "ouders", "handelingsdeel_versie": 1},
                                    occurred_at=at + timedelta(minutes=1)), at + timedelta(minutes=1))
    service.handle(case_id, Command("stel_in_werking", ZC, {}, occurred_at=at + timedelta(minutes=2)),
                   at + timedelta(minutes=2))


def test_a_step_that_keeps_the_stage_or_moves_where_the_term_still_applies_does_not_handle_it(
        service: Service) -> None:
    """The OPP's six weeks passed in 'concept': recording an uitstroomprofiel keeps the stage, putting the
    handelingsdeel to the parents moves it to 'wacht op instemming', where the term still applies (the law asks
    for the OPP in werking): still listed. Once in werking it is handled, and the alert's page says so.
    """
    late = open_opp(service)
    fire(service)
    service.handle(late, Command("leg_uitstroomprofiel_vast", ZC, {"uitstroomprofiel": "vervolgonderwijs"}),
                   AFTER + timedelta(hours=1))
    assert listed(service, AFTER + timedelta(hours=2)) == ([late], 1, [late])
    service.handle(late, Command("leg_handelingsdeel_voor", ZC, {}), AFTER + timedelta(hours=3))
    assert listed(service, AFTER + timedelta(hours=4)) == ([late], 1, [late])
    [group], _ = alert_store.groups(service.engine, READER, "new", 10, 0, "escalatie")
    assert service.alert_deadline_open(READER, group.id, AFTER + timedelta(hours=4)) is True
    service.handle(late, Command("registreer_instemming", ZC, {"gegeven_door": "ouders", "handelingsdeel_versie": 1}),
                   AFTER + timedelta(hours=5))
    service.handle(late, Command("stel_in_werking", ZC, {}), AFTER + timedelta(hours=6))
    assert listed(service, AFTER + timedelta(hours=7)) == ([], 0, [])
    assert service.alert_deadline_open(READER, group.id, AFTER + timedelta(hours=7)) is False


def test_refused_consent_back_to_concept_keeps_it_listed(service: Service) -> None:
    """The parents refuse: the OPP goes back from 'wacht op instemming' to 'concept', still late."""
    late = open_opp(service)
    fire(service)
    service.handle(late, Command("leg_handelingsdeel_voor", ZC, {}), AFTER + timedelta(hours=1))
    service.handle(late, Command("weiger_instemming", ZC, {"toelichting": "ouders willen eerst overleg"}),
                   AFTER + timedelta(hours=2))
    assert listed(service, AFTER + timedelta(hours=3)) == ([late], 1, [late])


def test_a_lapsed_tlv_is_listed_until_its_herbeoordeling_has_an_outcome(service: Service) -> None:
    """A deadline whose own step moved the case (the TLV's end date passed: 'verlopen') is listed until the case
    moves on from there (here: the TLV extended).
    """
    ended = OPENED + timedelta(days=10)
    command = Command("plan_herbeoordeling", ZC, {"einddatum": ended.date().isoformat()})
    lapsed = service.open_case(NewCase("herbeoordeling", "14PS03", "lln-7", PROFILE), command, OPENED).case_id
    fire(service)
    assert set(listed(service)[0]) == {lapsed}  # the lapse, and the reminder that it is still lapsed
    service.handle(lapsed, Command("verleng", ZC, {"toelichting": "nog een jaar nodig"}), AFTER + timedelta(hours=1))
    assert listed(service, AFTER + timedelta(hours=2)) == ([], 0, [])


def test_only_a_deadline_alert_says_whether_its_deadline_is_open_and_only_to_its_recipients(
        service: Service) -> None:
    open_opp(service)
    fire(service)
    [group], _ = alert_store.groups(service.engine, READER, "new", 10, 0, "escalatie")
    with pytest.raises(NotFound):
        service.alert_deadline_open(Principal("zc-2", "zorgcoordinator", ("20XY00",)), group.id, AFTER)
    with service.engine.begin() as conn:
        alert_store.raise_alerts(conn, [alert_store.NewAlert("meldplicht", "zorgcoordinator", "14PS03", "m:1",
                                                             "Meldplicht", {"signal": "s"}, None, "lln-9")], AFTER)
    [other], _ = alert_store.groups(service.engine, READER, "new", 10, 0, "meldplicht")
    assert service.alert_deadline_open(READER, other.id, AFTER) is None


def test_a_back_dated_step_that_moves_the_case_on_handles_it_too(service: Service) -> None:
    late = open_opp(service)
    fire(service, AFTER + timedelta(days=5))
    in_werking(service, late, AFTER)
    assert listed(service, AFTER + timedelta(days=6)) == ([], 0, [])


def test_closing_the_case_handles_it(service: Service) -> None:
    late = open_opp(service)
    fire(service)
    service.handle(late, Command("sluit_af", ZC, {"reden": "verhuisd"}), AFTER + timedelta(hours=1))
    assert listed(service, AFTER + timedelta(hours=2)) == ([], 0, [])


def test_a_deadline_that_did_not_pass_or_whose_step_was_taken_in_time_is_never_listed(service: Service) -> None:
    open_opp(service, "lln-2", AFTER - timedelta(days=3))
    in_time = open_opp(service, "lln-3")
    service.handle(in_time, Command("leg_handelingsdeel_voor", ZC, {}), OPENED + timedelta(days=3))
    service.handle(in_time, Command("registreer_instemming", ZC,
                                    {"gegeven_door": "ouders", "handelingsdeel_versie": 1}), OPENED + timedelta(days=4))
    service.handle(in_time, Command("stel_in_werking", ZC, {}), OPENED + timedelta(days=5))
    fire(service)
    assert listed(service) == ([], 0, [])


def test_each_case_is_judged_by_its_own_history_not_by_another_cases(service: Service) -> None:
    """A case with a longer history (its deadline event has a higher ``seq``) that has not moved on does not
    keep a case that did move on in the list, nor the other way round.
    """
    moved = open_opp(service, "lln-4")
    waiting = open_opp(service, "lln-5")
    for day in range(1, 5):
        service.handle(waiting, Command("leg_uitstroomprofiel_vast", ZC, {"uitstroomprofiel": "vervolgonderwijs"}),
                       OPENED + timedelta(days=day))
    fire(service)
    in_werking(service, moved, AFTER + timedelta(hours=1))
    assert listed(service, AFTER + timedelta(hours=2)) == ([waiting], 1, [waiting])
