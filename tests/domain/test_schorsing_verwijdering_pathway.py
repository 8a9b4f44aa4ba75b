"""The schorsing and verwijdering pathways (DOMAIN.md §4; WPO art. 40 and 40c, WVO art. 27) on the Case
aggregate, with time passed in as instants.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest

from domain.case import Actor, Case, Command, Decision
from domain.context import Context
from domain.durations import NL
from domain.errors import GuardFailed, RoleNotAllowed
from domain.indicators import indicators
from domain.registry import PathwayRegistry
from domain.rules.schorsing import schooldagen

ZC = Actor("zorgcoordinator", "zc-1")
SWV = Actor("swv_coordinator", "swv-1")
SYSTEM = Actor("systeem", "termijnbewaking")
REGISTRY = PathwayRegistry.builtin()
SCHORSING = REGISTRY.get("schorsing")
VERWIJDERING = REGISTRY.get("verwijdering")
SCHOOL = "20AB01"
OTHER = "21CD02"
BESLOTEN = datetime(2026, 10, 6, 9, tzinfo=NL)
"""Tuesday 6 October 2026: the school decides on the schorsing."""
WOENSDAG = "2026-10-07"


def codes(refused: pytest.ExceptionInfo[GuardFailed]) -> list[str]:
    return [m.code for m in refused.value.missing]


def schors(eerste: str = WOENSDAG, laatste: str = WOENSDAG, **overrides: Any) -> tuple[Case, Decision]:
    payload = {"eerste_dag": eerste, "laatste_dag": laatste, "reden": "ernstig incident", "schriftelijk": True,
               "ouders_geinformeerd": True, **overrides}
    return Case.open("s-1", SCHORSING, SCHOOL, "lln-1", Command("schors", ZC, payload), BESLOTEN)


def fire(case: Case, definition: Any, timer_name: str) -> Decision:
    timer = case.timers[timer_name]
    command = Command(timer.fires, SYSTEM, occurred_at=timer.due_at, timer_id=timer.id)
    return case.handle(definition, command, timer.due_at + timedelta(minutes=5), Context(instant=timer.due_at))


def meld(case: Case, at: datetime, inspectie: str = "2026-10-07", leerplicht: str = "2026-10-07") -> Decision:
    payload = {"inspectie_gemeld_op": inspectie, "leerplicht_gemeld_op": leerplicht}
    return case.handle(SCHORSING, Command("meld_schorsing", ZC, payload), at, Context(instant=at))


# --- schorsing: at most one week -------------------------------------------------------------------------


def test_a_schorsing_of_seven_calendar_days_is_at_most_a_week() -> None:
    """From a Wednesday up to and including the Tuesday after: one week (law), five school days."""
    case, decision = schors("2026-10-07", "2026-10-13")
    assert (case.stage, decision.event.type) == ("geschorst", "leerling_geschorst")
    assert decision.event.payload["duur_schooldagen"] == 5


def test_a_schorsing_of_eight_calendar_days_is_refused_as_longer_than_a_week() -> None:
    """Wednesday to the Wednesday after is eight days (six school days): more than a week."""
    with pytest.raises(GuardFailed) as refused:
        schors("2026-10-07", "2026-10-14")
    assert codes(refused) == ["schorsing-langer-dan-een-week"]
    assert refused.value.detail_nl == ("Een schorsing duurt ten hoogste een week: vanaf 7 oktober 2026 tot en met "
                                       "uiterlijk 13 oktober 2026, niet tot en met 14 oktober 2026.")


def test_a_schorsing_ending_before_it_starts_or_on_no_school_day_is_refused() -> None:
    with pytest.raises(GuardFailed) as backwards:
        schors("2026-10-08", "2026-10-07")
    assert codes(backwards) == ["schorsing-periode-omgekeerd"]
    with pytest.raises(GuardFailed) as weekend:
        schors("2026-10-10", "2026-10-11")
    assert codes(weekend) == ["schorsing-geen-schooldag"]


def test_a_schorsing_needs_a_written_decision_and_informed_parents() -> None:
    with pytest.raises(GuardFailed) as refused:
        schors(schriftelijk=False, ouders_geinformeerd=False)
    assert codes(refused) == ["schorsing-niet-schriftelijk", "schorsing-ouders-niet-geinformeerd"]


def test_only_the_school_records_a_schorsing() -> None:
    payload = {"eerste_dag": WOENSDAG, "laatste_dag": WOENSDAG, "reden": "x", "schriftelijk": True,
               "ouders_geinformeerd": True}
    with pytest.raises(RoleNotAllowed):
        Case.open("s-2", SCHORSING, SCHOOL, "lln-1", Command("schors", SWV, payload), BESLOTEN)


def test_school_days_skip_weekends_and_public_holidays() -> None:
    """Friday to Monday is two school days; 27 April (Koningsdag) is none."""
    assert schooldagen(date(2026, 10, 9), date(2026, 10, 12)) == 2
    assert schooldagen(date(2026, 4, 27), date(2026, 4, 27)) == 0


# --- schorsing: longer than one day is reported ----------------------------------------------------------


def test_a_one_day_schorsing_ends_by_itself_and_needs_no_report() -> None:
    """One school day: no report to the Inspectie; the case closes at the end of that day, the report term with it."""
    case, decision = schors()
    assert decision.event.payload["duur_meldplichtig"] is False
    assert {t.name for t in decision.started} == {"inspectiemelding", "einde_schorsing"}
    ended = fire(case, SCHORSING, "einde_schorsing")
    assert (case.stage, ended.event.type) == ("afgelopen", "schorsing_afgelopen")
    assert case.timers == {}


def test_a_friday_to_monday_schorsing_must_be_reported() -> None:
    """Two school days is longer than one day (law): the Inspectie must be told."""
    _, decision = schors("2026-10-09", "2026-10-12")
    assert decision.event.payload["duur_meldplichtig"] is True


def test_the_report_is_due_the_day_after_the_first_day_of_the_schorsing() -> None:
    """The law names no term: the profile's default is one day after the first day (last day 8 October)."""
    case, _ = schors("2026-10-07", "2026-10-09")
    timer = case.timers["inspectiemelding"]
    assert timer.deadline is not None
    assert (timer.deadline.last_day, timer.deadline.kind) == (date(2026, 10, 8), "profiel")


def test_a_report_on_the_last_day_of_the_term_stops_the_deadline() -> None:
    case, _ = schors("2026-10-07", "2026-10-09")
    decision = meld(case, datetime(2026, 10, 8, 23, 59, tzinfo=NL), "2026-10-08", "2026-10-08")
    assert (case.stage, decision.event.type) == ("gemeld", "schorsing_gemeld")
    assert "inspectiemelding" not in case.timers
    assert "einde_gemelde_schorsing" in case.timers


def test_an_unreported_schorsing_of_more_than_a_day_is_a_missed_deadline_and_stays_open() -> None:
    """The term passes without a report: the system records it (alerting school and SWV) and the case stays; the
    schorsing does not end while its report is missing.
    """
    case, _ = schors("2026-10-07", "2026-10-09")
    late = fire(case, SCHORSING, "inspectiemelding")
    assert (late.event.type, late.event.occurred_at) == ("schorsing_melding_te_laat",
                                                         datetime(2026, 10, 9, tzinfo=NL))
    assert SCHORSING.transition("geschorst", "meld_inspectiemelding_te_laat").marks_missed_deadline  # type: ignore[union-attr]
    with pytest.raises(GuardFailed) as refused:
        fire(case, SCHORSING, "einde_schorsing")
    assert codes(refused) == ["schorsing-niet-gemeld"]
    assert case.stage == "geschorst"


def test_a_one_day_schorsing_is_never_reported_late() -> None:
    case, _ = schors()
    with pytest.raises(GuardFailed) as refused:
        fire(case, SCHORSING, "inspectiemelding")
    assert codes(refused) == ["schorsing-niet-meldplichtig"]


def test_a_reported_schorsing_ends_after_its_last_day() -> None:
    case, _ = schors("2026-10-07", "2026-10-09")
    meld(case, datetime(2026, 10, 7, 12, tzinfo=NL))
    ended = fire(case, SCHORSING, "einde_gemelde_schorsing")
    assert (case.stage, ended.event.occurred_at) == ("afgelopen", datetime(2026, 10, 10, tzinfo=NL))
    assert not SCHORSING.transition("gemeld", "beeindig_schorsing").marks_missed_deadline  # type: ignore[union-attr]


def test_report_dates_before_the_decision_or_in_the_future_are_refused() -> None:
    case, _ = schors("2026-10-07", "2026-10-09")
    with pytest.raises(GuardFailed) as refused:
        meld(case, datetime(2026, 10, 7, 12, tzinfo=NL), "2026-10-05", "2026-10-08")
    assert codes(refused) == ["inspectie_gemeld_op-voor-besluit", "leerplicht_gemeld_op-in-toekomst"]


# --- verwijdering ----------------------------------------------------------------------------------------

VOORNEMEN = datetime(2026, 9, 1, 9, tzinfo=NL)
"""Tuesday 1 September 2026; 8 weeks later: Tuesday 27 October 2026, the search's last day."""
LAATSTE_ZOEKDAG = datetime(2026, 10, 27, 23, 59, tzinfo=NL)
NA_ZOEKTERMIJN = datetime(2026, 10, 28, tzinfo=NL)


def voornemen(*, informed: bool = True) -> Case:
    command = Command("maak_voornemen_bekend", ZC, {"reden": "veiligheid", "ouders_geinformeerd": informed})
    case, _ = Case.open("v-1", VERWIJDERING, SCHOOL, "lln-2", command, VOORNEMEN)
    return case


def step(case: Case, name: str, payload: dict[str, Any], at: datetime, actor: Actor = ZC) -> Decision:
    return case.handle(VERWIJDERING, Command(name, actor, payload), at, Context(instant=at))


def prepared(*, heard: tuple[str, ...] = ("ouders", "leerling", "leraar"), inspectie: bool = True,
             leerplicht: bool = True, gezocht: bool = True) -> Case:
    case = voornemen()
    at = datetime(2026, 9, 15, 10, tzinfo=NL)
    if heard:
        step(case, "leg_horen_vast", {"gehoord_op": "2026-09-15", "ouders": "ouders" in heard,
                                      "leerling": "leerling" in heard, "leraar": "leraar" in heard}, at)
    if inspectie:
        step(case, "informeer_inspectie", {"gemeld_op": "2026-09-15"}, at)
    if leerplicht:
        step(case, "informeer_leerplicht", {"gemeld_op": "2026-09-15"}, at)
    if gezocht:
        step(case, "leg_zoekactie_vast", {"school_brin": OTHER, "uitkomst": "afgewezen"}, at, SWV)
    return case


def test_the_voornemen_starts_an_eight_week_search_term() -> None:
    case = voornemen()
    timer = case.timers["zoektermijn"]
    assert timer.deadline is not None
    assert (timer.deadline.last_day, timer.deadline.kind) == (date(2026, 10, 27), "wet")


def test_a_voornemen_not_made_known_to_the_parents_is_refused() -> None:
    with pytest.raises(GuardFailed) as refused:
        voornemen(informed=False)
    assert codes(refused) == ["voornemen-ouders-niet-geinformeerd"]


def test_removal_without_a_new_school_is_refused_on_the_last_day_of_the_eight_weeks() -> None:
    case = prepared()
    with pytest.raises(GuardFailed) as refused:
        step(case, "verwijder_zonder_nieuwe_school", {"toelichting": "vijf scholen benaderd"}, LAATSTE_ZOEKDAG)
    assert codes(refused) == ["zoektermijn-loopt-nog"]
    assert "tot en met 27 oktober 2026" in refused.value.detail_nl


def test_removal_without_a_new_school_is_allowed_once_the_eight_weeks_are_over_even_before_the_sweep() -> None:
    case = prepared()
    decision = step(case, "verwijder_zonder_nieuwe_school", {"toelichting": "vijf scholen benaderd"}, NA_ZOEKTERMIJN)
    assert (case.stage, decision.event.type) == ("verwijderd_zonder_nieuwe_school", "verwijderd_zonder_nieuwe_school")
    assert case.timers == {}


def test_the_passed_search_term_alerts_and_then_allows_removal_without_a_new_school() -> None:
    case = prepared()
    passed = fire(case, VERWIJDERING, "zoektermijn")
    assert passed.event.type == "verwijdering_zoektermijn_verstreken"
    assert VERWIJDERING.transition("voorgenomen", "meld_zoektermijn_verstreken").marks_missed_deadline  # type: ignore[union-attr]
    step(case, "verwijder_zonder_nieuwe_school", {"toelichting": "geen plek"}, datetime(2026, 11, 2, tzinfo=NL))
    assert case.stage == "verwijderd_zonder_nieuwe_school"


def test_removal_to_a_school_that_admits_the_pupil_needs_no_eight_weeks() -> None:
    case = prepared(gezocht=False)
    decision = step(case, "verwijder_naar_andere_school", {"naar_school": OTHER, "toelating_bevestigd": True},
                    datetime(2026, 9, 20, tzinfo=NL))
    assert (case.stage, decision.event.type) == ("verwijderd_met_nieuwe_school", "verwijderd_naar_andere_school")
    assert case.artifacts["nieuwe_school"]["naar_school"] == OTHER


def test_removal_to_another_school_needs_its_confirmed_admission_and_another_brin() -> None:
    case = prepared()
    at = datetime(2026, 9, 20, tzinfo=NL)
    with pytest.raises(GuardFailed) as unconfirmed:
        step(case, "verwijder_naar_andere_school", {"naar_school": OTHER, "toelating_bevestigd": False}, at)
    assert codes(unconfirmed) == ["toelating-niet-bevestigd"]
    with pytest.raises(GuardFailed) as same:
        step(case, "verwijder_naar_andere_school", {"naar_school": SCHOOL, "toelating_bevestigd": True}, at)
    assert codes(same) == ["zelfde-school"]


def test_removal_names_everyone_not_yet_heard_and_everyone_not_yet_told() -> None:
    case = prepared(heard=("leraar",), inspectie=False, leerplicht=False)
    with pytest.raises(GuardFailed) as refused:
        step(case, "verwijder_zonder_nieuwe_school", {"toelichting": "x"}, NA_ZOEKTERMIJN)
    assert codes(refused) == ["ouders-niet-gehoord", "leerling-niet-gehoord", "inspectie-niet-geinformeerd",
                              "leerplicht-niet-geinformeerd"]
    assert "De ouders zijn nog niet gehoord." in refused.value.detail_nl


def test_hearings_held_apart_add_up() -> None:
    case = prepared(heard=("ouders",))
    step(case, "leg_horen_vast", {"gehoord_op": "2026-09-20", "ouders": False, "leerling": True, "leraar": True},
         datetime(2026, 9, 20, 12, tzinfo=NL))
    assert {k for k in case.artifacts["horen"] if k.endswith("_gehoord_op")} == {
        "ouders_gehoord_op", "leerling_gehoord_op", "leraar_gehoord_op"}
    step(case, "verwijder_zonder_nieuwe_school", {"toelichting": "x"}, NA_ZOEKTERMIJN)


def test_a_hearing_names_someone_and_lies_between_the_voornemen_and_today() -> None:
    case = voornemen()
    at = datetime(2026, 9, 15, 10, tzinfo=NL)
    with pytest.raises(GuardFailed) as nobody:
        step(case, "leg_horen_vast", {"gehoord_op": "2026-09-15", "ouders": False, "leerling": False,
                                      "leraar": False}, at)
    assert codes(nobody) == ["niemand-gehoord"]
    with pytest.raises(GuardFailed) as early:
        step(case, "leg_horen_vast", {"gehoord_op": "2026-08-31", "ouders": True, "leerling": True,
                                      "leraar": True}, at)
    assert codes(early) == ["datum-voor-voornemen"]


def test_removal_without_a_new_school_needs_a_recorded_search() -> None:
    case = prepared(gezocht=False)
    with pytest.raises(GuardFailed) as refused:
        step(case, "verwijder_zonder_nieuwe_school", {"toelichting": "x"}, NA_ZOEKTERMIJN)
    assert codes(refused) == ["geen-zoekactie"]


def test_only_the_school_decides_a_removal() -> None:
    case = prepared()
    with pytest.raises(RoleNotAllowed):
        step(case, "verwijder_zonder_nieuwe_school", {"toelichting": "x"}, NA_ZOEKTERMIJN, SWV)


# --- indicators ------------------------------------------------------------------------------------------


def test_the_indicators_count_schorsingen_longer_than_a_day_and_removals_without_a_new_school() -> None:
    events = [("s1", "leerling_geschorst", {"duur_meldplichtig": False}),
              ("s2", "leerling_geschorst", {"duur_meldplichtig": True}),
              ("v1", "verwijderd_naar_andere_school", {}),
              ("v2", "verwijderd_zonder_nieuwe_school", {})]
    found = indicators(events, [], 0)
    assert (found.schorsingen, found.schorsingen_langer_dan_een_dag) == (2, 1)
    assert (found.verwijderingen, found.verwijderingen_zonder_nieuwe_school) == (2, 1)
