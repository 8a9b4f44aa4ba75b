"""Counting terms as the law does (DOMAIN.md §8, issue 13): the end of the last day, the day after the decision,
calendar months, the Algemene termijnenwet (art. 1, 2 and 4), suspensions and extensions, school weeks, and the
reckoning in Dutch.

The text of the Algemene termijnenwet quoted below is that of wetten.overheid.nl BWBR0002448, read from the copy in
https://github.com/statengeneraal/laws-markdown/blob/master/wet/algemene/termijnenwet/BWBR0002448/README.md
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.durations import Duration
from domain.terms import KINDS, Basis, Deadline, Term, dag_en_datum, datum, duur, period_last_day
from domain.verzuim.calendar import WEEKDAYS_ONLY, default_calendar

NL = ZoneInfo("Europe/Amsterdam")
UTC = ZoneInfo("UTC")
ATW = "Algemene termijnenwet"

BEZWAAR = Basis("wet", "Awb art. 6:7, 6:8", "bekendmaking")
BESLISTERMIJN = Basis("wet", "Awb art. 4:13", "ontvangst")
REGIONAAL = Basis("regionaal", "seed 004", "melding")
PROFIEL = Basis("profiel", "profiel: advies_weken", "melding")
BESLUIT = Basis("besluit", "TLV-besluit", "einddatum")


def statutory(length: Duration, anchor: date) -> Deadline:
    """A statutory term of ``length`` after ``anchor`` (a decision made known)."""
    return Term(length, "na", BEZWAAR).deadline(anchor)


def ending_on(end: date, basis: Basis = BEZWAAR, *, atw_for_regional: bool = False) -> Deadline:
    """A six-week term whose arithmetic lands on ``end``."""
    return Term(Duration(weeks=6), "na", basis).deadline(end - timedelta(weeks=6), atw_for_regional=atw_for_regional)


# -- a term ends at the end of its last day ------------------------------------------------------------------------


@pytest.mark.parametrize("last_day", [
    date(2026, 12, 14),  # the TLV decision of the issue, winter time
    date(2027, 1, 4),
    date(2027, 7, 30),   # summer time
    date(2026, 10, 24),  # the day before summer time ends
    date(2027, 3, 27),   # the day before summer time starts
])
def test_a_term_has_passed_at_the_start_of_the_dutch_day_after_its_last_day(last_day: date) -> None:
    deadline = Term(None, "op", BESLUIT).deadline(last_day)
    next_day = last_day + timedelta(days=1)
    assert deadline.due_at == datetime(next_day.year, next_day.month, next_day.day, tzinfo=NL)
    assert deadline.due_at.utcoffset() is not None


@pytest.mark.parametrize("last_day", [date(2026, 12, 14), date(2027, 7, 30), date(2026, 10, 24)])
def test_a_step_at_any_moment_of_the_last_day_is_in_time_and_from_midnight_it_is_late(last_day: date) -> None:
    deadline = Term(None, "op", BESLUIT).deadline(last_day)
    y, m, d = last_day.year, last_day.month, last_day.day
    for in_time in (datetime(y, m, d, tzinfo=NL), datetime(y, m, d, 10, tzinfo=NL),
                    datetime(y, m, d, 23, 59, tzinfo=NL), datetime(y, m, d, 23, 59, 59, 999999, tzinfo=NL)):
        assert in_time < deadline.due_at, in_time
    next_day = last_day + timedelta(days=1)
    for late in (datetime(next_day.year, next_day.month, next_day.day, tzinfo=NL),
                 datetime(next_day.year, next_day.month, next_day.day, 0, 0, 1, tzinfo=NL)):
        assert late >= deadline.due_at, late


@pytest.mark.parametrize(("last_day", "utc"), [
    (date(2026, 12, 14), datetime(2026, 12, 14, 23, tzinfo=UTC)),  # CET: midnight is 23:00 UTC
    (date(2027, 7, 30), datetime(2027, 7, 30, 22, tzinfo=UTC)),    # CEST: midnight is 22:00 UTC
])
def test_the_end_of_the_day_is_dutch_midnight_whatever_the_clock_of_the_server(last_day: date, utc: datetime) -> None:
    due_at = Term(None, "op", BESLUIT).deadline(last_day).due_at
    assert due_at == utc
    assert due_at.astimezone(UTC) - timedelta(seconds=1) < utc
    assert datetime(last_day.year, last_day.month, last_day.day, 23, 30, tzinfo=UTC) >= due_at  # 23:30 UTC is late


# -- Awb 6:8: a term after a decision starts the day after ---------------------------------------------------------


def test_the_bezwaar_against_a_decision_made_known_on_20_november_2026_runs_to_monday_4_january_2027() -> None:
    deadline = statutory(Duration(weeks=6), date(2026, 11, 20))
    assert deadline.first_day == date(2026, 11, 21)
    assert deadline.end == date(2027, 1, 1)
    assert deadline.last_day == date(2027, 1, 4)
    assert deadline.reckoning == (
        "6 weken na bekendmaking op 20 november 2026 (Awb art. 6:7, 6:8) → 1 januari 2027, Nieuwjaarsdag → "
        "maandag 4 januari 2027 (Algemene termijnenwet art. 1)")
    assert datetime(2027, 1, 4, 23, 59, tzinfo=NL) < deadline.due_at <= datetime(2027, 1, 5, tzinfo=NL)


def test_a_decision_made_known_on_23_november_2026_also_ends_on_4_january_but_without_a_move() -> None:
    deadline = statutory(Duration(weeks=6), date(2026, 11, 23))
    assert deadline.end == deadline.last_day == date(2027, 1, 4)
    assert deadline.reckoning == "6 weken na bekendmaking op 23 november 2026 (Awb art. 6:7, 6:8) → 4 januari 2027"
    assert ATW not in deadline.reckoning


@pytest.mark.parametrize(("made_known", "end", "last_day"), [
    (date(2026, 11, 19), date(2026, 12, 31), date(2026, 12, 31)),  # Thursday 31 December is a working day
    (date(2026, 11, 20), date(2027, 1, 1), date(2027, 1, 4)),      # Nieuwjaarsdag, then the weekend
    (date(2026, 11, 21), date(2027, 1, 2), date(2027, 1, 4)),      # made known on a Saturday
    (date(2026, 11, 22), date(2027, 1, 3), date(2027, 1, 4)),      # ... on a Sunday
    (date(2026, 11, 23), date(2027, 1, 4), date(2027, 1, 4)),
    (date(2026, 11, 24), date(2027, 1, 5), date(2027, 1, 5)),
])
def test_six_weeks_end_on_the_same_weekday_six_weeks_later(made_known: date, end: date, last_day: date) -> None:
    deadline = statutory(Duration(weeks=6), made_known)
    assert (deadline.first_day, deadline.end, deadline.last_day) == (made_known + timedelta(days=1), end, last_day)


# -- calendar months -----------------------------------------------------------------------------------------------


def test_one_month_after_31_january_2027_is_28_february_which_is_a_sunday_so_monday_1_march() -> None:
    deadline = statutory(Duration(months=1), date(2027, 1, 31))
    assert deadline.end == date(2027, 2, 28)
    assert deadline.last_day == date(2027, 3, 1)
    assert deadline.reckoning.endswith(
        "→ 28 februari 2027, zondag → maandag 1 maart 2027 (Algemene termijnenwet art. 1)")


def test_one_month_after_31_january_2028_is_29_february_in_the_leap_year_a_tuesday() -> None:
    deadline = statutory(Duration(months=1), date(2028, 1, 31))
    assert deadline.end == deadline.last_day == date(2028, 2, 29)
    assert ATW not in deadline.reckoning


@pytest.mark.parametrize(("anchor", "length", "end"), [
    (date(2027, 1, 30), Duration(months=1), date(2027, 2, 28)),
    (date(2027, 1, 15), Duration(months=1), date(2027, 2, 15)),
    (date(2027, 2, 28), Duration(months=1), date(2027, 3, 28)),   # not the end of March: the same day number
    (date(2026, 11, 30), Duration(months=3), date(2027, 2, 28)),
    (date(2027, 11, 30), Duration(months=3), date(2028, 2, 29)),
    (date(2028, 2, 29), Duration(months=12), date(2029, 2, 28)),
    (date(2026, 8, 31), Duration(months=6), date(2027, 2, 28)),
])
def test_a_term_in_months_ends_on_the_same_day_number_or_the_last_day_of_a_shorter_month(
        anchor: date, length: Duration, end: date) -> None:
    assert Term(length, "na", REGIONAAL).deadline(anchor).end == end


# -- Atw art. 1: the end moves off a Saturday, Sunday or holiday ---------------------------------------------------



@pytest.mark.parametrize(("end", "reason", "last_day"), [
    (date(2026, 11, 21), "zaterdag", date(2026, 11, 23)),
    (date(2026, 11, 22), "zondag", date(2026, 11, 23)),
    (date(2026, 4, 3), "Goede Vrijdag", date(2026, 4, 7)),          # Fri, weekend, tweede paasdag → Tuesday
    (date(2026, 4, 6), "tweede paasdag", date(2026, 4, 7)),
    (date(2026, 4, 27), "Koningsdag", date(2026, 4, 28)),
    (date(2026, 5, 5), "5 mei", date(2026, 5, 6)),
    (date(2026, 5, 14), "Hemelvaartsdag", date(2026, 5, 18)),       # the Friday after is equated too
    (date(2026, 5, 25), "tweede pinksterdag", date(2026, 5, 26)),
    (date(2026, 12, 25), "eerste kerstdag", date(2026, 12, 28)),    # Fri 25, Sat 26, Sun 27 → Monday
    (date(2026, 12, 26), "tweede kerstdag", date(2026, 12, 28)),
    (date(2027, 1, 1), "Nieuwjaarsdag", date(2027, 1, 4)),
    (date(2027, 3, 26), "Goede Vrijdag", date(2027, 3, 30)),
    (date(2027, 3, 28), "zondag", date(2027, 3, 30)),               # eerste paasdag, then tweede paasdag
    (date(2027, 4, 27), "Koningsdag", date(2027, 4, 28)),
    (date(2027, 5, 5), "5 mei", date(2027, 5, 10)),                 # Wed 5 mei, Thu Hemelvaart, Fri equated, weekend
    (date(2027, 5, 6), "Hemelvaartsdag", date(2027, 5, 10)),
    (date(2027, 5, 17), "tweede pinksterdag", date(2027, 5, 18)),
    (date(2027, 12, 25), "eerste kerstdag", date(2027, 12, 27)),    # Christmas on the weekend → Monday
    (date(2028, 1, 1), "Nieuwjaarsdag", date(2028, 1, 3)),
    (date(2028, 4, 14), "Goede Vrijdag", date(2028, 4, 18)),
    (date(2028, 5, 5), "5 mei", date(2028, 5, 8)),
    (date(2028, 6, 5), "tweede pinksterdag", date(2028, 6, 6)),
    (date(2028, 12, 25), "eerste kerstdag", date(2028, 12, 27)),    # Mon 25, Tue 26 → Wednesday
    (date(2025, 4, 26), "Koningsdag", date(2025, 4, 28)),           # Koningsdag on Saturday 26 April 2025
    (date(2026, 1, 1), "Nieuwjaarsdag", date(2026, 1, 5)),  # Friday 2 January 2026 is equated
    (date(2028, 4, 27), "Koningsdag", date(2028, 5, 1)),  # Friday 28 April 2028 is equated
    (date(2028, 5, 25), "Hemelvaartsdag", date(2028, 5, 29)),  # Friday 26 May 2028 is equated
])
def test_a_statutory_term_ending_on_a_rustdag_runs_to_the_next_working_day(
        end: date, reason: str, last_day: date) -> None:
    deadline = ending_on(end)
    assert deadline.end == end
    assert deadline.last_day == last_day
    assert deadline.reckoning.endswith(f"{datum(end)}, {reason} → {dag_en_datum(last_day)} ({ATW} art. 1)")


@pytest.mark.parametrize("end", [date(2026, 12, 24), date(2026, 12, 31), date(2027, 5, 4), date(2027, 12, 24),
                                 date(2026, 4, 2), date(2026, 4, 7), date(2028, 12, 27)])
def test_a_statutory_term_ending_on_a_working_day_stays(end: date) -> None:
    deadline = ending_on(end)
    assert deadline.last_day == end
    assert ATW not in deadline.reckoning
    assert deadline.reckoning.endswith(f"→ {datum(end)}")


# -- regional agreements, profile settings, dates in a decision and terms counted back ------------------------------


@pytest.mark.parametrize("basis", [REGIONAAL, PROFIEL])
def test_a_regional_or_profile_term_is_not_moved_off_a_holiday(basis: Basis) -> None:
    deadline = ending_on(date(2027, 1, 1), basis)
    assert deadline.last_day == date(2027, 1, 1)
    assert deadline.reckoning.endswith(
        f"1 januari 2027, Nieuwjaarsdag, maar een {KINDS[basis.kind]} wordt niet verlengd")


@pytest.mark.parametrize("basis", [REGIONAAL, PROFIEL])
def test_a_regional_term_is_moved_when_the_profile_applies_the_atw_to_its_own_terms(basis: Basis) -> None:
    deadline = ending_on(date(2027, 1, 1), basis, atw_for_regional=True)
    assert deadline.last_day == date(2027, 1, 4)
    assert deadline.reckoning.endswith(f"Nieuwjaarsdag → maandag 4 januari 2027 ({ATW} art. 1)")


def test_a_regional_term_ending_on_a_working_day_carries_no_note() -> None:
    deadline = ending_on(date(2027, 1, 5), REGIONAAL)
    assert deadline.last_day == date(2027, 1, 5)
    assert "niet verlengd" not in deadline.reckoning


@pytest.mark.parametrize("atw_for_regional", [False, True])
def test_a_date_set_in_a_decision_is_never_moved(atw_for_regional: bool) -> None:
    on_a_saturday = Term(None, "op", BESLUIT).deadline(date(2027, 7, 31), atw_for_regional=atw_for_regional)
    assert on_a_saturday.last_day == date(2027, 7, 31)
    assert "31 juli 2027 (TLV-besluit)" in on_a_saturday.reckoning
    assert on_a_saturday.reckoning.endswith("zaterdag, maar een datum uit het besluit wordt niet verlengd")
    counted = Term(Duration(weeks=6), "na", BESLUIT).deadline(date(2026, 11, 20), atw_for_regional=atw_for_regional)
    assert counted.last_day == date(2027, 1, 1)


def test_a_term_ending_on_a_given_day_is_that_day_even_for_a_statutory_basis() -> None:
    deadline = Term(Duration(weeks=6), "op", BEZWAAR).deadline(date(2026, 12, 26))
    assert deadline.last_day == date(2026, 12, 26)
    assert "niet verlengd" in deadline.reckoning


def test_a_term_counted_back_from_a_day_is_not_moved_art_1_lid_2() -> None:
    # "Het vorige lid geldt niet voor termijnen, bepaald door terugrekening vanaf een tijdstip of een gebeurtenis."
    deadline = Term(Duration(weeks=1), "voor", BEZWAAR).deadline(date(2027, 1, 2))
    assert deadline.last_day == deadline.end == date(2026, 12, 26)
    assert deadline.reckoning.startswith("1 week vóór bekendmaking")
    assert deadline.reckoning.endswith(
        "2 januari 2027 (Awb art. 6:7, 6:8) → 26 december 2026, tweede kerstdag, maar een teruggerekende termijn "
        "wordt niet verlengd (Algemene termijnenwet art. 1 lid 2)")


def test_a_term_counted_back_onto_a_working_day_carries_no_note() -> None:
    deadline = Term(Duration(weeks=1), "voor", BEZWAAR).deadline(date(2027, 1, 5))
    assert deadline.last_day == date(2026, 12, 29)
    assert "niet verlengd" not in deadline.reckoning


# -- Atw art. 4: "Deze wet geldt niet voor termijnen: a. omschreven in uren, in meer dan 90 dagen, in meer dan
#    twaalf weken, in meer dan drie maanden, of in een of meer jaren" ------------------------------------------------



@pytest.mark.parametrize(("length", "anchor", "end"), [
    (Duration(months=12), date(2026, 12, 25), date(2027, 12, 25)),  # a year, ending on a Saturday (Christmas)
    (Duration(weeks=26), date(2027, 1, 2), date(2027, 7, 3)),       # 26 weeks, ending on a Saturday
    (Duration(months=4), date(2026, 10, 28), date(2027, 2, 28)),    # four months, ending on a Sunday
    (Duration(months=3, days=1), date(2026, 11, 27), date(2027, 2, 28)),
])
def test_a_statutory_term_longer_than_three_months_is_not_moved(length: Duration, anchor: date, end: date) -> None:
    deadline = statutory(length, anchor)
    assert deadline.end == deadline.last_day == end
    assert deadline.reckoning.endswith(
        f"maar de {ATW} geldt niet voor een termijn van meer dan 90 dagen, twaalf weken of drie maanden (art. 4)")


@pytest.mark.parametrize(("length", "anchor", "last_day"), [
    (Duration(months=3), date(2026, 11, 30), date(2027, 3, 1)),   # exactly three months → Sun 28 Feb → Mon 1 Mar
    (Duration(months=3), date(2026, 11, 28), date(2027, 3, 1)),
    (Duration(weeks=12), date(2027, 5, 1), date(2027, 7, 26)),    # twelve weeks → Sat 24 Jul → Mon 26 Jul
    (Duration(weeks=8), date(2026, 11, 6), date(2027, 1, 4)),     # Awb 4:13's eight weeks → Nieuwjaarsdag → Mon
    (Duration(days=90), date(2026, 11, 2), date(2027, 2, 1)),     # ninety days → Sun 31 Jan → Mon 1 Feb
    (Duration(days=90), date(2027, 1, 31), date(2027, 5, 3)),  # 90 days is not "meer dan 90 dagen"
])
def test_a_statutory_term_of_at_most_three_months_twelve_weeks_or_ninety_days_is_moved(
        length: Duration, anchor: date, last_day: date) -> None:
    deadline = statutory(length, anchor)
    assert deadline.last_day == last_day
    assert deadline.reckoning.endswith(f"→ {dag_en_datum(last_day)} ({ATW} art. 1)")


@pytest.mark.parametrize("length", [
    pytest.param(Duration(weeks=13), id="13-weeks"),
    pytest.param(Duration(days=91), id="91-days"),
])
def test_a_statutory_term_of_more_than_twelve_weeks_or_ninety_days_is_not_moved(length: Duration) -> None:
    deadline = statutory(length, date(2027, 5, 1))
    assert deadline.end == date(2027, 7, 31)
    assert deadline.last_day == date(2027, 7, 31)


# -- Atw art. 2: "Een in een wet gestelde termijn van ten minste drie dagen wordt, zo nodig, zoveel verlengd, dat
#    daarin ten minste twee dagen voorkomen die niet een zaterdag, zondag of algemeen erkende feestdag zijn." --------


def test_three_days_after_wednesday_23_december_2026_get_a_second_working_day_on_monday_28() -> None:
    deadline = statutory(Duration(days=3), date(2026, 12, 23))
    assert (deadline.first_day, deadline.end) == (date(2026, 12, 24), date(2026, 12, 26))  # Thu 24, Fri 25, Sat 26
    assert deadline.last_day == date(2026, 12, 28)
    assert deadline.reckoning.endswith(
        "→ 26 december 2026, minder dan twee werkdagen in de termijn → maandag 28 december 2026 "
        "(Algemene termijnenwet art. 2)")


@pytest.mark.parametrize(("anchor", "end", "art_1_alone", "last_day"), [
    # Fri 25 (kerst), Sat 26 (kerst), Sun 27: no working day; art. 1 alone gives Mon 28, art. 2 needs Tue 29 too
    (date(2026, 12, 24), date(2026, 12, 27), date(2026, 12, 28), date(2026, 12, 29)),
    # Fri 3 April (Goede Vrijdag), Sat, Sun 5 April 2026: Mon 6 is tweede paasdag, so Tue 7 and Wed 8
    (date(2026, 4, 2), date(2026, 4, 5), date(2026, 4, 7), date(2026, 4, 8)),
    # Fri 26 March 2027 (Goede Vrijdag), Sat, Sun 28 (Easter): Mon 29 is tweede paasdag, so Tue 30 and Wed 31
    (date(2027, 3, 25), date(2027, 3, 28), date(2027, 3, 30), date(2027, 3, 31)),
])
def test_art_2_extends_a_three_day_term_beyond_the_first_working_day(
        anchor: date, end: date, art_1_alone: date, last_day: date) -> None:
    deadline = statutory(Duration(days=3), anchor)
    assert deadline.end == end
    assert last_day > art_1_alone
    assert deadline.last_day == last_day
    assert deadline.reckoning.endswith(f"→ {dag_en_datum(last_day)} ({ATW} art. 2)")


@pytest.mark.parametrize(("anchor", "last_day"), [
    (date(2026, 12, 22), date(2026, 12, 28)),  # Wed 23 and Thu 24 are working days; Fri 25 moves by art. 1 only
    (date(2026, 11, 2), date(2026, 11, 5)),    # Tue, Wed, Thu: nothing to do
    (date(2026, 11, 4), date(2026, 11, 9)),    # Thu 5 and Fri 6 are working days; Sat 7 moves by art. 1 only
])
def test_art_2_does_not_extend_a_term_that_already_has_two_working_days(anchor: date, last_day: date) -> None:
    deadline = statutory(Duration(days=3), anchor)
    assert deadline.last_day == last_day
    assert "art. 2" not in deadline.reckoning


def test_art_2_does_not_apply_to_a_term_of_two_days() -> None:
    two = statutory(Duration(days=2), date(2026, 12, 24))  # Fri 25, Sat 26: no working day at all
    assert two.last_day == date(2026, 12, 28)  # art. 1 only
    assert "art. 2" not in two.reckoning
    assert two.reckoning.endswith(f"tweede kerstdag → maandag 28 december 2026 ({ATW} art. 1)")
    three = statutory(Duration(days=3), date(2026, 12, 24))
    assert three.last_day == date(2026, 12, 29)


def test_art_2_does_not_apply_to_a_regional_term() -> None:
    deadline = Term(Duration(days=3), "na", REGIONAAL).deadline(date(2026, 12, 24))
    assert deadline.last_day == date(2026, 12, 27)


# -- periods that include their first day --------------------------------------------------------------------------


@pytest.mark.parametrize(("first_day", "length", "last_day"), [
    (date(2026, 8, 1), Duration(months=12), date(2027, 7, 31)),
    (date(2027, 8, 1), Duration(months=12), date(2028, 7, 31)),
    (date(2027, 1, 1), Duration(months=12), date(2027, 12, 31)),
    (date(2026, 10, 1), Duration(months=12), date(2027, 9, 30)),
    (date(2028, 3, 1), Duration(months=12), date(2029, 2, 28)),
    (date(2027, 3, 15), Duration(months=1), date(2027, 4, 14)),
    (date(2026, 8, 1), Duration(weeks=1), date(2026, 8, 7)),
    (date(2026, 10, 1), Duration(months=1), date(2026, 10, 31)),
    (date(2026, 10, 1), Duration(months=3), date(2026, 12, 31)),
    (date(2027, 3, 1), Duration(months=6), date(2027, 8, 31)),
    (date(2027, 3, 1), Duration(months=12), date(2028, 2, 29)),
])
def test_a_period_that_starts_on_a_day_ends_the_day_before_the_same_day_later(
        first_day: date, length: Duration, last_day: date) -> None:
    assert period_last_day(first_day, length) == last_day


def test_a_tlv_from_1_august_2026_to_31_july_2027_lasts_a_year_and_one_day_less_does_not() -> None:
    year_end = period_last_day(date(2026, 8, 1), Duration(months=12))
    assert year_end == date(2027, 7, 31)
    assert (year_end - date(2026, 8, 1)).days + 1 == 365
    assert date(2027, 7, 31) >= year_end
    assert date(2027, 8, 1) >= year_end
    assert date(2027, 7, 30) < year_end  # a TLV ending on 30 July 2027 is a day short


# -- Awb 4:15 suspension and extensions ----------------------------------------------------------------------------


def test_a_suspension_moves_the_end_and_the_atw_applies_again_to_the_new_end() -> None:
    deadline = Term(Duration(weeks=8), "na", BESLISTERMIJN).deadline(date(2026, 9, 1))
    assert deadline.last_day == date(2026, 10, 27)
    suspended = deadline.shifted(11, "opgeschort (Awb art. 4:15)")
    assert suspended.end == date(2026, 11, 7)
    assert suspended.last_day == date(2026, 11, 9)
    assert suspended.reckoning == (
        "8 weken na ontvangst op 1 september 2026 (Awb art. 4:13) → 27 oktober 2026, opgeschort (Awb art. 4:15) → "
        "7 november 2026, zaterdag → maandag 9 november 2026 (Algemene termijnenwet art. 1)")
    assert deadline.last_day == date(2026, 10, 27)  # the original deadline is unchanged


def test_a_suspension_onto_a_working_day_needs_no_move() -> None:
    suspended = Term(Duration(weeks=8), "na", BESLISTERMIJN).deadline(date(2026, 9, 1)).shifted(7, "opgeschort")
    assert suspended.end == suspended.last_day == date(2026, 11, 3)
    assert ATW not in suspended.reckoning


def test_a_suspension_that_ends_on_christmas_runs_past_the_weekend() -> None:
    deadline = Term(Duration(weeks=8), "na", BESLISTERMIJN).deadline(date(2026, 10, 29))
    assert deadline.last_day == date(2026, 12, 24)
    assert deadline.shifted(1, "opgeschort").last_day == date(2026, 12, 28)


def test_a_suspension_moves_the_arithmetic_end_not_the_atw_moved_one() -> None:
    deadline = statutory(Duration(weeks=6), date(2026, 11, 20))  # end Fri 1 Jan 2027, last day Mon 4 Jan
    assert deadline.shifted(3, "opgeschort").last_day == date(2027, 1, 4)  # 1 + 3 = Mon 4 Jan
    assert deadline.shifted(4, "opgeschort").last_day == date(2027, 1, 5)


def test_a_suspended_regional_term_is_still_not_moved() -> None:
    suspended = ending_on(date(2026, 12, 21), REGIONAAL).shifted(5, "opgeschort")
    assert suspended.last_day == date(2026, 12, 26)


def test_an_extension_adds_its_length_to_the_end_and_the_atw_applies_again() -> None:
    deadline = statutory(Duration(weeks=6), date(2026, 10, 9))
    assert deadline.last_day == date(2026, 11, 20)
    extended = deadline.extended(Duration(weeks=6), "verdaagd (Awb art. 7:10 lid 3)")
    assert extended.end == date(2027, 1, 1)
    assert extended.last_day == date(2027, 1, 4)
    assert extended.reckoning.endswith(
        "→ 20 november 2026, verdaagd (Awb art. 7:10 lid 3): 6 weken erbij → 1 januari 2027, Nieuwjaarsdag → "
        "maandag 4 januari 2027 (Algemene termijnenwet art. 1)")


def test_an_extension_onto_a_working_day_needs_no_move() -> None:
    extended = statutory(Duration(weeks=6), date(2026, 10, 9)).extended(Duration(weeks=1), "verdaagd")
    assert extended.end == extended.last_day == date(2026, 11, 27)


# -- stored and read back ------------------------------------------------------------------------------------------


def _deadlines() -> list[Deadline]:
    moved = statutory(Duration(weeks=6), date(2026, 11, 20))
    return [
        moved,
        statutory(Duration(weeks=6), date(2026, 11, 23)),
        ending_on(date(2027, 1, 1), REGIONAAL),
        Term(Duration(weeks=1), "voor", BEZWAAR).deadline(date(2027, 1, 2)),
        Term(None, "op", BESLUIT).deadline(date(2027, 7, 31)),
        Term(Duration(weeks=8), "na", BESLISTERMIJN).deadline(date(2026, 9, 1)).shifted(11, "opgeschort"),
        moved.extended(Duration(weeks=2), "verdaagd"),
        statutory(Duration(days=3), date(2026, 12, 24)),
        statutory(Duration(months=12), date(2026, 12, 25)),
    ]


@pytest.mark.parametrize("deadline", _deadlines(), ids=lambda d: d.reckoning[:40])
def test_a_deadline_read_back_from_its_data_is_the_same_deadline(deadline: Deadline) -> None:
    data = json.loads(json.dumps(deadline.to_data()))
    again = Deadline.from_data(data)
    assert again == deadline
    assert (again.last_day, again.reckoning, again.due_at) == (deadline.last_day, deadline.reckoning, deadline.due_at)
    assert data["laatste_dag"] == deadline.last_day.isoformat()
    assert data["berekening"] == deadline.reckoning
    assert data["soort_tekst"] == KINDS[deadline.kind]


def test_deadlines_with_another_last_day_are_not_equal() -> None:
    assert statutory(Duration(weeks=6), date(2026, 11, 20)) != statutory(Duration(weeks=6), date(2026, 11, 23))


# -- school weeks --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("region", ["noord", "midden", "zuid"])
def test_four_school_weeks_skip_the_two_weeks_of_the_christmas_holiday(region: str) -> None:
    deadline = Term(Duration(school_weeks=4), "na", REGIONAAL).deadline(date(2026, 12, 4),
                                                                       calendar=default_calendar(region))
    assert deadline.last_day == date(2027, 1, 15)  # 7 Dec, 14 Dec, [21 Dec, 28 Dec], 4 Jan, 11 Jan
    assert deadline.reckoning == "4 schoolweken na melding op 4 december 2026 (seed 004) → 15 januari 2027"


def test_four_school_weeks_without_holidays_are_four_weeks_and_a_statutory_one_is_moved_off_nieuwjaarsdag() -> None:
    deadline = Term(Duration(school_weeks=4), "na", BEZWAAR).deadline(date(2026, 12, 4), calendar=WEEKDAYS_ONLY)
    assert deadline.end == date(2027, 1, 1)
    assert deadline.last_day == date(2027, 1, 4)


@pytest.mark.parametrize(("region", "last_day"), [
    ("noord", date(2026, 10, 21)),   # herfstvakantie 10-18 October: 5 Oct, [12 Oct], 19 Oct
    ("midden", date(2026, 10, 14)),  # herfstvakantie 17-25 October: after the end, so two plain weeks
    ("zuid", date(2026, 10, 14)),
])
def test_two_school_weeks_skip_the_autumn_holiday_of_the_region_only(region: str, last_day: date) -> None:
    deadline = Term(Duration(school_weeks=2), "na", REGIONAAL).deadline(date(2026, 9, 30),
                                                                       calendar=default_calendar(region))
    assert deadline.last_day == last_day


def test_school_weeks_without_a_holiday_are_calendar_weeks() -> None:
    deadline = Term(Duration(school_weeks=2), "na", REGIONAAL).deadline(date(2026, 11, 4),
                                                                       calendar=default_calendar("noord"))
    assert deadline.last_day == date(2026, 11, 18)


def test_a_school_week_term_from_a_day_in_the_holiday_counts_from_the_week_after() -> None:
    deadline = Term(Duration(school_weeks=1), "na", REGIONAAL).deadline(date(2026, 10, 14),
                                                                       calendar=default_calendar("noord"))
    assert deadline.last_day == date(2026, 10, 21)


def test_a_term_in_school_weeks_needs_the_schools_calendar() -> None:
    with pytest.raises(ValueError, match="calendar"):
        Term(Duration(school_weeks=4), "na", REGIONAAL).deadline(date(2026, 12, 4))


# -- what a deadline says ------------------------------------------------------------------------------------------


def test_a_basis_of_an_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown basis kind"):
        Basis("afspraak", "seed 004", "melding")


@pytest.mark.parametrize(("length", "text"), [
    (Duration(weeks=6), "6 weken"), (Duration(months=1), "1 maand"), (Duration(months=12), "12 maanden"),
    (Duration(weeks=1), "1 week"), (Duration(days=1), "1 dag"), (Duration(weeks=12, days=3), "12 weken en 3 dagen"),
    (Duration(school_weeks=4), "4 schoolweken"), (Duration(school_weeks=1), "1 schoolweek"),
])
def test_a_duration_reads_in_dutch(length: Duration, text: str) -> None:
    assert duur(length) == text


def test_a_date_reads_in_dutch_with_and_without_its_weekday() -> None:
    assert datum(date(2027, 1, 4)) == "4 januari 2027"
    assert dag_en_datum(date(2027, 1, 4)) == "maandag 4 januari 2027"
    assert dag_en_datum(date(2026, 11, 22)) == "zondag 22 november 2026"
