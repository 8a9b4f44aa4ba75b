"""The Dutch one-line summaries of signals: what the recipient needs to act, never a name.

Only the pseudonymous pupil id, the school's BRIN, dates, school weeks and hours appear.
"""

from __future__ import annotations

from datetime import date
from typing import Final

MONTHS: Final = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
                 "september", "oktober", "november", "december")


def dutch_date(day: date) -> str:
    """``9 november 2026``."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def _hours(hours: float) -> str:
    return f"{hours:g}".replace(".", ",")


def _school(brin: str | None) -> str:
    return f"school {brin}" if brin else "geen school bekend"


def schoolweken(weeks: int) -> str:
    """'1 schoolweek', '4 schoolweken'."""
    return f"{weeks} schoolweek" if weeks == 1 else f"{weeks} schoolweken"


def meldplicht(pupil_id: str, brin: str, hours: float, unit: str, weeks: int, since: date, reached: date) -> str:
    """The zorgcoördinator's reminder that a verzuimmelding is due."""
    return (f"Meldplicht verzuim: leerling {pupil_id} op {_school(brin)} heeft {_hours(hours)} {unit} "
            f"ongeoorloofd verzuimd binnen {schoolweken(weeks)} ({dutch_date(since)} t/m {dutch_date(reached)}); "
            "melden bij leerplicht (DUO-verzuimregister).")


def dreigend(pupil_id: str, brin: str | None, weeks: int, since: date) -> str:
    """Threatening thuiszitter, to the zorgcoördinator and the SWV coordinator."""
    return (f"Dreigend thuiszitter: leerling {pupil_id} op {_school(brin)} is sinds {dutch_date(since)} "
            f"{schoolweken(weeks)} aaneengesloten ongeoorloofd afwezig.")


def thuiszitter_relatief(pupil_id: str, brin: str | None, weeks: int, since: date, reached: date) -> str:
    """The alert to leerplicht of the municipality of residence: enrolled but at home."""
    return (f"Thuiszitter (relatief verzuim): leerling {pupil_id}, ingeschreven op {_school(brin)}, is sinds "
            f"{dutch_date(since)} ongeoorloofd afwezig zonder vrijstelling: meer dan {schoolweken(weeks)} "
            f"op {dutch_date(reached)}.")


def verborgen(pupil_id: str, brin: str | None, weeks: int, since: date, reached: date) -> str:
    """To the SWV coordinator: at home with permission but without education (a hidden thuiszitter)."""
    return (f"Verborgen thuiszitter: leerling {pupil_id}, ingeschreven op {_school(brin)}, is sinds "
            f"{dutch_date(since)} met toestemming thuis zonder onderwijs (thuis in overleg, afspraak uit een "
            f"knooppunt, wachten op een plek of schorsing): meer dan {schoolweken(weeks)} op {dutch_date(reached)}.")


def thuiszitter_absoluut(pupil_id: str, brin: str | None, days: int, since: date, reached: date, *,
                         unenrolled_since: date, leerplichtig: bool = True) -> str:
    """The alert to leerplicht of the municipality of residence: under the duty and enrolled nowhere."""
    duty = "leerplichtig" if leerplichtig else "kwalificatieplichtig"
    home = "" if unenrolled_since == since else f" (thuis sinds {dutch_date(since)})"
    return (f"Thuiszitter (absoluut verzuim): leerling {pupil_id} is {duty} en sinds {dutch_date(unenrolled_since)} "
            f"nergens ingeschreven{home}: meer dan {days} dagen op {dutch_date(reached)}; laatste {_school(brin)}.")


def escalatie(pupil_id: str, brin: str | None, months: int, since: date, weeks: int, soort: str) -> str:
    """Thuiszitterspact escalation, to the SWV coordinator and again to leerplicht."""
    return (f"Escalatie thuiszitter ({soort} verzuim): leerling {pupil_id} ({_school(brin)}) zit sinds "
            f"{dutch_date(since)} thuis, {months} maanden of langer ({schoolweken(weeks)}) "
            "zonder passend aanbod (Thuiszitterspact).")


def thuiszitter_terug(pupil_id: str, brin: str | None, since: date, last_day: date, weeks: int) -> str:
    """To leerplicht and the SWV coordinator: the episode ended, so its trajectory can be closed."""
    return (f"Thuiszitter weer op school: leerling {pupil_id} ({_school(brin)}), thuis sinds {dutch_date(since)}, "
            f"is na {dutch_date(last_day)} niet meer ongeoorloofd afwezig ({schoolweken(weeks)} thuis). Sluit het "
            "thuiszittertraject af met 'Terug naar onderwijs' als de leerling echt terug is.")


def herinnering(pupil_id: str, since: date, ends: date) -> str:
    """The SWV coordinator's reminder that a 5-onder-a vrijstelling ends with the school year."""
    return (f"Herinnering vrijstelling 5 onder a: de vrijstelling van leerling {pupil_id} (sinds {dutch_date(since)}) "
            f"eindigt op {dutch_date(ends)}; verlenging moet vóór 1 juli zijn aangevraagd.")
