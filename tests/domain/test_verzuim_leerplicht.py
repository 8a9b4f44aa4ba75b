"""Leerplicht and kwalificatieplicht by age, and school years (Leerplichtwet art. 3, 4, 4a)."""

from __future__ import annotations

from datetime import date

import pytest

from domain.verzuim.calendar import default_calendar
from domain.verzuim.leerplicht import (
    birthday,
    is_kwalificatieplichtig,
    is_leerplichtig,
    kwalificatieplicht_ends,
    leerplicht_begins,
    leerplicht_ends,
    school_year,
    school_year_bounds,
    school_year_end,
)


@pytest.mark.parametrize(("born", "begins"), [
    (date(2021, 3, 15), date(2026, 4, 1)),
    (date(2021, 3, 1), date(2026, 4, 1)),
    (date(2021, 3, 31), date(2026, 4, 1)),
    (date(2021, 2, 28), date(2026, 3, 1)),
    (date(2020, 12, 31), date(2026, 1, 1)),
])
def test_leerplicht_begins_on_the_first_of_the_month_after_the_fifth_birthday(born: date, begins: date) -> None:
    assert leerplicht_begins(born) == begins


def test_a_child_born_on_the_first_is_not_leerplichtig_in_its_birthday_month() -> None:
    born = date(2021, 3, 1)
    assert not is_leerplichtig(born, date(2026, 3, 1))
    assert not is_leerplichtig(born, date(2026, 3, 31))
    assert is_leerplichtig(born, date(2026, 4, 1))


def test_with_a_calendar_leerplicht_begins_on_the_first_school_day_of_that_month() -> None:
    midden = default_calendar("midden")
    assert leerplicht_begins(date(2020, 12, 10), midden) == date(2026, 1, 5)  # kerstvakantie until 4 January
    assert leerplicht_begins(date(2021, 9, 10), midden) == date(2026, 10, 1)  # a Thursday, a school day


@pytest.mark.parametrize(("born", "ends"), [
    (date(2010, 7, 31), date(2026, 7, 31)),
    (date(2010, 8, 1), date(2027, 7, 31)),
    (date(2010, 1, 1), date(2026, 7, 31)),
    (date(2010, 12, 31), date(2027, 7, 31)),
])
def test_leerplicht_ends_on_31_july_of_the_school_year_in_which_the_pupil_turns_16(born: date, ends: date) -> None:
    assert leerplicht_ends(born) == ends


def test_twelve_full_school_years_end_leerplicht_earlier() -> None:
    born = date(2010, 12, 31)
    assert leerplicht_ends(born, twelve_school_years_end=date(2026, 7, 31)) == date(2026, 7, 31)
    assert leerplicht_ends(born, twelve_school_years_end=date(2028, 7, 31)) == date(2027, 7, 31)


def test_a_pupil_is_leerplichtig_through_31_july_and_kwalificatieplichtig_from_1_august() -> None:
    born = date(2010, 7, 31)
    assert is_leerplichtig(born, date(2026, 7, 31))
    assert not is_kwalificatieplichtig(born, date(2026, 7, 31))
    assert not is_leerplichtig(born, date(2026, 8, 1))
    assert is_kwalificatieplichtig(born, date(2026, 8, 1))


def test_kwalificatieplicht_ends_the_day_before_the_18th_birthday_or_the_startkwalificatie() -> None:
    born = date(2009, 5, 20)
    assert kwalificatieplicht_ends(born) == date(2027, 5, 19)
    assert is_kwalificatieplichtig(born, date(2027, 5, 19))
    assert not is_kwalificatieplichtig(born, date(2027, 5, 20))
    assert kwalificatieplicht_ends(born, startkwalificatie_on=date(2026, 7, 10)) == date(2026, 7, 9)
    assert not is_kwalificatieplichtig(born, date(2026, 9, 1), startkwalificatie_on=date(2026, 7, 10))


def test_a_4_year_old_and_a_17_year_old_are_not_leerplichtig() -> None:
    on = date(2026, 10, 1)
    assert not is_leerplichtig(date(2022, 3, 1), on)
    assert not is_leerplichtig(date(2009, 3, 1), on)
    assert is_kwalificatieplichtig(date(2009, 3, 1), on)


def test_a_birthday_on_29_february_falls_on_1_march_in_common_years() -> None:
    assert birthday(date(2008, 2, 29), 18) == date(2026, 3, 1)
    assert birthday(date(2008, 2, 29), 16) == date(2024, 2, 29)
    assert kwalificatieplicht_ends(date(2008, 2, 29)) == date(2026, 2, 28)
    assert leerplicht_begins(date(2020, 2, 29)) == date(2025, 3, 1)


@pytest.mark.parametrize(("day", "label"), [
    (date(2026, 7, 31), "2025-26"),
    (date(2026, 8, 1), "2026-27"),
    (date(2027, 1, 15), "2026-27"),
    (date(1999, 9, 1), "1999-00"),
])
def test_the_school_year_runs_from_1_august_to_31_july(day: date, label: str) -> None:
    assert school_year(day) == label
    first, last = school_year_bounds(label)
    assert first <= day <= last
    assert school_year_end(day) == last


@pytest.mark.parametrize("label", ["2026-2027", "2026/27", "2026-28", "26-27", ""])
def test_a_malformed_school_year_label_is_refused(label: str) -> None:
    with pytest.raises(ValueError, match="school year"):
        school_year_bounds(label)
