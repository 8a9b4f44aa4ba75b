"""Monitoring for coordinators: stalled pathways and deadlines passed, and the DOMAIN.md §5 indicators,
over the cases in the reader's scope (for an SWV coordinator: their SWV; for a zorgcoördinator: their
schools). Each profile's stage norms apply to the cases under that profile.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Connection

from domain.durations import Duration
from domain.indicators import HELD, LATE, PERIOD_EVENTS, Indicators, indicators
from domain.registry import PathwayRegistry
from domain.stalled import Norms, OverdueTimer, StalledCase, build_digest, stage_norms
from infra.store.search import CaseFilter, count_cases, events_between
from infra.store.tables import cases
from infra.views import digests as digest_store
from infra.views.digests import StageCutoff

EPOCH = datetime.fromisoformat("2000-01-01T00:00:00+00:00")


@dataclass(frozen=True)
class StalledQuery:
    """Which stalled cases and passed deadlines to show, and which page."""

    school_brin: str | None = None
    pathway: str | None = None
    stage: str | None = None
    min_days_over: int = 0
    limit: int = 100
    offset: int = 0


@dataclass(frozen=True)
class StalledPage:
    """A page of stalled cases (most days over first) and of passed deadlines (longest overdue first),
    with how many there are in all.
    """

    stalled: list[StalledCase]
    stalled_total: int
    overdue: list[OverdueTimer]
    overdue_total: int


def stalled(conn: Connection, scope: ColumnElement[bool], registry: PathwayRegistry, as_of: datetime,
            query: StalledQuery) -> StalledPage:
    """The stalled cases and passed deadlines in scope matching ``query``.

    Per profile and per (pathway, stage) with a norm, SQL counts the cases that entered the stage a
    whole day or more before the norm ran out (the domain's whole-day rule) and reads only the oldest
    ``offset + limit`` of them (index ``ix_cases_profile_pathway_stage_entered``), every norm's range in one
    statement for the count and one for the cases; the domain ranks those.
    """
    wanted = scope if query.school_brin is None else scope & (cases.c.school_brin == query.school_brin)
    cutoffs = [StageCutoff(code, pathway, stage, norm.before(as_of - timedelta(days=1 + query.min_days_over)))
               for code, profile in registry.profiles.items()
               for pathway, stage, norm in _norms_wanted(stage_norms(profile), query)]
    total = digest_store.count_entered_before(conn, wanted, cutoffs)
    oldest = digest_store.entered_before(conn, wanted, cutoffs, query.offset + query.limit)
    found = [s for code in {c.profile for c in oldest}
             for s in build_digest(code, stage_norms(registry.profiles[code]), oldest, [], registry.definitions,
                                   as_of).stalled]
    found = sorted((s for s in found if s.days_over >= query.min_days_over), key=lambda s: (-s.days_over, s.case_id))
    timers = _overdue_page(conn, wanted, registry, as_of, query)
    return StalledPage(found[query.offset:query.offset + query.limit], total, *timers)


def _norms_wanted(norms: Norms, query: StalledQuery) -> list[tuple[str, str, Duration]]:
    return [(pathway, stage, norm) for pathway, stages in norms.items() for stage, norm in stages.items()
            if query.pathway in (None, pathway) and query.stage in (None, stage)]


def _overdue_page(conn: Connection, wanted: ColumnElement[bool], registry: PathwayRegistry, as_of: datetime,
                  query: StalledQuery) -> tuple[list[OverdueTimer], int]:
    if query.stage is not None:
        return [], 0
    if query.pathway is not None:
        wanted = wanted & (cases.c.pathway == query.pathway)
    # a deadline is ``days_overdue`` days past its last day from the start of the day after it (due_at)
    due_before = as_of - timedelta(days=max(query.min_days_over - 1, 0))
    page, total = digest_store.overdue_page(conn, wanted, due_before, query.limit, query.offset)
    by_profile = {t.profile for t in page}
    timers = [t for code in by_profile for t in build_digest(code, {}, [], page, registry.definitions, as_of).overdue]
    return sorted(timers, key=lambda t: (-t.days_overdue, t.case_id, t.timer)), total


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
