"""Guards and effects of the TLV pathway (DOMAIN.md §3 TLV).

The dossier is complete with the parents' signature, the toestemmingsverklaring, the parents'
zienswijze, the OPP (or handelingsplan), evidence of the cascade and two *separate* expert
advices (law). The BTO decides after at least two independent reviews (seed 001): category laag
unless midden/hoog is justified, an end date at least the profile's minimum after the start.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from domain.durations import NL, Duration
from domain.errors import Missing
from domain.terms import Basis, Term, datum, later, period_last_day

if TYPE_CHECKING:
    from domain.case import Case
    from domain.context import Context
    from domain.rules import Effect, Guard

JSON = Any

EERSTE_ADVIES_DISCIPLINES = ("orthopedagoog", "psycholoog")
"""The first expert advice comes from one of these disciplines (law)."""
SOORTEN_MET_CATEGORIE = ("so", "vso")
"""Only a TLV for SO or VSO has a bekostigingscategorie; SBO and PrO have none."""
BEZWAARTERMIJN = Term(Duration(weeks=6), "na", Basis("wet", "Awb art. 6:7, 6:8", "bekendmaking"))
"""Awb art. 6:7, 6:8: bezwaar within 6 weeks, from the day after the decision was made known. The pathway's
bezwaartermijn timers declare the same term; this one counts for a case whose timer has no deadline kept."""
BEZWAARTERMIJN_TIMERS = ("bezwaartermijn", "bezwaartermijn_afwijzing")
DEFAULT_MIN_MONTHS = 12
"""The legal minimum duration of a TLV: a year (profile setting ``tlv_min_months``)."""

_SOORT = {"sbo": "SBO", "so": "SO", "vso": "VSO", "pro": "PrO"}
_DISCIPLINE = {
    "orthopedagoog": "orthopedagoog", "psycholoog": "psycholoog",
    "kinder_jeugdpsychiater": "kinder- en jeugdpsychiater", "maatschappelijk_werker": "maatschappelijk werker",
    "arts": "arts", "intern_begeleider": "intern begeleider", "ambulant_begeleider": "ambulant begeleider",
    "anders": "andere discipline",
}
_DOSSIERSTUKKEN = (
    ("handtekening_ouders", "handtekening-ontbreekt", "De handtekening van de ouders ontbreekt."),
    ("toestemmingsverklaring", "toestemmingsverklaring-ontbreekt", "De toestemmingsverklaring ontbreekt."),
    ("zienswijze_ouders", "zienswijze-ontbreekt", "De zienswijze van de ouders ontbreekt."),
    ("opp", "opp-ontbreekt", "Het OPP (of handelingsplan) ontbreekt."),
)


def _opsomming(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " en " + items[-1]


def _lijst(case: Case, artifact: str) -> list[dict[str, JSON]]:
    return list(case.artifacts.get(artifact, {}).get("lijst", []))


def _soort(case: Case) -> str:
    return str(case.artifacts.get("aanvraag", {}).get("soort", ""))


def _besluitdatum(case: Case) -> date:
    return datetime.fromisoformat(case.artifacts["besluit"]["occurred_at"]).astimezone(NL).date()


def _bekendgemaakt(case: Case) -> date:
    """The day the decision was made known to the parents (Awb art. 3:41; default: the decision's date)."""
    known = case.artifacts["besluit"].get("bekendgemaakt_op")
    return date.fromisoformat(known) if known else _besluitdatum(case)


def _dag(context: Context) -> date | None:
    return context.instant.astimezone(NL).date() if context.instant is not None else None


def _laatste_bezwaardag(case: Case) -> date:
    """The last day of the bezwaartermijn: the running timer's deadline, else counted anew."""
    running = [t.deadline for name in BEZWAARTERMIJN_TIMERS if (t := case.timers.get(name)) and t.deadline]
    return running[0].last_day if running else BEZWAARTERMIJN.deadline(_bekendgemaakt(case)).last_day


# --- the dossier ------------------------------------------------------------------------------


def tlv_opp_of_handelingsplan(_: Case, payload: Mapping[str, JSON], context: Context) -> list[Missing]:
    """The OPP added to the request is the pupil's OPP trajectory, or a handelingsplan (seed 001)."""
    if context.trajectory("opp") is not None or payload.get("handelingsplan") is True:
        return []
    return [Missing("opp-geen-traject",
                    "De leerling heeft geen OPP in dit systeem. Start eerst het OPP, "
                    "of geef aan dat de aanvraag een handelingsplan bevat (handelingsplan: ja).")]


def tlv_opp_bijlage(_: Case, __: Mapping[str, JSON], context: Context) -> dict[str, dict[str, JSON]]:
    """Which OPP the request refers to (its dossier and stage), or that it holds a handelingsplan."""
    opp = context.trajectory("opp")
    if opp is None:
        return {"opp": {"soort": "handelingsplan"}}
    return {"opp": {"soort": "opp", "opp_dossier": opp.id, "opp_fase": opp.stage}}


def tlv_advies_afzonderlijk(case: Case, payload: Mapping[str, JSON], _: Context) -> list[Missing]:
    """Two separate written advices by two experts; the first by an orthopedagoog or psycholoog, the
    second by another discipline (law). One joint advice is legally defective.
    """
    if payload.get("gezamenlijk") is True:
        return [Missing("advies-gezamenlijk",
                        "Eén gezamenlijk advies van twee deskundigen is juridisch ondeugdelijk: de wet vraagt "
                        "twee afzonderlijke schriftelijke adviezen. Leg elk advies apart vast, met de discipline "
                        "van de deskundige die het schreef.")]
    adviezen = _lijst(case, "adviezen")
    if len(adviezen) >= 2:  # noqa: PLR2004 - the law asks for two
        return [Missing("adviezen-compleet", "Er zijn al twee afzonderlijke deskundigenadviezen vastgelegd.")]
    discipline, deskundige = str(payload.get("discipline")), payload.get("deskundige")
    missing = []
    if any(a.get("deskundige") == deskundige for a in adviezen):
        missing.append(Missing("advies-zelfde-deskundige",
                               f"Deskundige {deskundige} heeft al geadviseerd; het tweede advies moet van een "
                               f"andere deskundige komen."))
    if not adviezen and discipline not in EERSTE_ADVIES_DISCIPLINES:
        missing.append(Missing("advies-1-discipline",
                               f"Het eerste advies moet van een orthopedagoog of psycholoog komen, "
                               f"niet van een {_DISCIPLINE.get(discipline, discipline)}."))
    if adviezen and adviezen[0].get("discipline") == discipline:
        missing.append(Missing("advies-2-discipline",
                               f"Het tweede advies moet van een andere discipline komen dan het eerste "
                               f"({_DISCIPLINE.get(discipline, discipline)})."))
    return missing


def tlv_advies_toevoegen(case: Case, payload: Mapping[str, JSON], _: Context) -> dict[str, dict[str, JSON]]:
    """The advices so far, in order: who advised (pseudonymous) and from which discipline."""
    advies = {"discipline": payload.get("discipline"), "deskundige": payload.get("deskundige")}
    return {"adviezen": {"lijst": [*_lijst(case, "adviezen"), advies]}}


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
                    f"{_opsomming(niet)} {'is' if een else 'zijn'} niet doorlopen, en dat is vereist vóór "
                    f"een TLV-aanvraag.")]


def _rto_met_vso_deskundige(context: Context) -> Case | None:
    """The pupil's latest held RTO in which an expert of a VSO school took part."""
    for rto in reversed(context.siblings):
        held = rto.stage == "gehouden" or "uitkomst" in rto.artifacts
        if rto.pathway == "rto" and held and any(
            d.get("vso_expert") is True for d in _lijst(rto, "deelnemers")
        ):
            return rto
    return None


def _rto_ontbreekt(context: Context) -> list[Missing]:
    if not context.profile.setting("rto_required_for_tlv", default=False) or _rto_met_vso_deskundige(context):
        return []
    return [Missing("rto-ontbreekt",
                    "Het rondetafeloverleg (RTO) met een deskundige van een VSO-school ontbreekt: er is geen "
                    "gehouden RTO waaraan een VSO-deskundige deelnam.")]


def _adviezen_ontbreken(case: Case) -> list[Missing]:
    count = len(_lijst(case, "adviezen"))
    missing = []
    if count < 1:
        missing.append(Missing("advies-1-ontbreekt",
                               "Advies 1 ontbreekt: het eerste deskundigenadvies, van een orthopedagoog "
                               "of psycholoog."))
    if count < 2:  # noqa: PLR2004 - the law asks for two
        missing.append(Missing("advies-2-ontbreekt",
                               "Advies 2 ontbreekt: een tweede, afzonderlijk deskundigenadvies van een "
                               "andere discipline."))
    return missing


def tlv_dossier_compleet(case: Case, _: Mapping[str, JSON], context: Context) -> list[Missing]:
    """The dossier is complete (seed 001 bijlage 2, law); every missing item is named."""
    missing = [Missing(code, text) for name, code, text in _DOSSIERSTUKKEN if name not in case.artifacts]
    return missing + _cascade_ontbreekt(context) + _adviezen_ontbreken(case) + _rto_ontbreekt(context)


def tlv_volledigheid_vastleggen(_: Case, __: Mapping[str, JSON], context: Context) -> dict[str, dict[str, JSON]]:
    """The evidence the completeness rested on: the cascade levels passed and the RTO, by dossier."""
    cascade, rto = context.trajectory("cascade"), _rto_met_vso_deskundige(context)
    doorlopen = list(cascade.artifacts.get("niveau", {}).get("doorlopen", [])) if cascade else []
    return {"volledigheid": {"cascade_dossier": cascade.id if cascade else None, "niveaus_doorlopen": doorlopen,
                             "rto_dossier": rto.id if rto else None}}


# --- reviews and the decision -----------------------------------------------------------------


def tlv_andere_beoordelaar(case: Case, payload: Mapping[str, JSON], _: Context) -> list[Missing]:
    """Each review is by another person than the ones before (seed 001: two people, independently)."""
    beoordelaar = payload.get("beoordelaar")
    if all(b.get("beoordelaar") != beoordelaar for b in _lijst(case, "beoordelingen")):
        return []
    return [Missing("beoordelaar-al-geweest",
                    f"Beoordelaar {beoordelaar} heeft deze aanvraag al beoordeeld; een volgende beoordeling "
                    f"moet van iemand anders komen, onafhankelijk van de eerste.")]


def tlv_beoordeling_toevoegen(case: Case, payload: Mapping[str, JSON], _: Context) -> dict[str, dict[str, JSON]]:
    """The reviews so far: who reviewed (pseudonymous) and, if given, their conclusion."""
    beoordeling = {"beoordelaar": payload.get("beoordelaar"), "oordeel": payload.get("oordeel")}
    return {"beoordelingen": {"lijst": [*_lijst(case, "beoordelingen"), beoordeling]}}


def tlv_twee_beoordelingen(case: Case, _: Mapping[str, JSON], __: Context) -> list[Missing]:
    """The BTO decides after at least two people studied the request independently (seed 001)."""
    count = len(_lijst(case, "beoordelingen"))
    if count >= 2:  # noqa: PLR2004 - seed 001: minimaal twee personen
        return []
    return [Missing("beoordelingen-te-weinig",
                    f"Een besluit vraagt ten minste twee onafhankelijke beoordelingen van de aanvraag; "
                    f"er {'is' if count == 1 else 'zijn'} er nu {count}.")]


def tlv_categorie_bij_soort(case: Case, payload: Mapping[str, JSON], _: Context) -> list[Missing]:
    """Only a TLV for SO or VSO has a bekostigingscategorie."""
    soort = _soort(case)
    if payload.get("categorie") is None or soort in SOORTEN_MET_CATEGORIE:
        return []
    return [Missing("categorie-bij-soort",
                    f"Een TLV voor {_SOORT.get(soort, soort)} kent geen bekostigingscategorie; laat 'categorie' "
                    f"leeg. Alleen een TLV voor SO of VSO is laag, midden of hoog.")]


def tlv_categorie_gemotiveerd(_: Case, payload: Mapping[str, JSON], __: Context) -> list[Missing]:
    """Category laag is the default; midden or hoog must be justified (seed 001)."""
    categorie = payload.get("categorie")
    if categorie not in ("midden", "hoog") or payload.get("motivering"):
        return []
    return [Missing("categorie-niet-gemotiveerd",
                    f"Bekostigingscategorie {categorie} moet gemotiveerd worden: waarom volstaat laag niet? "
                    f"Vul 'motivering' in.")]


def tlv_minimale_looptijd(_: Case, payload: Mapping[str, JSON], context: Context) -> list[Missing]:
    """The TLV lasts at least the minimum duration (law: a year; profile setting ``tlv_min_months``), both
    dates included: a TLV from 1 August 2026 to 31 July 2027 lasts a year.
    """
    maanden = int(context.profile.setting("tlv_min_months", DEFAULT_MIN_MONTHS))
    start, einde = date.fromisoformat(payload["startdatum"]), date.fromisoformat(payload["einddatum"])
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
    known, decided = payload.get("bekendgemaakt_op"), _dag(context)
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


def tlv_aanvullingstermijn(_: Case, payload: Mapping[str, JSON], context: Context) -> list[Missing]:
    """An aanvulling request carries its own term (Awb art. 4:5): a day after the request, within
    three months.
    """
    uiterlijk, today = date.fromisoformat(payload["aanvullen_uiterlijk"]), _dag(context)
    if today is None:
        return []
    if uiterlijk <= today:
        return [Missing("aanvullingstermijn-voorbij",
                        f"De termijn voor de aanvulling ('aanvullen_uiterlijk', {datum(uiterlijk)}) moet na "
                        f"{datum(today)} liggen, de dag van het verzoek.")]
    if uiterlijk > later(today, Duration(months=3)):
        return [Missing("aanvullingstermijn-te-lang",
                        f"De termijn voor de aanvulling loopt tot {datum(uiterlijk)}: langer dan drie maanden na "
                        f"het verzoek. Kies een kortere termijn; de beslistermijn is zolang opgeschort.")]
    return []


def _bekendmaking(payload: Mapping[str, JSON], context: Context) -> str | None:
    known = payload.get("bekendgemaakt_op")
    if known:
        return str(known)
    day = _dag(context)
    return day.isoformat() if day is not None else None


def tlv_besluit_toekenning(case: Case, payload: Mapping[str, JSON], context: Context) -> dict[str, dict[str, JSON]]:
    """The decision per the cross-pathway contract; SBO and PrO have no category (None)."""
    soort = _soort(case)
    categorie = payload.get("categorie", "laag") if soort in SOORTEN_MET_CATEGORIE else None
    besluit = {"uitkomst": "toegekend", "soort": soort, "categorie": categorie,
               "startdatum": payload["startdatum"], "einddatum": payload["einddatum"],
               "bekendgemaakt_op": _bekendmaking(payload, context)}
    if payload.get("motivering"):
        besluit["motivering"] = payload["motivering"]
    return {"besluit": besluit}


def tlv_besluit_afwijzing(case: Case, payload: Mapping[str, JSON], context: Context) -> dict[str, dict[str, JSON]]:
    """A rejection, with the same keys as a grant (no category, no dates) and the reason."""
    return {"besluit": {"uitkomst": "afgewezen", "soort": _soort(case), "categorie": None, "startdatum": None,
                        "einddatum": None, "reden": payload["reden"],
                        "bekendgemaakt_op": _bekendmaking(payload, context)}}


# --- bezwaar ----------------------------------------------------------------------------------


def tlv_geen_tweede_bezwaar(case: Case, _: Mapping[str, JSON], __: Context) -> list[Missing]:
    """A decision taken anew after a founded bezwaar is open to beroep, not to a second bezwaar (Awb)."""
    if "bezwaarbesluit" not in case.artifacts:
        return []
    return [Missing("bezwaar-al-beslist",
                    "Op deze aanvraag is al op bezwaar beslist; tegen het nieuwe besluit staat geen tweede "
                    "bezwaar open, wel beroep bij de rechtbank.")]


def tlv_bezwaar_binnen_termijn(case: Case, payload: Mapping[str, JSON], context: Context) -> list[Missing]:
    """Bezwaar is lodged within the bezwaartermijn (Awb art. 6:7, 6:8 and the Algemene termijnenwet: its last
    day included), not before the decision, and not after the day it is recorded (a bezwaar cannot have
    been lodged in the future).
    """
    besloten, ingediend = _besluitdatum(case), date.fromisoformat(payload["ingediend_op"])
    einde, recorded = _laatste_bezwaardag(case), _dag(context)
    if recorded is not None and ingediend > recorded:
        return [Missing("bezwaar-in-toekomst",
                        f"Het bezwaar is ingediend op {datum(ingediend)}: die dag ligt na {datum(recorded)}, de dag "
                        "waarop u het vastlegt. Een bezwaar kan niet in de toekomst zijn ingediend.")]
    if ingediend < besloten:
        return [Missing("bezwaar-voor-besluit",
                        f"Het bezwaar is ingediend op {datum(ingediend)}, vóór het besluit van {datum(besloten)}.")]
    if ingediend > einde:
        return [Missing("bezwaar-te-laat",
                        f"Het bezwaar is ingediend op {datum(ingediend)}, na afloop van de bezwaartermijn van "
                        f"6 weken na de bekendmaking op {datum(_bekendgemaakt(case))} (die liep tot en met "
                        f"{datum(einde)}).")]
    return []


def tlv_bezwaartermijn_einde(case: Case, _: Mapping[str, JSON], __: Context) -> dict[str, dict[str, JSON]]:
    """The last day of the bezwaartermijn: the 12 weeks to decide on bezwaar count from the day after
    (Awb art. 7:10), whenever within the term the bezwaar came in.
    """
    return {"bezwaar_termijn": {"bezwaartermijn_einde": _laatste_bezwaardag(case).isoformat()}}


def tlv_besluit_was_toekenning(case: Case, _: Mapping[str, JSON], __: Context) -> list[Missing]:
    """'The grant stands' only follows a bezwaar against a grant."""
    if case.artifacts.get("besluit", {}).get("uitkomst") == "toegekend":
        return []
    return [Missing("besluit-was-afwijzing",
                    "Het bestreden besluit is een afwijzing; leg met 'handhaaf_afwijzing' vast dat die blijft staan.")]


def tlv_besluit_was_afwijzing(case: Case, _: Mapping[str, JSON], __: Context) -> list[Missing]:
    """'The rejection stands' only follows a bezwaar against a rejection."""
    if case.artifacts.get("besluit", {}).get("uitkomst") == "afgewezen":
        return []
    return [Missing("besluit-was-toekenning",
                    "Het bestreden besluit is een toekenning; leg met 'handhaaf_toekenning' vast dat die blijft "
                    "staan.")]


def tlv_bezwaarbesluit_zorgvuldig(case: Case, payload: Mapping[str, JSON], _: Context) -> list[Missing]:
    """A decision on bezwaar (not a withdrawal) follows the LBC's advice (Awb art. 7:13) and is
    reasoned (Awb art. 7:12).
    """
    if payload.get("grond") == "ingetrokken":
        return []
    missing = []
    if "lbc_advies" not in case.artifacts:
        missing.append(Missing("lbc-advies-ontbreekt",
                               "Het advies van de Landelijke Bezwaaradviescommissie ontbreekt; op het bezwaar "
                               "wordt beslist nadat dat advies is ontvangen."))
    if not payload.get("motivering"):
        missing.append(Missing("bezwaarbesluit-niet-gemotiveerd",
                               "Een beslissing op bezwaar moet deugdelijk gemotiveerd zijn: vul 'motivering' in."))
    return missing


def tlv_bezwaar_gegrond(_: Case, payload: Mapping[str, JSON], __: Context) -> dict[str, dict[str, JSON]]:
    """The bezwaar is founded: the decision is revoked and the BTO decides anew."""
    return {"bezwaarbesluit": {"uitkomst": "gegrond", "motivering": payload.get("motivering")}}


def tlv_bezwaar_niet_gegrond(_: Case, payload: Mapping[str, JSON], __: Context) -> dict[str, dict[str, JSON]]:
    """The bezwaar is unfounded or withdrawn: the decision stands."""
    return {"bezwaarbesluit": {"uitkomst": payload.get("grond"), "motivering": payload.get("motivering")}}


GUARDS: Mapping[str, Guard] = {
    "tlv_opp_of_handelingsplan": tlv_opp_of_handelingsplan,
    "tlv_advies_afzonderlijk": tlv_advies_afzonderlijk,
    "tlv_dossier_compleet": tlv_dossier_compleet,
    "tlv_andere_beoordelaar": tlv_andere_beoordelaar,
    "tlv_twee_beoordelingen": tlv_twee_beoordelingen,
    "tlv_categorie_bij_soort": tlv_categorie_bij_soort,
    "tlv_categorie_gemotiveerd": tlv_categorie_gemotiveerd,
    "tlv_minimale_looptijd": tlv_minimale_looptijd,
    "tlv_bekendmaking_na_besluit": tlv_bekendmaking_na_besluit,
    "tlv_aanvullingstermijn": tlv_aanvullingstermijn,
    "tlv_geen_tweede_bezwaar": tlv_geen_tweede_bezwaar,
    "tlv_bezwaar_binnen_termijn": tlv_bezwaar_binnen_termijn,
    "tlv_besluit_was_toekenning": tlv_besluit_was_toekenning,
    "tlv_besluit_was_afwijzing": tlv_besluit_was_afwijzing,
    "tlv_bezwaarbesluit_zorgvuldig": tlv_bezwaarbesluit_zorgvuldig,
}
EFFECTS: Mapping[str, Effect] = {
    "tlv_opp_bijlage": tlv_opp_bijlage,
    "tlv_advies_toevoegen": tlv_advies_toevoegen,
    "tlv_volledigheid_vastleggen": tlv_volledigheid_vastleggen,
    "tlv_beoordeling_toevoegen": tlv_beoordeling_toevoegen,
    "tlv_besluit_toekenning": tlv_besluit_toekenning,
    "tlv_besluit_afwijzing": tlv_besluit_afwijzing,
    "tlv_bezwaartermijn_einde": tlv_bezwaartermijn_einde,
    "tlv_bezwaar_gegrond": tlv_bezwaar_gegrond,
    "tlv_bezwaar_niet_gegrond": tlv_bezwaar_niet_gegrond,
}
