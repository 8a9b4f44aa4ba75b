"""The simulated clock in people's words: how far to move it (a :class:`Step` such as ``7d``, ``3m`` or ``P1M2W``,
on the Dutch calendar) and where to set it (an instant as typed, without a zone Dutch time), a date as a
coordinator reads it ('maandag 7 december 2026, 10:00'), and the refusal of a move (:class:`ClockRefused`).

The clock itself, its row and its moves are in :mod:`infra.clock`; the CLI, the API and the web pages use these
words to read what an admin asks and to show where the clock stands.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from domain.durations import NL, add_months
from domain.errors import DomainError

DAYS = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")
MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
          "november", "december")


class ClockRefused(DomainError):
    """A move of the simulated clock that is not allowed (backwards, outside the window, too far, unreadable)."""

    code = "clock-refused"


@dataclass(frozen=True)
class Step:
    """How far to advance: calendar months, weeks and days on the Dutch calendar, then hours and minutes."""

    months: int = 0
    weeks: int = 0
    days: int = 0
    hours: int = 0
    minutes: int = 0

    def after(self, instant: datetime) -> datetime:
        """``instant`` advanced by this step (1 month after 31 January is the last day of February)."""
        local = add_months(instant.astimezone(NL), self.months) + timedelta(weeks=self.weeks, days=self.days)
        return local.astimezone(UTC) + timedelta(hours=self.hours, minutes=self.minutes)

    def describe_nl(self) -> str:
        """'1 maand en 2 weken'."""
        parts = [f"{n} {one if n == 1 else many}" for n, one, many in (
            (self.months, "maand", "maanden"), (self.weeks, "week", "weken"), (self.days, "dag", "dagen"),
            (self.hours, "uur", "uur"), (self.minutes, "minuut", "minuten")) if n]
        if len(parts) < 2:  # noqa: PLR2004 - one part, or none
            return parts[0] if parts else "0 dagen"
        return ", ".join(parts[:-1]) + " en " + parts[-1]


_ISO_STEP = re.compile(r"P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?", re.IGNORECASE)
_SHORT_STEP = re.compile(r"(\d+)\s*([a-z]+)", re.IGNORECASE)
_UNITS = {**dict.fromkeys(("d", "dag", "dagen"), "days"), **dict.fromkeys(("w", "wk", "week", "weken"), "weeks"),
          **dict.fromkeys(("m", "mnd", "maand", "maanden"), "months"),
          **dict.fromkeys(("j", "y", "jaar", "jaren"), "years"), **dict.fromkeys(("u", "h", "uur"), "hours")}
MAX_NUMBER = 100_000


def parse_step(text: str) -> Step:
    """``7d``, ``2w``, ``3m`` (months), ``1j``, ``12u`` or ISO 8601 (``P7D``, ``P1M2W``, ``PT12H``); ClockRefused
    for anything else, and for a step of nothing.
    """
    cleaned = text.strip()
    years = months = weeks = days = hours = minutes = 0
    if (iso := _ISO_STEP.fullmatch(cleaned)) and any(iso.groups()):
        years, months, weeks, days, hours, minutes = (int(g or 0) for g in iso.groups())
    elif (short := _SHORT_STEP.fullmatch(cleaned)) and short.group(2).lower() in _UNITS:
        unit, number = _UNITS[short.group(2).lower()], int(short.group(1))
        years, months, weeks, days, hours = (number if unit == u else 0
                                             for u in ("years", "months", "weeks", "days", "hours"))
    else:
        raise ClockRefused(f"Not a duration: {text!r}", f"'{text}' is geen duur: schrijf bijvoorbeeld 7d, 2w, 3m "
                           "(maanden), 1j, 12u of ISO 8601 (P7D, P1M, PT12H).")
    if max(years, months, weeks, days, hours, minutes) > MAX_NUMBER:
        raise ClockRefused(f"Duration too long: {text!r}", f"'{text}' is te lang om de klok mee te verzetten.")
    step = Step(12 * years + months, weeks, days, hours, minutes)
    if step == Step():
        raise ClockRefused("A duration of nothing", "Verzet de klok met een duur groter dan nul.")
    return step


def parse_instant(text: str) -> datetime:
    """An ISO 8601 date (the start of that Dutch day) or date and time (without a zone: Dutch time); ClockRefused
    for anything else.
    """
    cleaned = text.strip()
    try:
        if len(cleaned) == len("2026-12-07"):
            day = date.fromisoformat(cleaned)
            return datetime(day.year, day.month, day.day, tzinfo=NL).astimezone(UTC)
        instant = datetime.fromisoformat(cleaned)
        return (instant if instant.tzinfo else instant.replace(tzinfo=NL)).astimezone(UTC)
    except (ValueError, OverflowError) as error:
        raise ClockRefused(f"Not a date or instant: {text!r}",
                           f"'{text}' is geen datum of tijdstip: schrijf bijvoorbeeld 2026-12-07 of "
                           "2026-12-07T09:00 (ISO 8601; zonder tijdzone is het Nederlandse tijd).") from error


def describe_nl(instant: datetime, *, with_time: bool = True) -> str:
    """'maandag 7 december 2026, 10:00' on the Dutch wall clock."""
    local = instant.astimezone(NL)
    text = f"{DAYS[local.weekday()]} {local.day} {MONTHS[local.month - 1]} {local.year}"
    return f"{text}, {local:%H:%M}" if with_time else text
