"""Guards and effects of the herbeoordeling pathway (DOMAIN.md §3 Herbeoordeling/terugplaatsing).

Before a TLV ends, the school and the BTO decide: extend (a new TLV), move back to regular
education, or step down to lighter support. A TLV never lapses silently (seed 003).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from domain.errors import Missing
from domain.terms import datum

if TYPE_CHECKING:
    from domain.case import Case
    from domain.context import Context
    from domain.rules import Effect, Guard

JSON = Any


def herbeoordeling_tlv_klopt(_: Case, payload: Mapping[str, JSON], context: Context) -> list[Missing]:
    """A TLV dossier named at the start is the pupil's, granted, and ends on the einddatum given."""
    dossier = payload.get("tlv_dossier")
    if dossier is None:
        return []
    tlv = next((c for c in context.siblings if c.id == dossier and c.pathway == "tlv"), None)
    if tlv is None:
        return [Missing("tlv-onbekend", f"TLV-dossier {dossier} van deze leerling is niet gevonden.")]
    besluit = tlv.artifacts.get("besluit", {})
    if besluit.get("uitkomst") != "toegekend":
        return [Missing("tlv-niet-toegekend",
                        f"TLV-dossier {dossier} heeft geen toegekende TLV; een herbeoordeling hoort bij een "
                        f"toegekende TLV.")]
    if besluit.get("einddatum") != payload["einddatum"]:
        gegeven, besloten = date.fromisoformat(payload["einddatum"]), date.fromisoformat(besluit["einddatum"])
        return [Missing("einddatum-wijkt-af",
                        f"De einddatum {datum(gegeven)} wijkt af van de einddatum {datum(besloten)} in het besluit "
                        f"van TLV-dossier {dossier}.")]
    return []


def herbeoordeling_verlengen(_: Case, payload: Mapping[str, JSON], __: Context) -> dict[str, dict[str, JSON]]:
    """Outcome: extend, which means requesting a new TLV."""
    return {"uitkomst": {"uitkomst": "verlengen", "toelichting": payload.get("toelichting")}}


def herbeoordeling_terugplaatsen(_: Case, payload: Mapping[str, JSON], __: Context) -> dict[str, dict[str, JSON]]:
    """Outcome: back to regular education (the moederschool or another school)."""
    return {"uitkomst": {"uitkomst": "terugplaatsen", "naar_school_brin": payload.get("naar_school_brin"),
                         "geplande_datum": payload.get("geplande_datum")}}


def herbeoordeling_lichtere_ondersteuning(
    _: Case, payload: Mapping[str, JSON], __: Context,
) -> dict[str, dict[str, JSON]]:
    """Outcome: a step down to lighter support."""
    return {"uitkomst": {"uitkomst": "lichtere_ondersteuning", "toelichting": payload.get("toelichting")}}


GUARDS: Mapping[str, Guard] = {
    "herbeoordeling_tlv_klopt": herbeoordeling_tlv_klopt,
}
EFFECTS: Mapping[str, Effect] = {
    "herbeoordeling_verlengen": herbeoordeling_verlengen,
    "herbeoordeling_terugplaatsen": herbeoordeling_terugplaatsen,
    "herbeoordeling_lichtere_ondersteuning": herbeoordeling_lichtere_ondersteuning,
}
