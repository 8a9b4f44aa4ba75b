"""The days on which a statutory term does not end: Saturdays, Sundays and the generally recognised
holidays of the Algemene termijnenwet (Atw), art. 3.

- art. 3 lid 1: Nieuwjaarsdag, tweede paasdag, tweede pinksterdag, eerste en tweede kerstdag,
  Hemelvaartsdag, the day the King's birthday is celebrated (Koningsdag) and 5 mei;
- art. 3 lid 2: Goede Vrijdag is equated with them;
- art. 3 lid 3: a Royal Decree (published in the Staatscourant, every three years) may equate further
  days. In practice the Friday after Hemelvaartsdag is equated every year; ``GELIJKGESTELD_VANAF`` and
  ``GELIJKGESTELD_TOT`` bound the years for which that has been checked.

Easter is computed (the anonymous Gregorian algorithm), never listed by hand; every Easter-dependent
day follows from it.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

WEEKDAGEN = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")
GELIJKGESTELD_VANAF = 2022
GELIJKGESTELD_TOT = 2027
"""The years whose Royal Decrees under Atw art. 3 lid 3 equate the Friday after Hemelvaartsdag."""


def pasen(year: int) -> date:
    """Easter Sunday of ``year`` in the Gregorian calendar (Meeus/Jones/Butcher)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    weekday_shift = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * weekday_shift) // 451
    month, day = divmod(h + weekday_shift - 7 * m + 114, 31)
    return date(year, month, day + 1)


def koningsdag(year: int) -> date:
    """The day the monarch's birthday is celebrated: 27 April from 2014 (26 April when the 27th is a
    Sunday); before, Koninginnedag on 30 April (29 April when the 30th is a Sunday).
    """
    day = date(year, 4, 27) if year >= 2014 else date(year, 4, 30)  # noqa: PLR2004 - the change of monarch
    return day - timedelta(days=1) if day.weekday() == 6 else day  # noqa: PLR2004 - Sunday


@cache
def atw_feestdagen(year: int) -> dict[date, str]:
    """The Atw's generally recognised holidays of ``year`` and the days equated with them, by name."""
    easter = pasen(year)
    days = {
        date(year, 1, 1): "Nieuwjaarsdag",
        easter - timedelta(days=2): "Goede Vrijdag",
        easter + timedelta(days=1): "tweede paasdag",
        koningsdag(year): "Koningsdag",
        date(year, 5, 5): "5 mei",
        easter + timedelta(days=39): "Hemelvaartsdag",
        easter + timedelta(days=50): "tweede pinksterdag",
        date(year, 12, 25): "eerste kerstdag",
        date(year, 12, 26): "tweede kerstdag",
    }
    if GELIJKGESTELD_VANAF <= year <= GELIJKGESTELD_TOT:
        days.setdefault(easter + timedelta(days=40), "de vrijdag na Hemelvaartsdag")
    return days


def rustdag(day: date) -> str | None:
    """Why a statutory term cannot end on ``day`` (``zaterdag``, ``zondag`` or the holiday), else None."""
    holiday = atw_feestdagen(day.year).get(day)
    if holiday is not None:
        return holiday
    return WEEKDAGEN[day.weekday()] if day.weekday() >= 5 else None  # noqa: PLR2004 - Saturday


def werkdag_op_of_na(day: date) -> date:
    """``day`` itself if a term may end on it, else the first day after it that is no rustdag."""
    while rustdag(day) is not None:
        day += timedelta(days=1)
    return day
