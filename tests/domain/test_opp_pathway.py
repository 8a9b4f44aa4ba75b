"""The OPP pathway (DOMAIN.md §3) on the Case aggregate, with time passed in as instants."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from domain.case import Actor, Case, Command, Decision, Timer
from domain.durations import NL, Duration, add_months
from domain.errors import GuardFailed, InvalidCommand, RoleNotAllowed, TransitionNotAllowed
from domain.registry import PathwayRegistry
from domain.terms import Deadline

ZC = Actor("zorgcoordinator", "zc-1")
SYSTEM = Actor("systeem", "termijnbewaking")
START = datetime(2026, 9, 1, 9, tzinfo=NL)
REGISTRY = PathwayRegistry.builtin()
OPP = REGISTRY.get("opp")


def deadline_of(timer: Timer) -> Deadline:
    """The term a timer guards (every timer started since deadlines are kept has one)."""
    assert timer.deadline is not None
    return timer.deadline


def opened(on: datetime = START) -> tuple[Case, Decision]:
    command = Command("start_opp", ZC, {"extra_ondersteuning_sinds": on.date().isoformat()})
    return Case.open("case-1", OPP, "14PS03", "lln-1", command, on)


def send(case: Case, name: str, at: datetime, payload: dict[str, Any] | None = None,
         actor: Actor = ZC, occurred_at: datetime | None = None) -> Decision:
    return case.handle(OPP, Command(name, actor, payload or {}, occurred_at), at)


def fire(case: Case, timer_name: str, at: datetime) -> Decision:
    timer = case.timers[timer_name]
    return case.handle(OPP, Command(timer.fires, SYSTEM, occurred_at=timer.due_at, timer_id=timer.id), at)


def in_werking(at: datetime = START) -> Case:
    case, _ = opened(at)
    send(case, "leg_handelingsdeel_voor", at + timedelta(days=7))
    send(case, "registreer_instemming", at + timedelta(days=14), {"gegeven_door": "ouders", "handelingsdeel_versie": 1})
    send(case, "stel_in_werking", at + timedelta(days=14))
    return case


def test_opening_an_opp_starts_the_six_week_deadline_from_the_start_of_extra_support() -> None:
    """The OPP must be in werking within 6 weeks after extra ondersteuning starts (law): from Tuesday
    1 September 2026 the last day is Tuesday 13 October, and the term has passed at midnight into the 14th.
    """
    case, decision = opened()
    assert case.stage == "concept"
    assert decision.event.type == "opp_gestart"
    assert [(t.name, t.due_at) for t in decision.started] == [("opp_termijn", datetime(2026, 10, 14, tzinfo=NL))]
    assert deadline_of(case.timers["opp_termijn"]).last_day == date(2026, 10, 13)


def test_the_handelingsdeel_needs_parental_instemming_before_the_opp_is_in_werking() -> None:
    """'In werking' without a recorded instemming is refused with a message that says so."""
    case, _ = opened()
    send(case, "leg_handelingsdeel_voor", START)
    with pytest.raises(GuardFailed) as refused:
        send(case, "stel_in_werking", START)
    assert "De instemming van ouders met het handelingsdeel ontbreekt" in refused.value.detail_nl
    assert [m.code for m in refused.value.missing] == ["instemming-ontbreekt"]
    assert (case.stage, case.version) == ("wacht_op_instemming", 2)


def test_the_instemming_records_who_gave_it_when_and_for_which_version() -> None:
    """The instemming artifact holds who, when (the occurred_at) and the handelingsdeel version."""
    case, _ = opened()
    send(case, "leg_handelingsdeel_voor", START)
    given = START + timedelta(days=3)
    send(case, "registreer_instemming", START + timedelta(days=4),
         {"gegeven_door": "voogd", "handelingsdeel_versie": 1}, occurred_at=given)
    assert case.artifacts["instemming"] == {"gegeven_door": "voogd", "handelingsdeel_versie": 1,
                                            "occurred_at": given.isoformat()}


def test_an_instemming_for_another_version_than_the_one_presented_is_refused() -> None:
    """Parents consent to the version they were shown, not to another one."""
    case, _ = opened()
    send(case, "leg_handelingsdeel_voor", START)
    with pytest.raises(GuardFailed) as refused:
        send(case, "registreer_instemming", START, {"gegeven_door": "ouders", "handelingsdeel_versie": 2})
    assert refused.value.detail_nl == ("De instemming noemt versie 2 van het handelingsdeel, "
                                       "maar de voorgelegde versie is 1.")


def test_in_werking_cancels_the_six_week_deadline_and_starts_the_yearly_evaluation() -> None:
    """The evaluation falls due when the day 12 months after the instemming was given is over."""
    case, _ = opened()
    send(case, "leg_handelingsdeel_voor", START)
    send(case, "registreer_instemming", START + timedelta(days=10),
         {"gegeven_door": "ouders", "handelingsdeel_versie": 1}, occurred_at=START + timedelta(days=8))
    decision = send(case, "stel_in_werking", START + timedelta(days=10))
    assert [t.name for t in decision.cancelled] == ["opp_termijn"]
    # instemming on 9 September 2026 → last day 9 September 2027 (more than three months: no Atw)
    assert [(t.name, t.due_at) for t in decision.started] == [("evaluatie", datetime(2027, 9, 10, tzinfo=NL))]
    assert deadline_of(case.timers["evaluatie"]).last_day == date(2027, 9, 9)
    assert list(case.timers) == ["evaluatie"]


def test_an_opp_not_in_werking_within_six_weeks_raises_opp_te_laat_and_stays_where_it_is() -> None:
    """The timer fires the 'OPP te laat' event; the case keeps waiting for the instemming."""
    case, _ = opened()
    send(case, "leg_handelingsdeel_voor", START)
    decision = fire(case, "opp_termijn", START + timedelta(weeks=7))
    assert decision.event.type == "opp_te_laat"
    assert decision.event.occurred_at == datetime(2026, 10, 14, tzinfo=NL)  # the end of Tuesday 13 October
    assert decision.fired is not None
    assert (case.stage, case.timers) == ("wacht_op_instemming", {})


def test_refused_instemming_sends_the_opp_back_to_concept_without_restarting_the_deadline() -> None:
    """The six weeks still count from the start of extra support."""
    case, _ = opened()
    send(case, "leg_handelingsdeel_voor", START)
    deadline = case.timers["opp_termijn"]
    decision = send(case, "weiger_instemming", START + timedelta(days=5))
    assert case.stage == "concept"
    assert decision.started == ()
    assert case.timers["opp_termijn"] == deadline


def test_the_yearly_evaluation_falls_due_and_continuing_starts_the_next_year() -> None:
    """Evaluated with the parents, the OPP continues and the next evaluation is a year later."""
    case = in_werking()
    due = fire(case, "evaluatie", START + timedelta(days=400))
    assert (due.event.type, case.stage) == ("evaluatie_verschuldigd", "evaluatie_verschuldigd")
    evaluated_on = START + timedelta(days=390)  # Sunday 26 September 2027
    send(case, "registreer_evaluatie", START + timedelta(days=401), {"met_ouders_besproken": True},
         occurred_at=evaluated_on)
    decision = send(case, "continueer", START + timedelta(days=401))
    assert case.stage == "in_werking"
    # 26 September 2027 + 12 months → last day 26 September 2028; due at midnight into the 27th
    assert [(t.name, t.due_at) for t in decision.started] == [("evaluatie", datetime(2028, 9, 27, tzinfo=NL))]
    assert deadline_of(case.timers["evaluatie"]).last_day == date(2028, 9, 26)


def test_an_evaluation_without_the_parents_is_refused() -> None:
    """The OPP is evaluated with the parents (law)."""
    case = in_werking()
    with pytest.raises(GuardFailed) as refused:
        send(case, "registreer_evaluatie", START + timedelta(days=200), {"met_ouders_besproken": False})
    assert refused.value.detail_nl == "De evaluatie van het OPP is niet met de ouders besproken."


def test_a_changed_handelingsdeel_needs_a_new_instemming_before_it_is_in_force() -> None:
    """After bijstelling, the instemming with version 1 no longer suffices."""
    case = in_werking()
    send(case, "registreer_evaluatie", START + timedelta(days=200), {"met_ouders_besproken": True})
    send(case, "stel_bij", START + timedelta(days=200))
    with pytest.raises(GuardFailed) as refused:
        send(case, "stel_in_werking", START + timedelta(days=201))
    assert refused.value.detail_nl == ("De instemming van ouders met versie 2 van het handelingsdeel ontbreekt; "
                                       "er is alleen instemming met versie 1.")
    send(case, "registreer_instemming", START + timedelta(days=205),
         {"gegeven_door": "ouders", "handelingsdeel_versie": 2})
    send(case, "stel_in_werking", START + timedelta(days=205))
    assert case.stage == "in_werking"


def test_a_command_not_allowed_in_the_stage_names_the_stage_and_the_commands_allowed() -> None:
    """The error lists what people may do instead; the timer's own command is not offered."""
    case, _ = opened()
    with pytest.raises(TransitionNotAllowed) as refused:
        send(case, "continueer", START)
    assert refused.value.message == ("Can't continueer when in concept; allowed: leg_handelingsdeel_voor, "
                                     "leg_uitstroomprofiel_vast, sluit_af")


def test_a_role_that_may_not_issue_the_command_is_refused() -> None:
    """A SWV coordinator does not record the parents' instemming; the school does."""
    case, _ = opened()
    send(case, "leg_handelingsdeel_voor", START)
    with pytest.raises(RoleNotAllowed):
        send(case, "registreer_instemming", START, {"gegeven_door": "ouders", "handelingsdeel_versie": 1},
             actor=Actor("swv_coordinator", "swv-1"))


def test_people_cannot_issue_the_timers_commands() -> None:
    """'OPP te laat' is raised by the engine only."""
    case, _ = opened()
    with pytest.raises(RoleNotAllowed):
        send(case, "meld_opp_te_laat", START)


@pytest.mark.parametrize(("payload", "problem"), [
    ({}, "Veld 'gegeven_door' (instemming gegeven door) ontbreekt."),
    ({"gegeven_door": "buurman", "handelingsdeel_versie": 1},
     "moet een van ouders, ouder, voogd, leerling_18_plus zijn"),
    ({"gegeven_door": "ouders", "handelingsdeel_versie": "een"}, "moet een geheel getal zijn"),
    ({"gegeven_door": "ouders", "handelingsdeel_versie": 1, "naam": "Jan"}, "Onbekend veld 'naam'."),
])
def test_a_malformed_payload_is_refused_naming_the_field(payload: dict[str, Any], problem: str) -> None:
    """Each problem with the payload is named; the case does not change."""
    case, _ = opened()
    send(case, "leg_handelingsdeel_voor", START)
    with pytest.raises(InvalidCommand) as refused:
        send(case, "registreer_instemming", START, payload)
    assert any(problem in p for p in refused.value.problems)
    assert case.version == 2


def test_an_event_records_when_it_happened_and_when_it_was_recorded() -> None:
    """A meeting recorded the next day keeps its own date as occurred_at."""
    case, _ = opened()
    held, recorded = START + timedelta(days=2), START + timedelta(days=3)
    decision = send(case, "leg_handelingsdeel_voor", recorded, occurred_at=held)
    assert (decision.event.occurred_at, decision.event.recorded_at) == (held, recorded)
    assert case.stage_entered_at == held


@pytest.mark.parametrize(("occurred_at", "problem"), [
    (START + timedelta(minutes=1), "Het tijdstip 'occurred_at' ligt in de toekomst."),
    (datetime(2026, 9, 1, 8), "Het tijdstip 'occurred_at' mist een tijdzone."),  # noqa: DTZ001 - the point
])
def test_an_instant_in_the_future_or_without_timezone_is_refused(occurred_at: datetime, problem: str) -> None:
    """Events happen before they are recorded, at a definite instant."""
    case, _ = opened()
    with pytest.raises(InvalidCommand) as refused:
        send(case, "leg_handelingsdeel_voor", START, occurred_at=occurred_at)
    assert refused.value.problems == (problem,)


def test_events_carry_the_definition_version_the_case_runs_under() -> None:
    """A decision records which version of the pathway it was taken under."""
    _, decision = opened()
    assert (decision.event.pathway, decision.event.definition_version) == ("opp", 1)


def test_the_evaluation_interval_is_configurable() -> None:
    """A region may evaluate more often than the yearly minimum."""
    half_yearly = REGISTRY.with_durations({"opp": {"evaluatie": Duration(months=6)}}).get("opp")
    case, _ = Case.open("c", half_yearly, "14PS03", "lln-2",
                        Command("start_opp", ZC, {"extra_ondersteuning_sinds": "2026-09-01"}), START)
    case.handle(half_yearly, Command("leg_handelingsdeel_voor", ZC), START)
    case.handle(half_yearly, Command("registreer_instemming", ZC, {"gegeven_door": "ouders",
                                                                   "handelingsdeel_versie": 1}), START)
    decision = case.handle(half_yearly, Command("stel_in_werking", ZC), START)
    # instemming on 1 September 2026 + 6 months → last day Monday 1 March 2027; due at midnight into the 2nd
    assert deadline_of(decision.started[0]).last_day == date(2027, 3, 1)
    assert decision.started[0].due_at == datetime(2027, 3, 2, tzinfo=NL)


def test_calendar_months_clamp_to_the_end_of_a_shorter_month() -> None:
    """31 January plus one month is the last day of February."""
    assert add_months(datetime(2027, 1, 31, tzinfo=UTC), 1) == datetime(2027, 2, 28, tzinfo=UTC)
    assert add_months(datetime(2028, 1, 31, tzinfo=UTC), 1) == datetime(2028, 2, 29, tzinfo=UTC)


def test_a_step_cannot_have_happened_before_the_case_entered_its_stage() -> None:
    """An instemming dated before the handelingsdeel was presented is refused, saying why."""
    case, _ = opened()
    send(case, "leg_handelingsdeel_voor", START + timedelta(days=7))
    with pytest.raises(InvalidCommand) as refused:
        send(case, "registreer_instemming", START + timedelta(days=8), {"gegeven_door": "ouders",
             "handelingsdeel_versie": 1}, occurred_at=START + timedelta(days=6))
    presented = (START + timedelta(days=7)).isoformat()
    expected = (f"Het tijdstip 'occurred_at' ligt vóór {presented}, toen het dossier in fase "
                "'Handelingsdeel wacht op instemming van ouders' kwam.")
    assert refused.value.problems == (expected,)


# --- the uitstroomprofiel (seed 001 §4.5.2) -----------------------------------------------------


def test_an_opp_started_with_an_uitstroomprofiel_records_it() -> None:
    """The uitstroomprofiel (vervolgonderwijs, arbeid, dagbesteding) given at the start is on record for a TLV."""
    command = Command("start_opp", ZC, {"extra_ondersteuning_sinds": "2026-09-01", "uitstroomprofiel": "arbeid"})
    case, decision = Case.open("case-1", OPP, "14PS03", "lln-1", command, START)
    assert case.artifacts["uitstroomprofiel"]["uitstroomprofiel"] == "arbeid"
    assert decision.event.payload["uitstroomprofiel_uitstroomprofiel"] == "arbeid"


def test_an_opp_started_without_an_uitstroomprofiel_records_none_and_can_record_it_later() -> None:
    """Existing callers start an OPP without one; it can be recorded (or changed) in any open stage."""
    case = in_werking()
    assert "uitstroomprofiel" not in case.artifacts
    decision = send(case, "leg_uitstroomprofiel_vast", START + timedelta(days=20),
                    {"uitstroomprofiel": "dagbesteding", "toelichting": "Arbeidsmatige dagbesteding."})
    assert (case.stage, decision.event.type) == ("in_werking", "uitstroomprofiel_vastgelegd")
    assert case.artifacts["uitstroomprofiel"]["uitstroomprofiel"] == "dagbesteding"


def test_an_uitstroomprofiel_outside_the_three_is_refused_naming_the_choices() -> None:
    """Only vervolgonderwijs, arbeid and dagbesteding are uitstroomprofielen (seed 001)."""
    case, _ = opened()
    with pytest.raises(InvalidCommand) as refused:
        send(case, "leg_uitstroomprofiel_vast", START, {"uitstroomprofiel": "mbo"})
    assert refused.value.problems == (
        "Veld 'uitstroomprofiel' (uitstroomprofiel): moet een van vervolgonderwijs, arbeid, dagbesteding zijn.",)
