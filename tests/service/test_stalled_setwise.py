"""The monitor's stalled list reads every norm's cases in one statement for the count and one for the oldest page
(``infra.views.monitoring.stalled``), and its passed deadlines' count with their page; it answers exactly as the
per-norm reading it replaced (two statements per profile, pathway and stage, written out here as the reference):
over several profiles and all their norms, with cases just inside and just outside each norm's whole-day cutoff,
filters, pages past the norms' limits and past the end. SQLite always; PostgreSQL when
``LEERLINGROUTE_TEST_PG_URL`` names a server.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import ColumnElement, Connection, func, insert, select

from domain.access import Principal
from domain.registry import PathwayRegistry
from domain.stalled import CaseSummary, StalledCase, build_digest, stage_norms
from infra.store import scope
from infra.store.tables import cases, timers
from infra.views import digests
from infra.views.monitoring import StalledPage, StalledQuery, stalled
from service import Service
from tests.databases import fresh_service

AS_OF = datetime(2027, 3, 10, 7, 30, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def service(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """A service whose database holds, per profile and per norm, cases around the norm's cutoff and some passed
    deadlines (rows written in bulk, as a region's history would have left them).
    """
    with fresh_service(request.param, tmp_path_factory) as built:
        _fill(built)
        yield built


def _fill(service: Service) -> None:
    registry = service.registry
    case_rows: list[dict[str, Any]] = []
    timer_rows: list[dict[str, Any]] = []
    for code, profile in sorted(registry.profiles.items()):
        for n, (pathway, stages) in enumerate(sorted(stage_norms(profile).items())):
            version = registry.get(pathway).version
            for stage, norm in sorted(stages.items()):
                cutoff = norm.before(AS_OF - timedelta(days=1))
                for entered in (cutoff, cutoff + MICROSECOND, cutoff - MICROSECOND, cutoff - timedelta(days=1),
                                cutoff - timedelta(days=1, hours=3), cutoff - timedelta(days=40),
                                cutoff + timedelta(hours=20), AS_OF - timedelta(days=2)):
                    case_id = str(uuid.uuid4())
                    case_rows.append({
                        "id": case_id, "pathway": pathway, "definition_version": version,
                        "school_brin": ("14PS03", "14PS00", "20XY00")[len(case_rows) % 3],
                        "pupil_id": f"lln-{len(case_rows)}", "stage": stage, "version": 1, "artifacts": {},
                        "opened_at": entered - timedelta(days=3), "stage_entered_at": entered,
                        "updated_at": entered, "profile": code})
                    if len(case_rows) % 4 == n % 4:
                        timer_rows.append({
                            "id": f"{case_id}:termijn", "case_id": case_id, "name": "termijn", "fires": "meld",
                            "due_at": AS_OF - timedelta(days=len(case_rows) % 50, hours=1), "state": "pending"})
    with service.engine.begin() as conn:
        conn.execute(insert(cases), case_rows)
        conn.execute(insert(timers), timer_rows)


def stalled_per_norm(conn: Connection, wanted: ColumnElement[bool], registry: PathwayRegistry, as_of: datetime,
                     query: StalledQuery) -> tuple[list[StalledCase], int]:
    """The stalled cases as they were read before issue 18 (a count and the oldest ``offset + limit`` cases per
    profile, pathway and stage with a norm), and their total: the oracle here and the "before" of
    ``bench/stalled_monitor.py``.
    """
    found: list[StalledCase] = []
    total = 0
    for code, profile in registry.profiles.items():
        norms = stage_norms(profile)
        for pathway, stages in norms.items():
            for stage, norm in stages.items():
                if query.pathway not in (None, pathway) or query.stage not in (None, stage):
                    continue
                cutoff = norm.before(as_of - timedelta(days=1 + query.min_days_over))
                in_stage = (wanted & (cases.c.profile == code) & (cases.c.pathway == pathway)
                            & (cases.c.stage == stage) & (cases.c.stage_entered_at <= cutoff))
                total += int(conn.execute(select(func.count()).select_from(cases).where(in_stage)).scalar_one())
                rows = conn.execute(select(*digests.SUMMARY_COLUMNS).where(in_stage)
                                    .order_by(cases.c.stage_entered_at, cases.c.id).limit(query.offset + query.limit))
                found += build_digest(code, norms, [CaseSummary(*r) for r in rows], [], registry.definitions,
                                      as_of).stalled
    return found, total


def per_norm(conn: Connection, in_scope: ColumnElement[bool], registry: PathwayRegistry, as_of: datetime,
             query: StalledQuery) -> StalledPage:
    """The stalled list as it was read before: per (profile, pathway, stage) with a norm, a count and the oldest
    ``offset + limit`` cases; the passed deadlines counted apart from their page.
    """
    wanted = in_scope if query.school_brin is None else in_scope & (cases.c.school_brin == query.school_brin)
    found, total = stalled_per_norm(conn, wanted, registry, as_of, query)
    found = sorted((s for s in found if s.days_over >= query.min_days_over), key=lambda s: (-s.days_over, s.case_id))
    overdue: list[Any] = []
    overdue_total = 0
    if query.stage is None:
        if query.pathway is not None:
            wanted = wanted & (cases.c.pathway == query.pathway)
        due_before = as_of - timedelta(days=max(query.min_days_over - 1, 0))
        overdue_total = digests.count_overdue(conn, wanted, due_before)
        page = digests.overdue_timers(conn, wanted, due_before, query.limit, query.offset)
        overdue = sorted((t for code in {t.profile for t in page}
                          for t in build_digest(code, {}, [], page, registry.definitions, as_of).overdue),
                         key=lambda t: (-t.days_overdue, t.case_id, t.timer))
    return StalledPage(found[query.offset:query.offset + query.limit], total, overdue, overdue_total)


def both(service: Service, principal: Principal, query: StalledQuery) -> tuple[StalledPage, StalledPage]:
    """The stalled page as read now and as the per-norm reference reads it, for ``principal``."""
    in_scope = scope.case_scope(principal, service.registry)
    with service.engine.connect() as conn:
        return (stalled(conn, in_scope, service.registry, AS_OF, query),
                per_norm(conn, in_scope, service.registry, AS_OF, query))


def everyone(service: Service) -> Principal:
    """An SWV coordinator of every SWV and of the standard profile's pseudo-SWV: every profile's cases."""
    return Principal("swv-all", "swv_coordinator", tuple(sorted({*service.swv_codes(), "standaard"})))


QUERIES = [
    StalledQuery(),
    StalledQuery(limit=7),
    StalledQuery(limit=5, offset=9),
    StalledQuery(limit=3, offset=120),
    StalledQuery(limit=4, offset=190),
    StalledQuery(limit=3, offset=290),
    StalledQuery(min_days_over=1),
    StalledQuery(min_days_over=30, limit=3),
    StalledQuery(pathway="opp"),
    StalledQuery(pathway="tlv", stage="aangevraagd"),
    StalledQuery(stage="concept", limit=2),
    StalledQuery(school_brin="14PS00", limit=4, offset=1),
    StalledQuery(offset=100_000),
]


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: ",".join(f"{k}={v}" for k, v in vars(q).items()))
def test_the_stalled_list_read_set_wise_is_the_per_norm_list_across_profiles_cutoffs_filters_and_pages(
        service: Service, query: StalledQuery) -> None:
    new, old = both(service, everyone(service), query)
    assert new == old


def test_a_case_that_entered_its_stage_at_the_whole_day_cutoff_is_stalled_and_one_a_microsecond_later_is_not(
        service: Service) -> None:
    """Per norm: the cases at the cutoff and earlier (five of the eight around it) are counted and listed."""
    norms = [(code, pathway, stage) for code, profile in service.registry.profiles.items()
             for pathway, stages in stage_norms(profile).items() for stage in stages]
    assert len({code for code, _, _ in norms}) == len(scope.profiles_of(everyone(service), service.registry)) > 1
    page, _ = both(service, everyone(service), StalledQuery(limit=100_000))
    assert page.stalled_total == 5 * len(norms)
    assert len(page.stalled) == 5 * len(norms)
    assert all(s.days_over >= 1 for s in page.stalled)


def test_a_zorgcoordinator_gets_the_same_list_either_way_and_only_their_schools_cases(service: Service) -> None:
    zc = Principal("zc", "zorgcoordinator", ("14PS03",))
    new, old = both(service, zc, StalledQuery(limit=10))
    assert new == old
    assert new.stalled
    assert {s.school_brin for s in new.stalled} == {"14PS03"}
    assert {t.school_brin for t in new.overdue} == {"14PS03"}


def test_a_reader_whose_scope_holds_no_stalled_case_gets_an_empty_list_either_way(service: Service) -> None:
    elsewhere = Principal("zc", "zorgcoordinator", ("99ZZ99",))
    new, old = both(service, elsewhere, StalledQuery())
    assert new == old == StalledPage([], 0, [], 0)


def test_the_passed_deadlines_count_beside_their_page_is_the_count_alone_also_past_the_last_page(
        service: Service) -> None:
    in_scope = scope.case_scope(everyone(service), service.registry)
    with service.engine.connect() as conn:
        total = digests.count_overdue(conn, in_scope, AS_OF)
        first, counted = digests.overdue_page(conn, in_scope, AS_OF, 10)
        beyond, counted_beyond = digests.overdue_page(conn, in_scope, AS_OF, 10, total)
        last, counted_last = digests.overdue_page(conn, in_scope, AS_OF, 10, total - 3)
    assert total > 10
    assert (counted, counted_beyond, counted_last) == (total, total, total)
    assert (len(first), len(beyond), len(last)) == (10, 0, 3)
