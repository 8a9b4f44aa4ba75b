"""Guards and effects of the knooppunt (PO, Zuid-Limburg) and RTO (VO) pathways (DOMAIN.md §3):
a meeting with school, parents and partners, requested, planned with mandated participants and
held with the parents' toestemming. Both pathways use the same guards and effects; the messages
name the meeting after the case's pathway. Only the RTO's VSO-expert rule is RTO-only.

Participants come as one text field, one participant per line (``;`` or a new line between them):
``rol|organisatie|mandaat (ja/nee)|vso_expert (ja/nee)``; ``vso_expert`` may be left out (nee).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from domain.durations import NL
from domain.errors import Missing

if TYPE_CHECKING:
    from domain.case import Case
    from domain.context import Context
    from domain.rules import Effect, Guard

JSON = Any
EDUCATION_ROLES = frozenset({
    "leerkracht", "mentor", "ib_er", "intern_begeleider", "zorgcoordinator", "directeur", "schoolleider",
    "teamleider", "locatieleider", "bestuurder", "swv_coordinator", "trajectbegeleider", "ambulant_begeleider",
    "onderwijsconsulent", "vso_deskundige",
})
"""Roles that take part on behalf of education: at least one of them must have mandate."""
_YES_NO = {"ja": True, "nee": False}
_FORMAT = "rol|organisatie|mandaat (ja/nee)|vso_expert (ja/nee)"
_PARTS = 4


def _meeting(case: Case) -> str:
    return "het RTO" if case.pathway == "rto" else "het knooppunt"


def _role_code(text: str) -> str:
    return re.sub(r"[\s\-]+", "_", text.strip().lower())


def parse_participants(text: str) -> tuple[list[dict[str, JSON]], list[Missing]]:
    """The participants listed in ``text``, and a Missing naming each malformed line."""
    lines = [line.strip() for line in re.split(r"[;\n]", text) if line.strip()]
    found: list[dict[str, JSON]] = []
    problems: list[Missing] = []
    for number, line in enumerate(lines, start=1):
        parts = [part.strip() for part in line.split("|")]
        if len(parts) == _PARTS - 1:  # vso_expert left out
            parts.append("nee")
        flags = [part.lower() for part in parts[2:]]
        if len(parts) != _PARTS or not all(parts[:2]) or any(flag not in _YES_NO for flag in flags):
            problems.append(Missing(f"deelnemer-{number}-onjuist",
                                    f"Deelnemer {number} ('{line}') is niet te lezen; schrijf {_FORMAT}."))
            continue
        found.append({"rol": _role_code(parts[0]), "organisatie": parts[1],
                      "mandaat": _YES_NO[flags[0]], "vso_expert": _YES_NO[flags[1]]})
    return found, problems


def knooppunt_deelnemers_geldig(case: Case, payload: Mapping[str, JSON], _: Context) -> list[Missing]:
    """Every participant line is readable, and someone from education takes part with mandate
    (can commit resources; seed 002 indicators 21-23).
    """
    text = payload.get("deelnemers")
    if not isinstance(text, str):
        return []
    found, problems = parse_participants(text)
    if problems:
        return problems
    if any(p["mandaat"] and p["rol"] in EDUCATION_ROLES for p in found):
        return []
    return [Missing("mandaat-ontbreekt",
                    f"Bij {_meeting(case)} is geen deelnemer vanuit het onderwijs met mandaat; "
                    f"noem er minstens één (bijvoorbeeld 'directeur|<school>|ja'). "
                    f"Rollen vanuit het onderwijs: {', '.join(sorted(EDUCATION_ROLES))}.")]


def knooppunt_datum_na_aanvraag(case: Case, payload: Mapping[str, JSON], _: Context) -> list[Missing]:
    """The meeting is planned on or after the day it was requested."""
    planned, requested = payload.get("datum"), case.artifacts.get("aanvraag", {}).get("occurred_at")
    if not isinstance(planned, str) or requested is None:
        return []
    requested_on = datetime.fromisoformat(requested).astimezone(NL).date()
    if date.fromisoformat(planned) >= requested_on:
        return []
    return [Missing("datum-voor-aanvraag",
                    f"De datum van {_meeting(case)} ({planned}) ligt vóór de aanvraag "
                    f"({requested_on.isoformat()}).")]


def knooppunt_toestemming_ouders(case: Case, _: Mapping[str, JSON], __: Context) -> list[Missing]:
    """The parents' toestemming for the meeting is on record (seed 002; AVG)."""
    if "toestemming" in case.artifacts:
        return []
    return [Missing("toestemming-ontbreekt", f"De toestemming van ouders voor {_meeting(case)} ontbreekt.")]


def rto_vso_expert_bij_tlv(case: Case, payload: Mapping[str, JSON], _: Context) -> list[Missing]:
    """An RTO may conclude to request a TLV only if a VSO-school expert took part (seed 001 §4.5.2)."""
    if payload.get("uitkomst") != "tlv_aanvragen":
        return []
    if any(p.get("vso_expert") for p in case.artifacts.get("deelnemers", {}).get("lijst", [])):
        return []
    return [Missing("vso-expert-ontbreekt",
                    "Bij het RTO was geen deskundige van het VSO; een TLV-aanvraag kan nog niet.")]


def tlv_soort_bij_tlv_aanvragen(case: Case, payload: Mapping[str, JSON], _: Context) -> list[Missing]:
    """A meeting that concludes "TLV aanvragen" names the kind of education the TLV is for: the system then
    opens the TLV request itself (the hand-off ``tlv_aanvragen_na_overleg`` in reactions.json).
    """
    if payload.get("uitkomst") != "tlv_aanvragen" or payload.get("tlv_soort"):
        return []
    return [Missing("tlv-soort-ontbreekt",
                    f"Bij de uitkomst 'TLV aanvragen' van {_meeting(case)} hoort de soort onderwijs "
                    "(sbo, so, vso of pro): daarmee wordt de TLV-aanvraag geopend.")]


def knooppunt_deelnemers(_: Case, payload: Mapping[str, JSON], __: Context) -> dict[str, dict[str, JSON]]:
    """The planned participants as a list (the cross-pathway contract's ``deelnemers``)."""
    text = payload.get("deelnemers")
    if not isinstance(text, str):
        return {}
    return {"deelnemers": {"lijst": parse_participants(text)[0]}}


def knooppunt_toestemming_bij_aanvraag(
    _: Case, payload: Mapping[str, JSON], __: Context,
) -> dict[str, dict[str, JSON]]:
    """A toestemming given with the request is recorded as the toestemming, dated with the request."""
    given_by = payload.get("toestemming_gegeven_door")
    return {"toestemming": {"gegeven_door": given_by}} if given_by is not None else {}


GUARDS: Mapping[str, Guard] = {
    "knooppunt_deelnemers_geldig": knooppunt_deelnemers_geldig,
    "knooppunt_datum_na_aanvraag": knooppunt_datum_na_aanvraag,
    "knooppunt_toestemming_ouders": knooppunt_toestemming_ouders,
    "rto_vso_expert_bij_tlv": rto_vso_expert_bij_tlv,
    "tlv_soort_bij_tlv_aanvragen": tlv_soort_bij_tlv_aanvragen,
}
EFFECTS: Mapping[str, Effect] = {
    "knooppunt_deelnemers": knooppunt_deelnemers,
    "knooppunt_toestemming_bij_aanvraag": knooppunt_toestemming_bij_aanvraag,
}
