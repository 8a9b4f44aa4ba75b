"""Monitoring for coordinators: stalled pathways and deadlines passed, and the DOMAIN.md §5 indicators,
over the cases in the reader's scope (for an SWV coordinator: their SWV; for a zorgcoördinator: their
schools). Each profile's stage norms apply to the cases under that profile.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, Connection

from domain.indicators import HELD, LATE, PERIOD_EVENTS, Indicators, indicators
from domain.registry import PathwayRegistry
from domain.stalled import OverdueTimer, StalledCase, build_digest, stage_norms
from infra import digests as digest_store
from infra.search import CaseFilter, count_cases, events_between
from infra.tables import cases

EPOCH = datetime.fromisoformat("2000-01-01T00:00:00+00:00")


def stalled(conn: Connection, scope: ColumnElement[bool], registry: PathwayRegistry, as_of: datetime,
            ) -> tuple[list[StalledCase], list[OverdueTimer]]:
    """The cases in scope beyond their stage's norm (most days over first) and the deadlines that passed
    (longest overdue first).
    """
    found: list[StalledCase] = []
    timers: list[OverdueTimer] = []
    overdue = digest_store.overdue_timers(conn, scope, as_of)
    for code, profile in registry.profiles.items():
        norms = stage_norms(profile)
        candidates = digest_store.stalled_candidates(conn, scope & (cases.c.profile == code), norms, as_of)
        digest = build_digest(code, norms, candidates, overdue, registry.definitions, as_of)
        found += digest.stalled
        timers += digest.overdue
    return (sorted(found, key=lambda s: (-s.days_over, s.case_id)),
            sorted(timers, key=lambda t: (-t.days_overdue, t.case_id, t.timer)))


def period_indicators(conn: Connection, scope: ColumnElement[bool], registry: PathwayRegistry, start: datetime,
                      end: datetime, now: datetime) -> Indicators:
    """The indicators over [start, end) for the cases in scope; thuiszitters 'now' counted at ``now``."""
    happened = events_between(conn, scope, PERIOD_EVENTS, start, end)
    held = {case_id for case_id, _, event_type, _ in happened if event_type in HELD}
    late = {case_id for case_id, _, _, _ in events_between(conn, scope, LATE, EPOCH, end) if case_id in held}
    open_thuiszitters = count_cases(conn, scope, finals(registry), CaseFilter(pathway="thuiszitter", active=True),
                                    now, ("pathway",))
    return indicators([(c, t, p) for c, _, t, p in happened], late, sum(n for _, n in open_thuiszitters))


def finals(registry: PathwayRegistry) -> dict[str, set[str]]:
    """The final stages of every pathway (in any version)."""
    result: dict[str, set[str]] = {}
    for definition in registry.definitions.values():
        result.setdefault(definition.pathway, set()).update(n for n, s in definition.stages.items() if s.final)
    return result
