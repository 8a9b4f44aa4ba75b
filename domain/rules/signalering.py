"""Guards of the signalering pathway (DOMAIN.md §3 Signalering): a concern about a pupil is recorded."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from domain.durations import NL
from domain.errors import Missing

if TYPE_CHECKING:
    from domain.case import Case
    from domain.context import Context
    from domain.rules import Effect, Guard

JSON = Any


def signalering_datum_niet_na_registratie(case: Case, payload: Mapping[str, JSON], _: Context) -> list[Missing]:
    """A concern is signalled before (or on the day) it is recorded, never later: the date of the
    signal is what the two weeks to discuss it count from.
    """
    signalled = payload.get("datum_signaal")
    recorded = case.opened_at.astimezone(NL).date()
    if not isinstance(signalled, str) or date.fromisoformat(signalled) <= recorded:
        return []
    return [Missing("signaal-datum-in-toekomst",
                    f"De datum van het signaal ({signalled}) ligt na de dag waarop het wordt vastgelegd "
                    f"({recorded.isoformat()}).")]


GUARDS: Mapping[str, Guard] = {
    "signalering_datum_niet_na_registratie": signalering_datum_niet_na_registratie,
}
EFFECTS: Mapping[str, Effect] = {}
