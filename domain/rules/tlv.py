"""Guards and effects of the TLV pathway (DOMAIN.md §3 TLV).

The dossier is complete with the parents' signature, the toestemmingsverklaring, the parents'
zienswijze, the OPP (or handelingsplan), two *separate* expert advices by two different people (law)
and the evidence the kind of request asks (profile, by soort and herkomst: the cascade, an RTO, the PrO
criteria, a voorschools knooppunt). The deciding body (profile: BTO, a director advised by a commissie, a
loket; seed 004 §4.3) decides after at least two independent reviews (seed 001): category laag unless
midden/hoog is justified, an end date at least the profile's minimum after the start, by default as long
as the pupil's uitstroomprofiel asks (seed 001 §4.5.2).
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

ORTHOPEDAGOOG_OF_PSYCHOLOOG = ("orthopedagoog", "psycholoog")
"""At least one of the two expert advices comes from one of these disciplines (law: WPO art. 18a lid 7,
WVO 2020 art. 2.44 and the AMvB's nota van toelichting, seed 004 §4.3; DOMAIN.md §3)."""
POSITIES = ("eerste", "tweede")
"""The two advices' positions; a profile may name the disciplines allowed per position (setting ``tlv_adviezen``)."""
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
HERKOMST = ("regulier", "po_vo_overstap", "so_vso_vervolg", "voorschool")
"""Where the pupil comes from when the TLV is requested (default regulier)."""
HERKOMST_SOORTEN = {"po_vo_overstap": ("pro", "vso"), "so_vso_vervolg": ("vso",), "voorschool": ("sbo", "so")}
"""Which kinds of TLV each origin can ask for: PrO and VSO are VO, a voorschool child enters PO."""
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
PRO_DOMEINEN = {"technisch_lezen": "technisch lezen", "begrijpend_lezen": "begrijpend lezen",
                "spellen": "spellen", "inzichtelijk_rekenen": "inzichtelijk rekenen"}
PRO_DLE_GRENS = 30
"""PrO: a learning delay of at least 3 years, DLE below 30 at the end of groep 8 (seed 001 bijlage 2)."""
PRO_IQ = (55, 80)
"""PrO: an IQ between 55 and 80 (seed 001 bijlage 2)."""
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
    "jeugdarts": "jeugdarts", "arts": "arts", "intern_begeleider": "intern begeleider",
    "ambulant_begeleider": "ambulant begeleider", "anders": "andere discipline",
}
DISCIPLINES = tuple(_DISCIPLINE)
"""The disciplines an expert advice may come from (the choices of registreer_deskundigenadvies)."""
_HERKOMST = {"regulier": "regulier", "po_vo_overstap": "de overstap van PO naar VO",
             "so_vso_vervolg": "het vervolg van SO naar VSO", "voorschool": "de voorschool"}
_DOSSIERSTUKKEN = (
    ("handtekening_ouders", "handtekening-ontbreekt", "De handtekening van de ouders ontbreekt."),
    ("toestemmingsverklaring", "toestemmingsverklaring-ontbreekt", "De toestemmingsverklaring ontbreekt."),
    ("zienswijze_ouders", "zienswijze-ontbreekt", "De zienswijze van de ouders ontbreekt."),
    ("opp", "opp-ontbreekt", "Het OPP (of handelingsplan) ontbreekt."),
)


def _opsomming(items: Sequence[str], voegwoord: str = "en") -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + f" {voegwoord} " + items[-1]


def _disciplines(items: Sequence[str]) -> str:
    return _opsomming([_DISCIPLINE.get(d, d) for d in items], "of")


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


def _toegestaan(context: Context, positie: str) -> tuple[str, ...]:
    """The disciplines the profile allows for the ``positie`` advice (setting ``tlv_adviezen``; default: any)."""
    per_positie = context.profile.setting("tlv_adviezen", None) or {}
    return tuple(per_positie.get(positie) or DISCIPLINES)


def _positie(payload: Mapping[str, JSON], adviezen: Sequence[Mapping[str, JSON]]) -> str:
    """The position of a new advice: as given, else the first one still free."""
    if payload.get("positie"):
        return str(payload["positie"])
    taken = {a.get("positie") for a in adviezen}
    return next((p for p in POSITIES if p not in taken), POSITIES[-1])


def _andere(adviezen: Sequence[Mapping[str, JSON]], positie: str) -> Mapping[str, JSON] | None:
    return next((a for a in adviezen if a.get("positie") != positie), None)


def _positie_missing(positie: str, discipline: str, adviezen: Sequence[Mapping[str, JSON]],
                     context: Context) -> list[Missing]:
    """The discipline fits the position in this region, and with the other advice the law's orthopedagoog or
    psycholoog is there.
    """
    missing = []
    if any(a.get("positie") == positie for a in adviezen):
        missing.append(Missing("advies-positie-bezet",
                               f"Het {positie} advies is al vastgelegd; leg dit advies vast als het "
                               f"{next(p for p in POSITIES if p != positie)} advies."))
    toegestaan = _toegestaan(context, positie)
    if discipline not in toegestaan:
        missing.append(Missing(f"advies-{POSITIES.index(positie) + 1}-discipline",
                               f"Het {positie} advies komt in dit samenwerkingsverband van een "
                               f"{_disciplines(toegestaan)}, niet van een {_DISCIPLINE.get(discipline, discipline)}."))
    andere = _andere(adviezen, positie)
    if andere is not None and not {discipline, andere.get("discipline")} & set(ORTHOPEDAGOOG_OF_PSYCHOLOOG):
        missing.append(Missing("advies-geen-orthopedagoog-of-psycholoog",
                               f"Ten minste één van de twee adviezen komt van een orthopedagoog of psycholoog "
                               f"(wet). Het andere advies is van een "
                               f"{_DISCIPLINE.get(str(andere.get('discipline')), andere.get('discipline'))}, dus dit "
                               f"advies moet van een orthopedagoog of psycholoog komen, niet van een "
                               f"{_DISCIPLINE.get(discipline, discipline)}."))
    return missing


def tlv_advies_afzonderlijk(case: Case, payload: Mapping[str, JSON], context: Context) -> list[Missing]:
    """Two separate written advices by two different people; one joint advice is legally defective (law,
    Geschillencommissie passend onderwijs). At least one comes from an orthopedagoog or psycholoog (law); the
    disciplines per position are the region's choice (setting ``tlv_adviezen``; VO 31-02, seed 001 §4.5.4:
    the first an orthopedagoog/psycholoog, maatschappelijk werker or jeugdarts, the second always an
    orthopedagoog). Two orthopedagogen are two advices.
    """
    if payload.get("gezamenlijk") is True:
        return [Missing("advies-gezamenlijk",
                        "Eén gezamenlijk advies van twee deskundigen is juridisch ondeugdelijk: de wet vraagt "
                        "twee afzonderlijke schriftelijke adviezen. Leg elk advies apart vast, met de discipline "
                        "van de deskundige die het schreef.")]
    adviezen = _lijst(case, "adviezen")
    if len(adviezen) >= len(POSITIES):
        return [Missing("adviezen-compleet", "Er zijn al twee afzonderlijke deskundigenadviezen vastgelegd.")]
    deskundige = payload.get("deskundige")
    missing = []
    if any(a.get("deskundige") == deskundige for a in adviezen):
        missing.append(Missing("advies-zelfde-deskundige",
                               f"Deskundige {deskundige} heeft al geadviseerd; het tweede advies moet van een "
                               f"andere deskundige komen."))
    return missing + _positie_missing(_positie(payload, adviezen), str(payload.get("discipline")), adviezen, context)


def tlv_advies_toevoegen(case: Case, payload: Mapping[str, JSON], _: Context) -> dict[str, dict[str, JSON]]:
    """The advices so far, in the order recorded: their position, who advised (pseudonymous), from which
    discipline, what they concluded and a summary (DOMAIN.md §3: the decision refers to both).
    """
    adviezen = _lijst(case, "adviezen")
    advies = {"positie": _positie(payload, adviezen), "discipline": payload.get("discipline"),
              "deskundige": payload.get("deskundige"), "conclusie": payload.get("conclusie"),
              "samenvatting": payload.get("samenvatting")}
    return {"adviezen": {"lijst": [*adviezen, advies]}}


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
    soort, herkomst = _soort(case), _herkomst(case)
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


def _nog_toegestaan(positie: str, adviezen: Sequence[Mapping[str, JSON]], context: Context) -> tuple[str, ...]:
    """The disciplines that may still give the ``positie`` advice: the profile's, narrowed by the law when the
    other advice is from neither an orthopedagoog nor a psycholoog.
    """
    toegestaan = _toegestaan(context, positie)
    andere = _andere(adviezen, positie)
    if andere is None or andere.get("discipline") in ORTHOPEDAGOOG_OF_PSYCHOLOOG:
        return toegestaan
    return tuple(d for d in toegestaan if d in ORTHOPEDAGOOG_OF_PSYCHOLOOG)


def _adviezen_ontbreken(case: Case, context: Context) -> list[Missing]:
    adviezen = _lijst(case, "adviezen")
    taken = {a.get("positie") or POSITIES[i] for i, a in enumerate(adviezen)}
    missing = []
    for number, positie in enumerate(POSITIES, start=1):
        if positie in taken:
            continue
        toegestaan = _nog_toegestaan(positie, adviezen, context)
        van = "" if set(toegestaan) == set(DISCIPLINES) else f", van een {_disciplines(toegestaan)}"
        wat = ("het eerste deskundigenadvies" if number == 1
               else "een tweede, afzonderlijk deskundigenadvies van een andere deskundige")
        missing.append(Missing(f"advies-{number}-ontbreekt", f"Advies {number} ontbreekt: {wat}{van}."))
    return missing


def tlv_dossier_compleet(case: Case, _: Mapping[str, JSON], context: Context) -> list[Missing]:
    """The dossier is complete (seed 001 bijlage 2, law): the standard items, two separate advices and the
    evidence this kind of request needs (``benodigd_bewijs``); every missing item is named.
    """
    missing = [Missing(code, text) for name, code, text in _DOSSIERSTUKKEN if name not in case.artifacts]
    bewijs = _bewijs_ontbreekt(case, context)
    na_adviezen = [m for m in bewijs if m.code in ("rto-ontbreekt", "voorschools-knooppunt-ontbreekt")]
    voor_adviezen = [m for m in bewijs if m not in na_adviezen]
    return missing + voor_adviezen + _adviezen_ontbreken(case, context) + na_adviezen


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


def tlv_herkomst_bij_soort(_: Case, payload: Mapping[str, JSON], __: Context) -> list[Missing]:
    """The origin fits the kind of TLV: the PO-VO move leads to PrO or VSO, an SO-VSO continuation to VSO,
    a voorschool child to SBO or SO (DOMAIN.md §3; seed 002 no. 21).
    """
    herkomst, soort = str(payload.get("herkomst") or "regulier"), str(payload.get("soort"))
    soorten = HERKOMST_SOORTEN.get(herkomst)
    if soorten is None or soort in soorten:
        return []
    return [Missing("herkomst-past-niet-bij-soort",
                    f"Een TLV voor {_SOORT.get(soort, soort)} past niet bij {_HERKOMST[herkomst]}: vanuit "
                    f"{_HERKOMST[herkomst]} vraagt een school een TLV voor "
                    f"{_opsomming([_SOORT[s] for s in soorten], 'of')} aan.")]


def tlv_pro_criteria_bij_pro(case: Case, payload: Mapping[str, JSON], _: Context) -> list[Missing]:
    """The PrO criteria belong to a TLV for praktijkonderwijs; at least two of the four domains are measured
    and the values are plausible (seed 001 bijlage 2).
    """
    if _soort(case) != "pro":
        return [Missing("pro-criteria-bij-soort",
                        f"De criteria van het praktijkonderwijs horen bij een TLV voor PrO, niet bij een TLV voor "
                        f"{_SOORT.get(_soort(case), _soort(case))}.")]
    gemeten = [d for d in PRO_DOMEINEN if payload.get(f"{d}_dle") is not None]
    missing = []
    if len(gemeten) < 2:  # noqa: PLR2004 - seed 001 bijlage 2: op minstens twee domeinen
        missing.append(Missing("pro-domeinen-te-weinig",
                               "Vul de DLE in van ten minste twee domeinen (technisch lezen, begrijpend lezen, "
                               "spellen, inzichtelijk rekenen): de criteria kijken naar minstens twee domeinen."))
    buiten = [PRO_DOMEINEN[d] for d in gemeten if not 0 <= int(payload[f"{d}_dle"]) <= 60]  # noqa: PLR2004
    if buiten:
        missing.append(Missing("pro-dle-onmogelijk",
                               f"Een DLE ligt tussen 0 en 60; controleer {_opsomming(buiten)}."))
    if not 30 <= int(payload["iq"]) <= 160:  # noqa: PLR2004 - a plausible IQ score
        missing.append(Missing("pro-iq-onmogelijk", f"Een IQ van {payload['iq']} is niet mogelijk; controleer het."))
    return missing


def tlv_pro_criteria(_: Case, payload: Mapping[str, JSON], __: Context) -> dict[str, dict[str, JSON]]:
    """The PrO criteria (seed 001 bijlage 2): a learning delay of at least 3 years (DLE < 30) on at least two of
    the four domains, one of them rekenen or begrijpend lezen, and an IQ from 55 to 80.
    """
    achter = [d for d in PRO_DOMEINEN if payload.get(f"{d}_dle") is not None
              and int(payload[f"{d}_dle"]) < PRO_DLE_GRENS]
    iq = int(payload["iq"])
    voldoet = (len(achter) >= 2 and bool({"inzichtelijk_rekenen", "begrijpend_lezen"} & set(achter))  # noqa: PLR2004
               and PRO_IQ[0] <= iq <= PRO_IQ[1])
    return {"pro_criteria": {**payload, "achterstand_op": achter, "voldoet": voldoet}}


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


def _conclusies(case: Case) -> list[str]:
    return [str(a["conclusie"]) for a in _lijst(case, "adviezen") if a.get("conclusie")]


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
    verschil = _opsomming([CONCLUSIES.get(c, c) for c in conclusies])
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
        b.get("oordeel") for b in _lijst(case, "beoordelingen")
    ):
        return []
    return [Missing("commissieadvies-ontbreekt",
                    "In dit samenwerkingsverband adviseert de commissie de directeur, die besluit. Het advies van "
                    "de commissie ontbreekt: leg bij een beoordeling het oordeel (toekennen of afwijzen) vast.")]


def tlv_pro_criteria_gehaald(case: Case, _: Mapping[str, JSON], __: Context) -> list[Missing]:
    """A TLV for PrO is granted when the recorded evidence meets the national criteria (seed 001 bijlage 2)."""
    criteria = case.artifacts.get("pro_criteria")
    if _soort(case) != "pro" or criteria is None or criteria.get("voldoet"):
        return []
    achter = [PRO_DOMEINEN[d] for d in criteria.get("achterstand_op", [])]
    return [Missing("pro-criteria-niet-gehaald",
                    f"De leerling voldoet niet aan de criteria voor praktijkonderwijs (seed 001 bijlage 2): een "
                    f"leerachterstand van minstens 3 jaar (DLE onder {PRO_DLE_GRENS}) op minstens twee domeinen, "
                    f"waarvan één rekenen of begrijpend lezen, en een IQ van {PRO_IQ[0]} tot en met {PRO_IQ[1]}. "
                    f"Vastgelegd: achterstand op {_opsomming(achter) if achter else 'geen domein'}, "
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
    soort = _soort(case)
    if payload.get("hele_schoolperiode"):
        toegestaan = [str(s) for s in context.profile.setting("tlv_hele_schoolperiode", None) or []]
        if soort not in toegestaan:
            waar = (f"alleen voor {_opsomming([_SOORT.get(s, s) for s in toegestaan], 'of')}" if toegestaan
                    else "niet")
            return [Missing("hele-schoolperiode-niet-toegestaan",
                            f"Een TLV voor de hele schoolperiode geeft dit samenwerkingsverband {waar}; deze "
                            f"aanvraag is voor {_SOORT.get(soort, soort)}. Vul een einddatum in.")]
        if not payload.get("einddatum"):
            return [Missing("einddatum-schoolperiode-ontbreekt",
                            "Een TLV voor de hele schoolperiode loopt tot het einde van die periode: vul als "
                            "'einddatum' de laatste dag van de schoolperiode in.")]
        return []
    if _einddatum(payload, context)[0] is not None:
        return []
    return [Missing("einddatum-ontbreekt",
                    f"Vul 'einddatum' in, of leg het uitstroomprofiel ({_opsomming(UITSTROOMPROFIELEN, 'of')}) vast "
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
    """The decision per the cross-pathway contract; SBO and PrO have no category (None). The end date is as given
    or follows the uitstroomprofiel (``looptijd`` says which); ``besloten_door`` names the deciding body.
    """
    soort = _soort(case)
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
    return {"besluit": {"uitkomst": "afgewezen", "soort": _soort(case), "categorie": None, "startdatum": None,
                        "einddatum": None, "reden": payload["reden"], "besloten_door": _besluit_door(context),
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
    "tlv_looptijd_bekend": tlv_looptijd_bekend,
    "tlv_toekenning_tegen_adviezen": tlv_toekenning_tegen_adviezen,
    "tlv_adviezen_verschillen": tlv_adviezen_verschillen,
    "tlv_mdo_na_adviezen": tlv_mdo_na_adviezen,
    "tlv_commissieadvies": tlv_commissieadvies,
    "tlv_herkomst_bij_soort": tlv_herkomst_bij_soort,
    "tlv_pro_criteria_bij_pro": tlv_pro_criteria_bij_pro,
    "tlv_pro_criteria_gehaald": tlv_pro_criteria_gehaald,
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
    "tlv_pro_criteria": tlv_pro_criteria,
    "tlv_beoordeling_toevoegen": tlv_beoordeling_toevoegen,
    "tlv_besluit_toekenning": tlv_besluit_toekenning,
    "tlv_besluit_afwijzing": tlv_besluit_afwijzing,
    "tlv_bezwaartermijn_einde": tlv_bezwaartermijn_einde,
    "tlv_bezwaar_gegrond": tlv_bezwaar_gegrond,
    "tlv_bezwaar_niet_gegrond": tlv_bezwaar_niet_gegrond,
}
