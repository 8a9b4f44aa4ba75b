"""The stalled list for one SWV, in process (issue 18): ``infra.views.monitoring.stalled`` as it is beside the
per-norm version it replaced (two statements per profile, pathway and stage with a norm, copied here), in
interleaved rounds on the same database, with a check that both give the same page and totals.

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
from domain.stalled import OverdueTimer, build_digest  # noqa: E402
from infra.reference.profiles import load_profiles  # noqa: E402
from infra.settings import Settings  # noqa: E402
from infra.store import scope  # noqa: E402
from infra.store.db import make_engine  # noqa: E402
from infra.store.migrate import upgrade  # noqa: E402
from infra.store.tables import cases, timers  # noqa: E402
from infra.views import digests, monitoring  # noqa: E402
from infra.views.monitoring import StalledPage, StalledQuery  # noqa: E402
from tests.service.test_stalled_setwise import stalled_per_norm  # noqa: E402

COORDINATOR = Principal("bench-swv", "swv_coordinator", (api_scale.SWV_CODE,))
QUERIES = {"default": StalledQuery(), "pathway opp": StalledQuery(pathway="opp"),
           "min 30 days over": StalledQuery(min_days_over=30), "page 3": StalledQuery(offset=200)}


def per_norm_stalled(conn: Connection, wanted_scope: ColumnElement[bool], registry: PathwayRegistry,
                     as_of: datetime, query: StalledQuery) -> StalledPage:
    """The stalled list as it was before issue 18: a count and a page read per (profile, pathway, stage)."""
    wanted = wanted_scope if query.school_brin is None else wanted_scope & (cases.c.school_brin == query.school_brin)
    found, total = stalled_per_norm(conn, wanted, registry, as_of, query)
    found = sorted((s for s in found if s.days_over >= query.min_days_over), key=lambda s: (-s.days_over, s.case_id))
    return StalledPage(found[query.offset:query.offset + query.limit], total, *per_case_overdue(conn, wanted,
                                                                                                registry, as_of, query))


def per_case_overdue(conn: Connection, wanted: ColumnElement[bool], registry: PathwayRegistry, as_of: datetime,
                     query: StalledQuery) -> tuple[list[OverdueTimer], int]:
    """The passed deadlines as before issue 18: counted by grouping every passed timer per case and name."""
    if query.stage is not None:
        return [], 0
    if query.pathway is not None:
        wanted = wanted & (cases.c.pathway == query.pathway)
    due_before = as_of - timedelta(days=max(query.min_days_over - 1, 0))
    grouped = (select(timers.c.case_id, timers.c.name).join(cases, cases.c.id == timers.c.case_id)
               .where(digests.passed_unhandled(registry, due_before), wanted)
               .group_by(timers.c.case_id, timers.c.name, cases.c.pathway, cases.c.definition_version,
                         cases.c.school_brin, cases.c.profile)).subquery()
    total = int(conn.execute(select(func.count()).select_from(grouped)).scalar_one())
    page = digests.overdue_timers(conn, wanted, registry, due_before, query.limit, query.offset)
    listed = [t for code in {t.profile for t in page}
              for t in build_digest(code, {}, [], page, registry.definitions, as_of).overdue]
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
        "per-norm": lambda conn, q: per_norm_stalled(conn, wanted, registry, as_of, q),
        "set-wise": lambda conn, q: monitoring.stalled(conn, wanted, registry, as_of, q),
    }
    run = Run(kind, {q: {v: [] for v in versions} for q in args.queries})
    try:
        with engine.connect() as conn:
            for name in args.queries:
                answers = {v: read(conn, QUERIES[name]) for v, read in versions.items()}  # warm-up and check
                old, new = answers["per-norm"], answers["set-wise"]
                same = old == new
                print(f"{kind} {name}: stalled_total={new.stalled_total} overdue_total={new.overdue_total} "
                      f"rows={len(new.stalled)}/{len(new.overdue)} same answer as per-norm: {same}", flush=True)
                if not same:
                    print(f"  per-norm totals {old.stalled_total}/{old.overdue_total}, rows "
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
        print(f"{kind} {name:18} per-norm {before:8.1f} ms   set-wise {after:8.1f} ms   ratio {before / after:5.2f}x")
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
