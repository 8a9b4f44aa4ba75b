"""What an admin types to move the oefenomgeving's clock: durations (7d, 2w, 3m, P7D …) and dates or instants,
and how a step lands on the Dutch calendar.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from infra.clock import SimulatedTime
from infra.clock_words import ClockRefused, Step, describe_nl, parse_instant, parse_step

NL = ZoneInfo("Europe/Amsterdam")


@pytest.mark.parametrize(("text", "step"), [
    ("7d", Step(days=7)), ("7 dagen", Step(days=7)), ("1dag", Step(days=1)), ("2w", Step(weeks=2)),
    ("3m", Step(months=3)), ("1j", Step(months=12)), ("12u", Step(hours=12)), ("12h", Step(hours=12)),
    ("P7D", Step(days=7)), ("p7d", Step(days=7)), ("P1M2W", Step(months=1, weeks=2)), ("P1Y", Step(months=12)),
    ("PT12H", Step(hours=12)), ("PT30M", Step(minutes=30)), ("P1DT2H", Step(days=1, hours=2)), (" 2w ", Step(weeks=2)),
])
def test_a_duration_is_short_or_iso_8601(text: str, step: Step) -> None:
    """Short forms count months with m (minutes exist only in ISO form, after T)."""
    assert parse_step(text) == step


@pytest.mark.parametrize("text", ["", "7", "d", "7x", "P", "PT", "P-1D", "-7d", "7.5d", "P7", "1 week 2 dagen",
                                  "P100001D", "0d", "P0D"])
def test_anything_else_is_refused_in_dutch(text: str) -> None:
    """Including a step of nothing and a number too large to mean anything."""
    with pytest.raises(ClockRefused) as refused:
        parse_step(text)
    assert refused.value.detail_nl.endswith(".")
    assert "duur" in refused.value.detail_nl or "lang" in refused.value.detail_nl


def test_months_are_calendar_months_on_the_dutch_clock() -> None:
    """31 January + 1 month is 29 February in a leap year; a month across the change to summer time keeps the
    Dutch wall-clock hour; days likewise.
    """
    assert Step(months=1).after(datetime(2028, 1, 31, 9, tzinfo=NL)) == datetime(2028, 2, 29, 9, tzinfo=NL)
    assert Step(months=1).after(datetime(2027, 3, 15, 9, tzinfo=NL)) == datetime(2027, 4, 15, 9, tzinfo=NL)
    assert Step(days=1).after(datetime(2026, 10, 24, 12, tzinfo=NL)) == datetime(2026, 10, 25, 12, tzinfo=NL)
    assert Step(hours=24).after(datetime(2026, 10, 24, 12, tzinfo=NL)) == datetime(2026, 10, 25, 11, tzinfo=NL)


def test_a_date_is_the_start_of_that_dutch_day_and_an_instant_without_zone_is_dutch_time() -> None:
    """Every result is UTC."""
    assert parse_instant("2026-12-07") == datetime(2026, 12, 7, tzinfo=NL)
    assert parse_instant("2026-07-07") == datetime(2026, 7, 6, 22, tzinfo=UTC)
    assert parse_instant("2026-12-14T23:59") == datetime(2026, 12, 14, 23, 59, tzinfo=NL)
    assert parse_instant("2026-12-14T23:59:00+00:00") == datetime(2026, 12, 14, 23, 59, tzinfo=UTC)
    assert parse_instant("2026-12-07").tzinfo == UTC


@pytest.mark.parametrize("text", ["", "7 december", "2026-13-01", "2026-02-30", "morgen", "2026-12-07T25:00"])
def test_a_date_that_is_none_is_refused(text: str) -> None:
    """With the forms that are accepted in the message."""
    with pytest.raises(ClockRefused) as refused:
        parse_instant(text)
    assert "geen datum of tijdstip" in refused.value.detail_nl
    assert "2026-12-07T09:00" in refused.value.detail_nl


def test_the_simulated_now_runs_on_from_where_it_was_set() -> None:
    """simulated_at + (wall - set_at)."""
    row = SimulatedTime(datetime(2026, 9, 3, 9, tzinfo=UTC), datetime(2026, 12, 7, 10, tzinfo=UTC))
    assert row.at(datetime(2026, 12, 7, 12, 30, tzinfo=UTC)) == datetime(2026, 9, 3, 11, 30, tzinfo=UTC)


def test_dates_read_as_a_dutch_person_says_them() -> None:
    """Weekday, day, month, year (and the Dutch time)."""
    assert describe_nl(datetime(2026, 12, 7, 9, tzinfo=UTC)) == "maandag 7 december 2026, 10:00"
    assert describe_nl(datetime(2026, 12, 6, 23, 30, tzinfo=UTC), with_time=False) == "maandag 7 december 2026"
    assert Step(months=1, weeks=2).describe_nl() == "1 maand en 2 weken"
    assert Step(days=1, hours=2, minutes=30).describe_nl() == "1 dag, 2 uur en 30 minuten"
