"""The thuiszitter pathway (DOMAIN.md §4) on the Case aggregate, with time passed in as instants."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest

from domain.case import Actor, Case, Command, Decision, Timer
from domain.context import Context, Profile
from domain.durations import NL
from domain.errors import GuardFailed, RoleNotAllowed
from domain.registry import PathwayRegistry
from domain.terms import Deadline

LEERPLICHT = Actor("leerplicht", "lp-1")
SWV = Actor("swv_coordinator", "swv-1")
ZC = Actor("zorgcoordinator", "zc-1")
SYSTEM = Actor("systeem", "verzuimsignaal")
THUISZITTER = PathwayRegistry.builtin().get("thuiszitter")
SINDS = date(2026, 9, 7)
REPORTED = datetime(2026, 10, 12, 9, tzinfo=NL)


def deadline_of(timer: Timer) -> Deadline:
    """The term a timer guards (every timer started since deadlines are kept has one)."""
    assert timer.deadline is not None
    return timer.deadline


def reported(by: Actor = SYSTEM, sinds: date = SINDS, soort: str = "relatief") -> tuple[Case, Decision]:
    command = Command("meld_thuiszitter", by, {"soort": soort, "sinds": sinds.isoformat()})
    return Case.open("tz-1", THUISZITTER, "14PS03", "lln-1", command, REPORTED)


def send(case: Case, name: str, at: datetime, payload: dict[str, Any] | None = None,
         actor: Actor = SWV) -> Decision:
    return case.handle(THUISZITTER, Command(name, actor, payload or {}), at)


def fire(case: Case, timer_name: str, at: datetime) -> Decision:
    timer = case.timers[timer_name]
    return case.handle(THUISZITTER, Command(timer.fires, SYSTEM, occurred_at=max(timer.due_at, case.stage_entered_at),
                                            timer_id=timer.id), at)


def with_plan() -> Case:
    case, _ = reported()
    send(case, "bespreek", REPORTED + timedelta(days=10), {"afspraken": "school zoekt passend aanbod"})
    send(case, "stel_plan_vast", REPORTED + timedelta(days=14),
         {"aanbod": "gedeeltelijk rooster met begeleiding", "regiehouder": "swv"})
    return case


def test_the_thuiszitter_issue_opens_the_trajectory_and_escalation_is_due_three_months_after_sinds() -> None:
    """Entered automatically (role systeem); the escalation's last day is 3 months after the pupil has been
    at home since (7 September 2026 → Monday 7 December 2026); it falls due when that day is over, at
    midnight (Amsterdam), and not a moment earlier.
    """
    case, decision = reported()
    expected = datetime(2026, 12, 8, tzinfo=NL)
    assert (case.stage, decision.event.type) == ("gemeld", "thuiszitter_gemeld")
    assert [(t.name, t.due_at) for t in decision.started] == [("thuiszitter_escalatie", expected)]
    assert deadline_of(case.timers["thuiszitter_escalatie"]).last_day == date(2026, 12, 7)
    assert case.timers["thuiszitter_escalatie"].due_at > datetime(2026, 12, 7, 23, 59, 59, tzinfo=NL)


@pytest.mark.parametrize("actor", [LEERPLICHT, ZC, SWV])
def test_the_trajectory_can_also_be_opened_by_hand(actor: Actor) -> None:
    """Leerplicht, the school's zorgcoördinator and the SWV coordinator can report a thuiszitter."""
    case, _ = reported(by=actor, soort="absoluut")
    assert case.artifacts["melding"]["soort"] == "absoluut"


def test_a_report_of_an_absence_that_has_not_begun_is_refused() -> None:
    """'Thuis sinds' lies on or before the day of the report."""
    with pytest.raises(GuardFailed) as refused:
        reported(sinds=date(2026, 10, 13))
    assert refused.value.detail_nl == ("De leerling zit volgens de melding sinds 2026-10-13 thuis, "
                                       "maar de melding is van 2026-10-12.")


def test_at_home_for_more_than_three_months_escalates_and_the_trajectory_goes_on() -> None:
    """The escalation fires while the plan runs; the case stays in its stage (Thuiszitterspact 2016)."""
    case = with_plan()
    decision = fire(case, "thuiszitter_escalatie", datetime(2026, 12, 8, 1, tzinfo=NL))
    assert (decision.event.type, decision.event.occurred_at) == ("thuiszitter_langer_dan_3_maanden",
                                                                 datetime(2026, 12, 8, tzinfo=NL))
    assert (case.stage, case.timers) == ("plan", {})


@pytest.mark.parametrize("stage_commands", [[], ["bespreek"]])
def test_the_escalation_can_fire_from_every_open_stage(stage_commands: list[str]) -> None:
    """Reported or discussed but not yet planned: the escalation fires as well."""
    case, _ = reported()
    for name in stage_commands:
        send(case, name, REPORTED + timedelta(days=10))
    decision = fire(case, "thuiszitter_escalatie", datetime(2026, 12, 8, tzinfo=NL))
    assert decision.event.type == "thuiszitter_langer_dan_3_maanden"


def test_back_to_school_ends_the_trajectory_and_the_escalation() -> None:
    """Terug naar onderwijs is final, with the school; no escalation will fire."""
    case = with_plan()
    decision = send(case, "terug_naar_onderwijs", REPORTED + timedelta(weeks=6), {"school_brin": "14PS03"})
    assert (case.stage, [t.name for t in decision.cancelled], case.timers) == (
        "terug_in_onderwijs", ["thuiszitter_escalatie"], {})


def test_back_to_school_names_the_school_by_its_brin_code() -> None:
    """A school is known by its BRIN code."""
    case = with_plan()
    with pytest.raises(GuardFailed) as refused:
        send(case, "terug_naar_onderwijs", REPORTED + timedelta(weeks=6), {"school_brin": "de school"})
    assert refused.value.detail_nl == ("De school waar de leerling naartoe gaat is niet met een BRIN-code opgegeven: "
                                       "'de school' is geen BRIN-code (zoals 14PS03).")


def test_leerplicht_grants_a_vrijstelling_which_ends_the_trajectory() -> None:
    """A vrijstelling (art. 5 onder a) is final and stops the escalation."""
    case = with_plan()
    decision = send(case, "vrijstelling", REPORTED + timedelta(weeks=6), {"kind": "5a"}, LEERPLICHT)
    assert (case.stage, [t.name for t in decision.cancelled]) == ("vrijgesteld", ["thuiszitter_escalatie"])
    assert case.artifacts["vrijstelling"]["kind"] == "5a"


VO_3102 = Profile("vo-31-02", "VO 31-02", settings={"verzuim": {"vrijstelling_raadpleging_swv": True}})


def test_where_the_swv_is_consulted_a_5a_records_when_and_is_refused_without_it() -> None:
    """VO 31-02 (seed 001 §4.7): leerplicht consults the SWV coordinator before a 5 onder a; without the day of
    that consultation the vrijstelling is refused, with it granted; a 5 onder b needs none.
    """
    case, _ = reported()
    send(case, "bespreek", REPORTED + timedelta(days=10), {"afspraken": "medische verklaring gevraagd"})
    at = REPORTED + timedelta(weeks=6)
    with pytest.raises(GuardFailed) as refused:
        case.handle(THUISZITTER, Command("vrijstelling", LEERPLICHT, {"kind": "5a"}), at, Context(VO_3102))
    assert [m.code for m in refused.value.missing] == ["swv-niet-geraadpleegd"]
    late = {"kind": "5a", "swv_geraadpleegd_op": "2026-12-01"}
    with pytest.raises(GuardFailed) as later:
        case.handle(THUISZITTER, Command("vrijstelling", LEERPLICHT, late), at, Context(VO_3102, instant=at))
    assert [m.code for m in later.value.missing] == ["raadpleging-na-besluit"]
    case.handle(THUISZITTER, Command("vrijstelling", LEERPLICHT, {"kind": "5a", "swv_geraadpleegd_op": "2026-11-16"}),
                at, Context(VO_3102, instant=at))
    assert case.artifacts["vrijstelling"]["swv_geraadpleegd_op"] == "2026-11-16"


def test_where_the_swv_is_consulted_a_5b_needs_no_consultation() -> None:
    """Only the medical/psychological exemption (5 onder a) goes past the SWV."""
    case, _ = reported()
    send(case, "bespreek", REPORTED + timedelta(days=10), {"afspraken": "ingeschreven elders"})
    case.handle(THUISZITTER, Command("vrijstelling", LEERPLICHT, {"kind": "5b"}), REPORTED + timedelta(weeks=6),
                Context(VO_3102))
    assert case.stage == "vrijgesteld"


def test_only_leerplicht_grants_a_vrijstelling() -> None:
    """The school and the SWV do not grant exemptions from leerplicht."""
    case = with_plan()
    with pytest.raises(RoleNotAllowed):
        send(case, "vrijstelling", REPORTED + timedelta(weeks=6), {"kind": "5a"}, SWV)


def test_only_the_actietafel_discusses_a_thuiszitter() -> None:
    """The discussion is held at the actietafel (SWV coordinator, leerplicht), not by the school alone."""
    case, _ = reported()
    assert case.allowed_commands(THUISZITTER, "zorgcoordinator") == ["terug_naar_onderwijs"]
    with pytest.raises(RoleNotAllowed):
        send(case, "bespreek", REPORTED + timedelta(days=3), actor=ZC)


def test_a_plan_is_made_after_the_discussion_and_can_be_adjusted() -> None:
    """The plan is recorded; setting it again replaces it and keeps the escalation running."""
    case = with_plan()
    running = case.timers["thuiszitter_escalatie"]
    decision = send(case, "stel_plan_vast", REPORTED + timedelta(days=30),
                    {"aanbod": "onderwijs-zorgarrangement", "regiehouder": "jeugdhulp"})
    assert (case.stage, decision.started, decision.cancelled) == ("plan", (), ())
    assert case.artifacts["plan"]["regiehouder"] == "jeugdhulp"
    assert case.timers["thuiszitter_escalatie"] == running
