"""The zorgplicht pathway (DOMAIN.md §3 Zorgplicht) on the Case aggregate, with time passed in as instants."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest

from domain.case import Actor, Case, Command, Decision, Timer
from domain.context import Context
from domain.durations import NL
from domain.errors import GuardFailed, RoleNotAllowed
from domain.registry import PathwayRegistry
from domain.terms import Deadline

ZC = Actor("zorgcoordinator", "zc-1")
SWV = Actor("swv_coordinator", "swv-1")
SYSTEM = Actor("systeem", "termijnbewaking")
ZORGPLICHT = PathwayRegistry.builtin().get("zorgplicht")
SCHOOL = "20AB01"
AANGEMELD_OP = "2026-09-14"
RECORDED = datetime(2026, 9, 15, 9, tzinfo=NL)
LAST_DAY = date(2026, 10, 26)
"""Six weeks after Monday 14 September 2026: Monday 26 October 2026, a working day."""
DUE = datetime(2026, 10, 27, tzinfo=NL)
"""The end of the last day: midnight in Amsterdam into 27 October (after summer time ended)."""


def deadline_of(timer: Timer) -> Deadline:
    """The term a timer guards (every timer started since deadlines are kept has one)."""
    assert timer.deadline is not None
    return timer.deadline


def opened(payload: dict[str, Any] | None = None) -> tuple[Case, Decision]:
    command = Command("registreer_aanmelding", ZC, payload or {"aangemeld_op": AANGEMELD_OP, "schriftelijk": True})
    return Case.open("zp-1", ZORGPLICHT, SCHOOL, "lln-1", command, RECORDED)


def send(case: Case, name: str, at: datetime, payload: dict[str, Any] | None = None, actor: Actor = ZC) -> Decision:
    return case.handle(ZORGPLICHT, Command(name, actor, payload or {}), at)


def fire(case: Case, timer_name: str, at: datetime) -> Decision:
    timer = case.timers[timer_name]
    return case.handle(ZORGPLICHT, Command(timer.fires, SYSTEM, occurred_at=timer.due_at, timer_id=timer.id), at)


def extend(case: Case, at: datetime, *, informed: bool = True) -> Decision:
    return send(case, "verleng_termijn", at, {"reden": "onderzoek naar de ondersteuningsbehoefte",
                                              "ouders_geinformeerd": informed})


def test_a_written_aanmelding_starts_the_six_week_decision_term_from_its_date() -> None:
    """The school decides within 6 weeks after the written aanmelding (law): its last day is the day with
    the same weekday six weeks after the aanmelding, and the term has passed when that day is over.
    """
    case, decision = opened()
    assert (case.stage, decision.event.type) == ("aangemeld", "schriftelijk_aangemeld")
    assert [(t.name, t.due_at) for t in decision.started] == [("beslistermijn", DUE)]
    assert deadline_of(case.timers["beslistermijn"]).last_day == LAST_DAY
    assert date.fromisoformat(AANGEMELD_OP) + timedelta(weeks=6) == LAST_DAY


def test_an_aanmelding_that_is_not_written_does_not_start_the_zorgplicht() -> None:
    """Zorgplicht and the term start with a written aanmelding."""
    with pytest.raises(GuardFailed) as refused:
        opened({"aangemeld_op": AANGEMELD_OP, "schriftelijk": False})
    assert refused.value.detail_nl == "De zorgplicht en de beslistermijn gaan pas in na een schriftelijke aanmelding."


def test_the_term_runs_out_without_a_decision_and_the_alert_is_raised() -> None:
    """At the end of the last day of the 6 weeks the system raises 'beslistermijn verstreken'; the case still
    awaits a decision.
    """
    case, _ = opened()
    decision = fire(case, "beslistermijn", DUE + timedelta(hours=2))
    assert (decision.event.type, decision.event.occurred_at) == ("beslistermijn_verstreken", DUE)
    assert (case.stage, case.timers) == ("aangemeld", {})


def test_the_extension_moves_the_due_date_by_exactly_four_weeks() -> None:
    """Extended once by 4 weeks: the old deadline ends, a new one takes its place, its last day four weeks
    later (Monday 23 November 2026, due at midnight into the 24th).
    """
    case, _ = opened()
    decision = extend(case, RECORDED + timedelta(weeks=3))
    assert [t.due_at for t in decision.cancelled] == [DUE]
    assert [deadline_of(t).last_day for t in decision.started] == [LAST_DAY + timedelta(weeks=4)] == [
        date(2026, 11, 23)]
    assert [t.due_at for t in decision.started] == [DUE + timedelta(weeks=4)] == [datetime(2026, 11, 24, tzinfo=NL)]
    assert case.timers["beslistermijn"].id != decision.cancelled[0].id
    assert case.artifacts["verlenging"]["reden"] == "onderzoek naar de ondersteuningsbehoefte"


def test_the_term_can_be_extended_only_once() -> None:
    """A second extension is refused and the due date stays where the first put it."""
    case, _ = opened()
    extend(case, RECORDED + timedelta(weeks=3))
    with pytest.raises(GuardFailed) as refused:
        extend(case, RECORDED + timedelta(weeks=5))
    assert refused.value.detail_nl == ("'Beslistermijn eenmaal met 4 weken verlengen' kan maar één keer; "
                                       "dat is al gebeurd.")
    assert case.timers["beslistermijn"].due_at == DUE + timedelta(weeks=4)


def test_an_extension_without_informing_the_parents_is_refused() -> None:
    """The parents are told in writing, with the reason (law)."""
    case, _ = opened()
    with pytest.raises(GuardFailed) as refused:
        extend(case, RECORDED + timedelta(weeks=3), informed=False)
    assert refused.value.detail_nl == "Ouders moeten schriftelijk over de verlenging zijn geïnformeerd."
    assert case.timers["beslistermijn"].due_at == DUE


def test_an_extension_after_the_term_has_passed_is_refused() -> None:
    """The term is extended within the six weeks (its last day included), not after them."""
    in_time, _ = opened()
    extend(in_time, datetime(2026, 10, 26, 23, 0, tzinfo=NL))
    assert deadline_of(in_time.timers["beslistermijn"]).last_day == date(2026, 11, 23)
    case, _ = opened()
    fire(case, "beslistermijn", DUE + timedelta(hours=1))
    with pytest.raises(GuardFailed) as refused:
        extend(case, DUE + timedelta(days=1))
    assert refused.value.detail_nl == ("De beslistermijn van 6 weken is al verstreken; "
                                       "verlengen kan alleen binnen die termijn.")


def test_an_extension_after_the_last_day_is_refused_even_before_the_sweep_reported_it() -> None:
    """At 08:00 on 27 October the term has passed although its timer has not fired yet: too late to extend."""
    case, _ = opened()
    late = datetime(2026, 10, 27, 8, 0, tzinfo=NL)
    with pytest.raises(GuardFailed) as refused:
        case.handle(ZORGPLICHT, Command("verleng_termijn", ZC, {"reden": "onderzoek", "ouders_geinformeerd": True}),
                    late, Context(instant=late))
    assert refused.value.missing[0].code == "beslistermijn-verstreken"
    assert "beslistermijn" in case.timers


def test_admitting_the_pupil_ends_the_case_and_the_term() -> None:
    """Toegelaten is final; no alert will fire."""
    case, _ = opened()
    decision = send(case, "laat_toe", RECORDED + timedelta(weeks=2))
    assert (case.stage, [t.name for t in decision.cancelled], case.timers) == ("toegelaten", ["beslistermijn"], {})


def test_a_referral_without_naming_a_school_is_refused() -> None:
    """Refusing a pupil without a named school that admits the pupil is not allowed (law)."""
    case, _ = opened()
    with pytest.raises(GuardFailed) as refused:
        send(case, "verwijs_door", RECORDED + timedelta(weeks=2))
    assert refused.value.detail_nl == ("Doorverwijzen kan alleen naar een met name genoemde school die de leerling "
                                       "toelaat; er is geen school genoemd.")
    assert case.stage == "aangemeld"


def test_a_referral_to_a_school_that_has_not_confirmed_admission_is_refused() -> None:
    """The other school must admit the pupil."""
    case, _ = opened()
    with pytest.raises(GuardFailed) as refused:
        send(case, "verwijs_door", RECORDED + timedelta(weeks=2),
             {"naar_school": "20CD00", "toelating_bevestigd": False})
    assert refused.value.detail_nl == ("Doorverwijzen kan alleen naar een school die de leerling toelaat; "
                                       "school 20CD00 heeft de toelating niet bevestigd.")


def test_a_referral_to_the_school_of_aanmelding_itself_is_refused() -> None:
    """A referral names another school."""
    case, _ = opened()
    with pytest.raises(GuardFailed) as refused:
        send(case, "verwijs_door", RECORDED + timedelta(weeks=2), {"naar_school": SCHOOL, "toelating_bevestigd": True})
    assert refused.value.detail_nl == ("Doorverwijzen kan alleen naar een andere school dan de school van "
                                       "aanmelding (20AB01).")


def test_a_referral_to_a_named_school_that_admits_the_pupil_ends_the_case() -> None:
    """Doorverwezen is final and records the school that admits the pupil."""
    case, _ = opened()
    decision = send(case, "verwijs_door", RECORDED + timedelta(weeks=2),
                    {"naar_school": "20CD00", "toelating_bevestigd": True})
    assert (decision.event.type, case.stage) == ("leerling_doorverwezen", "doorverwezen")
    assert case.artifacts["doorverwijzing"]["naar_school"] == "20CD00"
    assert case.timers == {}


def impasse() -> Case:
    case, _ = opened()
    send(case, "meld_impasse", RECORDED + timedelta(weeks=5), {"toelichting": "geen school kan een plek bieden"})
    return case


def test_an_impasse_goes_to_the_swv_and_stops_the_schools_term() -> None:
    """The SWV takes over; the school's own decision term no longer applies."""
    case = impasse()
    assert (case.stage, case.timers) == ("bij_swv", {})


@pytest.mark.parametrize("role", ["zorgcoordinator", "bto", "leerplicht"])
def test_only_the_swv_coordinator_takes_the_binding_decision(role: str) -> None:
    """The SWV's doorzettingsmacht (seed 001 §9.3): nobody else decides."""
    case = impasse()
    with pytest.raises(RoleNotAllowed):
        send(case, "neem_bindend_besluit", RECORDED + timedelta(weeks=7),
             {"besluit": "plaatsen_elders", "school_brin": "20CD00"}, Actor(role, "x-1"))
    assert case.stage == "bij_swv"


def test_the_swv_coordinators_binding_decision_ends_the_case() -> None:
    """The binding decision names the school that admits the pupil."""
    case = impasse()
    decision = send(case, "neem_bindend_besluit", RECORDED + timedelta(weeks=7),
                    {"besluit": "plaatsen_elders", "school_brin": "20CD00"}, SWV)
    assert (decision.event.type, case.stage, ZORGPLICHT.stages[case.stage].final) == (
        "bindend_besluit_genomen", "bindend_besloten", True)


def test_a_binding_decision_to_admit_names_the_school_of_aanmelding() -> None:
    """'Toelaten' means the school of aanmelding admits the pupil, not another one."""
    case = impasse()
    with pytest.raises(GuardFailed) as refused:
        send(case, "neem_bindend_besluit", RECORDED + timedelta(weeks=7),
             {"besluit": "toelaten", "school_brin": "20CD00"}, SWV)
    assert refused.value.detail_nl == ("Bij het besluit 'toelaten' laat de school van aanmelding (20AB01) de leerling "
                                       "toe, niet school 20CD00.")
