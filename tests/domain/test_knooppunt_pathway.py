"""The knooppunt (PO) and RTO (VO) pathways (DOMAIN.md §3) on the Case aggregate, with time passed in."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest

from domain.case import Actor, Case, Command, Decision, Timer
from domain.context import Context, Profile
from domain.definition import PathwayDefinition
from domain.durations import NL, Duration
from domain.errors import GuardFailed, InvalidCommand, RoleNotAllowed, TransitionNotAllowed
from domain.handlers import TIMER_ACTOR, NewCase, fire_due_timers, handle_command, open_case
from domain.registry import PathwayRegistry
from domain.terms import Deadline
from infra.store.memory import MemoryStore, MemoryUnitOfWork

ZC = Actor("zorgcoordinator", "zc-1")
SWV = Actor("swv_coordinator", "swv-1")
REQUESTED = datetime(2026, 9, 7, 10, tzinfo=NL)
LAST_DAY = date(2026, 10, 5)  # Mon 7 Sep + 4 weeks = Mon 5 Oct (a regional term: no Algemene termijnenwet)
FOUR_WEEKS_OVER = datetime(2026, 10, 6, tzinfo=NL)  # the term ends at the end of its last day
REGISTRY = PathwayRegistry.builtin()
KNOOPPUNT = REGISTRY.get("knooppunt")
RTO = REGISTRY.get("rto")
DEELNEMERS = "directeur|Basisschool De Horizon|ja|nee; jeugdhulp|CJG Heerlen|nee|nee"
MET_VSO = "zorgcoordinator|Gulperberg College|ja|nee\nvso_deskundige|VSO De Wingerd|nee|ja"


def deadline_of(timer: Timer) -> Deadline:
    """The term a timer guards (every timer started since deadlines are kept has one)."""
    assert timer.deadline is not None
    return timer.deadline


def requested(payload: dict[str, Any] | None = None, definition: PathwayDefinition = KNOOPPUNT,
              at: datetime = REQUESTED) -> tuple[Case, Decision]:
    start = definition.start.command
    body = payload if payload is not None else ({"soort": "toeleiding"} if definition is KNOOPPUNT else {})
    return Case.open(f"{definition.pathway}-1", definition, "14PS03", "lln-1", Command(start, ZC, body), at)


def send(case: Case, name: str, at: datetime, payload: dict[str, Any] | None = None, actor: Actor = ZC,
         definition: PathwayDefinition = KNOOPPUNT) -> Decision:
    return case.handle(definition, Command(name, actor, payload or {}), at)


def planned(definition: PathwayDefinition = KNOOPPUNT, deelnemers: str = DEELNEMERS,
            toestemming: bool = True) -> Case:
    consent = {"toestemming_gegeven_door": "ouders"} if toestemming else {}
    soort = {"soort": "toeleiding"} if definition is KNOOPPUNT else {}
    case, _ = requested({**soort, **consent}, definition)
    send(case, "plan", REQUESTED + timedelta(days=1), {"datum": "2026-09-21", "deelnemers": deelnemers},
         definition=definition)
    return case


def test_a_request_starts_the_four_week_deadline_counted_from_the_request() -> None:
    """'Knooppunt te laat' falls due when the last day, 4 weeks after the day of the request, is over."""
    case, decision = requested()
    assert (case.stage, decision.event.type) == ("aangevraagd", "knooppunt_aangevraagd")
    assert [(t.name, t.due_at) for t in decision.started] == [("knooppunt_termijn", FOUR_WEEKS_OVER)]
    assert deadline_of(case.timers["knooppunt_termijn"]).last_day == LAST_DAY


def test_knooppunt_te_laat_fires_at_the_end_of_the_last_day_of_the_four_weeks_and_not_a_moment_earlier() -> None:
    """The sweep at the last second of the last day (4 weeks after the request) fires nothing; at midnight,
    when that day is over, it raises knooppunt_te_laat and the case stays where it was (planned, still
    waiting to be held).
    """
    store = MemoryStore()
    case_id = open_case(MemoryUnitOfWork(store), REGISTRY, NewCase("knooppunt", "14PS03", "lln-1"),
                        Command("vraag_knooppunt_aan", ZC, {"soort": "casuistiek"}), REQUESTED).case_id
    handle_command(MemoryUnitOfWork(store), REGISTRY, case_id,
                   Command("plan", ZC, {"datum": "2026-10-12", "deelnemers": DEELNEMERS}), REQUESTED)
    last_second = datetime(2026, 10, 5, 23, 59, 59, tzinfo=NL)
    early = fire_due_timers(MemoryUnitOfWork(store), REGISTRY, last_second)
    assert early.fired == 0
    on_time = fire_due_timers(MemoryUnitOfWork(store), REGISTRY, FOUR_WEEKS_OVER)
    assert (on_time.fired, on_time.refused) == (1, 0)
    with MemoryUnitOfWork(store) as uow:
        late = uow.history(case_id)[-1]
        case = uow.get_case(case_id)
    assert (late.type, late.occurred_at, late.actor) == ("knooppunt_te_laat", FOUR_WEEKS_OVER, TIMER_ACTOR)
    assert case.stage == "gepland"


def test_no_timer_fires_once_the_knooppunt_is_held() -> None:
    """Holding the knooppunt cancels the deadline: a later sweep finds nothing to fire."""
    store = MemoryStore()
    case_id = open_case(MemoryUnitOfWork(store), REGISTRY, NewCase("knooppunt", "14PS03", "lln-1"),
                        Command("vraag_knooppunt_aan", ZC, {"soort": "po_vo", "toestemming_gegeven_door": "ouders"}),
                        REQUESTED).case_id
    for command in (Command("plan", ZC, {"datum": "2026-09-21", "deelnemers": DEELNEMERS}),
                    Command("houd", ZC, {"uitkomst": "advies"})):
        handle_command(MemoryUnitOfWork(store), REGISTRY, case_id, command, REQUESTED + timedelta(days=14))
    report = fire_due_timers(MemoryUnitOfWork(store), REGISTRY, FOUR_WEEKS_OVER + timedelta(weeks=8))
    assert (report.fired, report.refused) == (0, 0)
    with MemoryUnitOfWork(store) as uow:
        assert [e.type for e in uow.history(case_id)] == ["knooppunt_aangevraagd", "knooppunt_gepland",
                                                          "knooppunt_gehouden"]


def test_holding_records_the_outcome_and_cancels_the_deadline() -> None:
    """The outcome is the contract's 'uitkomst' artifact; the held knooppunt is final."""
    case = planned()
    deadline = case.timers["knooppunt_termijn"]
    decision = send(case, "houd", REQUESTED + timedelta(days=14), {"uitkomst": "opp_starten"})
    assert (case.stage, decision.event.type) == ("gehouden", "knooppunt_gehouden")
    assert case.artifacts["uitkomst"]["uitkomst"] == "opp_starten"
    assert [t.name for t in decision.cancelled] == ["knooppunt_termijn"]
    assert case.timers == {}
    with pytest.raises(TransitionNotAllowed):
        case.handle(KNOOPPUNT, Command(deadline.fires, TIMER_ACTOR, timer_id=deadline.id), deadline.due_at)


def test_holding_without_the_parents_toestemming_is_refused() -> None:
    """Parents' toestemming for the knooppunt must be on record before it is held."""
    case = planned(toestemming=False)
    with pytest.raises(GuardFailed) as refused:
        send(case, "houd", REQUESTED + timedelta(days=14), {"uitkomst": "advies"})
    assert refused.value.detail_nl == "De toestemming van ouders voor het knooppunt ontbreekt."
    assert case.stage == "gepland"


def test_toestemming_recorded_later_records_who_and_when_and_allows_holding() -> None:
    """Toestemming may follow the request: who gave it and when are kept."""
    case = planned(toestemming=False)
    given = REQUESTED + timedelta(days=3)
    case.handle(KNOOPPUNT, Command("registreer_toestemming", ZC, {"gegeven_door": "voogd"}, occurred_at=given),
                REQUESTED + timedelta(days=4))
    assert case.artifacts["toestemming"] == {"gegeven_door": "voogd", "occurred_at": given.isoformat()}
    send(case, "houd", REQUESTED + timedelta(days=14), {"uitkomst": "arrangement"})
    assert case.stage == "gehouden"


def test_toestemming_given_with_the_request_is_on_record_from_the_request() -> None:
    """Consent given when requesting is recorded as the toestemming, dated with the request."""
    case, _ = requested({"soort": "voorschools", "toestemming_gegeven_door": "ouders"})
    assert case.artifacts["toestemming"] == {"gegeven_door": "ouders", "occurred_at": REQUESTED.isoformat()}


def test_planning_parses_the_participants_into_the_deelnemers_list() -> None:
    """One participant per line (';' or a new line): role, organisation, mandate, VSO expert."""
    case = planned()
    assert case.stage == "gepland"
    assert case.artifacts["deelnemers"]["lijst"] == [
        {"rol": "directeur", "organisatie": "Basisschool De Horizon", "mandaat": True, "vso_expert": False},
        {"rol": "jeugdhulp", "organisatie": "CJG Heerlen", "mandaat": False, "vso_expert": False},
    ]
    assert case.artifacts["planning"]["datum"] == "2026-09-21"


def test_a_malformed_participant_line_is_refused_naming_the_line() -> None:
    """Each unreadable line is named with its number and text."""
    case, _ = requested()
    with pytest.raises(GuardFailed) as refused:
        send(case, "plan", REQUESTED, {"datum": "2026-09-21",
                                       "deelnemers": "directeur|De Horizon|ja; ouders|thuis; jgz|GGD|misschien|nee"})
    assert refused.value.detail_nl == (
        "Deelnemer 2 ('ouders|thuis') is niet te lezen; schrijf rol|organisatie|mandaat (ja/nee)|vso_expert (ja/nee). "
        "Deelnemer 3 ('jgz|GGD|misschien|nee') is niet te lezen; schrijf rol|organisatie|mandaat (ja/nee)|vso_expert "
        "(ja/nee).")
    assert (case.stage, "deelnemers" in case.artifacts) == ("aangevraagd", False)


def test_planning_needs_someone_from_education_with_mandate() -> None:
    """Participants from education have mandate: a plan with none is refused, one is enough."""
    case, _ = requested()
    with pytest.raises(GuardFailed) as refused:
        send(case, "plan", REQUESTED, {"datum": "2026-09-21",
                                       "deelnemers": "leerkracht|De Horizon|nee; jeugdhulp|CJG|ja"})
    assert refused.value.detail_nl.startswith("Bij het knooppunt is geen deelnemer vanuit het onderwijs met mandaat;")
    send(case, "plan", REQUESTED, {"datum": "2026-09-21", "deelnemers": "IB-er|De Horizon|Ja"})
    assert case.artifacts["deelnemers"]["lijst"] == [
        {"rol": "ib_er", "organisatie": "De Horizon", "mandaat": True, "vso_expert": False}]


def test_a_knooppunt_cannot_be_planned_before_it_was_requested() -> None:
    """The date of the meeting is on or after the day of the request."""
    case, _ = requested()
    with pytest.raises(GuardFailed) as refused:
        send(case, "plan", REQUESTED, {"datum": "2026-09-06", "deelnemers": DEELNEMERS})
    assert refused.value.detail_nl == "De datum van het knooppunt (2026-09-06) ligt vóór de aanvraag (2026-09-07)."
    send(case, "plan", REQUESTED, {"datum": "2026-09-07", "deelnemers": DEELNEMERS})
    assert case.stage == "gepland"


def test_replanning_changes_date_and_participants_without_restarting_the_deadline() -> None:
    """Planning all participants takes weeks: re-planning keeps the 4 weeks from the request."""
    case = planned()
    deadline = case.timers["knooppunt_termijn"]
    decision = send(case, "plan", REQUESTED + timedelta(days=10),
                    {"datum": "2026-10-01", "deelnemers": "directeur|De Horizon|ja; leerplicht|Gemeente Heerlen|ja"})
    assert (case.stage, decision.event.type, decision.started) == ("gepland", "knooppunt_verzet", ())
    assert case.timers["knooppunt_termijn"] == deadline
    assert [p["rol"] for p in case.artifacts["deelnemers"]["lijst"]] == ["directeur", "leerplicht"]


def test_withdrawing_ends_the_knooppunt_and_its_deadline() -> None:
    """trek_in closes the request; nothing can fire afterwards."""
    case, _ = requested()
    decision = send(case, "trek_in", REQUESTED + timedelta(days=2), {"reden": "ouders kiezen andere school"})
    assert (case.stage, case.timers) == ("ingetrokken", {})
    assert [t.name for t in decision.cancelled] == ["knooppunt_termijn"]


def test_the_kind_of_knooppunt_is_one_of_the_known_kinds() -> None:
    """voorschools, casuistiek, toeleiding, bao_bao, po_vo."""
    with pytest.raises(InvalidCommand) as refused:
        requested({"soort": "vso_vo"})
    assert refused.value.problems == (
        "Veld 'soort' (soort knooppunt): moet een van voorschools, casuistiek, toeleiding, bao_bao, po_vo zijn.",)


def test_roles_the_coordinators_plan_and_record_others_and_people_for_the_timer_do_not() -> None:
    """The SWV coordinator may plan as the zorgcoördinator does; a BTO member may not; nobody issues
    the timer's command by hand.
    """
    case, _ = requested()
    with pytest.raises(RoleNotAllowed):
        send(case, "plan", REQUESTED, {"datum": "2026-09-21", "deelnemers": DEELNEMERS}, actor=Actor("bto", "b-1"))
    with pytest.raises(RoleNotAllowed):
        send(case, "meld_knooppunt_te_laat", REQUESTED)
    send(case, "plan", REQUESTED, {"datum": "2026-09-21", "deelnemers": DEELNEMERS}, actor=SWV)
    assert case.stage == "gepland"


def test_an_rto_has_the_same_shape_and_its_own_four_week_deadline() -> None:
    """The RTO is requested without a kind, planned, and escalated as 'rto_te_laat' once the last day of
    the 4 weeks is over.
    """
    case, decision = requested(definition=RTO)
    assert (case.stage, decision.event.type) == ("aangevraagd", "rto_aangevraagd")
    assert [(t.name, t.due_at) for t in decision.started] == [("rto_termijn", FOUR_WEEKS_OVER)]
    timer = case.timers["rto_termijn"]
    assert deadline_of(timer).last_day == LAST_DAY
    fired = case.handle(RTO, Command(timer.fires, TIMER_ACTOR, occurred_at=timer.due_at, timer_id=timer.id),
                        FOUR_WEEKS_OVER)
    assert (fired.event.type, case.stage) == ("rto_te_laat", "aangevraagd")


def test_an_rto_without_a_vso_expert_cannot_conclude_to_request_a_tlv() -> None:
    """The uitkomst tlv_aanvragen needs a VSO-school expert among the participants."""
    case = planned(RTO)
    with pytest.raises(GuardFailed) as refused:
        send(case, "houd", REQUESTED + timedelta(days=14), {"uitkomst": "tlv_aanvragen", "tlv_soort": "vso"},
             definition=RTO)
    assert refused.value.detail_nl == "Bij het RTO was geen deskundige van het VSO; een TLV-aanvraag kan nog niet."
    assert case.stage == "gepland"


def test_an_rto_without_a_vso_expert_may_have_another_outcome() -> None:
    """Without a VSO expert the RTO can still advise or arrange support."""
    case = planned(RTO)
    send(case, "houd", REQUESTED + timedelta(days=14), {"uitkomst": "arrangement"}, definition=RTO)
    assert (case.stage, case.artifacts["uitkomst"]["uitkomst"]) == ("gehouden", "arrangement")


def test_an_rto_with_a_vso_expert_may_conclude_to_request_a_tlv() -> None:
    """With the VSO expert at the table, the RTO prepares the TLV request."""
    case = planned(RTO, deelnemers=MET_VSO)
    decision = send(case, "houd", REQUESTED + timedelta(days=14), {"uitkomst": "tlv_aanvragen", "tlv_soort": "vso"},
                    definition=RTO)
    assert (decision.event.type, case.artifacts["uitkomst"]["uitkomst"]) == ("rto_gehouden", "tlv_aanvragen")
    assert case.artifacts["deelnemers"]["lijst"][1] == {"rol": "vso_deskundige", "organisatie": "VSO De Wingerd",
                                                        "mandaat": False, "vso_expert": True}


def test_an_rto_that_concludes_to_request_a_tlv_names_the_kind_of_education() -> None:
    """The system opens the TLV request from the outcome (reactions.json), so the kind is asked for then."""
    case = planned(RTO, deelnemers=MET_VSO)
    with pytest.raises(GuardFailed) as refused:
        send(case, "houd", REQUESTED + timedelta(days=14), {"uitkomst": "tlv_aanvragen"}, definition=RTO)
    assert refused.value.detail_nl == ("Bij de uitkomst 'TLV aanvragen' van het RTO hoort de soort onderwijs "
                                       "(sbo, so, vso of pro): daarmee wordt de TLV-aanvraag geopend.")
    assert case.stage == "gepland"


def test_the_kind_of_education_is_not_asked_for_another_outcome() -> None:
    """An advice or an arrangement opens no TLV request and needs no kind."""
    case = planned(RTO, deelnemers=MET_VSO)
    send(case, "houd", REQUESTED + timedelta(days=14), {"uitkomst": "advies"}, definition=RTO)
    assert case.stage == "gehouden"


def test_an_rto_without_the_parents_toestemming_is_refused_naming_the_rto() -> None:
    """The RTO shares the knooppunt's consent rule; the message names the RTO."""
    case = planned(RTO, deelnemers=MET_VSO, toestemming=False)
    with pytest.raises(GuardFailed) as refused:
        send(case, "houd", REQUESTED + timedelta(days=14), {"uitkomst": "tlv_aanvragen", "tlv_soort": "vso"},
             definition=RTO)
    assert refused.value.detail_nl == "De toestemming van ouders voor het RTO ontbreekt."


def test_an_rto_has_no_kind() -> None:
    """'soort' belongs to the knooppunt only."""
    with pytest.raises(InvalidCommand) as refused:
        requested({"soort": "toeleiding"}, RTO)
    assert refused.value.problems == ("Onbekend veld 'soort'.",)


# --- the region's own terms and the Algemene termijnenwet -------------------------------------------------------


def _knooppunt_in(profile: Profile, requested_at: datetime) -> Deadline:
    definition = PathwayRegistry.builtin(profiles={profile.code: profile}).for_profile("knooppunt", None, profile.code)
    command = Command("vraag_knooppunt_aan", ZC, {"soort": "toeleiding"})
    case, _ = Case.open("kp-p", definition, "14PS03", "lln-1", command, requested_at,
                        Context(profile, instant=requested_at))
    return deadline_of(case.timers["knooppunt_termijn"])


def test_a_regional_term_ending_on_a_saturday_stays_there_unless_the_profile_applies_the_atw() -> None:
    """Requested Saturday 3 October 2026 (a case opened on a weekend): 4 weeks end on Saturday 31 October.
    A regional agreement is no statutory term, so it stays there; a profile that opts in moves it to Monday.
    """
    saturday = datetime(2026, 10, 3, 10, tzinfo=NL)
    plain = _knooppunt_in(Profile("regio", "Regio"), saturday)
    assert (plain.last_day, plain.kind) == (date(2026, 10, 31), "regionaal")
    assert "zaterdag, maar een regionale afspraak wordt niet verlengd" in plain.reckoning
    opted = _knooppunt_in(Profile("regio-atw", "Regio", settings={"atw_voor_regionale_termijnen": True}), saturday)
    assert opted.last_day == date(2026, 11, 2)
    assert opted.reckoning.endswith("zaterdag → maandag 2 november 2026 (Algemene termijnenwet art. 1)")


def test_a_profile_may_count_a_regional_term_in_school_weeks_on_its_regions_calendar() -> None:
    """Four school weeks from Monday 5 October 2026 in region zuid skip the herfstvakantie (17-25 October):
    the last day is Monday 9 November, a week later than four calendar weeks.
    """
    profile = Profile("regio-sw", "Regio", {"knooppunt": {"knooppunt_termijn": Duration(school_weeks=4)}},
                      {"schoolkalender_regio": "zuid"})
    found = _knooppunt_in(profile, datetime(2026, 10, 5, 10, tzinfo=NL))
    assert found.last_day == date(2026, 11, 9)
    assert found.reckoning.startswith("4 schoolweken na de aanvraag op 5 oktober 2026")
    calendar_weeks = _knooppunt_in(Profile("regio", "Regio"), datetime(2026, 10, 5, 10, tzinfo=NL))
    assert calendar_weeks.last_day == date(2026, 11, 2)
