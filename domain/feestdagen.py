"""The days on which a statutory term does not end: Saturdays, Sundays and the generally recognised
holidays of the Algemene termijnenwet (Atw), art. 3.

- art. 3 lid 1: Nieuwjaarsdag, tweede paasdag, tweede pinksterdag, eerste en tweede kerstdag,
  Hemelvaartsdag, the day the King's birthday is celebrated (Koningsdag) and 5 mei;
- art. 3 lid 2: Goede Vrijdag is equated with them;
- art. 3 lid 3: a Royal Decree (every three years, in the Staatscourant) equates further days: always the
  Friday after Hemelvaartsdag, and a Friday after a holiday on a Thursday that is generally a day off.
  :data:`GELIJKGESTELD` lists the days of the decrees up to :data:`GELIJKGESTELD_TOT`; for later years,
  not yet decreed, only the Friday after Hemelvaartsdag is assumed.

Easter is computed (the anonymous Gregorian algorithm), never listed by hand; every Easter-dependent
day follows from it.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache
from typing import Final

WEEKDAGEN = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")
GELIJKGESTELD: Final = {
    date(2022, 5, 27): "de vrijdag na Hemelvaartsdag",
    date(2023, 4, 28): "de vrijdag na Koningsdag",
    date(2023, 5, 19): "de vrijdag na Hemelvaartsdag",
    date(2024, 5, 10): "de vrijdag na Hemelvaartsdag",
    date(2024, 12, 27): "de vrijdag na tweede kerstdag",
    date(2025, 5, 30): "de vrijdag na Hemelvaartsdag",
    date(2026, 1, 2): "de vrijdag na Nieuwjaarsdag",
    date(2026, 5, 15): "de vrijdag na Hemelvaartsdag",
    date(2027, 5, 7): "de vrijdag na Hemelvaartsdag",
    date(2028, 4, 28): "de vrijdag na Koningsdag",
    date(2028, 5, 26): "de vrijdag na Hemelvaartsdag",
}
"""The days equated with a holiday by Royal Decree (Atw art. 3 lid 3), e.g. the 'Besluit gelijkstelling van
2 januari 2026, 15 mei 2026, 7 mei 2027, 28 april 2028 en 26 mei 2028 met een algemeen erkende feestdag'."""
GELIJKGESTELD_VANAF = 2022
GELIJKGESTELD_TOT = 2028
"""The years :data:`GELIJKGESTELD` covers; later years assume only the Friday after Hemelvaartsdag."""


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
    Sunday); before, Koninginnedag on 30 April (when the 30th was a Sunday: 29 April from 1980, 1 May before).
    """
    if year >= 2014:  # noqa: PLR2004 - Koningsdag since the change of monarch
        day = date(year, 4, 27)
    else:
        day = date(year, 4, 30)
        if year < 1980 and day.weekday() == 6:  # noqa: PLR2004 - under Juliana a Sunday moved to 1 May
            return date(year, 5, 1)
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
        days.update({day: name for day, name in GELIJKGESTELD.items() if day.year == year and day not in days})
    elif year > GELIJKGESTELD_TOT:
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
