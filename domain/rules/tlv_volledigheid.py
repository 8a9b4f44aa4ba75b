"""Guards and effects of the TLV pathway: the completeness of the dossier (DOMAIN.md §3 TLV).

The dossier is complete with the standard items (the parents' signature, the toestemmingsverklaring, the
parents' zienswijze, the OPP), the two separate expert advices and the evidence the kind of request asks
beyond them, by soort and herkomst: the cascade, an RTO with a VSO expert, the PrO criteria, a voorschools
knooppunt (profile setting ``tlv_dossier``; seed 001 bijlage 2, seed 002 nos. 21-23).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from domain.errors import Missing
from domain.rules.tlv import adviezen_ontbreken, lijst, opsomming, soort_van

if TYPE_CHECKING:
    from domain.case import Case
    from domain.context import Context
    from domain.rules import Effect, Guard

JSON = Any

BEWIJS = ("cascade", "rto", "pro_criteria", "voorschools_knooppunt")
"""The evidence a request may need beyond the standard dossier (setting ``tlv_dossier``)."""
STANDAARD_DOSSIER: tuple[Mapping[str, Sequence[str]], ...] = (
    {"soort": ("pro",), "herkomst": ("po_vo_overstap",), "bewijs": ("pro_criteria",)},
    {"soort": ("pro",), "bewijs": ("pro_criteria", "cascade")},
    {"herkomst": ("so_vso_vervolg", "voorschool"), "bewijs": ()},
)
"""The evidence by kind and origin where a profile says nothing (first match wins; after the profile's own
rules): a PrO TLV needs the national PrO criteria (seed 001 bijlage 2), at the PO-VO move instead of a VO
cascade; an SO-VSO continuation or a voorschool child has no cascade in a regular school. Otherwise: the
cascade, and the RTO where the profile asks it."""
_DOSSIERSTUKKEN = (
    ("handtekening_ouders", "handtekening-ontbreekt", "De handtekening van de ouders ontbreekt."),
    ("toestemmingsverklaring", "toestemmingsverklaring-ontbreekt", "De toestemmingsverklaring ontbreekt."),
    ("zienswijze_ouders", "zienswijze-ontbreekt", "De zienswijze van de ouders ontbreekt."),
    ("opp", "opp-ontbreekt", "Het OPP (of handelingsplan) ontbreekt."),
)


def _cascade_ontbreekt(context: Context) -> list[Missing]:
    cascade = context.trajectory("cascade")
    if cascade is None:
        return [Missing("cascade-ontbreekt",
                        "Het bewijs van de doorlopen cascade ontbreekt: de leerling heeft geen cascadetraject.")]
    vereist = [str(n) for n in context.profile.setting("cascade_required_for_tlv", None) or []]
    doorlopen = [str(n) for n in cascade.artifacts.get("niveau", {}).get("doorlopen", [])]
    niet = [n for n in vereist if n not in doorlopen]
    if not niet:
        return []
    een = len(niet) == 1
    return [Missing("cascade-ontbreekt",
                    f"Het bewijs van de doorlopen cascade ontbreekt: {'niveau' if een else 'niveaus'} "
                    f"{opsomming(niet)} {'is' if een else 'zijn'} niet doorlopen, en dat is vereist vóór "
                    f"een TLV-aanvraag.")]


def _rto_met_vso_deskundige(context: Context) -> Case | None:
    """The pupil's latest held RTO in which an expert of a VSO school took part."""
    for rto in reversed(context.siblings):
        held = rto.stage == "gehouden" or "uitkomst" in rto.artifacts
        if rto.pathway == "rto" and held and any(
            d.get("vso_expert") is True for d in lijst(rto, "deelnemers")
        ):
            return rto
    return None


def _rto_ontbreekt(context: Context) -> list[Missing]:
    if _rto_met_vso_deskundige(context):
        return []
    return [Missing("rto-ontbreekt",
                    "Het rondetafeloverleg (RTO) met een deskundige van een VSO-school ontbreekt: er is geen "
                    "gehouden RTO waaraan een VSO-deskundige deelnam.")]


def _voorschools_knooppunt(context: Context) -> Case | None:
    """The pupil's latest held voorschools knooppunt (seed 002 nos. 21-22)."""
    for knooppunt in reversed(context.siblings):
        if (knooppunt.pathway == "knooppunt" and knooppunt.stage == "gehouden"
                and knooppunt.artifacts.get("aanvraag", {}).get("soort") == "voorschools"):
            return knooppunt
    return None


def _voorschools_knooppunt_ontbreekt(context: Context) -> list[Missing]:
    if _voorschools_knooppunt(context):
        return []
    return [Missing("voorschools-knooppunt-ontbreekt",
                    "Het voorschools knooppunt ontbreekt: een plaatsing vanuit de voorschool verloopt via een "
                    "voorschools knooppunt, en de leerling heeft geen gehouden voorschools knooppunt.")]


def _pro_criteria_ontbreken(case: Case) -> list[Missing]:
    if "pro_criteria" in case.artifacts:
        return []
    return [Missing("pro-criteria-ontbreken",
                    "Het bewijs voor de criteria van het praktijkonderwijs ontbreekt: de leerachterstanden "
                    "(DLE) op de vier domeinen en het IQ. Leg ze vast met 'PrO-criteria vastleggen'.")]


def _herkomst(case: Case) -> str:
    return str(case.artifacts.get("aanvraag", {}).get("herkomst") or "regulier")


def _past(regel: Mapping[str, Sequence[str]], soort: str, herkomst: str) -> bool:
    return soort in (regel.get("soort") or (soort,)) and herkomst in (regel.get("herkomst") or (herkomst,))


def benodigd_bewijs(case: Case, context: Context) -> tuple[str, ...]:
    """The evidence this request needs beyond the standard dossier, by its kind and the pupil's origin: the
    profile's rules first (setting ``tlv_dossier``), then the standard ones, else the cascade (and the RTO
    where the profile asks it, setting ``rto_required_for_tlv``). Seed 001 bijlage 2, seed 002 nos. 21-23.
    """
    soort, herkomst = soort_van(case), _herkomst(case)
    regels = [*(context.profile.setting("tlv_dossier", None) or ()), *STANDAARD_DOSSIER]
    regel = next((r for r in regels if _past(r, soort, herkomst)), None)
    if regel is not None:
        return tuple(regel.get("bewijs") or ())
    rto = ("rto",) if context.profile.setting("rto_required_for_tlv", default=False) else ()
    return ("cascade", *rto)


def _bewijs_ontbreekt(case: Case, context: Context) -> list[Missing]:
    checks = {"cascade": lambda: _cascade_ontbreekt(context), "rto": lambda: _rto_ontbreekt(context),
              "pro_criteria": lambda: _pro_criteria_ontbreken(case),
              "voorschools_knooppunt": lambda: _voorschools_knooppunt_ontbreekt(context)}
    return [m for bewijs in benodigd_bewijs(case, context) for m in checks[bewijs]()]


def tlv_dossier_compleet(case: Case, _: Mapping[str, JSON], context: Context) -> list[Missing]:
    """The dossier is complete (seed 001 bijlage 2, law): the standard items, two separate advices and the
    evidence this kind of request needs (``benodigd_bewijs``); every missing item is named.
    """
    missing = [Missing(code, text) for name, code, text in _DOSSIERSTUKKEN if name not in case.artifacts]
    bewijs = _bewijs_ontbreekt(case, context)
    na_adviezen = [m for m in bewijs if m.code in ("rto-ontbreekt", "voorschools-knooppunt-ontbreekt")]
    voor_adviezen = [m for m in bewijs if m not in na_adviezen]
    return missing + voor_adviezen + adviezen_ontbreken(case, context) + na_adviezen


def tlv_volledigheid_vastleggen(case: Case, __: Mapping[str, JSON], context: Context) -> dict[str, dict[str, JSON]]:
    """The evidence the completeness rested on: which evidence this kind of request needed, the cascade levels
    passed, the RTO and the voorschools knooppunt, by dossier.
    """
    cascade, rto, knooppunt = (context.trajectory("cascade"), _rto_met_vso_deskundige(context),
                               _voorschools_knooppunt(context))
    doorlopen = list(cascade.artifacts.get("niveau", {}).get("doorlopen", [])) if cascade else []
    volledigheid: dict[str, JSON] = {
        "cascade_dossier": cascade.id if cascade else None, "niveaus_doorlopen": doorlopen,
        "rto_dossier": rto.id if rto else None, "herkomst": _herkomst(case),
        "bewijs": list(benodigd_bewijs(case, context))}
    if knooppunt is not None:
        volledigheid["knooppunt_dossier"] = knooppunt.id
    return {"volledigheid": volledigheid}


GUARDS: Mapping[str, Guard] = {
    "tlv_dossier_compleet": tlv_dossier_compleet,
}
EFFECTS: Mapping[str, Effect] = {
    "tlv_volledigheid_vastleggen": tlv_volledigheid_vastleggen,
}
