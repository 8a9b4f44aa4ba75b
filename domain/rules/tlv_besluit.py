"""Guards and effects of the TLV pathway: the reviews and the decision (DOMAIN.md §3 TLV).

The deciding body (profile: BTO, a director advised by a commissie, a loket; seed 004 §4.3) decides after at
least two independent reviews (seed 001), weighing both expert advices: category laag unless midden/hoog is
justified, an end date at least the profile's minimum after the start, by default as long as the pupil's
uitstroomprofiel asks (seed 001 §4.5.2), made known to the parents on or after the day it was taken.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from domain.durations import NL, Duration
from domain.errors import Missing
from domain.rules.tlv import (
    POSITIES,
    PRO_DLE_GRENS,
    PRO_DOMEINEN,
    PRO_IQ,
    SOORT_NAMEN,
    dag_van,
    lijst,
    opsomming,
    soort_van,
)
from domain.terms import datum, period_last_day

if TYPE_CHECKING:
    from domain.case import Case
    from domain.context import Context
    from domain.rules import Effect, Guard

JSON = Any

CONCLUSIES = {"positief": "positief", "negatief": "negatief", "aanvullend_onderzoek": "aanvullend onderzoek nodig"}
"""What an advice concludes (DOMAIN.md §3: positive, negative, further research needed)."""
BIJ_VERSCHIL = ("besluit_motiveren", "nieuw_mdo")
"""What follows when the advices disagree (setting ``tlv_bij_verschil``): the decision is reasoned (the law's
default, Awb art. 3:46), or a new multidisciplinary meeting is held first (seed 001 bijlage 2: "nader overleg
gevoerd met de betrokkenen")."""
BESLUITVORMING: Mapping[str, Mapping[str, tuple[str, ...]]] = {
    "bto": {"registreer_beoordeling": ("bto",), "ken_toe": ("bto",), "wijs_af": ("bto",)},
    "commissie_adviseert_directeur": {"registreer_beoordeling": ("bto",), "ken_toe": ("swv_coordinator",),
                                      "wijs_af": ("swv_coordinator",)},
    "loket": {"registreer_beoordeling": ("bto", "swv_coordinator"), "ken_toe": ("swv_coordinator",),
              "wijs_af": ("swv_coordinator",)},
}
"""Who reviews and who decides, per way an SWV organises its decisions (seed 004 §4.3, Oberon: a central
commission, a commission advising the director, a central loket; setting ``tlv_besluit_door``, default bto).
The director and the loket act in this system as the SWV office (role swv_coordinator)."""
UITSTROOMPROFIELEN = ("vervolgonderwijs", "arbeid", "dagbesteding")
"""The uitstroomprofiel recorded on the OPP (seed 001 §4.5.2, §4.9); it sets the TLV's default duration."""
SOORTEN_MET_CATEGORIE = ("so", "vso")
"""Only a TLV for SO or VSO has a bekostigingscategorie; SBO and PrO have none."""
DEFAULT_MIN_MONTHS = 12
"""The legal minimum duration of a TLV: a year (profile setting ``tlv_min_months``)."""


# --- reviews and the decision -----------------------------------------------------------------


def tlv_andere_beoordelaar(case: Case, payload: Mapping[str, JSON], _: Context) -> list[Missing]:
    """Each review is by another person than the ones before (seed 001: two people, independently)."""
    beoordelaar = payload.get("beoordelaar")
    if all(b.get("beoordelaar") != beoordelaar for b in lijst(case, "beoordelingen")):
        return []
    return [Missing("beoordelaar-al-geweest",
                    f"Beoordelaar {beoordelaar} heeft deze aanvraag al beoordeeld; een volgende beoordeling "
                    f"moet van iemand anders komen, onafhankelijk van de eerste.")]


def tlv_beoordeling_toevoegen(case: Case, payload: Mapping[str, JSON], _: Context) -> dict[str, dict[str, JSON]]:
    """The reviews so far: who reviewed (pseudonymous) and, if given, their conclusion."""
    beoordeling = {"beoordelaar": payload.get("beoordelaar"), "oordeel": payload.get("oordeel")}
    return {"beoordelingen": {"lijst": [*lijst(case, "beoordelingen"), beoordeling]}}


def tlv_twee_beoordelingen(case: Case, _: Mapping[str, JSON], __: Context) -> list[Missing]:
    """The BTO decides after at least two people studied the request independently (seed 001)."""
    count = len(lijst(case, "beoordelingen"))
    if count >= 2:  # noqa: PLR2004 - seed 001: minimaal twee personen
        return []
    return [Missing("beoordelingen-te-weinig",
                    f"Een besluit vraagt ten minste twee onafhankelijke beoordelingen van de aanvraag; "
                    f"er {'is' if count == 1 else 'zijn'} er nu {count}.")]


def tlv_categorie_bij_soort(case: Case, payload: Mapping[str, JSON], _: Context) -> list[Missing]:
    """Only a TLV for SO or VSO has a bekostigingscategorie."""
    soort = soort_van(case)
    if payload.get("categorie") is None or soort in SOORTEN_MET_CATEGORIE:
        return []
    return [Missing("categorie-bij-soort",
                    f"Een TLV voor {SOORT_NAMEN.get(soort, soort)} kent geen bekostigingscategorie; laat 'categorie' "
                    f"leeg. Alleen een TLV voor SO of VSO is laag, midden of hoog.")]


def tlv_categorie_gemotiveerd(_: Case, payload: Mapping[str, JSON], __: Context) -> list[Missing]:
    """Category laag is the default; midden or hoog must be justified (seed 001)."""
    categorie = payload.get("categorie")
    if categorie not in ("midden", "hoog") or payload.get("motivering"):
        return []
    return [Missing("categorie-niet-gemotiveerd",
                    f"Bekostigingscategorie {categorie} moet gemotiveerd worden: waarom volstaat laag niet? "
                    f"Vul 'motivering' in.")]


def _conclusies(case: Case) -> list[str]:
    return [str(a["conclusie"]) for a in lijst(case, "adviezen") if a.get("conclusie")]


def tlv_toekenning_tegen_adviezen(case: Case, payload: Mapping[str, JSON], _: Context) -> list[Missing]:
    """A grant against two negative expert advices is reasoned (Awb art. 3:46, 3:50: a decision that departs
    from an advice says why; DOMAIN.md §3: the decision refers to both advices).
    """
    conclusies = _conclusies(case)
    if len(conclusies) < len(POSITIES) or set(conclusies) != {"negatief"} or payload.get("motivering"):
        return []
    return [Missing("toekenning-tegen-adviezen",
                    "Beide deskundigenadviezen zijn negatief. Een toekenning tegen twee negatieve adviezen moet "
                    "gemotiveerd zijn: vul 'motivering' in en geef aan waarom het besluit van de adviezen afwijkt.")]


def tlv_adviezen_verschillen(case: Case, payload: Mapping[str, JSON], context: Context) -> list[Missing]:
    """When the two advices conclude differently, the region's rule applies (setting ``tlv_bij_verschil``):
    ``nieuw_mdo`` -- a new multidisciplinary meeting is recorded before the decision (seed 001 bijlage 2:
    "nader overleg gevoerd met de betrokkenen"); ``besluit_motiveren`` (default, Awb art. 3:46) -- a grant
    says why it follows one advice and not the other (a rejection always gives its reason).
    """
    conclusies = _conclusies(case)
    if len(set(conclusies)) < len(POSITIES):
        return []
    verschil = opsomming([CONCLUSIES.get(c, c) for c in conclusies])
    if context.profile.setting("tlv_bij_verschil", "besluit_motiveren") == "nieuw_mdo":
        if "mdo" in case.artifacts:
            return []
        return [Missing("mdo-ontbreekt",
                        f"De deskundigenadviezen verschillen ({verschil}). In dit samenwerkingsverband volgt dan "
                        f"eerst een nieuw multidisciplinair overleg (MDO): leg het vast met 'MDO vastleggen' "
                        f"(registreer_mdo) en besluit daarna.")]
    if "reden" in payload or payload.get("motivering"):
        return []
    return [Missing("verschil-niet-gemotiveerd",
                    f"De deskundigenadviezen verschillen ({verschil}). Het besluit moet dan gemotiveerd zijn: vul "
                    f"'motivering' in en geef aan waarom het besluit het ene advies volgt en niet het andere.")]


def tlv_mdo_na_adviezen(case: Case, payload: Mapping[str, JSON], context: Context) -> list[Missing]:
    """The new MDO is held after the advices it weighs, and not in the future (seed 001 bijlage 2)."""
    gehouden = date.fromisoformat(payload["datum"])
    adviezen = case.artifacts.get("adviezen", {}).get("occurred_at")
    laatste_advies = datetime.fromisoformat(adviezen).astimezone(NL).date() if adviezen else None
    today = context.recorded.astimezone(NL).date() if context.recorded is not None else None
    if laatste_advies is not None and gehouden < laatste_advies:
        return [Missing("mdo-voor-adviezen",
                        f"Het MDO van {datum(gehouden)} was vóór het laatste deskundigenadvies "
                        f"({datum(laatste_advies)}); een nieuw MDO weegt beide adviezen en volgt erop.")]
    if today is not None and gehouden > today:
        return [Missing("mdo-in-toekomst",
                        f"Het MDO op {datum(gehouden)} ligt in de toekomst; leg het vast als het gehouden is.")]
    return []


def _besluit_door(context: Context) -> str:
    return str(context.profile.setting("tlv_besluit_door", "bto"))


def tlv_commissieadvies(case: Case, _: Mapping[str, JSON], context: Context) -> list[Missing]:
    """Where a commissie advises the director who decides (seed 004 §4.3; setting ``tlv_besluit_door``), the
    director decides once the commissie's advice is on record: a review with its oordeel.
    """
    if _besluit_door(context) != "commissie_adviseert_directeur" or any(
        b.get("oordeel") for b in lijst(case, "beoordelingen")
    ):
        return []
    return [Missing("commissieadvies-ontbreekt",
                    "In dit samenwerkingsverband adviseert de commissie de directeur, die besluit. Het advies van "
                    "de commissie ontbreekt: leg bij een beoordeling het oordeel (toekennen of afwijzen) vast.")]


def tlv_pro_criteria_gehaald(case: Case, _: Mapping[str, JSON], __: Context) -> list[Missing]:
    """A TLV for PrO is granted when the recorded evidence meets the national criteria (seed 001 bijlage 2)."""
    criteria = case.artifacts.get("pro_criteria")
    if soort_van(case) != "pro" or criteria is None or criteria.get("voldoet"):
        return []
    achter = [PRO_DOMEINEN[d] for d in criteria.get("achterstand_op", [])]
    return [Missing("pro-criteria-niet-gehaald",
                    f"De leerling voldoet niet aan de criteria voor praktijkonderwijs (seed 001 bijlage 2): een "
                    f"leerachterstand van minstens 3 jaar (DLE onder {PRO_DLE_GRENS}) op minstens twee domeinen, "
                    f"waarvan één rekenen of begrijpend lezen, en een IQ van {PRO_IQ[0]} tot en met {PRO_IQ[1]}. "
                    f"Vastgelegd: achterstand op {opsomming(achter) if achter else 'geen domein'}, "
                    f"IQ {criteria.get('iq')}.")]


def _min_maanden(context: Context) -> int:
    return int(context.profile.setting("tlv_min_months", DEFAULT_MIN_MONTHS))


def _uitstroomprofiel(context: Context) -> str | None:
    """The uitstroomprofiel on the pupil's OPP (seed 001 §4.5.2), if one is recorded."""
    opp = context.trajectory("opp")
    found = opp.artifacts.get("uitstroomprofiel", {}).get("uitstroomprofiel") if opp is not None else None
    return str(found) if found else None


def standaard_looptijd(context: Context, uitstroomprofiel: str) -> Duration:
    """The TLV's default duration for an uitstroomprofiel (seed 001 §4.5.2: vervolgonderwijs the legal
    minimum, arbeid or dagbesteding longer; setting ``tlv_looptijd``, default the minimum for all three).
    """
    looptijden = context.profile.setting("tlv_looptijd", None) or {}
    return looptijden.get(uitstroomprofiel) or Duration(months=_min_maanden(context))


def _einddatum(payload: Mapping[str, JSON], context: Context) -> tuple[date | None, str]:
    """The TLV's last day and on what it rests: as given, or the default for the pupil's uitstroomprofiel."""
    if payload.get("einddatum"):
        grond = "hele_schoolperiode" if payload.get("hele_schoolperiode") else "opgegeven"
        return date.fromisoformat(payload["einddatum"]), grond
    uitstroom = _uitstroomprofiel(context)
    if uitstroom is None or payload.get("hele_schoolperiode"):
        return None, ""
    return period_last_day(date.fromisoformat(payload["startdatum"]), standaard_looptijd(context, uitstroom)), (
        f"uitstroomprofiel_{uitstroom}")


def tlv_looptijd_bekend(case: Case, payload: Mapping[str, JSON], context: Context) -> list[Missing]:
    """The TLV has an end date: as given, or by default from the uitstroomprofiel on the pupil's OPP (seed 001
    §4.5.2). A TLV for the whole school period (seed 003) is possible where the profile allows it for this kind
    of school (setting ``tlv_hele_schoolperiode``), and then names the period's last day.
    """
    soort = soort_van(case)
    if payload.get("hele_schoolperiode"):
        toegestaan = [str(s) for s in context.profile.setting("tlv_hele_schoolperiode", None) or []]
        if soort not in toegestaan:
            waar = (f"alleen voor {opsomming([SOORT_NAMEN.get(s, s) for s in toegestaan], 'of')}" if toegestaan
                    else "niet")
            return [Missing("hele-schoolperiode-niet-toegestaan",
                            f"Een TLV voor de hele schoolperiode geeft dit samenwerkingsverband {waar}; deze "
                            f"aanvraag is voor {SOORT_NAMEN.get(soort, soort)}. Vul een einddatum in.")]
        if not payload.get("einddatum"):
            return [Missing("einddatum-schoolperiode-ontbreekt",
                            "Een TLV voor de hele schoolperiode loopt tot het einde van die periode: vul als "
                            "'einddatum' de laatste dag van de schoolperiode in.")]
        return []
    if _einddatum(payload, context)[0] is not None:
        return []
    return [Missing("einddatum-ontbreekt",
                    f"Vul 'einddatum' in, of leg het uitstroomprofiel ({opsomming(UITSTROOMPROFIELEN, 'of')}) vast "
                    f"op het OPP van de leerling: de looptijd van de TLV volgt dan uit het uitstroomprofiel.")]


def tlv_minimale_looptijd(_: Case, payload: Mapping[str, JSON], context: Context) -> list[Missing]:
    """The TLV lasts at least the minimum duration (law: a year; profile setting ``tlv_min_months``), both
    dates included: a TLV from 1 August 2026 to 31 July 2027 lasts a year.
    """
    einde = _einddatum(payload, context)[0]
    if einde is None:
        return []
    maanden = _min_maanden(context)
    start = date.fromisoformat(payload["startdatum"])
    vroegst = period_last_day(start, Duration(months=maanden))
    if einde >= vroegst:
        return []
    return [Missing("looptijd-te-kort",
                    f"Een TLV van {datum(start)} tot en met {datum(einde)} duurt korter dan {maanden} maanden; "
                    f"de vroegst toegestane einddatum is {datum(vroegst)}.")]


def tlv_bekendmaking_na_besluit(_: Case, payload: Mapping[str, JSON], context: Context) -> list[Missing]:
    """The decision is made known to the parents (Awb art. 3:41; the bezwaartermijn runs from the day after)
    on or after the day it was taken, and not after the day it is recorded.
    """
    known, decided = payload.get("bekendgemaakt_op"), dag_van(context)
    if not known or decided is None or context.recorded is None:
        return []
    day, today = date.fromisoformat(known), context.recorded.astimezone(NL).date()
    if day < decided:
        return [Missing("bekendmaking-voor-besluit",
                        f"Het besluit kan niet op {datum(day)} zijn bekendgemaakt: het is genomen op "
                        f"{datum(decided)}.")]
    if day > today:
        return [Missing("bekendmaking-in-toekomst",
                        f"De bekendmaking op {datum(day)} ligt in de toekomst. Leg het besluit vast met de dag "
                        f"waarop het aan de ouders is verzonden of uitgereikt, op of vóór vandaag ({datum(today)}).")]
    return []


def _bekendmaking(payload: Mapping[str, JSON], context: Context) -> str | None:
    known = payload.get("bekendgemaakt_op")
    if known:
        return str(known)
    day = dag_van(context)
    return day.isoformat() if day is not None else None


def tlv_besluit_toekenning(case: Case, payload: Mapping[str, JSON], context: Context) -> dict[str, dict[str, JSON]]:
    """The decision per the cross-pathway contract; SBO and PrO have no category (None). The end date is as given
    or follows the uitstroomprofiel (``looptijd`` says which); ``besloten_door`` names the deciding body.
    """
    soort = soort_van(case)
    categorie = payload.get("categorie", "laag") if soort in SOORTEN_MET_CATEGORIE else None
    einde, grond = _einddatum(payload, context)
    besluit = {"uitkomst": "toegekend", "soort": soort, "categorie": categorie,
               "startdatum": payload["startdatum"], "einddatum": einde.isoformat() if einde else None,
               "looptijd": grond, "uitstroomprofiel": _uitstroomprofiel(context),
               "besloten_door": _besluit_door(context), "bekendgemaakt_op": _bekendmaking(payload, context)}
    if payload.get("motivering"):
        besluit["motivering"] = payload["motivering"]
    return {"besluit": besluit}


def tlv_besluit_afwijzing(case: Case, payload: Mapping[str, JSON], context: Context) -> dict[str, dict[str, JSON]]:
    """A rejection, with the same keys as a grant (no category, no dates) and the reason."""
    return {"besluit": {"uitkomst": "afgewezen", "soort": soort_van(case), "categorie": None, "startdatum": None,
                        "einddatum": None, "reden": payload["reden"], "besloten_door": _besluit_door(context),
                        "bekendgemaakt_op": _bekendmaking(payload, context)}}


GUARDS: Mapping[str, Guard] = {
    "tlv_andere_beoordelaar": tlv_andere_beoordelaar,
    "tlv_twee_beoordelingen": tlv_twee_beoordelingen,
    "tlv_categorie_bij_soort": tlv_categorie_bij_soort,
    "tlv_categorie_gemotiveerd": tlv_categorie_gemotiveerd,
    "tlv_minimale_looptijd": tlv_minimale_looptijd,
    "tlv_looptijd_bekend": tlv_looptijd_bekend,
    "tlv_toekenning_tegen_adviezen": tlv_toekenning_tegen_adviezen,
    "tlv_adviezen_verschillen": tlv_adviezen_verschillen,
    "tlv_mdo_na_adviezen": tlv_mdo_na_adviezen,
    "tlv_commissieadvies": tlv_commissieadvies,
    "tlv_pro_criteria_gehaald": tlv_pro_criteria_gehaald,
    "tlv_bekendmaking_na_besluit": tlv_bekendmaking_na_besluit,
}
EFFECTS: Mapping[str, Effect] = {
    "tlv_beoordeling_toevoegen": tlv_beoordeling_toevoegen,
    "tlv_besluit_toekenning": tlv_besluit_toekenning,
    "tlv_besluit_afwijzing": tlv_besluit_afwijzing,
}
