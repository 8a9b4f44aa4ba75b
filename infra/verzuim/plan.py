"""What a detection result means for the database: which alerts to raise, which register rows to add or
change, which actions to record. Plain functions over values; :mod:`infra.verzuim.detection` reads and
writes.

Alerts: every recipient of a signal gets one, deduplicated on ``<signal key>:<role>``; the audience
scope is the school's BRIN for the zorgcoördinator, the school's SWV code for the SWV coordinator, and the
municipality the pupil lives in for leerplicht. A meldplicht or dreigend-thuiszitter signal is raised
only when it was reached in the last ``signal_days`` (older ones are history, and a moving window could
present old hours differently); a thuiszitter or escalation signal always while its episode is open (and
otherwise when reached in that period); the 5-onder-a reminder always (it has its own period).

Register actions are ``{"op": date, "actie": code, "aan": who}``; ``ACTIONS`` gives their Dutch labels.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any, Final

from domain.durations import NL
from domain.roles import LEERPLICHT, SWV_COORDINATOR, ZORGCOORDINATOR
from domain.verzuim import Detection, Episode, Signal, texts
from infra.delivery.alerts import NewAlert

ACTIONS: Final = {
    "gemeld": "thuiszittermelding",
    "dossier_geopend": "thuiszittersdossier geopend",
    "dossier_niet_geopend": "geen thuiszittersdossier geopend",
    "geescaleerd": "escalatie na 3 maanden",
    "herinnering": "herinnering verlenging vrijstelling",
    "verborgen_gemeld": "melding verborgen thuiszitter",
    "beeindigd": "beëindigd: terug naar school of geplaatst",
    "heropend": "heropend: later verzuim bekend geworden",
    "vervallen": "vervallen na correctie van de gegevens",
}
"""Register action codes and what the export says for them."""
EPISODE_SIGNALS: Final = frozenset({"thuiszitter", "escalatie", "verborgen_thuiszitter"})
CODES: Final = {"thuiszitter": "gemeld", "escalatie": "geescaleerd", "vrijstelling_herinnering": "herinnering",
                "verborgen_thuiszitter": "verborgen_gemeld"}
"""The register action of an alert about an episode."""
RETURNED: Final = "thuiszitter_terug"
"""The alert kind for an episode that ended."""


@dataclass(frozen=True)
class StoredEpisode:
    """A register row as read."""

    key: str
    pupil_id: str
    kind: str
    first_day: date
    last_day: date | None
    school_weeks: int
    case_id: str | None
    actions: tuple[Mapping[str, Any], ...]


@dataclass
class Plan:
    """The writes of one chunk: alerts, new register rows, changed register rows."""

    alerts: list[NewAlert] = field(default_factory=list)
    inserts: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    signals: int = 0
    closed: int = 0


def episode_key_of(signal: Signal) -> str:
    """The register key a thuiszitter, escalation or reminder signal belongs to."""
    if signal.kind == "escalatie":
        return signal.key.removesuffix(":escalatie")
    if signal.kind == "vrijstelling_herinnering":
        return f"{signal.pupil_id}:vrijstelling:{signal.since.isoformat()}"
    return signal.key


def due(signal: Signal, open_keys: set[str], signal_from: date) -> bool:
    """Whether to raise ``signal`` in this run (see the module docstring)."""
    if signal.kind == "vrijstelling_herinnering":
        return True
    if signal.kind in EPISODE_SIGNALS and episode_key_of(signal) in open_keys:
        return True
    return signal.reached_on >= signal_from


def alerts_for(signal: Signal, swv_of: Callable[[str], str | None], case_id: str | None,
               registered: str | None = None) -> list[NewAlert]:
    """One alert per recipient whose scope is known, titled with the signal's Dutch summary. The school is
    the signal's, else the one the pupil is registered at (a pupil with a 5a is often enrolled nowhere).
    """
    school = signal.school_brin or registered
    scopes = _scopes(school, signal.residence_cbs, swv_of)
    facts = {"signal": signal.key, "kind": signal.kind, "pupil_id": signal.pupil_id, "school_brin": signal.school_brin,
             "residence_cbs": signal.residence_cbs, "since": signal.since.isoformat(),
             "reached_on": signal.reached_on.isoformat(), "school_weeks": signal.school_weeks, "soort": signal.soort,
             "hours": signal.hours, "hour_unit": signal.hour_unit}
    if signal.kind in CODES:
        facts["episode"] = episode_key_of(signal)
    return [NewAlert(signal.kind, role, scope, f"{signal.key}:{role}", signal.summary, facts,
                     case_id if signal.kind in EPISODE_SIGNALS else None, signal.pupil_id)
            for role in signal.recipients if (scope := scopes.get(role))]


def return_alerts(detection: Detection, stored: Sequence[StoredEpisode], swv_of: Callable[[str], str | None],
                  *, current: bool) -> list[NewAlert]:
    """For a thuiszitter episode open in the register that detection now sees ended (back at school or
    placed): an alert to leerplicht of the residence and to the SWV coordinator, so that someone closes
    the trajectory (the engine does not: whether the pupil is really back is for people to judge). Only
    a run as of today or later ends episodes (see :func:`episode_writes`).
    """
    if not current:
        return []
    still_open = {row.key: row for row in stored if row.last_day is None and row.kind != "vrijstelling"}
    found = []
    for episode in detection.episodes:
        row = still_open.get(episode.key)
        if row is None or episode.last_day is None:
            continue
        school = episode.school_brin
        title = texts.thuiszitter_terug(episode.pupil_id, school, episode.first_day, episode.last_day,
                                        episode.school_weeks)
        facts = {"signal": f"{episode.key}:terug", "kind": RETURNED, "pupil_id": episode.pupil_id,
                 "school_brin": school, "residence_cbs": episode.residence_cbs, "since": episode.first_day.isoformat(),
                 "reached_on": episode.last_day.isoformat(), "school_weeks": episode.school_weeks}
        scopes = _scopes(school, episode.residence_cbs, swv_of)
        roles = (SWV_COORDINATOR,) if episode.kind == "verborgen" else (LEERPLICHT, SWV_COORDINATOR)
        found += [NewAlert(RETURNED, role, scope, f"{episode.key}:terug:{role}", title, facts, row.case_id,
                           episode.pupil_id) for role in roles if (scope := scopes[role])]
    return found


def _scopes(school: str | None, residence_cbs: str, swv_of: Callable[[str], str | None]) -> dict[str, str | None]:
    """Each recipient role's audience scope: the school, the municipality of residence, the school's SWV."""
    return {ZORGCOORDINATOR: school, LEERPLICHT: residence_cbs, SWV_COORDINATOR: swv_of(school) if school else None}


def action(day: date, code: str, to: str | None = None) -> dict[str, Any]:
    """A register action: what was done, when, for whom."""
    return {"op": day.isoformat(), "actie": code, "aan": to}


def alert_actions(raised: Iterable[NewAlert], day: date) -> dict[str, list[dict[str, Any]]]:
    """Register actions per episode key for the alerts raised now: one per signal, naming its audiences."""
    audiences: dict[tuple[str, str], list[str]] = {}
    for alert in raised:
        if "episode" in alert.facts:
            audiences.setdefault((alert.facts["episode"], alert.kind), []).append(
                f"{_role_label(alert.audience_role)} {alert.audience_scope}")
    found: dict[str, list[dict[str, Any]]] = {}
    for (key, kind), audience in audiences.items():
        found.setdefault(key, []).append(action(day, CODES[kind], ", ".join(sorted(audience))))
    return found


def _role_label(role: str) -> str:
    return {LEERPLICHT: "leerplicht", SWV_COORDINATOR: "SWV", ZORGCOORDINATOR: "zorgcoördinator"}.get(role, role)


def episode_writes(detection: Detection, stored: Sequence[StoredEpisode], extra: Mapping[str, list[dict[str, Any]]],
                   case_ids: Mapping[str, str], as_of: date, now: datetime, plan: Plan) -> None:
    """Add to ``plan`` the register rows of one pupil: new episodes inserted, changed ones updated. ``extra``
    holds new actions per key; actions are dated ``now``'s Dutch calendar day. An open episode detection no
    longer finds (its absence was corrected) is closed as 'vervallen' -- but only by a run as of today or
    later: a run as of an earlier day sees less, so it closes nothing and reopens nothing.
    """
    day = now.astimezone(NL).date()
    current = as_of >= day
    known = {row.key: row for row in stored}
    found = {episode.key: episode for episode in detection.episodes}
    for key, episode in found.items():
        row = known.get(key)
        if row is None:
            plan.inserts.append(_insert(episode, extra.get(key, []), case_ids.get(key), now))
            continue
        kept = episode
        if not current and row.last_day is not None and episode.last_day is None:
            kept = replace(episode, last_day=row.last_day)  # an earlier horizon does not reopen it
        change = _changed(row, kept, extra.get(key, []), case_ids.get(key), day)
        if change is not None:
            plan.closed += int(row.last_day is None and kept.last_day is not None)
            plan.updates.append({**change, "b_key": key, "b_updated_at": now})
    for key, row in known.items():
        if current and row.last_day is None and key not in found:
            plan.closed += 1
            plan.updates.append({"b_key": key, "b_last_day": max(row.first_day, as_of - timedelta(days=1)),
                                 "b_school_weeks": row.school_weeks, "b_case_id": row.case_id,
                                 "b_actions": [*row.actions, action(day, "vervallen")], "b_updated_at": now})


def _insert(episode: Episode, actions: list[dict[str, Any]], case_id: str | None, now: datetime) -> dict[str, Any]:
    return {"key": episode.key, "pupil_id": episode.pupil_id, "kind": episode.kind, "first_day": episode.first_day,
            "last_day": episode.last_day, "school_brin": episode.school_brin, "residence_cbs": episode.residence_cbs,
            "school_weeks": episode.school_weeks, "duty": episode.duty, "case_id": case_id, "actions": actions,
            "created_at": now, "updated_at": now}


def _changed(row: StoredEpisode, episode: Episode, extra: list[dict[str, Any]], case_id: str | None,
             day: date) -> dict[str, Any] | None:
    actions = [*row.actions, *extra]
    if row.last_day is None and episode.last_day is not None:
        actions.append(action(day, "beeindigd"))
    elif row.last_day is not None and episode.last_day is None:
        actions.append(action(day, "heropend"))
    case = row.case_id or case_id
    if (row.last_day, row.school_weeks, row.case_id, len(row.actions)) == (
            episode.last_day, episode.school_weeks, case, len(actions)):
        return None
    return {"b_last_day": episode.last_day, "b_school_weeks": episode.school_weeks, "b_case_id": case,
            "b_actions": actions}
