"""The transfer pathways (DOMAIN.md §3): VSO -> VO, S(B)O -> BaO terugplaatsing and PO -> VO, on the
Case aggregate with time passed in as instants.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest

from domain.case import Actor, Case, Command, Decision, Timer
from domain.context import Context, Profile
from domain.definition import PathwayDefinition
from domain.durations import NL, start_of_day
from domain.errors import GuardFailed, RoleNotAllowed
from domain.registry import PathwayRegistry
from domain.terms import Deadline

ZC = Actor("zorgcoordinator", "zc-1")
SWV = Actor("swv_coordinator", "swv-1")
SYSTEM = Actor("systeem", "termijnbewaking")
REGISTRY = PathwayRegistry.builtin()
VSO_VO = REGISTRY.get("vso_vo_overstap")
TERUG = REGISTRY.get("terugplaatsing")
PO_VO = REGISTRY.get("po_vo_overstap")


def deadline_of(timer: Timer) -> Deadline:
    """The term a timer guards (every timer started since deadlines are kept has one)."""
    assert timer.deadline is not None
    return timer.deadline


def send(definition: PathwayDefinition, case: Case, name: str, at: datetime, payload: dict[str, Any] | None = None,
         actor: Actor = ZC, context: Context | None = None) -> Decision:
    return case.handle(definition, Command(name, actor, payload or {}), at, context)


def fire(definition: PathwayDefinition, case: Case, timer_name: str, at: datetime) -> Decision:
    timer = case.timers[timer_name]
    return case.handle(definition, Command(timer.fires, SYSTEM, occurred_at=max(timer.due_at, case.stage_entered_at),
                                           timer_id=timer.id), at)


# --- VSO -> VO -----------------------------------------------------------------------------------

PLANNED_ON = datetime(2026, 9, 1, 9, tzinfo=NL)
TRANSFER = date(2027, 3, 1)


def planned(transfer: date = TRANSFER, on: datetime = PLANNED_ON) -> tuple[Case, Decision]:
    command = Command("plan_overstap", ZC, {"geplande_overstapdatum": transfer.isoformat(), "vo_school": "20AB01"})
    return Case.open("vso-1", VSO_VO, "03XY00", "lln-1", command, on)


def placed(at: datetime) -> Case:
    case, _ = planned()
    send(VSO_VO, case, "start_orientatie", PLANNED_ON + timedelta(days=7), {"vo_school_betrokken": True})
    send(VSO_VO, case, "start_overdracht", PLANNED_ON + timedelta(days=60))
    send(VSO_VO, case, "registreer_plaatsing", at, {"vo_school": "20AB01"})
    return case


def test_the_orientation_alert_falls_due_when_the_day_five_months_before_the_planned_transfer_is_over() -> None:
    """The orientation phase starts at least 5 months before the transfer (seed 001 §4.5.3): the last day
    is T minus 5 months (1 March 2027 - 5 months = Thursday 1 October 2026); the timer falls due at midnight
    (Amsterdam) into the next day, and not a moment earlier.
    """
    case, decision = planned()
    expected = datetime(2026, 10, 2, tzinfo=NL)
    assert [(t.name, t.due_at) for t in decision.started] == [("orientatie_start", expected)]
    assert deadline_of(case.timers["orientatie_start"]).last_day == date(2026, 10, 1)
    assert case.timers["orientatie_start"].due_at > datetime(2026, 10, 1, 23, 59, 59, tzinfo=NL)


def test_five_calendar_months_before_the_end_of_a_long_month_clamps_to_the_shorter_month() -> None:
    """A transfer on 31 July: the orientation's last day is 28 February (calendar months; a Sunday, but a
    term counted back is not moved), due at midnight into 1 March.
    """
    _, decision = planned(date(2027, 7, 31))
    assert deadline_of(decision.started[0]).last_day == date(2027, 2, 28)
    assert decision.started[0].due_at == datetime(2027, 3, 1, tzinfo=NL)


def test_orientation_not_started_in_time_raises_the_alert_and_the_case_stays_planned() -> None:
    """The system raises 'oriëntatie te laat' when the day T-5 months is over; orientation can still start
    after it.
    """
    case, _ = planned()
    decision = fire(VSO_VO, case, "orientatie_start", datetime(2026, 10, 2, 6, tzinfo=NL))
    assert decision.event.type == "orientatie_te_laat"
    assert decision.event.occurred_at == datetime(2026, 10, 2, tzinfo=NL)
    assert (case.stage, case.timers) == ("gepland", {})
    send(VSO_VO, case, "start_orientatie", datetime(2026, 10, 3, tzinfo=NL), {"vo_school_betrokken": True})
    assert case.stage == "orientatie"


def test_starting_the_orientation_cancels_the_alert() -> None:
    """Orientation started in time: no alert will fire."""
    case, _ = planned()
    decision = send(VSO_VO, case, "start_orientatie", PLANNED_ON + timedelta(days=7), {"vo_school_betrokken": True})
    assert [t.name for t in decision.cancelled] == ["orientatie_start"]
    assert (case.stage, case.timers) == ("orientatie", {})


def test_the_orientation_needs_the_receiving_vo_school_involved() -> None:
    """The receiving VO school is involved early (seed 001 §4.5.3)."""
    case, _ = planned()
    with pytest.raises(GuardFailed) as refused:
        send(VSO_VO, case, "start_orientatie", PLANNED_ON, {"vo_school_betrokken": False})
    assert refused.value.detail_nl == ("De ontvangende VO-school moet vanaf het begin bij de oriëntatiefase "
                                       "betrokken zijn.")
    assert case.stage == "gepland"


def test_the_receiving_vo_school_is_named_by_its_brin_code() -> None:
    """A transfer is planned to a school known by its BRIN code."""
    command = Command("plan_overstap", ZC, {"geplande_overstapdatum": "2027-03-01", "vo_school": "Het Lyceum"})
    with pytest.raises(GuardFailed) as refused:
        Case.open("vso-2", VSO_VO, "03XY00", "lln-1", command, PLANNED_ON)
    assert refused.value.detail_nl == ("De ontvangende VO-school is niet met een BRIN-code opgegeven: "
                                       "'Het Lyceum' is geen BRIN-code (zoals 14PS03).")


def test_nazorg_starts_three_months_after_placement_and_records_whether_it_succeeded() -> None:
    """Success of the transfer is followed up (seed 001 §4.5.3): once the day 3 months after placement is
    over (placed 1 March 2027 → last day 1 June 2027, due at midnight into 2 June).
    """
    placed_at = datetime(2027, 3, 1, 10, tzinfo=NL)
    case = placed(placed_at)
    assert deadline_of(case.timers["nazorg"]).last_day == date(2027, 6, 1)
    assert case.timers["nazorg"].due_at == datetime(2027, 6, 2, tzinfo=NL)
    decision = fire(VSO_VO, case, "nazorg", datetime(2027, 6, 2, 11, tzinfo=NL))
    assert (decision.event.type, case.stage) == ("nazorg_gestart", "nazorg")
    done = send(VSO_VO, case, "rond_nazorg_af", datetime(2027, 6, 10, tzinfo=NL), {"plaatsing_succesvol": True})
    assert (done.event.type, case.stage) == ("overstap_afgerond", "afgerond")
    assert case.artifacts["nazorg"]["plaatsing_succesvol"] is True


def test_people_cannot_start_the_nazorg_before_its_time() -> None:
    """Nazorg is started by the timer, not by hand before the three months are over."""
    case = placed(datetime(2027, 3, 1, 10, tzinfo=NL))
    with pytest.raises(RoleNotAllowed):
        send(VSO_VO, case, "start_nazorg", datetime(2027, 3, 2, tzinfo=NL))
    assert case.allowed_commands(VSO_VO) == []


def test_a_cancelled_transfer_stops_the_orientation_alert() -> None:
    """Cancelled with a reason, the case is final and no alert is pending."""
    case, _ = planned()
    decision = send(VSO_VO, case, "annuleer", PLANNED_ON + timedelta(days=3), {"reden": "blijft op het VSO"})
    assert (case.stage, [t.name for t in decision.cancelled], case.timers) == ("geannuleerd", ["orientatie_start"], {})


# --- S(B)O -> BaO terugplaatsing -------------------------------------------------------------------

SBO_ON = datetime(2026, 11, 2, 9, tzinfo=NL)


def knooppunt(uitkomst: str, stage: str = "gehouden") -> Case:
    """A pupil's knooppunt trajectory, per the cross-pathway contract (stage 'gehouden', artifact 'uitkomst')."""
    held = datetime(2026, 10, 20, 15, tzinfo=NL)
    return Case("kp-1", "knooppunt", 1, "03SB00", "lln-2", stage, held - timedelta(weeks=3), held,
                artifacts={"uitkomst": {"uitkomst": uitkomst, "occurred_at": held.isoformat()}})


def with_knooppunt(*cases: Case) -> Context:
    return Context(siblings=lambda: list(cases))


def prepare(context: Context) -> tuple[Case, Decision]:
    command = Command("bereid_terugplaatsing_voor", ZC, {"naar_school": "14PS03", "moederschool": True})
    return Case.open("tp-1", TERUG, "03SB00", "lln-2", command, SBO_ON, context)


def test_a_terugplaatsing_without_a_held_knooppunt_is_refused() -> None:
    """All (ver)plaatsingen in PO go through a knooppunt (seed 002)."""
    with pytest.raises(GuardFailed) as refused:
        prepare(with_knooppunt())
    assert refused.value.detail_nl == ("Een terugplaatsing naar het basisonderwijs gaat via een knooppunt; "
                                       "voor deze leerling is geen knooppunt gehouden.")


def test_a_knooppunt_that_was_planned_but_not_held_does_not_count() -> None:
    """Only a held knooppunt carries a decision."""
    with pytest.raises(GuardFailed) as refused:
        prepare(with_knooppunt(knooppunt("terugplaatsing_overwegen", stage="gepland")))
    assert [m.code for m in refused.value.missing] == ["knooppunt-ontbreekt"]


def test_a_knooppunt_with_another_outcome_does_not_allow_a_terugplaatsing() -> None:
    """The knooppunt must have decided to consider terugplaatsing (or a verplaatsing)."""
    with pytest.raises(GuardFailed) as refused:
        prepare(with_knooppunt(knooppunt("advies")))
    assert refused.value.detail_nl == ("Een terugplaatsing naar het basisonderwijs gaat via een knooppunt; het laatst "
                                       "gehouden knooppunt had uitkomst 'advies', niet 'terugplaatsing_overwegen' of "
                                       "'verplaatsing'.")


@pytest.mark.parametrize("uitkomst", ["terugplaatsing_overwegen", "verplaatsing"])
def test_a_terugplaatsing_through_a_knooppunt_is_counted_when_it_happens(uitkomst: str) -> None:
    """The terugplaatsing records the knooppunt it came from; 'teruggeplaatst' is the counted event."""
    case, decision = prepare(with_knooppunt(knooppunt(uitkomst)))
    assert (case.stage, decision.event.type) == ("voorbereid", "terugplaatsing_voorbereid")
    assert case.artifacts["knooppunt"]["case_id"] == "kp-1"
    assert decision.event.payload["knooppunt_uitkomst"] == uitkomst
    done = send(TERUG, case, "plaats_terug", SBO_ON + timedelta(weeks=6))
    assert (done.event.type, case.stage, TERUG.stages[case.stage].final) == ("teruggeplaatst", "teruggeplaatst", True)


def test_deciding_against_a_terugplaatsing_is_final_and_not_counted() -> None:
    """Afzien ends the trajectory with another event than 'teruggeplaatst'."""
    case, _ = prepare(with_knooppunt(knooppunt("terugplaatsing_overwegen")))
    decision = send(TERUG, case, "zie_af", SBO_ON + timedelta(weeks=2), {"reden": "ouders kiezen voor het SBO"})
    assert (decision.event.type, case.stage) == ("terugplaatsing_afgezien", "afgezien")


# --- PO -> VO ------------------------------------------------------------------------------------

PROTOCOL_ON = datetime(2025, 9, 15, 9, tzinfo=NL)


def protocol(groep: str = "8", schooljaar: str = "2026-2027", context: Context | None = None) -> tuple[Case, Decision]:
    command = Command("start_po_vo_protocol", ZC, {"groep": groep, "schooljaar_vo": schooljaar})
    return Case.open("povo-1", PO_VO, "14PS03", "lln-3", command, PROTOCOL_ON, context)


def advised(voorlopig: str = "vmbo_gt", definitief: str = "havo") -> Case:
    case, _ = protocol()
    send(PO_VO, case, "registreer_voorlopig_advies", datetime(2026, 1, 20, tzinfo=NL), {"niveau": voorlopig})
    send(PO_VO, case, "registreer_doorstroomtoets", datetime(2026, 3, 5, tzinfo=NL), {"toetsadvies": definitief})
    send(PO_VO, case, "stel_definitief_advies_vast", datetime(2026, 3, 16, tzinfo=NL), {"niveau": definitief})
    return case


def registered() -> Case:
    case = advised()
    send(PO_VO, case, "meld_aan_bij_vo", datetime(2026, 4, 1, 9, tzinfo=NL),
         {"vo_school": "20AB01", "aangemeld_op": "2026-03-31"})
    return case


def admitted() -> Case:
    case = registered()
    send(PO_VO, case, "registreer_toelating", datetime(2026, 4, 20, tzinfo=NL), {"niveau": "havo"}, SWV)
    return case


def test_the_protocol_computes_the_school_years_national_dates_from_the_law_by_default() -> None:
    """Without dates in the profile: voorlopig advies 31 January, doorstroomtoets 1 February, definitief
    advies 24 March, aanmelding 31 March of the advice year; VO starts 1 August; bestendiging is measured
    on 1 October of VO year 3.
    """
    case, decision = protocol()
    kalender = {k: v for k, v in case.artifacts["kalender"].items() if k != "occurred_at"}
    assert kalender == {"schooljaar_advies": "2025-2026", "voorlopig_advies": "2026-01-31",
                        "doorstroomtoets": "2026-02-01", "definitief_advies": "2026-03-24",
                        "aanmelding": "2026-03-31", "overdracht_uiterlijk": "2026-07-31", "vo_start": "2026-08-01",
                        "bestendiging": "2028-10-01"}
    assert [(t.name, t.due_at) for t in decision.started] == [
        ("voorlopig_advies_termijn", datetime(2026, 2, 1, tzinfo=NL)),
        ("definitief_advies_termijn", datetime(2026, 3, 25, tzinfo=NL)),
    ]


def test_the_profile_sets_the_school_years_dates() -> None:
    """A region configures the dates per school year (DOMAIN.md §3); missing ones keep the default."""
    profile = Profile("PO3104", "Zuid-Limburg PO", settings={"po_vo_dates": {
        "2025-2026": {"voorlopig_advies": "2026-01-23", "definitief_advies": "2026-03-20"}}})
    case, decision = protocol(context=Context(profile))
    assert (case.artifacts["kalender"]["voorlopig_advies"], case.artifacts["kalender"]["aanmelding"]) == (
        "2026-01-23", "2026-03-31")
    assert {t.name: t.due_at for t in decision.started}["definitief_advies_termijn"] == datetime(2026, 3, 21, tzinfo=NL)


def test_a_profile_date_that_is_not_a_date_is_refused_naming_it() -> None:
    """A misconfigured calendar is reported instead of silently replaced."""
    dates = {"2025-2026": {"aanmelding": "eind maart"}}
    profile = Profile("PO3104", "Zuid-Limburg PO", settings={"po_vo_dates": dates})
    with pytest.raises(GuardFailed) as refused:
        protocol(context=Context(profile))
    assert refused.value.detail_nl == ("De PO-VO-kalender van profiel 'PO3104' voor schooljaar 2025-2026 heeft geen "
                                       "geldige datum bij: aanmelding.")


@pytest.mark.parametrize("schooljaar", ["2026-2028", "2026/2027", "26-27"])
def test_a_school_year_that_is_not_two_consecutive_years_is_refused(schooljaar: str) -> None:
    """The transfer's school year reads like 2026-2027."""
    with pytest.raises(GuardFailed) as refused:
        protocol(schooljaar=schooljaar)
    assert refused.value.detail_nl == (f"Het schooljaar '{schooljaar}' moet twee opeenvolgende jaren noemen, "
                                       "zoals 2026-2027.")


def test_a_protocol_started_in_groep_6_waits_for_the_dates_of_its_own_advice_year() -> None:
    """Groep 6 in 2025-2026 goes to VO in 2028-2029: the advice is due in March 2028."""
    _, decision = protocol(groep="6", schooljaar="2028-2029")
    assert {t.name: t.due_at for t in decision.started}["definitief_advies_termijn"] == datetime(2028, 3, 25, tzinfo=NL)


def test_a_downward_adjustment_after_the_doorstroomtoets_is_refused() -> None:
    """The definitive advice may only be adjusted upward from the voorlopig advies (law, WPO art. 43)."""
    case, _ = protocol()
    send(PO_VO, case, "registreer_voorlopig_advies", datetime(2026, 1, 20, tzinfo=NL), {"niveau": "havo"})
    send(PO_VO, case, "registreer_doorstroomtoets", datetime(2026, 3, 5, tzinfo=NL), {"toetsadvies": "vmbo_gt"})
    with pytest.raises(GuardFailed) as refused:
        send(PO_VO, case, "stel_definitief_advies_vast", datetime(2026, 3, 16, tzinfo=NL), {"niveau": "vmbo_gt_havo"})
    assert refused.value.detail_nl == ("Na de doorstroomtoets mag het advies alleen omhoog worden bijgesteld: het "
                                       "voorlopig advies was havo, het definitieve advies vmbo_gt_havo is lager.")
    assert case.stage == "toets_gemaakt"


@pytest.mark.parametrize("definitief", ["vmbo_gt", "vmbo_gt_havo", "havo"])
def test_an_unchanged_or_upward_adjusted_advice_is_accepted(definitief: str) -> None:
    """Equal or higher than the voorlopig advies: accepted, and the late-advice timer is cancelled."""
    case = advised("vmbo_gt", definitief)
    assert case.stage == "definitief_advies"
    assert case.artifacts["definitief_advies"]["niveau"] == definitief
    assert "definitief_advies_termijn" not in case.timers


def test_no_definitive_advice_by_24_march_raises_the_alert_the_day_after() -> None:
    """The alert falls due at the start of 25 March, and the case keeps waiting for the advice."""
    case, _ = protocol()
    send(PO_VO, case, "registreer_voorlopig_advies", datetime(2026, 1, 20, tzinfo=NL), {"niveau": "havo"})
    decision = fire(PO_VO, case, "definitief_advies_termijn", datetime(2026, 3, 25, 6, tzinfo=NL))
    assert (decision.event.type, decision.event.occurred_at) == ("definitief_advies_te_laat",
                                                                 datetime(2026, 3, 25, tzinfo=NL))
    assert case.stage == "voorlopig_advies"


def test_the_vo_decision_is_due_six_weeks_after_the_aanmelding_and_extends_once_by_four_weeks() -> None:
    """6 weeks after 31 March is Tuesday 12 May (the last day; due at midnight into the 13th); the one
    extension moves the last day to Tuesday 9 June; a second is refused.
    """
    case = registered()
    assert deadline_of(case.timers["vo_beslistermijn"]).last_day == date(2026, 5, 12)
    assert case.timers["vo_beslistermijn"].due_at == datetime(2026, 5, 13, tzinfo=NL)
    decision = send(PO_VO, case, "verleng_vo_beslistermijn", datetime(2026, 5, 1, tzinfo=NL),
                    {"reden": "onderzoek naar de ondersteuningsbehoefte", "ouders_geinformeerd": True})
    assert [(deadline_of(t).last_day, t.due_at) for t in decision.started] == [
        (date(2026, 6, 9), datetime(2026, 6, 10, tzinfo=NL))]
    with pytest.raises(GuardFailed) as refused:
        send(PO_VO, case, "verleng_vo_beslistermijn", datetime(2026, 5, 2, tzinfo=NL),
             {"reden": "nog meer tijd nodig", "ouders_geinformeerd": True})
    assert refused.value.detail_nl == ("'Beslistermijn van de VO-school eenmaal met 4 weken verlengen' kan maar één "
                                       "keer; dat is al gebeurd.")
    assert case.timers["vo_beslistermijn"].due_at == datetime(2026, 6, 10, tzinfo=NL)


def test_the_vo_decision_term_is_not_extended_without_telling_the_parents() -> None:
    """Parents are informed in writing of the extension (law)."""
    case = registered()
    with pytest.raises(GuardFailed) as refused:
        send(PO_VO, case, "verleng_vo_beslistermijn", datetime(2026, 5, 1, tzinfo=NL),
             {"reden": "onderzoek", "ouders_geinformeerd": False})
    assert refused.value.detail_nl == "Ouders moeten schriftelijk over de verlenging zijn geïnformeerd."
    assert case.timers["vo_beslistermijn"].due_at == datetime(2026, 5, 13, tzinfo=NL)


def test_a_rejection_lets_the_pupil_register_elsewhere_with_a_fresh_term() -> None:
    """Rejected by one VO school, the pupil registers at another and its six weeks count from then."""
    case = registered()
    decision = send(PO_VO, case, "registreer_afwijzing", datetime(2026, 4, 20, tzinfo=NL), {"reden": "vol"})
    assert (case.stage, [t.name for t in decision.cancelled]) == ("definitief_advies", ["vo_beslistermijn"])
    send(PO_VO, case, "meld_aan_bij_vo", datetime(2026, 4, 22, tzinfo=NL),
         {"vo_school": "20CD00", "aangemeld_op": "2026-04-21"})
    # Tuesday 21 April + 6 weeks → last day Tuesday 2 June; due at midnight into the 3rd
    assert deadline_of(case.timers["vo_beslistermijn"]).last_day == date(2026, 6, 2)
    assert case.timers["vo_beslistermijn"].due_at == datetime(2026, 6, 3, tzinfo=NL)


def test_the_warm_overdracht_is_due_before_the_vo_school_year_starts() -> None:
    """Toegelaten without a warm overdracht: the alert falls due at the start of 1 August."""
    case = admitted()
    due = case.timers["overdracht_termijn"].due_at
    assert due == start_of_day(date.fromisoformat(case.artifacts["kalender"]["vo_start"])) == datetime(
        2026, 8, 1, tzinfo=NL)
    decision = fire(PO_VO, case, "overdracht_termijn", datetime(2026, 8, 1, 1, tzinfo=NL))
    assert (decision.event.type, case.stage) == ("overdracht_te_laat", "toegelaten")


def test_a_warm_overdracht_without_a_conversation_is_refused() -> None:
    """A warm overdracht is a conversation between the schools, not only a file."""
    case = admitted()
    with pytest.raises(GuardFailed) as refused:
        send(PO_VO, case, "registreer_warme_overdracht", datetime(2026, 6, 15, tzinfo=NL),
             {"overdrachtsgesprek": False})
    assert refused.value.detail_nl == ("Een warme overdracht is een gesprek tussen de basisschool en de VO-school; "
                                       "dat gesprek is niet gevoerd.")


def test_the_advice_is_checked_for_bestendiging_once_1_october_of_vo_year_3_is_over() -> None:
    """After a warm overdracht and placement, the bestendiging check's last day is 1 October 2028 (26 months
    after the VO start on 1 August 2026; a Sunday, but a regional term is not moved): it starts at midnight
    into 2 October.
    """
    case = admitted()
    decision = send(PO_VO, case, "registreer_warme_overdracht", datetime(2026, 6, 15, tzinfo=NL),
                    {"overdrachtsgesprek": True})
    assert [t.name for t in decision.cancelled] == ["overdracht_termijn"]
    placed_at = send(PO_VO, case, "registreer_plaatsing", datetime(2026, 8, 24, tzinfo=NL))
    assert case.artifacts["kalender"]["bestendiging"] == "2028-10-01"
    assert [(t.name, t.due_at) for t in placed_at.started] == [("bestendiging", datetime(2028, 10, 2, tzinfo=NL))]
    assert deadline_of(case.timers["bestendiging"]).last_day == date(2028, 10, 1)
    check = fire(PO_VO, case, "bestendiging", datetime(2028, 10, 2, 2, tzinfo=NL))
    assert (check.event.type, case.stage) == ("bestendigingscheck_gestart", "bestendigingscheck")
    done = send(PO_VO, case, "registreer_bestendiging", datetime(2028, 10, 8, tzinfo=NL), {"advies_bestendigd": True})
    assert (done.event.type, case.stage) == ("bestendiging_geregistreerd", "afgerond")


def test_people_cannot_start_the_bestendiging_check_early() -> None:
    """The check is started by the timer in VO year 3, not by hand."""
    case = admitted()
    send(PO_VO, case, "registreer_warme_overdracht", datetime(2026, 6, 15, tzinfo=NL), {"overdrachtsgesprek": True})
    send(PO_VO, case, "registreer_plaatsing", datetime(2026, 8, 24, tzinfo=NL))
    with pytest.raises(RoleNotAllowed):
        send(PO_VO, case, "start_bestendigingscheck", datetime(2026, 9, 1, tzinfo=NL))
