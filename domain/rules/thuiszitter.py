"""Guards of the thuiszitter pathway (DOMAIN.md §4: Leerplichtwet; Inspectie definition;
Thuiszitterspact 2016: no child at home for more than 3 months without a suitable offer).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from domain.durations import NL
from domain.errors import Missing
from domain.rules.overstap import brin_missing

if TYPE_CHECKING:
    from domain.case import Case
    from domain.context import Context
    from domain.rules import Effect, Guard

JSON = Any


def thuiszitter_sinds_voor_melding(case: Case, payload: Mapping[str, JSON], __: Context) -> list[Missing]:
    """A pupil is reported as a thuiszitter for an absence that has begun, not one yet to come."""
    sinds = date.fromisoformat(str(payload.get("sinds")))
    gemeld = case.opened_at.astimezone(NL).date()
    if sinds <= gemeld:
        return []
    return [Missing("sinds-na-melding",
                    f"De leerling zit volgens de melding sinds {sinds.isoformat()} thuis, "
                    f"maar de melding is van {gemeld.isoformat()}.")]


def thuiszitter_school_geldig(_: Case, payload: Mapping[str, JSON], __: Context) -> list[Missing]:
    """The school the pupil returns to is named by its BRIN code."""
    return brin_missing("school-ongeldig", payload.get("school_brin"), "de school waar de leerling naartoe gaat")


GUARDS: Mapping[str, Guard] = {
    "thuiszitter_sinds_voor_melding": thuiszitter_sinds_voor_melding,
    "thuiszitter_school_geldig": thuiszitter_school_geldig,
}
EFFECTS: Mapping[str, Effect] = {}
