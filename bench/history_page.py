"""A page of a long history (issue 18): one case with ``--events`` events (default 10,000), its history read
whole (as ``GET /cases/{id}/history`` did before it was paged) beside pages of ``--limit`` events (first,
middle, last), in process through ``Service.read_history`` (scope check and audit row included), and the
plan of the page's statement. SQLite always; PostgreSQL too when ``LEERLINGROUTE_TEST_PG_URL`` names a server.

    .venv/bin/python bench/history_page.py [--events 10000] [--limit 100] [--rounds 20]

The case is opened through the service; its other events are appended in one transaction by the store's own
event insert (the hash chain's next links), not through commands. Rounds interleave the whole read and the
pages, so the ratio holds on a busy machine; the load average is printed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import select, text, update  # noqa: E402

from domain.access import Principal  # noqa: E402
from domain.case import Command  # noqa: E402
from domain.handlers import NewCase  # noqa: E402
from infra.settings import Settings  # noqa: E402
from infra.store import migrate  # noqa: E402
from infra.store.sql import SqlUnitOfWork  # noqa: E402
from infra.store.tables import case_events, cases  # noqa: E402
from service import Service  # noqa: E402
from tests.databases import fresh_pg_database  # noqa: E402

NOW = datetime(2026, 9, 3, 9, 0, tzinfo=UTC)
READER = Principal("bench-zc", "zorgcoordinator", ("14PS03",))


@contextmanager
def database(kind: str) -> Iterator[str]:
    """A fresh migrated database of ``kind``: its URL (dropped or deleted afterwards)."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(dir=ROOT / "bench" / "results") as folder:
            url = f"sqlite:///{folder}/history.db"
            migrate.upgrade(url)
            yield url
        return
    with fresh_pg_database() as url:
        yield url


def long_case(service: Service, events: int) -> str:
    """An OPP case at 14PS03 with ``events`` events."""
    start = service.registry.get("opp").start.command
    new = NewCase("opp", "14PS03", f"lln-{uuid.uuid4().hex[:8]}", "standaard")
    outcome = service.open_case(new, Command(start, READER.actor, {"extra_ondersteuning_sinds": "2026-09-01"}), NOW)
    uow = SqlUnitOfWork(service.engine)
    with uow:
        first = uow.history(outcome.case_id)[0]
        uow._insert_events([replace(first, seq=seq, stage_from=first.stage_to, payload={"n": seq})  # noqa: SLF001
                            for seq in range(2, events + 1)])
        # a case's version is its last event's seq: keep the row true to that
        uow.conn.execute(update(cases).where(cases.c.id == outcome.case_id).values(version=events))
        uow.commit()
    uow.close()
    if service.engine.dialect.name == "postgresql":
        with service.engine.connect() as conn:
            conn.execute(text("ANALYZE case_events"))
            conn.commit()
    return outcome.case_id


def plan(service: Service, case_id: str, limit: int) -> str:
    """The plan of the page's statement as the store runs it."""
    query = (select(case_events).where(case_events.c.case_id == case_id, case_events.c.seq > limit)
             .order_by(case_events.c.seq).limit(limit + 1))
    compiled = query.compile(service.engine, compile_kwargs={"literal_binds": True})
    prefix = "EXPLAIN QUERY PLAN " if service.engine.dialect.name == "sqlite" else "EXPLAIN "
    with service.engine.connect() as conn:
        rows = conn.exec_driver_sql(prefix + str(compiled)).all()
    return "; ".join(str(r[-1]) for r in rows)


def measure(kind: str, args: argparse.Namespace) -> None:
    """Time the whole read and the pages on one database."""
    with database(kind) as url, tempfile.TemporaryDirectory() as data:
        service = Service.from_settings(Settings(database_url=url, data_dir=Path(data)))
        try:
            case_id = long_case(service, args.events)
            middle, last = args.events // 2, args.events - args.limit
            reads: dict[str, Callable[[], int]] = {
                "whole": lambda: len(service.read_history(READER, case_id, NOW, None)),
                "page first": lambda: len(service.read_history(READER, case_id, NOW, None, 0, args.limit + 1)),
                "page middle": lambda: len(service.read_history(READER, case_id, NOW, None, middle, args.limit + 1)),
                "page last": lambda: len(service.read_history(READER, case_id, NOW, None, last, args.limit + 1)),
            }
            timings: dict[str, list[float]] = {name: [] for name in reads}
            for name, read in reads.items():  # warm-up, and a check of what each read returns
                print(f"{kind}: {name} returns {read()} events")
            for _ in range(args.rounds):
                for name, read in reads.items():
                    began = time.perf_counter()
                    read()
                    timings[name].append((time.perf_counter() - began) * 1000)
            whole = statistics.median(timings["whole"])
            for name, values in timings.items():
                print(f"{kind}: {name:12} median {statistics.median(values):8.2f} ms  max {max(values):8.2f} ms  "
                      f"whole/this {whole / statistics.median(values):6.1f}x")
            print(f"{kind}: plan of a page: {plan(service, case_id, args.limit)}")
        finally:
            service.engine.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--limit", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args(argv)
    print(f"load average at start: {Path('/proc/loadavg').read_text().strip()}")
    kinds = ["sqlite", "postgresql"] if os.environ.get("LEERLINGROUTE_TEST_PG_URL") else ["sqlite"]
    for kind in kinds:
        measure(kind, args)
    print(f"load average at end: {Path('/proc/loadavg').read_text().strip()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
