"""Timers fired per second, and events relayed per second (issue 4's benchmark).

    .venv/bin/python bench/sweep.py [--timers N] [--batch B] [--relay-events M]
    .ci/with-postgres .venv/bin/python bench/sweep.py      # adds PostgreSQL with 1, 2 and 4 sweepers

SQLite: one sweeper (`fire_due_timers` in this process, batches of B). PostgreSQL (when
LEERLINGROUTE_TEST_PG_URL is set): 1, 2 and 4 `leerlingroute fire-timers` processes at once on a
fresh database each. Raw batched SQLite: the same rows written with executemany and nothing else,
as the baseline; its events are hash-chained like the engine's (the chain's head read once per batch,
then ``infra.store.event_chain.link``), so both do the same work on the same schema. Every run's event chain
is walked afterwards (not timed) and must verify. Relay: M outbox events sent to a local `prefect server`
with the relay's own adapter. Peak RSS of this process and of the largest child.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text

from domain.handlers import fire_due_timers
from domain.registry import PathwayRegistry
from infra.store import event_chain
from infra.store.db import SQLITE_PRAGMAS, make_engine
from infra.store.migrate import upgrade
from infra.store.sql import SqlUnitOfWork
from run.seeding import DUE_AT, seed_due_timers
from run.supervisor import wait_healthy

RESULTS = Path(__file__).resolve().parent / "results"
SCRIPT = str(Path(sys.executable).parent / "leerlingroute")


def sqlite_one_sweeper(folder: Path, timers: int, batch: int) -> float:
    url = f"sqlite:///{folder / 'sweep.db'}"
    upgrade(url)
    seed_due_timers(url, timers)
    engine = make_engine(url)
    started = time.perf_counter()
    report = fire_due_timers(SqlUnitOfWork(engine), PathwayRegistry.builtin(), DUE_AT, batch)
    seconds = time.perf_counter() - started
    engine.dispose()
    _check(report.fired == timers, f"fired {report.fired} of {timers}")
    _check_chain(url, 2 * timers)
    return timers / seconds


def raw_batched_sqlite(folder: Path, timers: int, batch: int) -> float:
    """The sweep's writes without the engine: per timer one case UPDATE, one timer UPDATE, one event
    INSERT (the chain's next link), one outbox INSERT; executemany per statement, one commit per batch."""
    url = f"sqlite:///{folder / 'raw.db'}"
    upgrade(url)
    seed_due_timers(url, timers, prefix="raw")
    conn = sqlite3.connect(folder / "raw.db")
    for pragma in SQLITE_PRAGMAS:
        conn.execute(f"PRAGMA {pragma}")
    ids = [r[0] for r in conn.execute("SELECT id FROM cases ORDER BY id")]
    at_instant = datetime(2026, 10, 20, 9, tzinfo=UTC)
    at = at_instant.replace(tzinfo=None).isoformat(" ", "microseconds")  # as the engine stores it on SQLite
    started = time.perf_counter()
    for i in range(0, len(ids), batch):
        chunk = ids[i:i + batch]
        conn.executemany("UPDATE cases SET version = 2, updated_at = ? WHERE id = ? AND version = 1",
                         [(at, c) for c in chunk])
        conn.executemany("UPDATE timers SET state = 'fired', finished_at = ? WHERE case_id = ? AND state = 'pending'",
                         [(at, c) for c in chunk])
        # The batch's events are the chain's next links, as the engine writes them: the head read in
        # this transaction (which holds the write lock since the first UPDATE), then event_chain.link.
        head = conn.execute(event_chain.HEAD_SQL).fetchone()
        events = [{**_RAW_EVENT, "case_id": c, "occurred_at": at_instant, "recorded_at": at_instant} for c in chunk]
        event_chain.link(events, (head[0], head[1]) if head else None)
        conn.executemany(_RAW_EVENT_INSERT, [(e["case_id"], at, at, e["chain_seq"], e["prev_hash"], e["hash"])
                                             for e in events])
        conn.executemany("INSERT INTO outbox (case_id, seq, type, pathway, stage_from, stage_to, occurred_at) "
                         "VALUES (?, 2, 'opp_te_laat', 'opp', 'concept', 'concept', ?)", [(c, at) for c in chunk])
        conn.commit()
    seconds = time.perf_counter() - started
    conn.close()
    _check_chain(url, 2 * timers)
    return timers / seconds


_RAW_EVENT: dict[str, Any] = {
    "seq": 2, "type": "opp_te_laat", "command": "meld_opp_te_laat", "stage_from": "concept", "stage_to": "concept",
    "payload": {}, "actor_role": "systeem", "actor_id": "termijnbewaking", "pathway": "opp", "definition_version": 1}
"""The raw sweep's event, as hashed; ``_RAW_EVENT_INSERT`` writes the same values."""
_RAW_EVENT_INSERT = (
    "INSERT INTO case_events (case_id, seq, type, command, stage_from, stage_to, payload, actor_role, actor_id, "
    "pathway, definition_version, occurred_at, recorded_at, chain_seq, prev_hash, hash) VALUES (?, 2, 'opp_te_laat', "
    "'meld_opp_te_laat', 'concept', 'concept', '{}', 'systeem', 'termijnbewaking', 'opp', 1, ?, ?, ?, ?, ?)")


def _check_chain(url: str, events: int) -> None:
    """The case events' hash chain walked as ``leerlingroute audit verify`` walks it (not timed): every
    link intact and one per event."""
    engine = make_engine(url)
    try:
        found = event_chain.verify(engine)
    finally:
        engine.dispose()
    _check(found.broken_seq is None and found.rows == events, f"event chain of {url}: {found}")


def postgres_sweepers(base_url: str, timers: int, count: int, batch: int) -> tuple[float, int]:
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    name = f"lr_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        seed_due_timers(url, timers)
        env = {**os.environ, "LEERLINGROUTE_DATABASE_URL": url, "LEERLINGROUTE_SWEEP_BATCH_SIZE": str(batch)}
        started = time.perf_counter()
        procs = [subprocess.Popen([SCRIPT, "fire-timers", "--as-of", DUE_AT.isoformat()], env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for _ in range(count)]
        outputs = [p.communicate()[0] for p in procs]
        seconds = time.perf_counter() - started
        fired = sum(int(o.split("Termijnen afgegaan: ")[1].split(",")[0]) for o in outputs)
        _check(fired == timers, f"fired {fired} of {timers}: {outputs}")
        _check_chain(url, 2 * timers)
        return timers / seconds, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def relay_rate(folder: Path, events: int) -> float | None:
    """Outbox -> a local `prefect server`, through the relay's own adapter."""
    port = 4399
    home = folder / "prefect"
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "PREFECT_API_URL": f"http://127.0.0.1:{port}/api"}
    server = subprocess.Popen([sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
                               "--port", str(port), "--no-ui"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        wait_healthy(f"{env['PREFECT_API_URL']}/health", 120, lambda: server.poll() is None)
        os.environ["PREFECT_API_URL"] = env["PREFECT_API_URL"]
        from infra.delivery.prefect_events import emit_to_prefect  # noqa: PLC0415

        url = f"sqlite:///{folder / 'relay.db'}"
        upgrade(url)
        seed_due_timers(url, events, prefix="relay")
        from domain.handlers import relay_outbox  # noqa: PLC0415

        engine = make_engine(url)
        started = time.perf_counter()
        relayed = relay_outbox(SqlUnitOfWork(engine), emit_to_prefect, datetime.now(UTC), 500)
        seconds = time.perf_counter() - started
        engine.dispose()
        _check(relayed == events, f"relayed {relayed} of {events}")
        return events / seconds
    finally:
        server.terminate()
        server.wait(30)


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise RuntimeError(message)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--timers", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--relay-events", type=int, default=20_000)
    parser.add_argument("--out", type=Path, default=RESULTS / "sweep.json")
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    results: dict[str, object] = {"timers": args.timers, "batch": args.batch,
                                  "load_average_start": os.getloadavg()}
    with tempfile.TemporaryDirectory(dir=RESULTS) as tmp:
        folder = Path(tmp)
        sqlite_rate = round(sqlite_one_sweeper(folder, args.timers, args.batch))
        raw_rate = round(raw_batched_sqlite(folder, args.timers, args.batch))
        results["sqlite_1_sweeper_per_s"], results["raw_batched_sqlite_per_s"] = sqlite_rate, raw_rate
        pg = os.environ.get("LEERLINGROUTE_TEST_PG_URL")
        if pg:
            for count in (1, 2, 4):
                rate, rss = postgres_sweepers(pg, args.timers, count, args.batch)
                results[f"postgres_{count}_sweepers_per_s"] = round(rate)
                results["largest_child_rss_mib"] = rss
        results["relay_events_per_s"] = round(relay_rate(folder, args.relay_events) or 0)
    results["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    results["load_average_end"] = os.getloadavg()
    results["sqlite_vs_raw_percent"] = round(100 * sqlite_rate / raw_rate, 1)
    args.out.write_text(json.dumps(results, indent=2), encoding="utf-8")
    for key, value in results.items():
        print(f"{key:32} {value}")
    print(f"{'PASS' if sqlite_rate >= 20_000 else 'FAIL'}  SQLite one sweeper >= 20,000 timers/s: {sqlite_rate}")


if __name__ == "__main__":
    main()
