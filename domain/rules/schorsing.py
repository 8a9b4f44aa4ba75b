"""Guards and effects of the schorsing pathway (DOMAIN.md §4 Schorsing en verwijdering).

Law, as checked (public copies of the texts and of the AVS and Steunpunt passend onderwijs summaries):
- WPO art. 40c (PO), WEC art. 40a (SO/VSO), WVO art. 27 with Inrichtingsbesluit WVO art. 13 (VO): the bevoegd
  gezag may suspend a pupil *with reasons* for *at most one week*; the decision is made known to the parents in
  writing; the Inspectie is told in writing, with reasons, of a schorsing *for longer than one day*.
- Not in those articles: a term for telling the Inspectie (here a profile setting,
  ``durations.schorsing.inspectiemelding``) and telling leerplicht (regional practice, DOMAIN.md §4; asked here
  with the Inspectie report).
- Not verified: the article numbers of the VO rules since the WVO 2020.

"At most one week" is read as the law counts a week: a period of seven calendar days that includes its first
day (:func:`domain.terms.period_last_day`), so from a Wednesday up to and including the Tuesday after. Seven
calendar days never hold more than five school days, so "five school days", as schools write it, follows.
"Longer than one day" counts school days (days that are not a Saturday, Sunday or public holiday): a schorsing
from Friday to Monday lasts two school days and is reported.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from domain.durations import NL, Duration
from domain.errors import Missing
from domain.feestdagen import rustdag
from domain.terms import datum, period_last_day

if TYPE_CHECKING:
    from domain.case import Case
    from domain.context import Context
    from domain.rules import Effect, Guard

JSON = Any
WEEK = Duration(weeks=1)


def schooldagen(eerste: date, laatste: date) -> int:
    """The days from ``eerste`` up to and including ``laatste`` that are no Saturday, Sunday or public holiday
    (school holidays are not subtracted: a school does not suspend in its holidays).
    """
    return sum(1 for n in range((laatste - eerste).days + 1) if rustdag(eerste + timedelta(days=n)) is None)


def _periode(values: Mapping[str, JSON]) -> tuple[date, date]:
    return date.fromisoformat(str(values["eerste_dag"])), date.fromisoformat(str(values["laatste_dag"]))


def meldplichtig(case: Case) -> bool:
    """Whether the case's schorsing lasts longer than one (school) day, so the Inspectie must be told."""
    return bool(case.artifacts.get("duur", {}).get("meldplichtig", False))


def schorsing_ten_hoogste_een_week(_: Case, payload: Mapping[str, JSON], __: Context) -> list[Missing]:
    """A schorsing lasts at most one week (law): its last day is at the latest six days after its first, and it
    holds at least one school day.
    """
    eerste, laatste = _periode(payload)
    if laatste < eerste:
        return [Missing("schorsing-periode-omgekeerd",
                        f"De laatste dag van de schorsing ({datum(laatste)}) ligt vóór de eerste ({datum(eerste)}).")]
    uiterlijk = period_last_day(eerste, WEEK)
    if laatste > uiterlijk:
        return [Missing("schorsing-langer-dan-een-week",
                        f"Een schorsing duurt ten hoogste een week: vanaf {datum(eerste)} tot en met uiterlijk "
                        f"{datum(uiterlijk)}, niet tot en met {datum(laatste)}.")]
    if schooldagen(eerste, laatste) == 0:
        return [Missing("schorsing-geen-schooldag",
                        f"De schorsing van {datum(eerste)} tot en met {datum(laatste)} valt op geen enkele schooldag.")]
    return []


def schorsing_schriftelijk_met_redenen(_: Case, payload: Mapping[str, JSON], __: Context) -> list[Missing]:
    """The decision is taken in writing and with its reasons (law: 'met opgave van redenen')."""
    if payload.get("schriftelijk") is True:
        return []
    return [Missing("schorsing-niet-schriftelijk",
                    "Een schorsing wordt schriftelijk en met opgave van redenen besloten.")]


def schorsing_ouders_geinformeerd(_: Case, payload: Mapping[str, JSON], __: Context) -> list[Missing]:
    """The decision is made known to the parents in writing (law)."""
    if payload.get("ouders_geinformeerd") is True:
        return []
    return [Missing("schorsing-ouders-niet-geinformeerd",
                    "Het besluit tot schorsing moet schriftelijk aan de ouders zijn bekendgemaakt.")]


def schorsing_duur(_: Case, payload: Mapping[str, JSON], __: Context) -> dict[str, dict[str, JSON]]:
    """Record the schorsing's length in school days and whether it must be reported (longer than one day)."""
    dagen = schooldagen(*_periode(payload))
    return {"duur": {"schooldagen": dagen, "meldplichtig": dagen > 1}}


def schorsing_melddata_geldig(case: Case, payload: Mapping[str, JSON], context: Context) -> list[Missing]:
    """The reports were made on or after the decision and not after today."""
    besloten = case.opened_at.astimezone(NL).date()
    vandaag = (context.instant or case.opened_at).astimezone(NL).date()
    found = []
    for key, wie in (("inspectie_gemeld_op", "de Inspectie"), ("leerplicht_gemeld_op", "leerplicht")):
        day = date.fromisoformat(str(payload[key]))
        if day < besloten:
            found.append(Missing(f"{key}-voor-besluit", f"De melding aan {wie} ({datum(day)}) ligt vóór het besluit "
                                                        f"tot schorsing ({datum(besloten)})."))
        elif day > vandaag:
            found.append(Missing(f"{key}-in-toekomst", f"De melding aan {wie} ({datum(day)}) ligt in de toekomst."))
    return found


def schorsing_meldplichtig(case: Case, _: Mapping[str, JSON], __: Context) -> list[Missing]:
    """Only a schorsing of more than one day is reported late: one of a single day need not be reported."""
    if meldplichtig(case):
        return []
    return [Missing("schorsing-niet-meldplichtig",
                    "Een schorsing van één dag hoeft niet aan de Inspectie te worden gemeld.")]


def schorsing_gemeld_indien_meldplichtig(case: Case, _: Mapping[str, JSON], __: Context) -> list[Missing]:
    """A schorsing of more than one day ends only once its report to the Inspectie is on record: until then the
    case stays open, so the missing report stays in sight.
    """
    if not meldplichtig(case) or "melding" in case.artifacts:
        return []
    return [Missing("schorsing-niet-gemeld",
                    "Deze schorsing duurt langer dan één dag en is nog niet aan de Inspectie en leerplicht gemeld; "
                    "leg eerst de melding vast.")]


GUARDS: Mapping[str, Guard] = {
    "schorsing_ten_hoogste_een_week": schorsing_ten_hoogste_een_week,
    "schorsing_schriftelijk_met_redenen": schorsing_schriftelijk_met_redenen,
    "schorsing_ouders_geinformeerd": schorsing_ouders_geinformeerd,
    "schorsing_melddata_geldig": schorsing_melddata_geldig,
    "schorsing_meldplichtig": schorsing_meldplichtig,
    "schorsing_gemeld_indien_meldplichtig": schorsing_gemeld_indien_meldplichtig,
}
EFFECTS: Mapping[str, Effect] = {"schorsing_duur": schorsing_duur}
