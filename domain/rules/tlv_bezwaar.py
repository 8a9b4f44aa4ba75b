"""Guards and effects of the TLV pathway: bezwaar against the decision (DOMAIN.md §3 TLV).

The parents may lodge bezwaar within 6 weeks of the day the decision was made known (Awb art. 6:7, 6:8); the
decision on bezwaar follows the advice of the Landelijke Bezwaaradviescommissie and is reasoned (Awb art.
7:12, 7:13); a decision taken anew after a founded bezwaar is open to beroep, not to a second bezwaar.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from domain.durations import NL, Duration
from domain.errors import Missing
from domain.rules.tlv import dag_van
from domain.terms import Basis, Term, datum

if TYPE_CHECKING:
    from domain.case import Case
    from domain.context import Context
    from domain.rules import Effect, Guard

JSON = Any

BEZWAARTERMIJN = Term(Duration(weeks=6), "na", Basis("wet", "Awb art. 6:7, 6:8", "bekendmaking"))
"""Awb art. 6:7, 6:8: bezwaar within 6 weeks, from the day after the decision was made known. The pathway's
bezwaartermijn timers declare the same term; this one counts for a case whose timer has no deadline kept."""
BEZWAARTERMIJN_TIMERS = ("bezwaartermijn", "bezwaartermijn_afwijzing")


def _besluitdatum(case: Case) -> date:
    return datetime.fromisoformat(case.artifacts["besluit"]["occurred_at"]).astimezone(NL).date()


def _bekendgemaakt(case: Case) -> date:
    """The day the decision was made known to the parents (Awb art. 3:41; default: the decision's date)."""
    known = case.artifacts["besluit"].get("bekendgemaakt_op")
    return date.fromisoformat(known) if known else _besluitdatum(case)


def _laatste_bezwaardag(case: Case) -> date:
    """The last day of the bezwaartermijn: the running timer's deadline, else counted anew."""
    running = [t.deadline for name in BEZWAARTERMIJN_TIMERS if (t := case.timers.get(name)) and t.deadline]
    return running[0].last_day if running else BEZWAARTERMIJN.deadline(_bekendgemaakt(case)).last_day


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
    einde, recorded = _laatste_bezwaardag(case), dag_van(context)
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
    "tlv_geen_tweede_bezwaar": tlv_geen_tweede_bezwaar,
    "tlv_bezwaar_binnen_termijn": tlv_bezwaar_binnen_termijn,
    "tlv_besluit_was_toekenning": tlv_besluit_was_toekenning,
    "tlv_besluit_was_afwijzing": tlv_besluit_was_afwijzing,
    "tlv_bezwaarbesluit_zorgvuldig": tlv_bezwaarbesluit_zorgvuldig,
}
EFFECTS: Mapping[str, Effect] = {
    "tlv_bezwaartermijn_einde": tlv_bezwaartermijn_einde,
    "tlv_bezwaar_gegrond": tlv_bezwaar_gegrond,
    "tlv_bezwaar_niet_gegrond": tlv_bezwaar_niet_gegrond,
}
