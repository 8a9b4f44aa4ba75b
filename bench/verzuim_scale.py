"""Verzuim detection at national scale (issue 6): daily detection and the incremental path.

    .venv/bin/python bench/verzuim_scale.py [--pupils 25000 250000 2500000] [--backends sqlite postgres]
    LEERLINGROUTE_TEST_PG_URL=postgresql+psycopg://... .venv/bin/python bench/verzuim_scale.py --backends postgres

For each size and database: a migrated database gets N pupils with a school year of enrollments and
absences, bulk-inserted (plain DBAPI executemany / COPY, not through the API): schools of ~280 pupils in
the three holiday regions, 342 municipalities, one enrollment per pupil from 17 August 2026 (1% change
school once, 0.2% leave school without a new one), a 5-onder-a vrijstelling for 0.2%, and absence
from the first school day up to the day before the as-of date (default Monday 14 June 2027):

* illness (geoorloofd): on average 4.5 school days per pupil, 2-6 hours -- about 2.5% absent a day;
* sporadic truancy: 10% of pupils, 1-6 days of 1-4 hours; runs of 1-3 weeks: 2% of pupils;
* thuiszitters: 0.15% of pupils absent every school day for the last 5-35 weeks (a third came back);
* partial truants (issue 15): 0.5% of pupils skip one lesson every school day for the last 4-8 weeks
  (meldplicht signals, never a thuiszitter: only whole days out of school count);
* hidden thuiszitters (issue 15): 0.05% of pupils at home 'in overleg' (authorised, category
  ``thuis_in_overleg``) every school day for the last 5-20 weeks;
* kwalificatieplichtigen (VO pupils of 16 and 17) count as thuiszitters by default (issue 15).

Then, each in a fresh child process (its wall time and peak RSS, ``ru_maxrss``, are reported):

1. ``catch-up``: the first daily run as of the as-of date on the loaded year (registers every episode
   of the year, opens the thuiszitter case of every open one, raises the alerts of the last 8 weeks);
2. ``daily``: the records of the as-of day are added (same rates), then the run as of the next day --
   the run the flow does every morning;

and the incremental path in this process: a real uvicorn server on the database, 20 pupils with 12
unauthorised hours that week; ``POST /absences`` of 6 more hours each, timed from request to response
(the meldplicht alert is committed and listed in the response).

Targets: daily detection <= 60 s and <= 2 GiB RSS; the incremental path <= 1 s. Results go to
``bench/results/verzuim_scale.json``; databases to a temporary folder under ``bench/results/tmp``
(SQLite) or a fresh PostgreSQL database (dropped afterwards).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import resource
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
import uvicorn
from sqlalchemy import bindparam, create_engine, text
from sqlalchemy.engine import make_url

from api.app import create_app
from domain.durations import NL
from domain.verzuim import default_calendar
from infra.identity import accounts, checkpoints
from infra.logging import configure_logging
from infra.settings import Settings
from infra.store.db import make_engine
from infra.store.migrate import upgrade
from service import Service

RESULTS = Path(__file__).resolve().parent / "results"
YEAR_START = date(2026, 8, 17)
LOADED_AT = datetime(2026, 8, 16, tzinfo=UTC)
REGIONS = ("noord", "midden", "zuid")
PUPILS_PER_SCHOOL = 280
MUNICIPALITIES = 342
BATCH = 20_000
INCREMENTAL_PUPILS = 20


# --- the generated world ---------------------------------------------------------------------------------------


class World:
    """Schools, municipalities and per-region school days of the generated year."""

    def __init__(self, pupils: int, as_of: date, seed: int) -> None:
        self.pupils, self.as_of, self.seed = pupils, as_of, seed
        self.schools = [(f"{n // 26 // 26 % 100:02d}{chr(65 + n // 26 % 26)}{chr(65 + n % 26)}{n // 67600:02d}",
                         "po" if n % 5 < 3 else "vo", REGIONS[n % 3], f"{'PO' if n % 5 < 3 else 'VO'}{n % 150:04d}")
                        for n in range(max(3, pupils // PUPILS_PER_SCHOOL))]
        self.municipalities = [f"{n + 1:04d}" for n in range(MUNICIPALITIES)]
        self.days = {r: self.school_days(r, YEAR_START, as_of - timedelta(days=1)) for r in REGIONS}

    @staticmethod
    def school_days(region: str, first: date, last: date) -> list[date]:
        calendar = default_calendar(region)
        return [first + timedelta(days=n) for n in range((last - first).days + 1)
                if calendar.is_school_day(first + timedelta(days=n))]

    def batches(self) -> Iterator[dict[str, list[tuple[Any, ...]]]]:
        """Rows per table, BATCH pupils at a time (deterministic for the seed)."""
        for start in range(0, self.pupils, BATCH):
            rng = random.Random(self.seed * 1_000_003 + start)
            rows: dict[str, list[tuple[Any, ...]]] = {"pupils": [], "enrollments": [], "absences": [],
                                                      "vrijstellingen": []}
            for n in range(start, min(start + BATCH, self.pupils)):
                self._pupil(rng, n, rows)
            yield rows

    def _pupil(self, rng: random.Random, n: int, rows: dict[str, list[tuple[Any, ...]]]) -> None:
        pid = f"p{n:08d}"
        brin, kind, region, _ = self.schools[n % len(self.schools)]
        born = (date(2014, 10, 1) if kind == "po" else date(2008, 10, 1)) + timedelta(days=rng.randrange(2550))
        rows["pupils"].append((pid, brin, self.municipalities[n % MUNICIPALITIES], born.isoformat()))
        days = self.days[region]
        u = rng.random()
        last = self._enrollments(rng, pid, brin, days, u, rows)
        sick = rng.sample(days, min(len(days), int(rng.expovariate(1 / 4.5))))
        rows["absences"] += [(pid, d, float(rng.randint(2, 6)), True, "ziek", "ziek", None) for d in sick if d <= last]
        taken = set(sick)
        if 0.1265 <= u < 0.127:  # a hidden thuiszitter: at home in overleg for the last 5-20 weeks
            home = days[max(0, len(days) - rng.randint(25, 100)):]
            rows["absences"] += [(pid, d, 6.0, True, "thuis in overleg", "thuis_in_overleg", None) for d in home
                                 if d not in taken and d <= last]
            return
        rows["absences"] += [(pid, d, h, False, "ongeoorloofd", "spijbelen", None)
                             for d, h in self._truancy(rng, days, u) if d not in taken and d <= last]

    def _enrollments(self, rng: random.Random, pid: str, brin: str, days: list[date], u: float,
                     rows: dict[str, list[tuple[Any, ...]]]) -> date:
        """Enrollments (and a 5a); the last day the pupil is at school."""
        if u > 0.996:  # leaves school (0.2%) or gets a 5-onder-a vrijstelling (0.2%)
            left = days[rng.randrange(10, len(days) - 5)]
            rows["enrollments"].append((pid, brin, YEAR_START, left))
            if u > 0.998:
                rows["vrijstellingen"].append((pid, "5a", left + timedelta(days=1), None))
            return left
        if 0.98 < u <= 0.99:  # changes school once (1%)
            moved = days[rng.randrange(10, len(days) - 5)]
            rows["enrollments"].append((pid, brin, YEAR_START, moved))
            rows["enrollments"].append((pid, self.schools[rng.randrange(len(self.schools))][0],
                                        moved + timedelta(days=1), None))
            return date.max
        rows["enrollments"].append((pid, brin, YEAR_START, None))
        return date.max

    @staticmethod
    def _truancy(rng: random.Random, days: list[date], u: float) -> list[tuple[date, float]]:
        if u < 0.0015:  # thuiszitter: every school day for the last 5-35 weeks; a third came back
            start = max(0, len(days) - rng.randint(25, 175))
            end = len(days) if rng.random() < 0.67 else min(len(days), start + rng.randint(25, 60))
            return [(d, float(rng.randint(5, 6))) for d in days[start:end]]
        if u < 0.0215:  # a run of 1-3 weeks
            start = rng.randrange(len(days) - 15)
            return [(d, float(rng.randint(4, 6))) for d in days[start:start + rng.randint(5, 15)]]
        if u < 0.1215:  # sporadic
            return [(d, float(rng.randint(1, 4))) for d in rng.sample(days, rng.randint(1, 6))]
        if u < 0.1265:  # a partial truant: one lesson every school day for the last 4-8 weeks
            return [(d, 1.0) for d in days[max(0, len(days) - rng.randint(20, 40)):]]
        return []

    def day_batch(self, day: date, seed: int, home: set[str]) -> list[tuple[Any, ...]]:
        """One more day of absence (the records of ``day``): 2.5% ill, 0.5% truant, none of ``home``."""
        rng = random.Random(seed)
        rows: list[tuple[Any, ...]] = []
        for n in range(self.pupils):
            u = rng.random()
            if f"p{n:08d}" in home:
                continue
            if u < 0.025:
                rows.append((f"p{n:08d}", day, 4.0, True, "ziek", "ziek", None))
            elif u < 0.03:
                rows.append((f"p{n:08d}", day, 2.0, False, "ongeoorloofd", "spijbelen", None))
        return rows


# --- bulk loading ----------------------------------------------------------------------------------------------


def _iso(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


COLUMNS = {
    "pupils": ("id", "school_brin", "residence_cbs", "birth_date", "updated_at"),
    "enrollments": ("pupil_id", "school_brin", "first_day", "last_day", "recorded_at"),
    "absences": ("pupil_id", "day", "hours", "authorized", "reason", "reason_kind", "scheduled_hours", "recorded_at"),
    "vrijstellingen": ("pupil_id", "kind", "first_day", "last_day", "recorded_at"),
}


def reference_rows(world: World) -> dict[str, list[tuple[Any, ...]]]:
    swvs = sorted({(s[3], f"SWV {s[3]}", s[1]) for s in world.schools})
    return {"municipalities": [(c, f"Gemeente {c}") for c in world.municipalities],
            "swvs": swvs,
            "schools": [(b, f"School {b}", swv, kind, world.municipalities[i % MUNICIPALITIES], region)
                        for i, (b, kind, region, swv) in enumerate(world.schools)]}


REFERENCE_COLUMNS = {"municipalities": ("cbs_code", "name"), "swvs": ("code", "name", "sector"),
                     "schools": ("brin", "name", "swv_code", "kind", "municipality_cbs", "calendar_region")}


def _stamped(table: str, rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return [(*row, LOADED_AT) for row in rows] if table in COLUMNS else rows


def load_sqlite(url: str, world: World) -> None:
    import sqlite3  # noqa: PLC0415

    conn = sqlite3.connect(make_url(url).database or "")
    conn.executescript("PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF; PRAGMA foreign_keys=OFF;")

    def put(table: str, rows: list[tuple[Any, ...]]) -> None:
        columns = COLUMNS.get(table) or REFERENCE_COLUMNS[table]
        conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",  # noqa: S608
                         [tuple(_iso(v) for v in row) for row in _stamped(table, rows)])

    for table, rows in reference_rows(world).items():
        put(table, rows)
    for batch in world.batches():
        for table, rows in batch.items():
            put(table, rows)
        conn.commit()
    conn.commit()
    conn.close()


def load_postgres(url: str, world: World) -> None:
    engine = create_engine(url)
    raw = engine.raw_connection()
    cursor = raw.cursor()

    def put(table: str, rows: list[tuple[Any, ...]]) -> None:
        columns = COLUMNS.get(table) or REFERENCE_COLUMNS[table]
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in _stamped(table, rows):
                copy.write_row(row)

    for table, rows in reference_rows(world).items():
        put(table, rows)
    for batch in world.batches():
        for table, rows in batch.items():
            put(table, rows)
        raw.commit()
    cursor.execute("ANALYZE")
    raw.commit()
    raw.close()
    engine.dispose()


def add_rows(url: str, table: str, rows: list[tuple[Any, ...]]) -> None:
    """More rows (the records of one day, or of the incremental pupils' week), replacing equal keys."""
    from sqlalchemy.dialects import postgresql, sqlite  # noqa: PLC0415

    from infra.store import verzuim_tables  # noqa: F401, PLC0415 - registers the verzuim tables on metadata
    from infra.store.tables import metadata  # noqa: PLC0415

    target = metadata.tables[table]
    engine = make_engine(url)
    dialect = sqlite if url.startswith("sqlite") else postgresql
    with engine.begin() as conn:
        for start in range(0, len(rows), 5000):
            chunk = [dict(zip(COLUMNS[table], row, strict=True)) for row in _stamped(table, rows[start:start + 5000])]
            statement = dialect.insert(target)
            conn.execute(statement.on_conflict_do_update(
                index_elements=["pupil_id", "day", "authorized"],
                set_={"hours": statement.excluded.hours}), chunk)
    engine.dispose()


def at_home(url: str, day: date, *, hidden: bool = False) -> list[str]:
    """The pupils absent all day (5 hours or more, not authorised) on ``day``: the thuiszitters; ``hidden``:
    those at home in overleg (the hidden thuiszitters).
    """
    engine = create_engine(url)
    where = "reason_kind = 'thuis_in_overleg'" if hidden else "NOT authorized AND hours >= 5"
    with engine.connect() as conn:
        found = list(conn.execute(text(f"SELECT pupil_id FROM absences WHERE day = :day AND {where}"),  # noqa: S608
                                  {"day": day.isoformat() if url.startswith("sqlite") else day}).scalars())
    engine.dispose()
    return found


def enrolled_sample(url: str, world: World, count: int) -> list[str]:
    """``count`` pupils spread over the ids with one enrollment, still running."""
    step = max(1, world.pupils // (count * 4))
    wanted = [f"p{n:08d}" for n in range(1, world.pupils, step)][:count * 4]
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT pupil_id, last_day FROM enrollments WHERE pupil_id IN :ids")
                            .bindparams(bindparam("ids", expanding=True)), {"ids": wanted}).all()
    engine.dispose()
    per_pupil: dict[str, list[Any]] = {}
    for pupil_id, last_day in rows:
        per_pupil.setdefault(pupil_id, []).append(last_day)
    return [p for p in wanted if per_pupil.get(p) == [None]][:count]


# --- measurements ------------------------------------------------------------------------------------------------


def detect_in_child(url: str, as_of: date) -> dict[str, Any]:
    """One daily detection run in a fresh process: its figures, wall time and peak RSS."""
    out = subprocess.run([sys.executable, __file__, "--child-detect", url, as_of.isoformat()],
                         capture_output=True, text=True, check=False)
    if out.returncode != 0:
        print(out.stderr[-4000:], file=sys.stderr, flush=True)
        out.check_returncode()
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def child_detect(url: str, as_of: str) -> None:
    from service.verzuim import Verzuim  # noqa: PLC0415

    day = date.fromisoformat(as_of)
    service = Service.from_settings(Settings(database_url=url))
    now = datetime(day.year, day.month, day.day, 6, tzinfo=NL)
    started = time.perf_counter()
    report = Verzuim(service).detect(day, now)
    wall = time.perf_counter() - started
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(json.dumps({**report.counts(), "wall_s": round(wall, 2), "peak_rss_mib": rss}))


def _serve(service: Service, now: datetime) -> tuple[uvicorn.Server, threading.Thread, str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    host, port = sock.getsockname()[:2]
    server = uvicorn.Server(uvicorn.Config(create_app(service, lambda: now), log_level="warning",
                                           lifespan="off", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    base = f"http://{host}:{port}"
    for _ in range(200):
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.05)
    return server, thread, base


def incremental(url: str, world: World, as_of: date) -> dict[str, Any]:
    """POST one absence for pupils with 12 hours that week: latency until the meldplicht alert is in."""
    service = Service.from_settings(Settings(database_url=url))
    token = secrets.token_urlsafe(24)
    accounts.create_user(service.engine, "admin", (), LOADED_AT, service.swv_codes(), name="bench-admin",
                         days=3000, token=token)
    week = World.school_days("zuid", as_of - timedelta(days=8), as_of - timedelta(days=1))[-3:]
    chosen = enrolled_sample(url, world, INCREMENTAL_PUPILS)
    add_rows(url, "absences", [(p, d, 6.0, False, "bench", "spijbelen", None) for p in chosen for d in week[:2]])
    now = datetime(as_of.year, as_of.month, as_of.day, 18, tzinfo=NL)
    server, thread, base = _serve(service, now)
    configure_logging(logging.WARNING)
    timings, raised = [], 0
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:
        for pupil in chosen:
            started = time.perf_counter()
            response = client.post("/absences", json={"pupil_id": pupil, "day": week[2].isoformat(), "hours": 6,
                                                      "authorized": False, "reason": "bench"})
            timings.append(time.perf_counter() - started)
            response.raise_for_status()
            raised += sum(1 for r in response.json()["raised"] if r["kind"] == "meldplicht")
    server.should_exit = True
    thread.join(10)
    service.engine.dispose()
    timings.sort()
    return {"requests": len(timings), "meldplicht_raised": raised,
            "p50_ms": round(timings[len(timings) // 2] * 1000, 1), "max_ms": round(timings[-1] * 1000, 1)}


def run_size(backend: str, pupils: int, as_of: date, seed: int, folder: Path) -> dict[str, Any]:
    world = World(pupils, as_of, seed)
    with _database(backend, folder) as url:
        upgrade(url)
        started = time.perf_counter()
        (load_sqlite if backend == "sqlite" else load_postgres)(url, world)
        loaded = time.perf_counter() - started
        counts = _counts(url)
        print(f"  {backend} {pupils:,}: loaded {counts} in {loaded:.0f} s", flush=True)
        catch_up = detect_in_child(url, as_of)
        print(f"    catch-up run: {catch_up}", flush=True)
        previous = World.school_days("zuid", as_of - timedelta(days=7), as_of - timedelta(days=1))[-1]
        home, hidden = at_home(url, previous), at_home(url, previous, hidden=True)
        add_rows(url, "absences", [*world.day_batch(as_of, seed, {*home, *hidden}),
                                   *((p, as_of, 6.0, False, "ongeoorloofd", "spijbelen", None) for p in home),
                                   *((p, as_of, 6.0, True, "thuis in overleg", "thuis_in_overleg", None)
                                     for p in hidden)])
        daily = detect_in_child(url, as_of + timedelta(days=1))
        print(f"    daily run:    {daily}", flush=True)
        inc = incremental(url, world, as_of + timedelta(days=1))
        print(f"    incremental:  {inc}", flush=True)
        chains = verify_chains(url, folder)
        print(f"    verified:     {chains}", flush=True)
    return {"backend": backend, "pupils": pupils, "load_s": round(loaded, 1), **counts, "catch_up": catch_up,
            "daily": daily, "incremental": inc, "verified": chains}


def verify_chains(url: str, folder: Path) -> dict[str, int]:
    """Both hash chains walked as ``leerlingroute audit verify`` walks them (not timed): the events of the
    cases the runs opened and the audit rows they wrote. A chain that does not verify stops the run."""
    engine = make_engine(url)
    try:
        found = checkpoints.verify(engine, Settings(data_dir=folder / "audit", database_url=url))
        with engine.connect() as conn:
            events = int(conn.execute(text("SELECT COUNT(*) FROM case_events")).scalar_one())
    finally:
        engine.dispose()
    if found.problems or found.events.rows != events:
        msg = f"the hash chains do not verify ({found.events.rows:,} of {events:,} events): {found.problems}"
        raise RuntimeError(msg)
    return {"events": found.events.rows, "audit_rows": found.audit.rows}


def _counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    with engine.connect() as conn:
        found = {t: int(conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one())  # noqa: S608
                 for t in ("enrollments", "absences", "vrijstellingen")}
    engine.dispose()
    return found


class _database:  # noqa: N801 - used as a context manager
    def __init__(self, backend: str, folder: Path) -> None:
        self.backend, self.folder, self.url = backend, folder, ""

    def __enter__(self) -> str:
        if self.backend == "sqlite":
            self.url = f"sqlite:///{self.folder / f'verzuim-{uuid.uuid4().hex[:6]}.db'}"
            return self.url
        base = make_url(os.environ["LEERLINGROUTE_TEST_PG_URL"])
        self.name = f"lr_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.name}"'))
        admin.dispose()
        self.url = base.set(database=self.name).render_as_string(hide_password=False)
        return self.url

    def __exit__(self, *_: object) -> None:
        if self.backend == "sqlite":
            for suffix in ("", "-wal", "-shm"):
                Path(make_url(self.url).database + suffix).unlink(missing_ok=True)  # type: ignore[operator]
            return
        admin = create_engine(make_url(os.environ["LEERLINGROUTE_TEST_PG_URL"]), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--child-detect":
        child_detect(sys.argv[2], sys.argv[3])
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pupils", type=int, nargs="+", default=[25_000, 250_000])
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgres"], choices=["sqlite", "postgres"])
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2027, 6, 14))
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--out", type=Path, default=RESULTS / "verzuim_scale.json")
    args = parser.parse_args()
    backends = [b for b in args.backends if b == "sqlite" or os.environ.get("LEERLINGROUTE_TEST_PG_URL")]
    (RESULTS / "tmp").mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=RESULTS / "tmp") as folder:
        results = [run_size(backend, pupils, args.as_of, args.seed, Path(folder))
                   for pupils in args.pupils for backend in backends]
    args.out.write_text(json.dumps({"as_of": args.as_of.isoformat(), "cores": os.cpu_count(), "runs": results},
                                   indent=2), encoding="utf-8")
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
