"""Guards of the thuiszitter pathway (DOMAIN.md §4: Leerplichtwet; Inspectie definition;
Thuiszitterspact 2016: no child at home for more than 3 months without a suitable offer).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from domain.durations import NL
from domain.errors import Missing
from domain.rules.overstap import brin_missing

if TYPE_CHECKING:
    from domain.case import Case
    from domain.context import Context
    from domain.rules import Effect, Guard

JSON = Any


def thuiszitter_sinds_voor_melding(case: Case, payload: Mapping[str, JSON], __: Context) -> list[Missing]:
    """A pupil is reported as a thuiszitter for an absence that has begun, not one yet to come."""
    sinds = date.fromisoformat(str(payload.get("sinds")))
    gemeld = case.opened_at.astimezone(NL).date()
    if sinds <= gemeld:
        return []
    return [Missing("sinds-na-melding",
                    f"De leerling zit volgens de melding sinds {sinds.isoformat()} thuis, "
                    f"maar de melding is van {gemeld.isoformat()}.")]


def thuiszitter_school_geldig(_: Case, payload: Mapping[str, JSON], __: Context) -> list[Missing]:
    """The school the pupil returns to is named by its BRIN code."""
    return brin_missing("school-ongeldig", payload.get("school_brin"), "de school waar de leerling naartoe gaat")


def thuiszitter_vrijstelling_na_raadpleging(case: Case, payload: Mapping[str, JSON], context: Context,
                                            ) -> list[Missing]:
    """Where the profile says so (VO 31-02, seed 001 §4.7), a vrijstelling 5 onder a is granted only after the SWV
    coordinator was consulted: the decision records the day, not before the thuiszitter was reported nor later
    than the decision itself.
    """
    verzuim = context.profile.setting("verzuim") or {}
    if payload.get("kind") != "5a" or not verzuim.get("vrijstelling_raadpleging_swv"):
        return []
    day = payload.get("swv_geraadpleegd_op")
    if day is None:
        return [Missing("swv-niet-geraadpleegd",
                        "Voor een vrijstelling op grond van artikel 5 onder a raadpleegt leerplicht eerst de "
                        "coördinator van het samenwerkingsverband; vul bij 'swv_geraadpleegd_op' (de dag waarop de "
                        "SWV-coördinator is geraadpleegd) in wanneer dat gebeurde.")]
    decided = (context.instant or case.stage_entered_at).astimezone(NL).date()
    if date.fromisoformat(str(day)) > decided:
        return [Missing("raadpleging-na-besluit",
                        f"De raadpleging van het samenwerkingsverband ({day}) ligt na het besluit "
                        f"({decided.isoformat()}).")]
    return []


GUARDS: Mapping[str, Guard] = {
    "thuiszitter_vrijstelling_na_raadpleging": thuiszitter_vrijstelling_na_raadpleging,
    "thuiszitter_sinds_voor_melding": thuiszitter_sinds_voor_melding,
    "thuiszitter_school_geldig": thuiszitter_school_geldig,
}
EFFECTS: Mapping[str, Effect] = {}
