"""The window of dates the system accepts as input: 1 January 1990 to 31 December 2100.

Every date and instant that comes in (a payload's date field, an ``occurred_at``, a holiday, a period
asked for, a birth date) must lie in it. Nothing about a pupil's school career lies outside it, and
keeping inputs inside it keeps every computation on them (a deadline weeks or years later, a school
year, a conversion to UTC) far from the ends of the calendar, where Python raises OverflowError.
Defined once here; the payload validation (``domain.fields``) and the API's schemas and query
parameters use it.
"""

from __future__ import annotations

from datetime import date, datetime

EARLIEST = date(1990, 1, 1)
LATEST = date(2100, 12, 31)


def in_window(day: date) -> bool:
    """Whether ``day`` (a date, or an instant's date in its own time zone) lies in the window."""
    value = day.date() if isinstance(day, datetime) else day
    return EARLIEST <= value <= LATEST


def outside_window(day: date) -> str | None:
    """None if ``day`` lies in the window, else the Dutch reason (without a subject, for any field)."""
    if in_window(day):
        return None
    return f"ligt niet tussen {EARLIEST.isoformat()} en {LATEST.isoformat()}"


def check_in_window(day: date, what: str) -> None:
    """Raise ValueError with a Dutch sentence about ``what`` unless ``day`` lies in the window."""
    reason = outside_window(day)
    if reason is not None:
        msg = f"{what} {reason}"
        raise ValueError(msg)
