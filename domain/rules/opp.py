"""Guards and effects of the OPP pathway (DOMAIN.md §3 OPP)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from domain.errors import Missing

if TYPE_CHECKING:
    from domain.case import Case
    from domain.context import Context
    from domain.rules import Effect, Guard

JSON = Any


def _handelingsdeel_versie(case: Case) -> int:
    return int(case.artifacts.get("handelingsdeel", {}).get("versie", 0))


def instemming_betreft_voorgelegde_versie(case: Case, payload: Mapping[str, JSON], _: Context) -> list[Missing]:
    """Parents consent to one version of the handelingsdeel: the one now presented (law, WPO/WVO)."""
    current, given = _handelingsdeel_versie(case), payload.get("handelingsdeel_versie")
    if given == current:
        return []
    return [Missing("instemming-verkeerde-versie",
                    f"De instemming noemt versie {given} van het handelingsdeel, "
                    f"maar de voorgelegde versie is {current}.")]


def instemming_voor_huidig_handelingsdeel(case: Case, _: Mapping[str, JSON], __: Context) -> list[Missing]:
    """The handelingsdeel is only in force with parental instemming for its current version (law since 2017)."""
    current = _handelingsdeel_versie(case)
    instemming = case.artifacts.get("instemming")
    if instemming is None:
        return [Missing("instemming-ontbreekt",
                        "De instemming van ouders met het handelingsdeel ontbreekt "
                        "(wie die gaf, wanneer, en voor welke versie).")]
    if instemming.get("handelingsdeel_versie") != current:
        return [Missing("instemming-ontbreekt",
                        f"De instemming van ouders met versie {current} van het handelingsdeel ontbreekt; "
                        f"er is alleen instemming met versie {instemming.get('handelingsdeel_versie')}.")]
    return []


def ouders_betrokken(_: Case, payload: Mapping[str, JSON], __: Context) -> list[Missing]:
    """The OPP is evaluated with the parents, at least yearly (law)."""
    if payload.get("met_ouders_besproken") is True:
        return []
    return [Missing("ouders-niet-betrokken", "De evaluatie van het OPP is niet met de ouders besproken.")]


def nieuwe_handelingsdeel_versie(case: Case, _: Mapping[str, JSON], __: Context) -> dict[str, dict[str, JSON]]:
    """Presenting or changing the handelingsdeel makes a new version, which needs a new instemming."""
    return {"handelingsdeel": {"versie": _handelingsdeel_versie(case) + 1}}


def opp_uitstroomprofiel(_: Case, payload: Mapping[str, JSON], __: Context) -> dict[str, dict[str, JSON]]:
    """The uitstroomprofiel given when the OPP starts (seed 001 §4.5.2, §4.9: vervolgonderwijs, arbeid or
    dagbesteding), in the same artifact 'leg_uitstroomprofiel_vast' records later; a TLV's default duration
    follows it.
    """
    if not payload.get("uitstroomprofiel"):
        return {}
    return {"uitstroomprofiel": {"uitstroomprofiel": payload["uitstroomprofiel"]}}


GUARDS: Mapping[str, Guard] = {
    "instemming_betreft_voorgelegde_versie": instemming_betreft_voorgelegde_versie,
    "instemming_voor_huidig_handelingsdeel": instemming_voor_huidig_handelingsdeel,
    "ouders_betrokken": ouders_betrokken,
}
EFFECTS: Mapping[str, Effect] = {
    "nieuwe_handelingsdeel_versie": nieuwe_handelingsdeel_versie,
    "opp_uitstroomprofiel": opp_uitstroomprofiel,
}
