"""The indicators of DOMAIN.md §5 for a period, from the event history (seeds 000, 002, 003).

Boards account to each other with these figures; here they fall out of the events that happened in
the period (by ``occurred_at``), counted over the cases the reader may see:

- verwijzingen: TLVs granted (a verwijzing to SBO, SO or VSO), per category;
- TLVs afgewezen, bezwaren against TLV decisions;
- terugplaatsingen: pupils placed back in regular education;
- knooppunten (and Ronde Tafel Overleggen) held, on time or after their deadline passed;
- thuiszitters reported, and those at home longer than 3 months (Thuiszitterspact);
- schorsingen, and those longer than one day (reported to the Inspectie: WPO art. 40c, WVO art. 27);
  verwijderingen, and those without another school that admits the pupil (DOMAIN.md §4);
- verzuimmeldingen: the meldplicht signals reached in the period that the school reported to DUO in time,
  late, or not within the term (Leerplichtwet art. 21a; counted from the register of reports, issue 15).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

HELD = frozenset({"knooppunt_gehouden", "rto_gehouden"})
LATE = frozenset({"knooppunt_te_laat", "rto_te_laat"})
COUNTED = {
    "tlv_toegekend": "verwijzingen",
    "tlv_afgewezen": "tlvs_afgewezen",
    "tlv_bezwaar_ingediend": "bezwaren",
    "teruggeplaatst": "terugplaatsingen",
    "thuiszitter_gemeld": "thuiszitters_gemeld",
    "thuiszitter_langer_dan_3_maanden": "thuiszitters_langer_dan_3_maanden",
    "leerling_geschorst": "schorsingen",
    "verwijderd_naar_andere_school": "verwijderingen",
    "verwijderd_zonder_nieuwe_school": "verwijderingen",
}
ALSO_COUNTED = {"verwijderd_zonder_nieuwe_school": "verwijderingen_zonder_nieuwe_school"}
"""Events counted under a second name as well (a verwijdering without a new school is also a verwijdering)."""
SCHORSING_MELDPLICHTIG = "duur_meldplichtig"
"""The schorsing event's payload key saying it lasts longer than one day (domain.rules.schorsing)."""
PERIOD_EVENTS = frozenset(COUNTED) | HELD
"""The event types counted when they happened in the period."""


@dataclass(frozen=True)
class Indicators:
    """The figures for one period."""

    verwijzingen: int = 0
    tlvs_per_categorie: dict[str, int] = field(default_factory=dict)
    tlvs_afgewezen: int = 0
    bezwaren: int = 0
    terugplaatsingen: int = 0
    knooppunten_gehouden: int = 0
    knooppunten_op_tijd: int = 0
    knooppunten_te_laat: int = 0
    thuiszitters_gemeld: int = 0
    thuiszitters_langer_dan_3_maanden: int = 0
    thuiszitters_nu: int = 0
    schorsingen: int = 0
    schorsingen_langer_dan_een_dag: int = 0
    verwijderingen: int = 0
    verwijderingen_zonder_nieuwe_school: int = 0
    verzuimmeldingen_op_tijd: int = 0
    verzuimmeldingen_te_laat: int = 0
    verzuimmeldingen_niet_gedaan: int = 0


def indicators(in_period: Iterable[tuple[str, str, dict[str, Any]]], late_cases: Iterable[str],
               thuiszitters_nu: int) -> Indicators:
    """The figures from (case id, event type, payload) of the period's events, the cases whose
    knooppunt or RTO deadline passed (at any time) and the number of open thuiszitter cases now.
    """
    late = set(late_cases)
    counts: Counter[str] = Counter()
    categories: Counter[str] = Counter()
    for case_id, event_type, payload in in_period:
        if event_type in HELD:
            counts["knooppunten_gehouden"] += 1
            counts["knooppunten_te_laat" if case_id in late else "knooppunten_op_tijd"] += 1
            continue
        counts[COUNTED[event_type]] += 1
        if event_type in ALSO_COUNTED:
            counts[ALSO_COUNTED[event_type]] += 1
        if event_type == "leerling_geschorst" and payload.get(SCHORSING_MELDPLICHTIG) is True:
            counts["schorsingen_langer_dan_een_dag"] += 1
        if event_type == "tlv_toegekend":
            categories[str(payload.get("categorie", "onbekend"))] += 1
    return Indicators(tlvs_per_categorie=dict(sorted(categories.items())), thuiszitters_nu=thuiszitters_nu,
                      **{name: counts[name] for name in {*COUNTED.values(), *ALSO_COUNTED.values(),
                                                         "schorsingen_langer_dan_een_dag", "knooppunten_gehouden",
                                                         "knooppunten_op_tijd", "knooppunten_te_laat"}})
