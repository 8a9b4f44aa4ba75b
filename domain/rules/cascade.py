"""Guards and effects of the cascade pathway (DOMAIN.md §2): support escalates
"zo licht, zo vroeg, zo dichtbij mogelijk" through a region's ordered levels, and the levels a
pupil passed through are the evidence a TLV request is checked against.

Profile settings read here: ``cascade_levels`` (ordered level codes, default 1-5),
``levels_requiring_opp`` (default: none) and ``levels_requiring_tlv`` (default, also when
empty: the last level, since SBO/SO/VSO always need a TLV by law).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from domain.errors import Missing

if TYPE_CHECKING:
    from domain.case import Case
    from domain.context import Context
    from domain.rules import Effect, Guard

JSON = Any
DEFAULT_LEVELS = ("1", "2", "3", "4", "5")
TLV_STAGES = frozenset({"toegekend", "definitief", "geplaatst"})
"""Stages of a TLV trajectory in which the pupil holds a granted TLV."""
OPP_CLOSED = "afgesloten"


def levels(context: Context) -> list[str]:
    """The region's cascade levels, lightest first."""
    return [str(level) for level in context.profile.setting("cascade_levels") or DEFAULT_LEVELS]


def levels_requiring_tlv(context: Context) -> list[str]:
    """Levels whose entry needs a granted TLV (default: the last level)."""
    configured = context.profile.setting("levels_requiring_tlv")
    return [str(level) for level in configured] if configured else levels(context)[-1:]


def levels_requiring_opp(context: Context) -> list[str]:
    """Levels at which the pupil must have an OPP (default: none)."""
    return [str(level) for level in context.profile.setting("levels_requiring_opp") or ()]


def _target(payload: Mapping[str, JSON]) -> str | None:
    niveau = payload.get("niveau")
    return niveau if isinstance(niveau, str) else None


def _current(case: Case) -> str | None:
    huidig = case.artifacts.get("niveau", {}).get("huidig")
    return str(huidig) if huidig is not None else None


def cascade_niveau_bestaat(_: Case, payload: Mapping[str, JSON], context: Context) -> list[Missing]:
    """A level is one of the region's cascade levels."""
    target, known = _target(payload), levels(context)
    if target is None or target in known:
        return []
    return [Missing("niveau-onbekend",
                    f"Niveau '{target}' bestaat niet in de cascade van dit samenwerkingsverband; "
                    f"kies uit: {', '.join(known)}.")]


def cascade_een_niveau_omhoog(case: Case, payload: Mapping[str, JSON], context: Context) -> list[Missing]:
    """Up one level at a time ("zo licht, zo vroeg, zo dichtbij mogelijk"); down may skip levels.
    A move is a change: the current level is not a move.
    """
    target, current, known = _target(payload), _current(case), levels(context)
    if target is None or current is None:
        return []
    if target == current:
        return [Missing("niveau-ongewijzigd", f"Niveau '{target}' is al het huidige niveau.")]
    if target not in known or current not in known:
        return []
    step = known.index(current) + 1
    if known.index(target) <= step:
        return []
    return [Missing("niveau-overgeslagen",
                    f"Opschalen gaat één niveau tegelijk (zo licht, zo vroeg, zo dichtbij mogelijk): "
                    f"van niveau '{current}' kan alleen naar niveau '{known[step]}', niet naar '{target}'.")]


def cascade_tlv_toegekend(_: Case, payload: Mapping[str, JSON], context: Context) -> list[Missing]:
    """Entering a level that needs a TLV (SBO/SO/VSO) needs a granted TLV."""
    target = _target(payload)
    if target not in levels_requiring_tlv(context) or context.trajectory("tlv", set(TLV_STAGES)) is not None:
        return []
    return [Missing("tlv-ontbreekt",
                    f"Voor niveau '{target}' is een toelaatbaarheidsverklaring (TLV) nodig; "
                    f"de leerling heeft geen toegekende TLV.")]


def cascade_niveau(case: Case, payload: Mapping[str, JSON], _: Context) -> dict[str, dict[str, JSON]]:
    """Keep the current level and the levels passed through, in order (the cross-pathway
    contract), and every move with its reason.
    """
    target = _target(payload)
    if target is None:
        return {}
    niveau = case.artifacts.get("niveau", {})
    doorlopen = [*niveau.get("doorlopen", []), target]
    move = {"van": niveau.get("huidig"), "naar": target, "reden": payload.get("reden")}
    wijzigingen = [*case.artifacts.get("wijzigingen", {}).get("lijst", []), move]
    return {"niveau": {"huidig": target, "doorlopen": doorlopen}, "wijzigingen": {"lijst": wijzigingen}}


GUARDS: Mapping[str, Guard] = {
    "cascade_niveau_bestaat": cascade_niveau_bestaat,
    "cascade_een_niveau_omhoog": cascade_een_niveau_omhoog,
    "cascade_tlv_toegekend": cascade_tlv_toegekend,
}
EFFECTS: Mapping[str, Effect] = {
    "cascade_niveau": cascade_niveau,
}
