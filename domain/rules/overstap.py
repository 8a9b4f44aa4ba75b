"""Guards and effects of the transfer pathways (DOMAIN.md §3 Herbeoordeling/terugplaatsing and
PO-VO overstap): VSO -> VO, S(B)O -> BaO terugplaatsing, and PO -> VO for pupils with extra needs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from domain.errors import Missing

if TYPE_CHECKING:
    from domain.case import Case
    from domain.context import Context
    from domain.rules import Effect, Guard

JSON = Any
BRIN = re.compile(r"^[0-9]{2}[A-Z]{2}([0-9]{2})?$")
"""A school's BRIN code, optionally with its two-digit vestiging (14PS, 14PS03)."""


def brin_missing(code: str, value: JSON, what: str) -> list[Missing]:
    """A Missing item when ``value`` is not a BRIN code; ``what`` names the school in Dutch."""
    if isinstance(value, str) and BRIN.match(value):
        return []
    what = f"{what[:1].upper()}{what[1:]}"
    if value is None:
        return [Missing(code, f"{what} ontbreekt: geef de BRIN-code (zoals 14PS03).")]
    return [Missing(code, f"{what} is niet met een BRIN-code opgegeven: '{value}' is geen BRIN-code (zoals 14PS03).")]


# --- VSO -> VO (seed 001 §4.5.3) ---------------------------------------------------------------


def vso_vo_school_geldig(_: Case, payload: Mapping[str, JSON], __: Context) -> list[Missing]:
    """The receiving VO school is named by its BRIN code."""
    return brin_missing("vo-school-ongeldig", payload.get("vo_school"), "de ontvangende VO-school")


def vso_vo_school_betrokken(_: Case, payload: Mapping[str, JSON], __: Context) -> list[Missing]:
    """The receiving VO school is involved from the start of the orientation phase (seed 001 §4.5.3)."""
    if payload.get("vo_school_betrokken") is True:
        return []
    return [Missing("vo-school-niet-betrokken",
                    "De ontvangende VO-school moet vanaf het begin bij de oriëntatiefase betrokken zijn.")]


# --- S(B)O -> BaO terugplaatsing (seeds 000, 002) ------------------------------------------------

KNOOPPUNT_UITKOMSTEN_TERUGPLAATSING = ("terugplaatsing_overwegen", "verplaatsing")


def _gehouden_knooppunt(context: Context) -> Case | None:
    return context.trajectory("knooppunt", {"gehouden"})


def terugplaatsing_via_knooppunt(_: Case, __: Mapping[str, JSON], context: Context) -> list[Missing]:
    """Every (ver)plaatsing in PO goes through a knooppunt (seed 002): a held knooppunt whose outcome
    was to consider terugplaatsing (or a verplaatsing) must be on record for the pupil.
    """
    knooppunt = _gehouden_knooppunt(context)
    if knooppunt is None:
        return [Missing("knooppunt-ontbreekt",
                        "Een terugplaatsing naar het basisonderwijs gaat via een knooppunt; "
                        "voor deze leerling is geen knooppunt gehouden.")]
    uitkomst = knooppunt.artifacts.get("uitkomst", {}).get("uitkomst")
    if uitkomst in KNOOPPUNT_UITKOMSTEN_TERUGPLAATSING:
        return []
    return [Missing("knooppunt-ontbreekt",
                    f"Een terugplaatsing naar het basisonderwijs gaat via een knooppunt; het laatst gehouden "
                    f"knooppunt had uitkomst '{uitkomst}', niet 'terugplaatsing_overwegen' of 'verplaatsing'.")]


def terugplaatsing_school_geldig(_: Case, payload: Mapping[str, JSON], __: Context) -> list[Missing]:
    """The regular primary school the pupil returns to is named by its BRIN code."""
    return brin_missing("basisschool-ongeldig", payload.get("naar_school"), "de basisschool")


def terugplaatsing_knooppunt(_: Case, __: Mapping[str, JSON], context: Context) -> dict[str, dict[str, JSON]]:
    """Record which knooppunt the terugplaatsing came from (its case id and outcome)."""
    knooppunt = _gehouden_knooppunt(context)
    if knooppunt is None:
        return {}
    return {"knooppunt": {"case_id": knooppunt.id,
                          "uitkomst": knooppunt.artifacts.get("uitkomst", {}).get("uitkomst")}}


# --- PO -> VO (seed 001 ch. 8; law/OCW timeline) -------------------------------------------------

ADVIEZEN = ("pro", "vmbo_b", "vmbo_b_k", "vmbo_k", "vmbo_k_gt", "vmbo_gt", "vmbo_gt_havo", "havo", "havo_vwo", "vwo")
"""Schooladviezen from low to high, combined adviezen between their two levels."""

PO_VO_DATES = ("voorlopig_advies", "doorstroomtoets", "definitief_advies", "aanmelding")
"""The national dates a profile's ``po_vo_dates`` gives per school year of the advice."""

_SCHOOLJAAR = re.compile(r"^([0-9]{4})-([0-9]{4})$")


def _vo_jaar(value: JSON) -> int | None:
    """The calendar year the VO school year ``2026-2027`` starts in (2026), or None if malformed."""
    found = _SCHOOLJAAR.match(value) if isinstance(value, str) else None
    if found is None or int(found[2]) != int(found[1]) + 1:
        return None
    return int(found[1])


def _standaard_data(jaar: int) -> dict[str, str]:
    """The law's dates in the spring of ``jaar``, the calendar year the VO school year starts in."""
    return {"voorlopig_advies": date(jaar, 1, 31).isoformat(),
            "doorstroomtoets": date(jaar, 2, 1).isoformat(),
            "definitief_advies": date(jaar, 3, 24).isoformat(),
            "aanmelding": date(jaar, 3, 31).isoformat()}


def _profiel_data(context: Context, advies_schooljaar: str) -> Mapping[str, JSON]:
    found = context.profile.setting("po_vo_dates", {}) or {}
    entry = found.get(advies_schooljaar, {}) if isinstance(found, Mapping) else {}
    return entry if isinstance(entry, Mapping) else {}


def _is_datum(value: JSON) -> bool:
    try:
        date.fromisoformat(value)
    except (TypeError, ValueError):
        return False
    return True


def po_vo_schooljaar_geldig(_: Case, payload: Mapping[str, JSON], context: Context) -> list[Missing]:
    """The VO school year is written like 2026-2027, and the profile's dates for the school year of
    the advice (2025-2026) are dates.
    """
    value = payload.get("schooljaar_vo")
    vo_jaar = _vo_jaar(value)
    if vo_jaar is None:
        return [Missing("schooljaar-ongeldig",
                        f"Het schooljaar '{value}' moet twee opeenvolgende jaren noemen, zoals 2026-2027.")]
    advies_schooljaar = f"{vo_jaar - 1}-{vo_jaar}"
    wrong = sorted(k for k, v in _profiel_data(context, advies_schooljaar).items()
                   if k in PO_VO_DATES and not _is_datum(v))
    if not wrong:
        return []
    return [Missing("po-vo-kalender-ongeldig",
                    f"De PO-VO-kalender van profiel '{context.profile.code}' voor schooljaar {advies_schooljaar} "
                    f"heeft geen geldige datum bij: {', '.join(wrong)}.")]


def po_vo_kalender(_: Case, payload: Mapping[str, JSON], context: Context) -> dict[str, dict[str, JSON]]:
    """The school year's dates, for timers to anchor on: the national dates of the advice year (from
    the profile's ``po_vo_dates``, else the law's defaults), the last day before the VO school year
    (the warm overdracht is due by then), its start (1 August) and the bestendiging peildatum
    (1 October of VO year 3).
    """
    vo_jaar = _vo_jaar(payload.get("schooljaar_vo"))
    if vo_jaar is None:
        return {}
    advies_schooljaar = f"{vo_jaar - 1}-{vo_jaar}"
    dates = _standaard_data(vo_jaar)
    dates.update({k: date.fromisoformat(v).isoformat() for k, v in _profiel_data(context, advies_schooljaar).items()
                  if k in PO_VO_DATES and _is_datum(v)})
    return {"kalender": {"schooljaar_advies": advies_schooljaar, **dates,
                         "overdracht_uiterlijk": date(vo_jaar, 7, 31).isoformat(),
                         "vo_start": date(vo_jaar, 8, 1).isoformat(),
                         "bestendiging": date(vo_jaar + 2, 10, 1).isoformat()}}


def po_vo_advies_niet_omlaag(case: Case, payload: Mapping[str, JSON], __: Context) -> list[Missing]:
    """The definitive schooladvies may only be adjusted upward from the voorlopig advies after the
    doorstroomtoets, never downward (law, WPO art. 43).
    """
    voorlopig = case.artifacts.get("voorlopig_advies", {}).get("niveau")
    definitief = payload.get("niveau")
    if voorlopig not in ADVIEZEN or definitief not in ADVIEZEN:
        return []
    if ADVIEZEN.index(definitief) >= ADVIEZEN.index(voorlopig):
        return []
    return [Missing("advies-omlaag",
                    f"Na de doorstroomtoets mag het advies alleen omhoog worden bijgesteld: het voorlopig advies "
                    f"was {voorlopig}, het definitieve advies {definitief} is lager.")]


def po_vo_school_geldig(_: Case, payload: Mapping[str, JSON], __: Context) -> list[Missing]:
    """The VO school the pupil is registered at is named by its BRIN code."""
    return brin_missing("vo-school-ongeldig", payload.get("vo_school"), "de VO-school")


def po_vo_ouders_geinformeerd(_: Case, payload: Mapping[str, JSON], __: Context) -> list[Missing]:
    """The VO school may extend its decision term once, and tells the parents in writing (law)."""
    if payload.get("ouders_geinformeerd") is True:
        return []
    return [Missing("ouders-niet-geinformeerd", "Ouders moeten schriftelijk over de verlenging zijn geïnformeerd.")]


def po_vo_overdrachtsgesprek(_: Case, payload: Mapping[str, JSON], __: Context) -> list[Missing]:
    """A warm overdracht is a conversation between the PO and the VO school, not only a file (seed 001 ch. 8)."""
    if payload.get("overdrachtsgesprek") is True:
        return []
    return [Missing("geen-overdrachtsgesprek",
                    "Een warme overdracht is een gesprek tussen de basisschool en de VO-school; "
                    "dat gesprek is niet gevoerd.")]


GUARDS: Mapping[str, Guard] = {
    "vso_vo_school_geldig": vso_vo_school_geldig,
    "vso_vo_school_betrokken": vso_vo_school_betrokken,
    "terugplaatsing_via_knooppunt": terugplaatsing_via_knooppunt,
    "terugplaatsing_school_geldig": terugplaatsing_school_geldig,
    "po_vo_schooljaar_geldig": po_vo_schooljaar_geldig,
    "po_vo_advies_niet_omlaag": po_vo_advies_niet_omlaag,
    "po_vo_school_geldig": po_vo_school_geldig,
    "po_vo_ouders_geinformeerd": po_vo_ouders_geinformeerd,
    "po_vo_overdrachtsgesprek": po_vo_overdrachtsgesprek,
}
EFFECTS: Mapping[str, Effect] = {
    "terugplaatsing_knooppunt": terugplaatsing_knooppunt,
    "po_vo_kalender": po_vo_kalender,
}
