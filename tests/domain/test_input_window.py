"""The window of accepted dates (``domain.window``), the payload validation that uses it, and the domain
checks on facts that cannot be true: a bezwaar lodged after the day it is recorded, a case under another
profile than its school's, a transfer to a school the reference data does not know.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from domain.access import CaseReach, Principal, SchoolOfRecord, check_may_open, profile_of_swv
from domain.case import Actor, Command
from domain.context import DEFAULT_PROFILE, Context, Profile
from domain.errors import GuardFailed, InvalidCommand, OutOfScope
from domain.fields import FieldSpec, clean_payload
from domain.handlers import NewCase, open_case, transfer_pupil
from domain.registry import PathwayRegistry
from domain.window import EARLIEST, LATEST, check_in_window, in_window, outside_window
from infra.store.memory import MemoryStore, MemoryUnitOfWork
from tests.domain.test_tlv_pathway import BESLOTEN, BEZWAAR, CONTEXT, granted, send
from web.monitor import period_of

DAY = FieldSpec("datum", "date", "datum van het knooppunt")
VO = Profile("vo-31-02", "VO 31-02", settings={"swv_codes": ["VO3102"]})
PO = Profile("zuid-limburg-po", "Zuid-Limburg PO", settings={"swv_codes": ["PO3104", "PO3105"]})
PROFILES = {DEFAULT_PROFILE: Profile(DEFAULT_PROFILE, "Standaard"), VO.code: VO, PO.code: PO}
ZC = Principal("zc-1", "zorgcoordinator", ("14PS03",))
COORDINATOR = Principal("swv-1", "swv_coordinator", ("PO3104",))
NOW = datetime(2026, 9, 3, 9, tzinfo=UTC)


def test_the_window_runs_from_1990_through_2100_inclusive() -> None:
    """Its first and last day are in it; the days just outside and the ends of the calendar are not."""
    assert (date(1990, 1, 1), date(2100, 12, 31)) == (EARLIEST, LATEST)
    assert in_window(EARLIEST)
    assert in_window(LATEST)
    for day in (date(1989, 12, 31), date(2101, 1, 1), date.min, date.max):
        assert not in_window(day)
        assert outside_window(day) == "ligt niet tussen 1990-01-01 en 2100-12-31"


def test_an_instant_counts_by_its_date_in_its_own_time_zone_and_is_never_converted() -> None:
    """Year 1 at +14:00 would overflow when converted to UTC: it is judged on its own date, and refused."""
    assert not in_window(datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14))))
    assert not in_window(datetime(9999, 12, 31, 23, 59, tzinfo=timezone(timedelta(hours=-14))))
    assert in_window(datetime(1990, 1, 1, 0, 0, tzinfo=timezone(timedelta(hours=14))))
    with pytest.raises(ValueError, match=r"^het tijdstip ligt niet tussen 1990-01-01 en 2100-12-31$"):
        check_in_window(datetime(1, 1, 1, tzinfo=UTC), "het tijdstip")


@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31", "1989-12-31", "2101-01-01"])
def test_a_date_field_outside_the_window_is_a_problem_naming_the_field(value: str) -> None:
    """The payload validation of every pathway: the field, its label and the window."""
    clean, problems = clean_payload({"datum": DAY}, {"datum": value})
    assert clean == {}
    assert problems == ["Veld 'datum' (datum van het knooppunt): ligt niet tussen 1990-01-01 en 2100-12-31."]


@pytest.mark.parametrize("value", ["1990-01-01", "2026-09-03", "2100-12-31"])
def test_a_date_field_inside_the_window_is_kept_as_iso(value: str) -> None:
    assert clean_payload({"datum": DAY}, {"datum": value}) == ({"datum": value}, [])


def test_a_bezwaar_lodged_after_the_day_it_is_recorded_is_refused() -> None:
    """Recorded on 21 October with the instant in the context (as the handlers pass it): lodged on the 22nd is
    a fact that cannot be true yet; lodged on the 20th is recorded.
    """
    case = granted()
    at = Context(CONTEXT.profile, lambda: CONTEXT.siblings, BEZWAAR)
    with pytest.raises(GuardFailed) as refused:
        send(case, "dien_bezwaar_in", BEZWAAR, {"ingediend_op": "2026-10-22"}, ctx=at)
    assert [m.code for m in refused.value.missing] == ["bezwaar-in-toekomst"]
    assert send(case, "dien_bezwaar_in", BEZWAAR, {"ingediend_op": "2026-10-20"}, ctx=at).event.stage_to == "bezwaar"
    assert BESLOTEN < BEZWAAR


def test_an_swv_runs_on_the_profile_listing_it_and_otherwise_on_the_standard_profile() -> None:
    assert profile_of_swv(PROFILES, "VO3102") == "vo-31-02"
    assert profile_of_swv(PROFILES, "PO3105") == "zuid-limburg-po"
    assert profile_of_swv(PROFILES, "VO9901") == DEFAULT_PROFILE


def _reach(profile: Profile, school: SchoolOfRecord | None, brin: str = "14PS03") -> CaseReach:
    return CaseReach(brin, profile, "opp", school=school)


def test_a_case_opened_under_another_profile_than_its_schools_is_refused_in_dutch() -> None:
    school = SchoolOfRecord("14PS03", "VO3102", "vo-31-02")
    check_may_open(ZC, _reach(VO, school))
    with pytest.raises(InvalidCommand) as refused:
        check_may_open(ZC, _reach(PO, school))
    assert refused.value.problems == (
        "School 14PS03 hoort bij SWV VO3102 (profiel vo-31-02), niet bij profiel zuid-limburg-po.",)


def test_a_school_unknown_to_the_reference_data_runs_only_on_the_standard_profile() -> None:
    check_may_open(ZC, _reach(PROFILES[DEFAULT_PROFILE], None))
    with pytest.raises(InvalidCommand, match="staat niet in de referentiegegevens"):
        check_may_open(ZC, _reach(VO, None))


def test_an_swv_coordinator_opens_only_for_the_schools_of_their_own_swv() -> None:
    """PO3104 and PO3105 share a profile: the PO3104 coordinator may not open for a PO3105 school (403)."""
    check_may_open(COORDINATOR, _reach(PO, SchoolOfRecord("20XY00", "PO3104", PO.code), "20XY00"))
    with pytest.raises(OutOfScope) as refused:
        check_may_open(COORDINATOR, _reach(PO, SchoolOfRecord("21AB00", "PO3105", PO.code), "21AB00"))
    assert refused.value.detail_nl == ("U kunt geen dossier openen voor school 21AB00: die hoort bij SWV PO3105, "
                                       "niet bij uw samenwerkingsverband (u hebt: PO3104).")


def test_a_transfer_to_a_school_the_reference_data_does_not_know_moves_nothing() -> None:
    """On the fake store (which knows 14PS00): 99ZZ99 is refused, 14PS00 accepted."""
    store = MemoryStore(schools={"14PS03", "14PS00"})
    registry = PathwayRegistry.builtin()
    command = Command("start_opp", Actor("zorgcoordinator", "zc-1"), {"extra_ondersteuning_sinds": "2026-09-01"})
    case_id = open_case(MemoryUnitOfWork(store), registry, NewCase("opp", "14PS03", "lln-1"), command, NOW).case_id
    actor = Actor("zorgcoordinator", "zc-1")
    with pytest.raises(InvalidCommand, match=r"^Invalid command: Onbekende school 99ZZ99"):
        transfer_pupil(MemoryUnitOfWork(store), "lln-1", "99ZZ99", actor, NOW)
    assert store.state.cases[case_id].school_brin == "14PS03"
    assert [o.case_id for o in transfer_pupil(MemoryUnitOfWork(store), "lln-1", "14PS00", actor, NOW)] == [case_id]


@pytest.mark.parametrize(("van", "tot"), [("0001-01-01", "2026-09-30"), ("2026-07-01", "9999-12-31")])
def test_the_monitor_page_shows_the_current_quarter_for_a_period_outside_the_window(van: str, tot: str) -> None:
    """/monitor?tot=9999-12-31 computed the day after the period and crashed (500): now the page shows the
    current quarter with a Dutch message, as for any other wrong period.
    """
    shown = period_of(van, tot, date(2026, 9, 3))
    assert (shown.first, shown.last) == (date(2026, 7, 1), date(2026, 9, 30))
    assert shown.error == ("De datums moeten tussen 01-01-1990 en 31-12-2100 liggen. Getoond wordt het huidige "
                           "kwartaal.")
    assert period_of("1990-01-01", "2100-12-31", date(2026, 9, 3)).error is None
