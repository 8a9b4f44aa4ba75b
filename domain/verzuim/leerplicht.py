"""Leerplicht and kwalificatieplicht by age, and the school year: the one place with these rules.

Source: Leerplichtwet 1969 (https://wetten.overheid.nl/BWBR0002628).

* art. 3 -- leerplicht begins on the first school day of the month following the month in which
  the child turns 5.
* art. 4 -- leerplicht ends at the end of the school year in which the pupil turns 16, or earlier
  at the end of the school year in which the pupil completed 12 full school years.
* art. 4a -- kwalificatieplicht follows until the 18th birthday, unless the pupil obtains a
  startkwalificatie before then.
* art. 1 -- the school year runs from 1 August to 31 July.

Choices made here (documented because the law leaves them open or to the calendar):

* ``leerplicht_begins`` returns the first day of that month unless a school calendar is given; with
  a calendar it returns the first school day on or after it.
* Every "ends" function returns the LAST day on which the duty applies (inclusive), so a pupil is
  subject to it on that day and no longer on the day after.
* A pupil born on 29 February has birthdays on 1 March in common years.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Final, Protocol

SCHOOL_YEAR_FIRST_MONTH: Final = 8
"""The school year begins on 1 August (art. 1 Leerplichtwet) and ends on 31 July."""

LEERPLICHT_START_AGE: Final = 5
LEERPLICHT_END_AGE: Final = 16
KWALIFICATIEPLICHT_END_AGE: Final = 18


class HasSchoolDays(Protocol):
    """Anything that can name the first school day on or after a date (a ``SchoolCalendar``)."""

    def next_school_day(self, day: date) -> date:
        """The first school day on or after ``day``."""
        ...


def school_year_start(day: date) -> date:
    """1 August of the school year that contains ``day``."""
    year = day.year if day.month >= SCHOOL_YEAR_FIRST_MONTH else day.year - 1
    return date(year, SCHOOL_YEAR_FIRST_MONTH, 1)


def school_year_end(day: date) -> date:
    """31 July that ends the school year containing ``day``."""
    return date(school_year_start(day).year + 1, 7, 31)


def school_year(day: date) -> str:
    """The school year of ``day`` as a label: ``2026-27`` for 1 August 2026 up to 31 July 2027."""
    first = school_year_start(day).year
    return f"{first}-{(first + 1) % 100:02d}"


def school_year_bounds(label: str) -> tuple[date, date]:
    """First and last day of a school year named like ``2026-27``; ValueError for anything else."""
    head, sep, tail = label.partition("-")
    if not (sep and head.isdigit() and tail.isdigit() and len(head) == 4 and len(tail) == 2):  # noqa: PLR2004
        raise ValueError(f"a school year is written like '2026-27', got {label!r}")
    first = int(head)
    if (first + 1) % 100 != int(tail):
        raise ValueError(f"school year {label!r}: the second year must follow the first")
    return date(first, SCHOOL_YEAR_FIRST_MONTH, 1), date(first + 1, 7, 31)


def birthday(birth_date: date, age: int) -> date:
    """The day the pupil turns ``age``; 29 February becomes 1 March in common years."""
    try:
        return birth_date.replace(year=birth_date.year + age)
    except ValueError:
        return date(birth_date.year + age, 3, 1)


def leerplicht_begins(birth_date: date, calendar: HasSchoolDays | None = None) -> date:
    """The first day of leerplicht (art. 3): the first school day of the month after the 5th birthday.

    Without a calendar this is the first day of that month (an approximation: on 1 January or in
    a holiday the real first school day is later); with one it is the first school day on or after it.
    """
    month_index = birth_date.month + LEERPLICHT_START_AGE * 12
    first = date(birth_date.year + month_index // 12, month_index % 12 + 1, 1)
    return calendar.next_school_day(first) if calendar is not None else first


def leerplicht_ends(birth_date: date, *, twelve_school_years_end: date | None = None) -> date:
    """The last day of leerplicht (art. 4): 31 July of the school year in which the pupil turns 16.

    ``twelve_school_years_end`` is the last day of the pupil's 12th full school year, when the
    caller knows it; leerplicht then ends at the end of that school year if that is earlier.
    """
    end = school_year_end(birthday(birth_date, LEERPLICHT_END_AGE))
    if twelve_school_years_end is not None:
        end = min(end, school_year_end(twelve_school_years_end))
    return end


def kwalificatieplicht_ends(birth_date: date, *, startkwalificatie_on: date | None = None) -> date:
    """The last day of kwalificatieplicht (art. 4a): the day before the 18th birthday, or the day
    before the startkwalificatie was obtained if that is earlier.
    """
    end = birthday(birth_date, KWALIFICATIEPLICHT_END_AGE)
    if startkwalificatie_on is not None:
        end = min(end, startkwalificatie_on)
    return end - timedelta(days=1)


def is_leerplichtig(birth_date: date, on: date, calendar: HasSchoolDays | None = None) -> bool:
    """Whether the pupil is leerplichtig on ``on`` (see :func:`leerplicht_begins` for the calendar)."""
    return leerplicht_begins(birth_date, calendar) <= on <= leerplicht_ends(birth_date)


def is_kwalificatieplichtig(birth_date: date, on: date, *, startkwalificatie_on: date | None = None) -> bool:
    """Whether the pupil is kwalificatieplichtig on ``on``: after leerplicht ended, before 18 and
    without a startkwalificatie.
    """
    return leerplicht_ends(birth_date) < on <= kwalificatieplicht_ends(
        birth_date, startkwalificatie_on=startkwalificatie_on,
    )
