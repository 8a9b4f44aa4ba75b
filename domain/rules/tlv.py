"""Guards and effects of the TLV pathway (DOMAIN.md §3 TLV).

The dossier is complete with the parents' signature, the toestemmingsverklaring, the parents'
zienswijze, the OPP (or handelingsplan), two *separate* expert advices by two different people (law)
and the evidence the kind of request asks (profile, by soort and herkomst: the cascade, an RTO, the PrO
criteria, a voorschools knooppunt). The deciding body (profile: BTO, a director advised by a commissie, a
loket; seed 004 §4.3) decides after at least two independent reviews (seed 001): category laag unless
midden/hoog is justified, an end date at least the profile's minimum after the start, by default as long
as the pupil's uitstroomprofiel asks (seed 001 §4.5.2).

This module holds the request and its dossier: the origin, the OPP, the two expert advices, the aanvulling
and the PrO criteria, with the words the other TLV modules share. The completeness of the dossier and the
evidence it needs are in ``tlv_volledigheid``, the reviews and the decision in ``tlv_besluit``, the bezwaar
in ``tlv_bezwaar``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from domain.durations import NL, Duration
from domain.errors import Missing
from domain.terms import datum, later

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
HERKOMST = ("regulier", "po_vo_overstap", "so_vso_vervolg", "voorschool")
"""Where the pupil comes from when the TLV is requested (default regulier)."""
HERKOMST_SOORTEN = {"po_vo_overstap": ("pro", "vso"), "so_vso_vervolg": ("vso",), "voorschool": ("sbo", "so")}
"""Which kinds of TLV each origin can ask for: PrO and VSO are VO, a voorschool child enters PO."""
PRO_DOMEINEN = {"technisch_lezen": "technisch lezen", "begrijpend_lezen": "begrijpend lezen",
                "spellen": "spellen", "inzichtelijk_rekenen": "inzichtelijk rekenen"}
PRO_DLE_GRENS = 30
"""PrO: a learning delay of at least 3 years, DLE below 30 at the end of groep 8 (seed 001 bijlage 2)."""
PRO_IQ = (55, 80)
"""PrO: an IQ between 55 and 80 (seed 001 bijlage 2)."""

SOORT_NAMEN = {"sbo": "SBO", "so": "SO", "vso": "VSO", "pro": "PrO"}
"""How a text names each kind of TLV."""
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


def opsomming(items: Sequence[str], voegwoord: str = "en") -> str:
    """The items as a Dutch enumeration: "a, b en c" (or "of")."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + f" {voegwoord} " + items[-1]


def _disciplines(items: Sequence[str]) -> str:
    return opsomming([_DISCIPLINE.get(d, d) for d in items], "of")


def lijst(case: Case, artifact: str) -> list[dict[str, JSON]]:
    """The entries recorded so far in the list ``artifact`` (the advices, the reviews)."""
    return list(case.artifacts.get(artifact, {}).get("lijst", []))


def soort_van(case: Case) -> str:
    """The kind of TLV requested (sbo, so, vso, pro)."""
    return str(case.artifacts.get("aanvraag", {}).get("soort", ""))


def dag_van(context: Context) -> date | None:
    """The day of the command in the Netherlands, if it has an instant."""
    return context.instant.astimezone(NL).date() if context.instant is not None else None


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
    adviezen = lijst(case, "adviezen")
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
    adviezen = lijst(case, "adviezen")
    advies = {"positie": _positie(payload, adviezen), "discipline": payload.get("discipline"),
              "deskundige": payload.get("deskundige"), "conclusie": payload.get("conclusie"),
              "samenvatting": payload.get("samenvatting")}
    return {"adviezen": {"lijst": [*adviezen, advies]}}


def _nog_toegestaan(positie: str, adviezen: Sequence[Mapping[str, JSON]], context: Context) -> tuple[str, ...]:
    """The disciplines that may still give the ``positie`` advice: the profile's, narrowed by the law when the
    other advice is from neither an orthopedagoog nor a psycholoog.
    """
    toegestaan = _toegestaan(context, positie)
    andere = _andere(adviezen, positie)
    if andere is None or andere.get("discipline") in ORTHOPEDAGOOG_OF_PSYCHOLOOG:
        return toegestaan
    return tuple(d for d in toegestaan if d in ORTHOPEDAGOOG_OF_PSYCHOLOOG)


def adviezen_ontbreken(case: Case, context: Context) -> list[Missing]:
    """Which of the two advices are still missing, with the disciplines that may still give each."""
    adviezen = lijst(case, "adviezen")
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


def tlv_herkomst_bij_soort(_: Case, payload: Mapping[str, JSON], __: Context) -> list[Missing]:
    """The origin fits the kind of TLV: the PO-VO move leads to PrO or VSO, an SO-VSO continuation to VSO,
    a voorschool child to SBO or SO (DOMAIN.md §3; seed 002 no. 21).
    """
    herkomst, soort = str(payload.get("herkomst") or "regulier"), str(payload.get("soort"))
    soorten = HERKOMST_SOORTEN.get(herkomst)
    if soorten is None or soort in soorten:
        return []
    return [Missing("herkomst-past-niet-bij-soort",
                    f"Een TLV voor {SOORT_NAMEN.get(soort, soort)} past niet bij {_HERKOMST[herkomst]}: vanuit "
                    f"{_HERKOMST[herkomst]} vraagt een school een TLV voor "
                    f"{opsomming([SOORT_NAMEN[s] for s in soorten], 'of')} aan.")]


def tlv_pro_criteria_bij_pro(case: Case, payload: Mapping[str, JSON], _: Context) -> list[Missing]:
    """The PrO criteria belong to a TLV for praktijkonderwijs; at least two of the four domains are measured
    and the values are plausible (seed 001 bijlage 2).
    """
    if soort_van(case) != "pro":
        return [Missing("pro-criteria-bij-soort",
                        f"De criteria van het praktijkonderwijs horen bij een TLV voor PrO, niet bij een TLV voor "
                        f"{SOORT_NAMEN.get(soort_van(case), soort_van(case))}.")]
    gemeten = [d for d in PRO_DOMEINEN if payload.get(f"{d}_dle") is not None]
    missing = []
    if len(gemeten) < 2:  # noqa: PLR2004 - seed 001 bijlage 2: op minstens twee domeinen
        missing.append(Missing("pro-domeinen-te-weinig",
                               "Vul de DLE in van ten minste twee domeinen (technisch lezen, begrijpend lezen, "
                               "spellen, inzichtelijk rekenen): de criteria kijken naar minstens twee domeinen."))
    buiten = [PRO_DOMEINEN[d] for d in gemeten if not 0 <= int(payload[f"{d}_dle"]) <= 60]  # noqa: PLR2004
    if buiten:
        missing.append(Missing("pro-dle-onmogelijk",
                               f"Een DLE ligt tussen 0 en 60; controleer {opsomming(buiten)}."))
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


def tlv_aanvullingstermijn(_: Case, payload: Mapping[str, JSON], context: Context) -> list[Missing]:
    """An aanvulling request carries its own term (Awb art. 4:5): a day after the request, within
    three months.
    """
    uiterlijk, today = date.fromisoformat(payload["aanvullen_uiterlijk"]), dag_van(context)
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


GUARDS: Mapping[str, Guard] = {
    "tlv_opp_of_handelingsplan": tlv_opp_of_handelingsplan,
    "tlv_advies_afzonderlijk": tlv_advies_afzonderlijk,
    "tlv_herkomst_bij_soort": tlv_herkomst_bij_soort,
    "tlv_pro_criteria_bij_pro": tlv_pro_criteria_bij_pro,
    "tlv_aanvullingstermijn": tlv_aanvullingstermijn,
}
EFFECTS: Mapping[str, Effect] = {
    "tlv_opp_bijlage": tlv_opp_bijlage,
    "tlv_advies_toevoegen": tlv_advies_toevoegen,
    "tlv_pro_criteria": tlv_pro_criteria,
}
