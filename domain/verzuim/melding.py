"""Meldplicht followed through, and the SWV consulted before a vrijstelling 5 onder a: pure rules.

**The verzuimmelding** (Leerplichtwet art. 21a). The school reports 16 hours of unauthorised absence
within 4 school weeks to leerplicht through DUO's verzuimregister, *onverwijld*; the Inspectie reads
that as **within 5 working days** after the 16 hours were passed (Inspectie, 'Registreren en melden van
ongeoorloofd verzuim'). The term starts the day after the signal's ``reached_on`` (the day the threshold
was crossed) and counts working days: not a Saturday, Sunday or a holiday of the Algemene termijnenwet
(:func:`domain.feestdagen.rustdag`); school holidays are working days. It ends at the end of its last day,
so a report on that day is in time and one on the next day is late. A profile may set another number of
working days (``meldplicht_termijn_werkdagen``).

The kinds a school reports under are DUO's (:data:`MELDING_KINDS`): 16 uur in 4 weken, langdurig
relatief verzuim, luxe verzuim, 18-plus (RMC) verzuim, and overig verzuim (not required by law).

**The SWV consulted** (seed 001 §4.7, VO 31-02): before leerplicht grants a vrijstelling 5 onder a it
contacts the SWV coordinator. An intended vrijstelling is recorded as *voorgenomen*; the coordinator is
asked to respond within ``vrijstelling_raadpleging_dagen`` calendar days (default 14: a profile choice,
the seed names no term). In a profile that requires the consultation (``vrijstelling_raadpleging_swv``),
a 5a without a consulted voornemen for the same pupil and first day is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final, Literal

from domain.feestdagen import rustdag
from domain.terms import datum

MELDING_KINDS: Final = {
    "zestien_uur": "16 uur ongeoorloofd verzuim binnen 4 lesweken",
    "langdurig_relatief": "langdurig relatief verzuim",
    "luxe": "luxe verzuim",
    "achttien_plus": "verzuim 18-plus (RMC)",
    "overig": "overig verzuim",
}
"""DUO's verzuimsoorten, by code, with their Dutch names."""
MELDPLICHT_SOURCE: Final = "Leerplichtwet art. 21a: onverwijld, volgens de Inspectie binnen 5 werkdagen"
Status = Literal["open", "op_tijd", "te_laat", "niet_gemeld"]
STATUS_LABELS: Final = {"open": "nog te melden", "op_tijd": "op tijd gemeld", "te_laat": "te laat gemeld",
                        "niet_gemeld": "niet gemeld binnen de termijn"}
VRIJSTELLING_CONSULT_KIND: Final = "5a"


def werkdagen_na(day: date, werkdagen: int) -> date:
    """The ``werkdagen``-th working day after ``day`` (``day`` itself does not count)."""
    counted = 0
    while counted < werkdagen:
        day += timedelta(days=1)
        counted += rustdag(day) is None
    return day


def meld_uiterlijk(reached_on: date, werkdagen: int = 5) -> date:
    """The last day on which the verzuimmelding of a signal reached on ``reached_on`` is in time."""
    return werkdagen_na(reached_on, werkdagen)


def melding_status(reached_on: date, reported_on: date | None, as_of: date, werkdagen: int = 5, *,
                   due_on: date | None = None) -> Status:
    """Where a signal's report stands on ``as_of`` (a day not yet over counts as still to come); ``due_on``,
    when given, is the last day as computed when the signal was stored.
    """
    last = due_on or meld_uiterlijk(reached_on, werkdagen)
    if reported_on is not None:
        return "op_tijd" if reported_on <= last else "te_laat"
    return "open" if as_of <= last else "niet_gemeld"


def escalates(reached_on: date, reported_on: date | None, as_of: date, werkdagen: int = 5) -> bool:
    """Whether a run as of ``as_of`` escalates the signal: no report recorded and its term is over."""
    return melding_status(reached_on, reported_on, as_of, werkdagen) == "niet_gemeld"


def melding_problems(kind: str, reported_on: date, reached_on: date, today: date) -> list[str]:
    """What is wrong with a report, in Dutch (empty: it may be recorded)."""
    found: list[str] = []
    if kind not in MELDING_KINDS:
        found.append(f"Soort melding '{kind}' kan niet; kies uit {', '.join(MELDING_KINDS)}.")
    if reported_on > today:
        found.append(f"De meldingsdatum {reported_on.isoformat()} ligt in de toekomst; leg een melding vast die "
                     "al gedaan is.")
    elif reported_on < reached_on:
        found.append(f"De meldingsdatum {reported_on.isoformat()} ligt vóór de dag waarop de meldplicht ontstond "
                     f"({reached_on.isoformat()}).")
    return found


def niet_gemeld_text(pupil_id: str, brin: str, reached_on: date, last_day: date, werkdagen: int) -> str:
    """The escalation's title for the zorgcoördinator and the SWV coordinator: ids and dates, no names."""
    return (f"Verzuimmelding niet gedaan: de meldplicht voor leerling {pupil_id} op school {brin} ontstond op "
            f"{datum(reached_on)}; de school had uiterlijk {datum(last_day)} ({werkdagen} werkdagen) bij DUO moeten "
            "melden (Leerplichtwet art. 21a) en heeft geen melding vastgelegd.")


@dataclass(frozen=True)
class Voornemen:
    """An intended vrijstelling and whether (and when) the SWV coordinator was consulted."""

    pupil_id: str
    kind: str
    first_day: date
    voorgenomen_on: date
    geraadpleegd_on: date | None = None


def raadplegen_uiterlijk(voorgenomen_on: date, dagen: int = 14) -> date:
    """The day the SWV coordinator is asked to respond by (a profile setting, in calendar days)."""
    return voorgenomen_on + timedelta(days=dagen)


def consult_problem(kind: str, first_day: date, *, required: bool, consulted: bool) -> str | None:
    """Why a vrijstelling may not be recorded yet, in Dutch, or None: in a profile that requires it, a 5a
    needs a voornemen for the same pupil and first day on which the SWV coordinator was consulted.
    """
    if not required or kind != VRIJSTELLING_CONSULT_KIND or consulted:
        return None
    return (f"een vrijstelling 5 onder a per {first_day.isoformat()} kan pas worden verleend als de "
            "SWV-coördinator is geraadpleegd (afspraak met leerplicht, ondersteuningsplan §4.7); leg eerst het "
            "voornemen vast en laat de SWV-coördinator de raadpleging vastleggen")
