"""The thuiszitter register as the Inspectie buckets it: relatief 4 weken-3 maanden or > 3 maanden,
absoluut, vrijstelling (issue 6, DOMAIN.md §4), and hidden thuiszitters under their own category,
bucketed the same way (issue 15; seed 002).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Final

from domain.verzuim.detection import add_months
from domain.verzuim.model import Episode

SHORT: Final = "4 weken–3 maanden"
LONG: Final = "> 3 maanden"


def duration_bucket(first_day: date, last_day: date, *, months: int = 3) -> str:
    """``> 3 maanden`` when the period from ``first_day`` to ``last_day`` (inclusive) lasts longer than
    ``months`` calendar months, else ``4 weken–3 maanden`` (only thuiszitter episodes are bucketed,
    and those are longer than 4 school weeks or 7 days by definition).
    """
    return LONG if last_day >= add_months(first_day, months) else SHORT


def register_category(episode: Episode, as_of: date) -> str:
    """The register's kind column: ``relatief 4 weken–3 maanden``, ``relatief > 3 maanden``,
    ``absoluut``, ``verborgen 4 weken–3 maanden``, ``verborgen > 3 maanden`` or ``vrijstelling``. An open
    episode is measured up to the day before ``as_of``.
    """
    if episode.kind not in ("relatief", "verborgen"):
        return episode.kind
    last = episode.last_day or as_of - timedelta(days=1)
    return f"{episode.kind} {duration_bucket(episode.first_day, last)}"
