"""The days on which a statutory term cannot end (Algemene termijnenwet art. 3): Easter computed, every holiday by
name, weekends, the days equated by Royal Decree, and the next working day.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from domain.feestdagen import atw_feestdagen, koningsdag, pasen, rustdag, werkdag_op_of_na
from domain.verzuim.calendar import calendar_data, holidays_from_data

# Easter Sunday (Western, Gregorian) as published in two public tables, which agree with each other:
# - https://kalender-365.nl/feestdagen/1e-paasdag.html ("1e Paasdag 2025, 2026 en verder": 2024-2034)
# - https://whenisdate.com/events/easter/ ("Easter dates by year": 2026-2055)
# (the same dates for 2026-2035 in https://mail.easter-date.com/easter-2031 and, for 2025-2034, in
# https://coolconversion.com/easter-sunday/). Typed in from those pages, not computed.
PUBLISHED_EASTER = {
    2024: date(2024, 3, 31),
    2025: date(2025, 4, 20),
    2026: date(2026, 4, 5),
    2027: date(2027, 3, 28),
    2028: date(2028, 4, 16),
    2029: date(2029, 4, 1),
    2030: date(2030, 4, 21),
    2031: date(2031, 4, 13),
    2032: date(2032, 3, 28),
    2033: date(2033, 4, 17),
    2034: date(2034, 4, 9),
    2035: date(2035, 3, 25),
}

# Atw art. 3 lid 1 (and lid 2: Goede Vrijdag), per year, by name. Text of the law:
# https://github.com/statengeneraal/laws-markdown/blob/master/wet/algemene/termijnenwet/BWBR0002448/README.md
# (a copy of wetten.overheid.nl BWBR0002448). The 2026 dates agree with
# http://www.alle-feestdagen.be/nederland/feestdagen-2026.html.
ATW_HOLIDAYS = {
    2026: {
        "Nieuwjaarsdag": date(2026, 1, 1),
        "Goede Vrijdag": date(2026, 4, 3),
        "tweede paasdag": date(2026, 4, 6),
        "Koningsdag": date(2026, 4, 27),
        "5 mei": date(2026, 5, 5),
        "Hemelvaartsdag": date(2026, 5, 14),
        "tweede pinksterdag": date(2026, 5, 25),
        "eerste kerstdag": date(2026, 12, 25),
        "tweede kerstdag": date(2026, 12, 26),
    },
    2027: {
        "Nieuwjaarsdag": date(2027, 1, 1),
        "Goede Vrijdag": date(2027, 3, 26),
        "tweede paasdag": date(2027, 3, 29),
        "Koningsdag": date(2027, 4, 27),
        "5 mei": date(2027, 5, 5),
        "Hemelvaartsdag": date(2027, 5, 6),
        "tweede pinksterdag": date(2027, 5, 17),
        "eerste kerstdag": date(2027, 12, 25),
        "tweede kerstdag": date(2027, 12, 26),
    },
    2028: {
        "Nieuwjaarsdag": date(2028, 1, 1),
        "Goede Vrijdag": date(2028, 4, 14),
        "tweede paasdag": date(2028, 4, 17),
        "Koningsdag": date(2028, 4, 27),
        "5 mei": date(2028, 5, 5),
        "Hemelvaartsdag": date(2028, 5, 25),
        "tweede pinksterdag": date(2028, 6, 5),
        "eerste kerstdag": date(2028, 12, 25),
        "tweede kerstdag": date(2028, 12, 26),
    },
}


# The days equated with a holiday by Royal Decree under art. 3 lid 3. The decrees' titles, as quoted on
# https://sterfgeval.nl/juridisch/overige/vragen-van-uitvaartondernemers/gemeentelijke-feestdag-bij-lijkbezorging-feestdagen-in-2026-2028/70745
# (and listed the same way in public code): "Besluit gelijkstelling van 28 april 2023, 19 mei 2023, 10 mei 2024,
# 27 december 2024 en 30 mei 2025 met een algemeen erkende feestdag" and "Besluit gelijkstelling van 2 januari 2026,
# 15 mei 2026, 7 mei 2027, 28 april 2028 en 26 mei 2028 met een algemeen erkende feestdag".
DECREE_DAYS = frozenset({date(2023, 4, 28), date(2023, 5, 19), date(2024, 5, 10), date(2024, 12, 27),
                         date(2025, 5, 30), date(2026, 1, 2), date(2026, 5, 15), date(2027, 5, 7),
                         date(2028, 4, 28), date(2028, 5, 26)})

def _holiday_rows() -> list[tuple[int, str, date]]:
    return [(year, name, day) for year, days in ATW_HOLIDAYS.items() for name, day in days.items()]


# -- Easter --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("year", "published"), PUBLISHED_EASTER.items())
def test_pasen_gives_the_published_easter_sunday_for_2024_to_2035(year: int, published: date) -> None:
    assert pasen(year) == published
    assert pasen(year).weekday() == 6


def test_easter_always_falls_on_a_sunday_between_22_march_and_25_april() -> None:
    for year in range(1583, 4100):
        easter = pasen(year)
        assert easter.weekday() == 6, year
        assert date(year, 3, 22) <= easter <= date(year, 4, 25), year


def test_the_extreme_easter_dates_are_the_known_ones() -> None:
    # 1818 and 2285 on 22 March; 1943 and 2038 on 25 April (https://hooghalen.com/algemeen/spel/wanneer.html).
    assert [pasen(y) for y in (1818, 2285, 1943, 2038)] == [
        date(1818, 3, 22), date(2285, 3, 22), date(1943, 4, 25), date(2038, 4, 25)]


# -- the holidays of art. 3, by name -------------------------------------------------------------------------------


@pytest.mark.parametrize(("year", "name", "day"), _holiday_rows())
def test_every_atw_holiday_is_a_rustdag_by_its_name(year: int, name: str, day: date) -> None:
    assert atw_feestdagen(year)[day] == name
    assert rustdag(day) == name


@pytest.mark.parametrize("year", ATW_HOLIDAYS)
def test_no_day_is_a_holiday_unless_art_3_or_a_decree_makes_it_one(year: int) -> None:
    days = dict(atw_feestdagen(year))
    assert {day: name for name, day in ATW_HOLIDAYS[year].items()}.items() <= days.items()
    extra = {day for day in days if day not in ATW_HOLIDAYS[year].values()}
    assert extra <= DECREE_DAYS, sorted(extra - DECREE_DAYS)


@pytest.mark.parametrize("year", range(2024, 2036))
def test_the_easter_dependent_holidays_follow_from_easter(year: int) -> None:
    easter = pasen(year)
    by_name = {name: day for day, name in atw_feestdagen(year).items()}
    assert by_name["Goede Vrijdag"] == easter - timedelta(days=2)
    assert by_name["tweede paasdag"] == easter + timedelta(days=1)
    assert by_name["Hemelvaartsdag"] == easter + timedelta(days=39)
    assert by_name["tweede pinksterdag"] == easter + timedelta(days=50)
    assert by_name["Goede Vrijdag"].weekday() == 4
    assert by_name["tweede paasdag"].weekday() == by_name["tweede pinksterdag"].weekday() == 0
    assert by_name["Hemelvaartsdag"].weekday() == 3


@pytest.mark.parametrize(("year", "day"), [
    (2014, date(2014, 4, 26)),  # 27 April 2014 is a Sunday: the first Koningsdag was on Saturday the 26th
    (2025, date(2025, 4, 26)),  # 27 April 2025 is a Sunday
    (2026, date(2026, 4, 27)),
    (2031, date(2031, 4, 26)),  # 27 April 2031 is a Sunday
    (2013, date(2013, 4, 30)),  # Koninginnedag before 2014: 30 April ...
    (2006, date(2006, 4, 29)),  # ... and 29 April when the 30th is a Sunday (from 1980)
    (1989, date(1989, 4, 29)),
])
def test_koningsdag_is_the_day_the_monarchs_birthday_is_celebrated(year: int, day: date) -> None:
    assert koningsdag(year) == day
    assert rustdag(day) == "Koningsdag"


@pytest.mark.parametrize("day", [date(2025, 4, 27), date(2026, 4, 26), date(2006, 4, 30), date(2013, 4, 29)])
def test_the_days_next_to_koningsdag_are_not_koningsdag(day: date) -> None:
    assert rustdag(day) != "Koningsdag"


def test_koninginnedag_before_1980_moved_from_a_sunday_to_1_may() -> None:
    assert koningsdag(1978) == date(1978, 5, 1)


# -- days equated by Royal Decree (art. 3 lid 3) -------------------------------------------------------------------


@pytest.mark.parametrize("day", [date(2023, 5, 19), date(2024, 5, 10), date(2025, 5, 30), date(2026, 5, 15),
                                 date(2027, 5, 7)])
def test_the_friday_after_hemelvaartsdag_is_equated_with_a_holiday(day: date) -> None:
    assert rustdag(day) == "de vrijdag na Hemelvaartsdag"


_MISSING_DECREE_DAYS = ("domain.feestdagen equates only the Friday after Hemelvaartsdag in 2022-2027 "
                        "(GELIJKGESTELD_VANAF/TOT); the Royal Decrees also equate this day")


@pytest.mark.parametrize("day", [
    pytest.param(date(2023, 4, 28), id="friday-after-koningsdag-2023"),
    pytest.param(date(2024, 12, 27), id="friday-after-tweede-kerstdag-2024"),
    pytest.param(date(2026, 1, 2), id="friday-after-nieuwjaarsdag-2026"),
    pytest.param(date(2028, 4, 28), id="friday-after-koningsdag-2028"),
    pytest.param(date(2028, 5, 26), id="friday-after-hemelvaartsdag-2028"),
])
def test_every_day_equated_by_the_decrees_2023_2028_is_a_rustdag(day: date) -> None:
    assert rustdag(day) is not None


# -- ordinary days -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("day", [
    date(2026, 5, 4),    # 4 May (Dodenherdenking) on a Monday
    date(2027, 5, 4),    # ... on a Tuesday
    date(2026, 12, 24),  # Christmas Eve on a Thursday
    date(2027, 12, 24),  # ... on a Friday
    date(2026, 12, 31),  # New Year's Eve on a Thursday
    date(2027, 12, 31),  # ... on a Friday
    date(2026, 4, 2),    # Witte Donderdag
    date(2026, 4, 7),    # the Tuesday after Easter
    date(2026, 4, 28),   # the day after Koningsdag
    date(2027, 2, 8),    # carnival Monday is no Atw holiday
    date(2026, 8, 3),    # an ordinary Monday in the summer holiday
])
def test_an_ordinary_weekday_is_not_a_rustdag(day: date) -> None:
    assert day.weekday() < 5
    assert rustdag(day) is None
    assert werkdag_op_of_na(day) == day


@pytest.mark.parametrize("year", ATW_HOLIDAYS)
def test_eerste_paasdag_and_eerste_pinksterdag_are_rustdagen_as_sundays_not_as_holidays(year: int) -> None:
    easter = pasen(year)
    assert rustdag(easter) == "zondag"
    assert rustdag(easter + timedelta(days=49)) == "zondag"
    assert easter not in atw_feestdagen(year)


@pytest.mark.parametrize(("day", "name"), [
    (date(2026, 11, 21), "zaterdag"),
    (date(2026, 11, 22), "zondag"),
    (date(2027, 7, 31), "zaterdag"),
    (date(2028, 2, 27), "zondag"),
])
def test_saturday_and_sunday_are_rustdagen_by_their_weekday(day: date, name: str) -> None:
    assert rustdag(day) == name


def test_a_holiday_on_a_weekend_is_named_as_the_holiday() -> None:
    assert rustdag(date(2026, 12, 26)) == "tweede kerstdag"  # a Saturday
    assert rustdag(date(2027, 12, 26)) == "tweede kerstdag"  # a Sunday
    assert rustdag(date(2028, 1, 1)) == "Nieuwjaarsdag"  # a Saturday


# -- the next working day ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("day", "working_day"), [
    (date(2026, 12, 25), date(2026, 12, 28)),  # Fri eerste kerstdag, Sat tweede kerstdag, Sun → Mon 28 Dec
    (date(2026, 12, 26), date(2026, 12, 28)),
    (date(2027, 1, 1), date(2027, 1, 4)),      # Fri Nieuwjaarsdag → Mon 4 Jan
    (date(2027, 3, 26), date(2027, 3, 30)),    # Goede Vrijdag 2027 → Tue after tweede paasdag
    (date(2027, 3, 28), date(2027, 3, 30)),    # Easter Sunday 2027 → Tue
    (date(2027, 3, 29), date(2027, 3, 30)),    # tweede paasdag 2027 → Tue
    (date(2027, 5, 5), date(2027, 5, 10)),     # Wed 5 mei, Thu Hemelvaartsdag, Fri equated, weekend → Mon 10 May
    (date(2027, 12, 25), date(2027, 12, 27)),  # Sat and Sun Christmas 2027 → Mon
    (date(2028, 12, 25), date(2028, 12, 27)),  # Mon and Tue Christmas 2028 → Wed
    (date(2026, 11, 21), date(2026, 11, 23)),  # an ordinary Saturday → Monday
])
def test_werkdag_op_of_na_skips_weekends_and_holidays(day: date, working_day: date) -> None:
    assert werkdag_op_of_na(day) == working_day
    assert rustdag(working_day) is None


@pytest.mark.parametrize("day", [date(2026, 12, 23), date(2026, 12, 24), date(2027, 1, 4), date(2027, 3, 30)])
def test_werkdag_op_of_na_leaves_a_working_day_alone(day: date) -> None:
    assert werkdag_op_of_na(day) == day


# -- the verzuim school calendar agrees -----------------------------------------------------------------------------

_NATIONAL_TO_ATW = {
    "Goede Vrijdag": "Goede Vrijdag",
    "Tweede Paasdag": "tweede paasdag",
    "Koningsdag": "Koningsdag",
    "Bevrijdingsdag": "5 mei",
    "Hemelvaartsdag": "Hemelvaartsdag",
    "vrijdag na Hemelvaart": "de vrijdag na Hemelvaartsdag",
    "Tweede Pinksterdag": "tweede pinksterdag",
}


def _national_days() -> list[tuple[str, date]]:
    return [(holiday.name, day)
            for items in calendar_data("national")["school_years"].values()
            for holiday in holidays_from_data(items)
            for day in (holiday.first_day + timedelta(days=n)
                        for n in range((holiday.last_day - holiday.first_day).days + 1))]


def test_every_national_school_free_day_has_an_atw_counterpart() -> None:
    names = {name for name, _ in _national_days()}
    assert names <= set(_NATIONAL_TO_ATW), sorted(names - set(_NATIONAL_TO_ATW))
    assert len(_national_days()) >= 14  # two school years of seven days


@pytest.mark.parametrize(("name", "day"), _national_days())
def test_every_national_school_free_day_is_the_atw_holiday_of_the_same_name(name: str, day: date) -> None:
    # national.json lists Goede Vrijdag, Pasen, Hemelvaart and Pinksteren by hand: they must agree with pasen().
    assert atw_feestdagen(day.year).get(day) == _NATIONAL_TO_ATW[name]


@pytest.mark.parametrize(("name", "offset"), [("Goede Vrijdag", -2), ("Tweede Paasdag", 1), ("Hemelvaartsdag", 39),
                                              ("vrijdag na Hemelvaart", 40), ("Tweede Pinksterdag", 50)])
def test_the_easter_dependent_days_in_the_verzuim_calendar_agree_with_the_computus(name: str, offset: int) -> None:
    listed = [day for holiday, day in _national_days() if holiday == name]
    assert listed
    assert all(day == pasen(day.year) + timedelta(days=offset) for day in listed), listed
