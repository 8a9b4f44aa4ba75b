"""The herbeoordeling pathway (DOMAIN.md §3 Herbeoordeling) on the Case aggregate, with time passed in."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest

from domain.case import Actor, Case, Command, Decision, Timer
from domain.context import Context, Profile
from domain.durations import NL, Duration
from domain.errors import GuardFailed, RoleNotAllowed, TransitionNotAllowed
from domain.registry import PathwayRegistry
from domain.terms import Deadline

ZC = Actor("zorgcoordinator", "zc-1")
BTO = Actor("bto", "bto-1")
SWV = Actor("swv_coordinator", "swv-1")
SYSTEM = Actor("systeem", "termijnbewaking")
REGISTRY = PathwayRegistry.builtin()
HERBEOORDELING = REGISTRY.get("herbeoordeling")

PLANNED = datetime(2026, 11, 20, 9, tzinfo=NL)
EINDDATUM = "2027-07-31"
SIX_MONTHS_BEFORE = date(2027, 1, 31)  # 31 Jul 2027 - 6 months; a Sunday, but a term counted back is never moved
SIX_MONTHS_BEFORE_OVER = datetime(2027, 2, 1, tzinfo=NL)  # the start falls due when that last day is over
DAY_AFTER_THE_END = datetime(2027, 8, 1, tzinfo=NL)
IN_HERBEOORDELING = datetime(2027, 3, 1, 10, tzinfo=NL)


def deadline_of(timer: Timer) -> Deadline:
    """The term a timer guards (every timer started since deadlines are kept has one)."""
    assert timer.deadline is not None
    return timer.deadline


def tlv_case(uitkomst: str = "toegekend", einddatum: str | None = EINDDATUM) -> Case:
    """The pupil's TLV per the cross-pathway contract: artifact besluit = {uitkomst, categorie, dates}."""
    stage = "geplaatst" if uitkomst == "toegekend" else "afgewezen_definitief"
    case = Case("tlv-1", "tlv", 1, "00KX00", "lln-1", stage, PLANNED, PLANNED)
    case.artifacts["besluit"] = {"uitkomst": uitkomst, "categorie": "laag", "startdatum": "2026-08-01",
                                 "einddatum": einddatum}
    return case


def with_siblings(*siblings: Case) -> Context:
    return Context(siblings=lambda: list(siblings))


def planned(payload: dict[str, Any] | None = None, context: Context | None = None,
            at: datetime = PLANNED) -> tuple[Case, Decision]:
    command = Command("plan_herbeoordeling", ZC, payload or {"einddatum": EINDDATUM})
    return Case.open("hb-1", HERBEOORDELING, "00KX00", "lln-1", command, at, context)


def send(case: Case, name: str, at: datetime, payload: dict[str, Any] | None = None, actor: Actor = BTO) -> Decision:
    return case.handle(HERBEOORDELING, Command(name, actor, payload or {}), at)


def fire(case: Case, timer_name: str, at: datetime) -> Decision:
    """Fire as the sweep does: at the due instant, or when the case entered its stage if that is later."""
    timer = case.timers[timer_name]
    occurred = max(timer.due_at, case.stage_entered_at)
    command = Command(timer.fires, SYSTEM, occurred_at=occurred, timer_id=timer.id)
    return case.handle(HERBEOORDELING, command, at)


def running() -> Case:
    case, _ = planned()
    fire(case, "herbeoordeling_start", SIX_MONTHS_BEFORE_OVER + timedelta(minutes=1))
    return case


def test_the_herbeoordeling_is_due_exactly_six_months_before_the_end_date_and_the_lapse_the_day_after() -> None:
    """Planned for a TLV ending 31 July 2027: the last day to start the herbeoordeling is 31 January 2027
    (it starts at midnight into 1 February), and the TLV lapses at the end of 31 July (the timer falls due
    at midnight into 1 August).
    """
    case, decision = planned()
    assert (case.stage, decision.event.type) == ("gepland", "herbeoordeling_gepland")
    assert {t.name: t.due_at for t in decision.started} == {"herbeoordeling_start": SIX_MONTHS_BEFORE_OVER,
                                                            "tlv_einde": DAY_AFTER_THE_END}
    assert {t.name: deadline_of(t).last_day for t in decision.started} == {"herbeoordeling_start": SIX_MONTHS_BEFORE,
                                                                       "tlv_einde": date(2027, 7, 31)}


def test_six_months_before_the_end_of_august_is_the_end_of_february() -> None:
    """Calendar months: 31 August minus 6 months is 28 February, the last day; due when it is over."""
    case, _ = planned({"einddatum": "2027-08-31"})
    assert deadline_of(case.timers["herbeoordeling_start"]).last_day == date(2027, 2, 28)
    assert case.timers["herbeoordeling_start"].due_at == datetime(2027, 3, 1, tzinfo=NL)


def test_the_timer_starts_the_herbeoordeling_and_the_lapse_timer_runs_on() -> None:
    """When the last day six months before the end is over, the engine starts the herbeoordeling; the end
    date still counts.
    """
    case, _ = planned()
    started = fire(case, "herbeoordeling_start", SIX_MONTHS_BEFORE_OVER + timedelta(minutes=1))
    assert (case.stage, started.event.type, started.event.occurred_at) == (
        "loopt", "herbeoordeling_gestart", SIX_MONTHS_BEFORE_OVER)
    assert list(case.timers) == ["tlv_einde"]


def test_the_herbeoordeling_can_be_started_by_hand_earlier() -> None:
    """Starting early ends the start timer; the TLV's end date still counts."""
    case, _ = planned()
    decision = send(case, "start_herbeoordeling", PLANNED + timedelta(days=30), actor=ZC)
    assert case.stage == "loopt"
    assert [t.name for t in decision.cancelled] == ["herbeoordeling_start"]
    assert list(case.timers) == ["tlv_einde"]


def test_an_outcome_before_the_herbeoordeling_started_is_refused() -> None:
    """The outcome follows the herbeoordeling; the error lists what can be done now."""
    case, _ = planned()
    with pytest.raises(TransitionNotAllowed) as refused:
        send(case, "verleng", PLANNED + timedelta(days=1))
    assert refused.value.allowed == ("start_herbeoordeling", "sluit_af")


@pytest.mark.parametrize(("command", "payload", "event", "uitkomst"), [
    ("verleng", {}, "tlv_verlenging_besloten", {"uitkomst": "verlengen", "toelichting": None}),
    ("plaats_terug", {"naar_school_brin": "14PS03", "geplande_datum": "2028-08-01"}, "terugplaatsing_besloten",
     {"uitkomst": "terugplaatsen", "naar_school_brin": "14PS03", "geplande_datum": "2028-08-01"}),
    ("overstap_lichter", {"toelichting": "Arrangement in het VO."}, "overstap_lichtere_ondersteuning_besloten",
     {"uitkomst": "lichtere_ondersteuning", "toelichting": "Arrangement in het VO."}),
])
def test_every_outcome_ends_the_herbeoordeling_and_cancels_the_lapse(
    command: str, payload: dict[str, Any], event: str, uitkomst: dict[str, Any],
) -> None:
    """Verlengen (a new TLV), terugplaatsen or lighter support: recorded, and the TLV cannot lapse unseen."""
    case = running()
    decision = send(case, command, IN_HERBEOORDELING, payload)
    assert (case.stage, decision.event.type) == ("afgerond", event)
    assert {k: v for k, v in case.artifacts["uitkomst"].items() if k != "occurred_at"} == uitkomst
    assert [t.name for t in decision.cancelled] == ["tlv_einde"]
    assert case.timers == {}


def test_a_tlv_reaching_its_end_date_without_an_outcome_raises_tlv_verlopen_zonder_herbeoordeling() -> None:
    """The coordinator gets the event the morning after the end date; the case is not final and waits
    for an outcome (a TLV never lapses silently, seed 003).
    """
    case = running()
    lapsed = fire(case, "tlv_einde", DAY_AFTER_THE_END + timedelta(minutes=1))
    assert (lapsed.event.type, lapsed.event.occurred_at) == ("tlv_verlopen_zonder_herbeoordeling", DAY_AFTER_THE_END)
    assert (case.stage, HERBEOORDELING.stages["verlopen"].final) == ("verlopen", False)
    assert case.allowed_commands(HERBEOORDELING) == ["verleng", "plaats_terug", "overstap_lichter", "sluit_af"]


def test_the_tlv_does_not_lapse_before_its_end_date_is_over() -> None:
    """On the end date itself the TLV still holds: the lapse falls due only at the start of the next day."""
    case = running()
    assert case.timers["tlv_einde"].due_at > datetime(2027, 7, 31, 23, 59, tzinfo=NL)
    assert case.timers["tlv_einde"].due_at == DAY_AFTER_THE_END


def test_a_lapsed_tlv_is_resolved_by_an_outcome() -> None:
    """After the lapse the school and BTO still decide: here, a new TLV."""
    case = running()
    fire(case, "tlv_einde", DAY_AFTER_THE_END)
    send(case, "verleng", DAY_AFTER_THE_END + timedelta(days=2))
    assert (case.stage, case.artifacts["uitkomst"]["uitkomst"]) == ("afgerond", "verlengen")


def test_the_lapse_is_raised_even_if_the_herbeoordeling_never_started() -> None:
    """A case planned too late (end date already past) still raises the lapse, not silence."""
    case, _ = planned({"einddatum": "2026-11-01"})
    lapsed = fire(case, "tlv_einde", PLANNED)
    assert (case.stage, lapsed.event.type) == ("verlopen", "tlv_verlopen_zonder_herbeoordeling")
    assert lapsed.event.occurred_at == PLANNED  # the deadline predates the case: raised when it was recorded
    assert list(case.timers) == ["verlopen_herinnering"]


def test_closing_without_an_outcome_needs_a_reason_and_ends_both_timers() -> None:
    """A pupil who left school: closed explicitly, with the reason on record."""
    case, _ = planned()
    decision = send(case, "sluit_af", PLANNED + timedelta(days=40), {"reden": "verhuisd_buiten_swv"}, actor=SWV)
    assert case.stage == "afgerond"
    assert sorted(t.name for t in decision.cancelled) == ["herbeoordeling_start", "tlv_einde"]


def test_the_zorgcoordinator_does_not_close_a_herbeoordeling_without_an_outcome() -> None:
    """Closing without outcome is for the SWV (coordinator or BTO), who answer for TLVs not lapsing."""
    case, _ = planned()
    with pytest.raises(RoleNotAllowed):
        send(case, "sluit_af", PLANNED, {"reden": "verhuisd_buiten_swv"}, actor=ZC)


def test_a_named_tlv_dossier_with_the_same_end_date_is_accepted() -> None:
    """The herbeoordeling refers to the pupil's granted TLV."""
    case, _ = planned({"einddatum": EINDDATUM, "tlv_dossier": "tlv-1"}, with_siblings(tlv_case()))
    assert {k: v for k, v in case.artifacts["tlv"].items() if k != "occurred_at"} == {
        "einddatum": EINDDATUM, "tlv_dossier": "tlv-1"}


def test_a_named_tlv_dossier_with_another_end_date_is_refused() -> None:
    """The timers hang on the end date, so it must be the one in the decision."""
    with pytest.raises(GuardFailed) as refused:
        planned({"einddatum": "2027-06-30", "tlv_dossier": "tlv-1"}, with_siblings(tlv_case()))
    assert refused.value.detail_nl == ("De einddatum 30 juni 2027 wijkt af van de einddatum 31 juli 2027 in het "
                                       "besluit van TLV-dossier tlv-1.")


def test_a_named_tlv_dossier_that_was_rejected_is_refused() -> None:
    """A rejected TLV has nothing to reassess."""
    with pytest.raises(GuardFailed) as refused:
        planned({"einddatum": EINDDATUM, "tlv_dossier": "tlv-1"}, with_siblings(tlv_case("afgewezen", None)))
    assert refused.value.detail_nl == ("TLV-dossier tlv-1 heeft geen toegekende TLV; een herbeoordeling hoort bij "
                                       "een toegekende TLV.")


def test_a_named_tlv_dossier_that_is_not_the_pupils_is_refused() -> None:
    """Only the pupil's own TLV trajectories are looked at."""
    with pytest.raises(GuardFailed) as refused:
        planned({"einddatum": EINDDATUM, "tlv_dossier": "tlv-9"}, with_siblings(tlv_case()))
    assert refused.value.detail_nl == "TLV-dossier tlv-9 van deze leerling is niet gevonden."


def test_a_lapsed_tlv_is_reported_again_every_four_weeks_until_there_is_an_outcome() -> None:
    """Lapsed at midnight into 1 August 2027: four weeks on (last day 29 August) the system reports it again,
    and again four weeks after that, while the case waits in 'verlopen'; an outcome ends the reminders.
    """
    case = running()
    fire(case, "tlv_einde", DAY_AFTER_THE_END + timedelta(minutes=1))
    assert deadline_of(case.timers["verlopen_herinnering"]).last_day == date(2027, 8, 29)
    again = fire(case, "verlopen_herinnering", datetime(2027, 8, 30, 0, 1, tzinfo=NL))
    assert (again.event.type, case.stage) == ("tlv_nog_steeds_verlopen", "verlopen")
    assert [t.name for t in again.started] == ["verlopen_herinnering"]
    assert deadline_of(case.timers["verlopen_herinnering"]).last_day == date(2027, 9, 27)
    resolved = send(case, "verleng", datetime(2027, 9, 2, 10, tzinfo=NL))
    assert ([t.name for t in resolved.cancelled], case.timers) == (["verlopen_herinnering"], {})


def test_the_reminder_period_of_a_lapsed_tlv_follows_the_profile() -> None:
    """A profile that wants a reminder every two weeks gets the first one after 15 August 2027."""
    profile = Profile("regio", "Regio", {"herbeoordeling": {"verlopen_herinnering": Duration(weeks=2)}})
    definition = PathwayRegistry.builtin(profiles={"regio": profile}).for_profile("herbeoordeling", None, "regio")
    case, _ = Case.open("hb-p", definition, "14PS03", "lln-1",
                        Command("plan_herbeoordeling", ZC, {"einddatum": EINDDATUM}), PLANNED)
    timer = case.timers["tlv_einde"]
    case.handle(definition, Command(timer.fires, SYSTEM, occurred_at=timer.due_at, timer_id=timer.id),
                DAY_AFTER_THE_END + timedelta(minutes=1))
    assert deadline_of(case.timers["verlopen_herinnering"]).last_day == date(2027, 8, 15)
