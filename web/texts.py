"""Dutch words for what the pages show: roles, dates and instants, payload values."""

from __future__ import annotations

from datetime import date, datetime

from domain.durations import NL
from domain.roles import ADMIN, BTO, DESKUNDIGE, LEERPLICHT, SWV_COORDINATOR, SYSTEEM, ZORGCOORDINATOR

MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
          "november", "december")
ROLES = {
    ZORGCOORDINATOR: "zorgcoördinator",
    SWV_COORDINATOR: "coördinator samenwerkingsverband",
    BTO: "lid commissie van toelaatbaarheid (BTO)",
    LEERPLICHT: "leerplichtambtenaar",
    DESKUNDIGE: "deskundige",
    ADMIN: "beheerder",
    SYSTEEM: "termijnbewaking (systeem)",
}


def role_label(role: str) -> str:
    """The role as a person says it."""
    return ROLES.get(role, role)


def local_date(value: datetime | date | str) -> date:
    """The Dutch calendar date of an instant, a date, or an ISO date string."""
    if isinstance(value, str):
        return date.fromisoformat(value)
    if isinstance(value, datetime):
        return value.astimezone(NL).date()
    return value


def date_nl(value: datetime | date | str) -> str:
    """'3 september 2026'."""
    day = local_date(value)
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def instant_nl(value: datetime) -> str:
    """'3 september 2026, 09:00' on the Dutch wall clock."""
    return f"{date_nl(value)}, {value.astimezone(NL):%H:%M}"


def iso(value: datetime) -> str:
    """The instant for a ``<time datetime>`` attribute."""
    return value.astimezone(NL).isoformat(timespec="minutes")


def code_label(code: str) -> str:
    """A code from a definition (a choice, a pathway name) as words: 'leerling_18_plus' -> 'leerling 18 plus'."""
    return code.replace("_", " ")


def sentence(text: str) -> str:
    """The label with a capital first letter ('instemming gegeven door' -> 'Instemming gegeven door')."""
    return text[:1].upper() + text[1:]


def value_nl(value: object, kind: str) -> str:
    """A payload value as a person reads it, by its field type."""
    if isinstance(value, bool):
        return "ja" if value else "nee"
    if kind == "date" and isinstance(value, str):
        try:
            return date_nl(value)
        except ValueError:
            return value
    if kind == "choice" and isinstance(value, str):
        return code_label(value)
    return str(value)

