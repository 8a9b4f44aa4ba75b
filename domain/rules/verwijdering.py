"""Guards and effects of the verwijdering pathway (DOMAIN.md §4 Schorsing en verwijdering).

Law, as checked (public copies of the texts and of the Steunpunt passend onderwijs, AVS, RBL and OCO summaries):
- WPO art. 40 (PO), WEC art. 40, WVO art. 27 (VO): before deciding, the bevoegd gezag hears the pupil's
  groepsleraar (VO: the leraar or leraren); definitive verwijdering only once another school is willing to admit
  the pupil, or when the school searched demonstrably and without success for 8 weeks.
- Inrichtingsbesluit WVO art. 14: the pupil and the parents are heard; the Inspectie is consulted before and told of
  the definitive decision. For PO the parents are heard under Awb art. 4:8 and common practice (the RBL and the
  model protocols hear the pupil too); here every sector hears ouders, leerling and leraar.
- Leerplichtwet art. 18: the school reports the uitschrijving to leerplicht (within 7 days, seed 004); that it
  tells leerplicht of the intended verwijdering before the decision is regional practice (DOMAIN.md §4).
- Not verified: the exact lid of WPO art. 40 and the article numbers since the WVO 2020.

The 8 weeks run from the voornemen (the ``zoektermijn`` timer); a definitive verwijdering without another school
is refused while they run, also before the sweep has reported them passed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from domain.durations import NL
from domain.errors import Missing
from domain.rules.overstap import brin_missing
from domain.terms import datum, last_day_of

if TYPE_CHECKING:
    from domain.case import Case
    from domain.context import Context
    from domain.rules import Effect, Guard

JSON = Any
GEHOORD = (("ouders", "De ouders zijn nog niet gehoord."), ("leerling", "De leerling is nog niet gehoord."),
           ("leraar", "De groepsleraar of de leraren van de leerling zijn nog niet gehoord."))


def _dag(case: Case, context: Context) -> date:
    return (context.instant or case.opened_at).astimezone(NL).date()


def _datum_tussen(case: Case, context: Context, day: date, wat: str) -> list[Missing]:
    """``day`` lies between the voornemen and today."""
    voornemen = case.opened_at.astimezone(NL).date()
    if day < voornemen:
        return [Missing("datum-voor-voornemen",
                        f"{wat} ({datum(day)}) ligt vóór het voornemen tot verwijdering ({datum(voornemen)}).")]
    if day > _dag(case, context):
        return [Missing("datum-in-toekomst", f"{wat} ({datum(day)}) ligt in de toekomst.")]
    return []


def verwijdering_ouders_geinformeerd(_: Case, payload: Mapping[str, JSON], __: Context) -> list[Missing]:
    """The parents are told of the voornemen in writing, so that they can give their view (Awb art. 4:8)."""
    if payload.get("ouders_geinformeerd") is True:
        return []
    return [Missing("voornemen-ouders-niet-geinformeerd",
                    "Het voornemen tot verwijdering moet schriftelijk aan de ouders zijn bekendgemaakt.")]


def verwijdering_iemand_gehoord(_: Case, payload: Mapping[str, JSON], __: Context) -> list[Missing]:
    """A hearing records who was heard."""
    if any(payload.get(wie) is True for wie, _ in GEHOORD):
        return []
    return [Missing("niemand-gehoord", "Geef aan wie er is gehoord: de ouders, de leerling of de leraar.")]


def verwijdering_hoordatum_geldig(case: Case, payload: Mapping[str, JSON], context: Context) -> list[Missing]:
    """The hearing took place between the voornemen and today."""
    return _datum_tussen(case, context, date.fromisoformat(str(payload["gehoord_op"])), "Het horen")


def verwijdering_horen(case: Case, payload: Mapping[str, JSON], __: Context) -> dict[str, dict[str, JSON]]:
    """Add who was heard, and when, to those heard before (hearings may be held apart)."""
    earlier = {k: v for k, v in case.artifacts.get("horen", {}).items() if k != "occurred_at"}
    heard = {f"{wie}_gehoord_op": payload["gehoord_op"] for wie, _ in GEHOORD if payload.get(wie) is True}
    return {"horen": {**earlier, **heard}}


def verwijdering_berichtdatum_geldig(case: Case, payload: Mapping[str, JSON], context: Context) -> list[Missing]:
    """The Inspectie or leerplicht was told between the voornemen and today."""
    return _datum_tussen(case, context, date.fromisoformat(str(payload["gemeld_op"])), "Het bericht")


def verwijdering_zoekactie_school(case: Case, payload: Mapping[str, JSON], __: Context) -> list[Missing]:
    """A search names another school by its BRIN code."""
    school = payload.get("school_brin")
    found = brin_missing("school-ongeldig", school, "de benaderde school")
    if not found and school == case.school_brin:
        found = [Missing("zelfde-school", f"Zoek een andere school dan de eigen school ({school}).")]
    return found


def verwijdering_gehoord(case: Case, _: Mapping[str, JSON], __: Context) -> list[Missing]:
    """Before a definitive verwijdering the parents, the pupil and the leraar are heard (law)."""
    horen = case.artifacts.get("horen", {})
    return [Missing(f"{wie}-niet-gehoord", tekst) for wie, tekst in GEHOORD if f"{wie}_gehoord_op" not in horen]


def verwijdering_inspectie_en_leerplicht(case: Case, _: Mapping[str, JSON], __: Context) -> list[Missing]:
    """Before a definitive verwijdering the Inspectie and leerplicht are told (law; regional practice)."""
    found = []
    if "inspectie" not in case.artifacts:
        found.append(Missing("inspectie-niet-geinformeerd", "De Inspectie is nog niet over de verwijdering "
                                                            "geïnformeerd."))
    if "leerplicht" not in case.artifacts:
        found.append(Missing("leerplicht-niet-geinformeerd", "Leerplicht is nog niet over de verwijdering "
                                                             "geïnformeerd."))
    return found


def verwijdering_naar_toelatende_school(case: Case, payload: Mapping[str, JSON], __: Context) -> list[Missing]:
    """Another, named school has confirmed that it admits the pupil (law)."""
    school = payload.get("naar_school")
    found = brin_missing("school-ongeldig", school, "de school die de leerling toelaat")
    if found:
        return found
    if school == case.school_brin:
        return [Missing("zelfde-school", f"Verwijderen kan alleen naar een andere school dan de eigen school "
                                         f"({school}).")]
    if payload.get("toelating_bevestigd") is not True:
        return [Missing("toelating-niet-bevestigd", f"School {school} heeft nog niet bevestigd dat zij de leerling "
                                                    "toelaat.")]
    return []


def verwijdering_zoektermijn_voorbij(case: Case, _: Mapping[str, JSON], context: Context) -> list[Missing]:
    """Without another school, a pupil is removed only after 8 weeks of searching (law); the term is over at the
    end of its last day, whether or not the sweep has reported it yet.
    """
    timer = case.timers.get("zoektermijn")
    if timer is None or (context.instant is not None and context.instant >= timer.due_at):
        return []
    return [Missing("zoektermijn-loopt-nog",
                    f"Zonder school die de leerling toelaat kan de leerling pas worden verwijderd na 8 weken zoeken: "
                    f"de zoektermijn loopt tot en met {datum(last_day_of(timer.due_at))}.")]


def verwijdering_aantoonbaar_gezocht(case: Case, _: Mapping[str, JSON], __: Context) -> list[Missing]:
    """The search must be demonstrable: at least one school approached is on record."""
    if "zoekactie" in case.artifacts:
        return []
    return [Missing("geen-zoekactie", "Er is geen zoekactie naar een andere school vastgelegd; de school moet "
                                      "aantoonbaar hebben gezocht.")]


GUARDS: Mapping[str, Guard] = {
    "verwijdering_ouders_geinformeerd": verwijdering_ouders_geinformeerd,
    "verwijdering_iemand_gehoord": verwijdering_iemand_gehoord,
    "verwijdering_hoordatum_geldig": verwijdering_hoordatum_geldig,
    "verwijdering_berichtdatum_geldig": verwijdering_berichtdatum_geldig,
    "verwijdering_zoekactie_school": verwijdering_zoekactie_school,
    "verwijdering_gehoord": verwijdering_gehoord,
    "verwijdering_inspectie_en_leerplicht": verwijdering_inspectie_en_leerplicht,
    "verwijdering_naar_toelatende_school": verwijdering_naar_toelatende_school,
    "verwijdering_zoektermijn_voorbij": verwijdering_zoektermijn_voorbij,
    "verwijdering_aantoonbaar_gezocht": verwijdering_aantoonbaar_gezocht,
}
EFFECTS: Mapping[str, Effect] = {"verwijdering_horen": verwijdering_horen}
