"""School calendars: the shipped regional data, school days and school weeks, overrides."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from domain.feestdagen import pasen
from domain.verzuim.calendar import (
    REGIONS,
    WEEKDAYS_ONLY,
    Holiday,
    SchoolCalendar,
    calendar_data,
    default_calendar,
    holidays_from_data,
)
from domain.verzuim.leerplicht import school_year_bounds

VACATIONS = ("herfstvakantie", "kerstvakantie", "voorjaarsvakantie", "meivakantie", "zomervakantie")


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


@pytest.mark.parametrize("region", REGIONS)
def test_each_region_ships_the_five_vacations_for_2025_26_and_2026_27(region: str) -> None:
    years = calendar_data(region)["school_years"]
    for year in ("2025-26", "2026-27"):
        assert sorted(item["name"] for item in years[year]) == sorted(VACATIONS)
    assert calendar_data(region)["sources"]["overview"].startswith("https://www.rijksoverheid.nl/")


@pytest.mark.parametrize("name", [*REGIONS, "national"])
def test_every_holiday_lies_within_its_school_year(name: str) -> None:
    for year, items in calendar_data(name)["school_years"].items():
        first, last = school_year_bounds(year)
        for holiday in holidays_from_data(items):
            assert first <= holiday.first_day <= last, (year, holiday)
            if holiday.name == "zomervakantie":  # the summer runs into the next school year by ~6 weeks
                assert holiday.last_day <= last + timedelta(days=45), (year, holiday)
                assert (holiday.last_day - holiday.first_day).days == 6 * 7 + 1  # Saturday to Sunday
            else:
                assert holiday.last_day <= last, (year, holiday)


@pytest.mark.parametrize("region", REGIONS)
def test_every_vacation_runs_from_a_saturday_to_a_sunday(region: str) -> None:
    for items in calendar_data(region)["school_years"].values():
        for holiday in holidays_from_data(items):
            assert (holiday.first_day.weekday(), holiday.last_day.weekday()) == (5, 6), holiday


def test_the_2026_27_herfstvakantie_is_the_published_one_per_region() -> None:
    expected = {"noord": (date(2026, 10, 10), date(2026, 10, 18)),
                "midden": (date(2026, 10, 17), date(2026, 10, 25)),
                "zuid": (date(2026, 10, 17), date(2026, 10, 25))}
    for region, (first, last) in expected.items():
        herfst = [h for h in default_calendar(region).holidays if h.key == ("2026-27", "herfstvakantie")]
        assert [(h.first_day, h.last_day) for h in herfst] == [(first, last)]


def test_the_easter_based_free_days_match_the_computus() -> None:
    national = {(h.name, h.school_year): h.first_day
                for items in calendar_data("national")["school_years"].values() for h in holidays_from_data(items)}
    for year, label in ((2026, "2025-26"), (2027, "2026-27")):
        sunday = pasen(year)
        assert national[("Goede Vrijdag", label)] == sunday - timedelta(days=2)
        assert national[("Tweede Paasdag", label)] == sunday + timedelta(days=1)
        assert national[("Hemelvaartsdag", label)] == sunday + timedelta(days=39)
        assert national[("Tweede Pinksterdag", label)] == sunday + timedelta(days=50)


def test_optional_free_days_are_school_days_unless_asked_for() -> None:
    bevrijdingsdag_2027 = date(2027, 5, 5)  # a Wednesday in a non-lustrum year, after the meivakantie
    friday_after_hemelvaart = date(2027, 5, 7)
    plain = default_calendar("noord")
    assert plain.is_school_day(bevrijdingsdag_2027)
    assert plain.is_school_day(friday_after_hemelvaart)
    assert not plain.is_school_day(date(2027, 5, 6))  # Hemelvaartsdag itself
    everything = default_calendar("noord", include_optional=True)
    assert not everything.is_school_day(bevrijdingsdag_2027)
    assert not everything.is_school_day(friday_after_hemelvaart)


def test_default_calendars_are_loaded_once() -> None:
    assert default_calendar("zuid") is default_calendar("zuid", include_optional=False)


def test_an_unknown_region_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown region"):
        default_calendar("oost")


def test_weekends_and_holidays_are_not_school_days_and_unknown_years_are_plain_weekdays() -> None:
    midden = default_calendar("midden")
    assert midden.is_school_day(date(2026, 10, 16))  # Friday before the herfstvakantie
    assert not midden.is_school_day(date(2026, 10, 19))  # Monday in it
    assert not midden.is_school_day(date(2026, 10, 24))  # Saturday
    assert midden.is_school_day(date(2030, 10, 21))  # no data for 2030-31: a Monday is a school day
    assert not midden.is_school_day(date(2030, 10, 19))


@pytest.mark.parametrize("calendar", [default_calendar("noord"), default_calendar("zuid"), WEEKDAYS_ONLY])
def test_school_day_indexes_agree_with_counting_day_by_day(calendar: SchoolCalendar) -> None:
    school_days = [d for d in days(date(2025, 6, 1), date(2027, 10, 31)) if calendar.is_school_day(d)]
    base = calendar.school_days_before_ord(school_days[0].toordinal())
    for offset, day in enumerate(school_days):
        assert calendar.school_days_before_ord(day.toordinal()) == base + offset
        assert calendar.school_day_at_ord(base + offset) == day.toordinal()
    assert calendar.count_school_days(school_days[0], school_days[-1]) == len(school_days)


def test_next_and_previous_school_day_skip_a_holiday() -> None:
    zuid = default_calendar("zuid")
    assert zuid.next_school_day(date(2026, 10, 17)) == date(2026, 10, 26)
    assert zuid.previous_school_day(date(2026, 10, 25)) == date(2026, 10, 16)
    assert zuid.next_school_day(date(2026, 10, 26)) == date(2026, 10, 26)


def test_a_week_inside_a_holiday_is_not_a_school_week_and_is_skipped() -> None:
    midden = default_calendar("midden")
    assert not midden.is_school_week(date(2026, 10, 21))
    assert midden.is_school_week(date(2026, 10, 14))
    assert midden.school_weeks_between(date(2026, 10, 5), date(2026, 11, 2)) == 3
    assert WEEKDAYS_ONLY.school_weeks_between(date(2026, 10, 5), date(2026, 11, 2)) == 4
    assert midden.add_school_weeks(date(2026, 10, 14), 1) == date(2026, 10, 28)
    assert midden.add_school_weeks(date(2026, 10, 21), 1) == date(2026, 10, 28)
    assert midden.add_school_weeks(date(2026, 10, 5), 4) == date(2026, 11, 9)
    assert midden.school_weeks(date(2026, 10, 12), date(2026, 11, 1)) == [date(2026, 10, 12), date(2026, 10, 26)]


def test_a_week_with_one_school_day_is_a_school_week() -> None:
    calendar = SchoolCalendar("x", (Holiday("studieweek", date(2026, 9, 14), date(2026, 9, 17)),))
    assert calendar.is_school_week(date(2026, 9, 18))
    assert calendar.school_weeks(date(2026, 9, 14), date(2026, 9, 20)) == [date(2026, 9, 14)]


def test_an_override_replaces_the_same_holiday_and_adds_new_ones_leaving_the_default_alone() -> None:
    zuid = default_calendar("zuid")
    carnaval = Holiday("voorjaarsvakantie", date(2027, 2, 6), date(2027, 2, 14))
    studiedag = Holiday("studiedag", date(2026, 11, 23), date(2026, 11, 23))
    school = zuid.with_holidays([carnaval, studiedag], name="zuid 99XY")
    assert school.name == "zuid 99XY"
    assert not school.is_school_day(date(2027, 2, 8))
    assert school.is_school_day(date(2027, 2, 15))  # the default voorjaarsvakantie is gone
    assert not school.is_school_day(date(2026, 11, 23))
    assert zuid.is_school_day(date(2027, 2, 8))  # the default is unchanged
    assert not zuid.is_school_day(date(2027, 2, 15))


def test_an_override_can_remove_a_default_holiday() -> None:
    zuid = default_calendar("zuid")
    without = zuid.with_holidays([], remove=[("2026-27", "Tweede Paasdag")])
    assert without.is_school_day(date(2027, 3, 29))
    assert not zuid.is_school_day(date(2027, 3, 29))


@pytest.mark.parametrize(("item", "message"), [
    ({"name": "x", "first_day": "2026-10-10"}, "last_day"),
    ({"name": "x", "first_day": "2026-10-10", "last_day": "10-10-2026"}, "Invalid isoformat"),
    ({"name": "x", "first_day": "2026-10-10", "last_day": "2026-10-01"}, "ends"),
])
def test_holiday_data_is_validated_naming_the_entry(item: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message) as error:
        holidays_from_data([item])
    assert "holiday 0" in str(error.value)


def test_counting_school_weeks_agrees_with_listing_them() -> None:
    noord = default_calendar("noord")
    start = date(2026, 9, 30)
    for length in range(0, 140, 3):
        last = start + timedelta(days=length)
        assert noord.count_school_weeks(start, last) == len(noord.school_weeks(start, last)), last
    assert noord.count_school_weeks(date(2026, 10, 10), date(2026, 10, 18)) == 0
