"""The stalled list for one SWV, in process (issue 18): ``infra.views.monitoring.stalled`` as it is, its passed
deadlines read from their marks (``timers.late``), beside the same list with the passed deadlines judged by the
expression it replaced (every fired timer joined to its case, copied here as "unmarked"), in interleaved rounds on
the same database, with a check that both give the same page and totals.

    .venv/bin/python bench/stalled_monitor.py [--cases 1000000] [--rounds 7] [--db FILE]

Without ``--db`` a SQLite file is filled as ``bench/api_scale.py`` fills it (its region, in bulk) and removed
afterwards; ``--db FILE`` measures a file filled so before (kept; brought to the newest migration first; the
instant its region was generated for in FILE.now, seconds since the epoch). ``LEERLINGROUTE_TEST_PG_URL`` adds
a PostgreSQL run (filled by COPY as api_scale does).
The SWV coordinator of VO3102 reads ``StalledQuery()`` (limit 100) and the filters of ``--queries``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
for path in (str(ROOT), str(BENCH_DIR)):
    if path not in sys.path:
        sys.path.insert(0, path)

import api_scale  # noqa: E402
from sqlalchemy import ColumnElement, Connection, func, select  # noqa: E402

from domain.access import Principal  # noqa: E402
from domain.registry import PathwayRegistry  # noqa: E402
from domain.stalled import OverdueTimer, PendingTimer, build_digest, stage_norms  # noqa: E402
from infra.reference.profiles import load_profiles  # noqa: E402
from infra.settings import Settings  # noqa: E402
from infra.store import scope  # noqa: E402
from infra.store.db import make_engine  # noqa: E402
from infra.store.migrate import upgrade  # noqa: E402
from infra.store.tables import cases, timers  # noqa: E402
from infra.views import digests, monitoring  # noqa: E402
from infra.views.digests import StageCutoff  # noqa: E402
from infra.views.monitoring import StalledPage, StalledQuery  # noqa: E402
from tests.service.test_passed_deadline_marks import passed_unhandled_before_issue_18  # noqa: E402

COORDINATOR = Principal("bench-swv", "swv_coordinator", (api_scale.SWV_CODE,))
QUERIES = {"default": StalledQuery(), "pathway opp": StalledQuery(pathway="opp"),
           "min 30 days over": StalledQuery(min_days_over=30), "page 3": StalledQuery(offset=200)}


def stalled_before_marks(conn: Connection, wanted_scope: ColumnElement[bool], registry: PathwayRegistry,
                         as_of: datetime, query: StalledQuery) -> StalledPage:
    """The stalled list as it was before the passed deadlines were marked (issue 18): the norms read set-wise as
    ``infra.views.monitoring.stalled`` reads them, the passed deadlines by the expression evaluated at every read
    (``tests.service.test_passed_deadline_marks.passed_unhandled_before_issue_18``), each fired timer joined to its
    case.
    """
    wanted = wanted_scope if query.school_brin is None else wanted_scope & (cases.c.school_brin == query.school_brin)
    cutoffs = [StageCutoff(code, pathway, stage, norm.before(as_of - timedelta(days=1 + query.min_days_over)))
               for code, profile in registry.profiles.items()
               for pathway, stage, norm in monitoring._norms_wanted(stage_norms(profile), query)]  # noqa: SLF001
    total = digests.count_entered_before(conn, wanted, cutoffs)
    oldest = digests.entered_before(conn, wanted, cutoffs, query.offset + query.limit)
    found = [s for code in {c.profile for c in oldest}
             for s in build_digest(code, stage_norms(registry.profiles[code]), oldest, [], registry.definitions,
                                   as_of).stalled]
    found = sorted((s for s in found if s.days_over >= query.min_days_over), key=lambda s: (-s.days_over, s.case_id))
    return StalledPage(found[query.offset:query.offset + query.limit], total,
                       *overdue_before_marks(conn, wanted, registry, as_of, query))


def overdue_before_marks(conn: Connection, wanted: ColumnElement[bool], registry: PathwayRegistry, as_of: datetime,
                         query: StalledQuery) -> tuple[list[OverdueTimer], int]:
    """The passed deadlines' page and count as read before the marks: every passed timer joined to its case and
    judged there, grouped per case and timer with the case's columns, the count a window beside the page.
    """
    if query.stage is not None:
        return [], 0
    if query.pathway is not None:
        wanted = wanted & (cases.c.pathway == query.pathway)
    due_before = as_of - timedelta(days=max(query.min_days_over - 1, 0))
    first_due = func.min(timers.c.due_at).label("due_at")
    grouped = (select(timers.c.case_id, cases.c.pathway, cases.c.definition_version, cases.c.school_brin,
                      cases.c.profile, timers.c.name, first_due)
               .join(cases, cases.c.id == timers.c.case_id)
               .where(passed_unhandled_before_issue_18(registry, due_before), wanted)
               .group_by(timers.c.case_id, timers.c.name, cases.c.pathway, cases.c.definition_version,
                         cases.c.school_brin, cases.c.profile)).subquery()
    rows = conn.execute(select(grouped, func.count().over().label("total"))
                        .order_by(grouped.c.due_at, grouped.c.case_id, grouped.c.name)
                        .limit(query.limit).offset(query.offset)).all()
    page = [PendingTimer(r.case_id, r.pathway, r.definition_version, r.school_brin, r.profile, r.name, r.due_at)
            for r in rows]
    listed = [t for code in {t.profile for t in page}
              for t in build_digest(code, {}, [], page, registry.definitions, as_of).overdue]
    total = int(rows[0].total) if rows else 0
    return sorted(listed, key=lambda t: (-t.days_overdue, t.case_id, t.timer)), total


@dataclass
class Run:
    """Timings of one database, by query and version."""

    kind: str
    ms: dict[str, dict[str, list[float]]]


def measure(url: str, kind: str, as_of: datetime, args: argparse.Namespace) -> Run:
    """Interleaved rounds of the old and new stalled list on ``url``; both must answer the same."""
    registry = PathwayRegistry.builtin(Settings().durations(), load_profiles())
    engine = make_engine(url)
    wanted = scope.case_scope(COORDINATOR, registry)
    versions: dict[str, Callable[[Connection, StalledQuery], StalledPage]] = {
        "unmarked": lambda conn, q: stalled_before_marks(conn, wanted, registry, as_of, q),
        "marked": lambda conn, q: monitoring.stalled(conn, wanted, registry, as_of, q),
    }
    run = Run(kind, {q: {v: [] for v in versions} for q in args.queries})
    try:
        with engine.connect() as conn:
            for name in args.queries:
                answers = {v: read(conn, QUERIES[name]) for v, read in versions.items()}  # warm-up and check
                old, new = answers["unmarked"], answers["marked"]
                same = old == new
                print(f"{kind} {name}: stalled_total={new.stalled_total} overdue_total={new.overdue_total} "
                      f"rows={len(new.stalled)}/{len(new.overdue)} same answer as unmarked: {same}", flush=True)
                if not same:
                    print(f"  unmarked totals {old.stalled_total}/{old.overdue_total}, rows "
                          f"{len(old.stalled)}/{len(old.overdue)}")
            for _ in range(args.rounds):
                for name in args.queries:
                    for version, read in versions.items():
                        began = time.perf_counter()
                        read(conn, QUERIES[name])
                        run.ms[name][version].append((time.perf_counter() - began) * 1000)
    finally:
        engine.dispose()
    for name, by_version in run.ms.items():
        before, after = (statistics.median(by_version[v]) for v in versions)
        print(f"{kind} {name:18} unmarked {before:8.1f} ms   marked {after:8.1f} ms   ratio {before / after:5.2f}x")
    return run


def sqlite_database(args: argparse.Namespace, registry: PathwayRegistry, folder: Path) -> tuple[str, datetime]:
    """The SQLite file to measure at the newest migration, and the instant its region was generated for: the
    file of ``--db`` (with the instant in FILE.now, else now), or one filled here in ``folder``.
    """
    if args.db:
        path = Path(args.db)
        stamp = path.with_suffix(".now")
        upgrade(f"sqlite:///{path}")
        return f"sqlite:///{path}", datetime.fromtimestamp(float(stamp.read_text()), UTC) if stamp.exists() else \
            datetime.now(UTC)
    db = api_scale.SqliteDatabase(folder, args.cases)
    region, _ = api_scale.fill(db, args.cases, argparse.Namespace(seed=5), registry)
    return db.url, datetime.fromtimestamp(region.now, UTC)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--db", help="a SQLite file filled as api_scale fills one, to use (and keep)")
    parser.add_argument("--queries", type=lambda s: s.split(","), default=list(QUERIES),
                        help=f"comma-separated, of: {', '.join(QUERIES)}")
    args = parser.parse_args(argv)
    print(f"load average at start: {Path('/proc/loadavg').read_text().strip()}", flush=True)
    registry = PathwayRegistry.builtin(Settings().durations(), load_profiles())
    api_scale.TMP_PARENT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="stalled-", dir=api_scale.TMP_PARENT) as folder:
        url, as_of = sqlite_database(args, registry, Path(folder))
        measure(url, "sqlite", as_of, args)
        pg_url = os.environ.get("LEERLINGROUTE_TEST_PG_URL")
        if pg_url:
            db = api_scale.PostgresDatabase(pg_url, args.cases)
            try:
                region, _ = api_scale.fill(db, args.cases, argparse.Namespace(seed=5), registry)
                measure(db.url, "postgresql", datetime.fromtimestamp(region.now, UTC), args)
            finally:
                db.drop()
    print(f"load average at end: {Path('/proc/loadavg').read_text().strip()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
