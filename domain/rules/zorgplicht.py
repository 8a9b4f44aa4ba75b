"""Guards of the zorgplicht pathway (DOMAIN.md §3 Zorgplicht: seed 001 §4.1, §9.3; law, WPO art. 40
/ WVO 2020 art. 2.46 and 2.47).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from domain.errors import Missing
from domain.rules.overstap import brin_missing

if TYPE_CHECKING:
    from domain.case import Case
    from domain.context import Context
    from domain.rules import Effect, Guard

JSON = Any


def zorgplicht_schriftelijk(_: Case, payload: Mapping[str, JSON], __: Context) -> list[Missing]:
    """The zorgplicht and its decision term start with a written aanmelding (law)."""
    if payload.get("schriftelijk") is True:
        return []
    return [Missing("aanmelding-niet-schriftelijk",
                    "De zorgplicht en de beslistermijn gaan pas in na een schriftelijke aanmelding.")]


def zorgplicht_termijn_loopt(case: Case, _: Mapping[str, JSON], context: Context) -> list[Missing]:
    """The term is extended while it runs (up to the end of its last day), not after it has passed, even
    when the sweep has not yet reported it.
    """
    timer = case.timers.get("beslistermijn")
    if timer is not None and (context.instant is None or context.instant < timer.due_at):
        return []
    return [Missing("beslistermijn-verstreken",
                    "De beslistermijn van 6 weken is al verstreken; verlengen kan alleen binnen die termijn.")]


def zorgplicht_ouders_geinformeerd(_: Case, payload: Mapping[str, JSON], __: Context) -> list[Missing]:
    """The school tells the parents in writing, with the reason, that it extends its term (law)."""
    if payload.get("ouders_geinformeerd") is True:
        return []
    return [Missing("ouders-niet-geinformeerd", "Ouders moeten schriftelijk over de verlenging zijn geïnformeerd.")]


def zorgplicht_naar_toelatende_school(case: Case, payload: Mapping[str, JSON], __: Context) -> list[Missing]:
    """A school that cannot offer a suitable place refers the pupil to a named other school that
    admits the pupil; refusing without one is not allowed (law).
    """
    school = payload.get("naar_school")
    if school is None:
        return [Missing("geen-school-genoemd",
                        "Doorverwijzen kan alleen naar een met name genoemde school die de leerling toelaat; "
                        "er is geen school genoemd.")]
    found = brin_missing("school-ongeldig", school, "de school waarnaar wordt doorverwezen")
    if found:
        return found
    if school == case.school_brin:
        return [Missing("zelfde-school",
                        f"Doorverwijzen kan alleen naar een andere school dan de school van aanmelding ({school}).")]
    if payload.get("toelating_bevestigd") is not True:
        return [Missing("toelating-niet-bevestigd",
                        f"Doorverwijzen kan alleen naar een school die de leerling toelaat; "
                        f"school {school} heeft de toelating niet bevestigd.")]
    return []


def zorgplicht_bindend_besluit_school(case: Case, payload: Mapping[str, JSON], __: Context) -> list[Missing]:
    """The SWV's binding decision names the school: the school of aanmelding when it must admit the
    pupil, another school when the pupil is placed elsewhere (seed 001 §9.3, doorzettingsmacht).
    """
    school = payload.get("school_brin")
    found = brin_missing("school-ongeldig", school, "de school van het besluit")
    if found:
        return found
    if payload.get("besluit") == "toelaten" and school != case.school_brin:
        return [Missing("besluit-school-klopt-niet",
                        f"Bij het besluit 'toelaten' laat de school van aanmelding ({case.school_brin}) de leerling "
                        f"toe, niet school {school}.")]
    if payload.get("besluit") == "plaatsen_elders" and school == case.school_brin:
        return [Missing("besluit-school-klopt-niet",
                        f"Bij het besluit 'plaatsen_elders' is de school een andere dan de school van aanmelding "
                        f"({school}).")]
    return []


GUARDS: Mapping[str, Guard] = {
    "zorgplicht_schriftelijk": zorgplicht_schriftelijk,
    "zorgplicht_termijn_loopt": zorgplicht_termijn_loopt,
    "zorgplicht_ouders_geinformeerd": zorgplicht_ouders_geinformeerd,
    "zorgplicht_naar_toelatende_school": zorgplicht_naar_toelatende_school,
    "zorgplicht_bindend_besluit_school": zorgplicht_bindend_besluit_school,
}
EFFECTS: Mapping[str, Effect] = {}
