"""The API at scale (issue 5's benchmark): status lookup, stalled pathways, search by school and the API
process's memory with 10,000 to 1,000,000 cases in the database, on SQLite and on PostgreSQL.

Run from the project root::

    .venv/bin/python bench/api_scale.py                                  # SQLite only
    LEERLINGROUTE_TEST_PG_URL=postgresql+psycopg://... .venv/bin/python bench/api_scale.py --json out.json

For each backend and each N (``--sizes``, default 10,000, 100,000 and 1,000,000) a fresh database is
migrated with the project's migrations and filled in bulk (executemany on SQLite, COPY on PostgreSQL,
never through the command handlers): ~200 schools over three profiles (70% of the cases under
``vo-31-02``, 15% ``zuid-limburg-po``, 15% ``standaard``), pathways mixed per profile, each case a
random walk of 1-6 events through its pathway's definition, its timers (pending when due later, a
few overdue), ``stage_entered_at`` over the last 18 months with ~12% of the cases in a stage that
has a norm beyond that norm. Then the API runs as its own process (``python -m uvicorn
api.app:create_app --factory``, as ``leerlingroute run`` starts it) and is called over loopback,
one request at a time, with the token of an SWV coordinator of VO3102:

1. ``GET /cases/{id}`` on random in-scope cases (``--status-requests``, default 2,000): p50 / p99;
2. ``GET /monitor/stalled?limit=100`` (``--stalled-calls``, default 20, at most ``--stalled-budget``
   seconds): p50;
3. ``GET /cases?school=<BRIN>&limit=50`` on random schools of the SWV (``--search-calls``, default
   200): p50 / p99;
4. the API process's peak RSS (``VmHWM`` in ``/proc/<pid>/status``) after all of that.

Every case read and search appends to the hash-chained audit log: that is part of what is measured.
Targets (PASS/FAIL, the exit code is 0 either way): status p99 <= 10 ms, stalled <= 200 ms, search
<= 50 ms, RSS <= 1 GiB. At the largest N of each backend the status, stalled and search calls are
also run in this process with their SQL traced (time and plan of each statement) and profiled, so a
missed target comes with its cause. ``--no-diagnose`` skips that. Databases live in a temp folder
under ``bench/results/tmp`` and as ``lr_scale_*`` databases on the PostgreSQL server; both are removed
at the end.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import math
import os
import platform
import pstats
import random
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere: the project packages are importable
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402 - after the sys.path fix above
import psycopg  # noqa: E402
from sqlalchemy import Engine, create_engine, event, insert, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from domain.definition import PathwayDefinition, Transition  # noqa: E402
from domain.durations import Duration  # noqa: E402
from domain.registry import PathwayRegistry  # noqa: E402
from domain.roles import SWV_COORDINATOR, SYSTEEM  # noqa: E402
from domain.stalled import stage_norms  # noqa: E402
from infra.identity import checkpoints  # noqa: E402
from infra.identity.accounts import create_user  # noqa: E402
from infra.reference.profiles import load_profiles  # noqa: E402
from infra.settings import Settings  # noqa: E402
from infra.store import event_chain  # noqa: E402
from infra.store.db import make_engine  # noqa: E402
from infra.store.migrate import upgrade  # noqa: E402
from infra.store.passed_deadlines import mark_all  # noqa: E402
from infra.store.search import CaseFilter  # noqa: E402
from infra.store.tables import municipalities, schools, swvs  # noqa: E402
from infra.views.monitoring import StalledQuery  # noqa: E402
from run.supervisor import wait_healthy  # noqa: E402
from service import Service  # noqa: E402

DEFAULT_SIZES = (10_000, 100_000, 1_000_000)
TMP_PARENT = BENCH_DIR / "results" / "tmp"
TOKEN = "bench-api-scale-swv-coordinator-token-0000000000"  # noqa: S105 - a throw-away database's account
SWV_CODE, SWV_PROFILE = "VO3102", "vo-31-02"
WINDOW_DAYS = 548  # 18 months
CHUNK = 20_000
TARGETS = {"status_p99_ms": 10.0, "stalled_p50_ms": 200.0, "search_p50_ms": 50.0, "rss_mib": 1024.0}
SLOW_STATEMENT_MS = 5.0

# Where the cases are: share per profile, number of schools, their BRIN prefix and sector; the
# pathways each profile's schools use, by weight.
PROFILES: dict[str, tuple[float, int, str]] = {SWV_PROFILE: (0.70, 140, "vo"), "zuid-limburg-po": (0.15, 35, "po"),
                                               "standaard": (0.15, 25, "po")}
PATHWAY_MIX: dict[str, dict[str, int]] = {
    SWV_PROFILE: {"opp": 25, "signalering": 15, "tlv": 12, "rto": 10, "zorgplicht": 10, "cascade": 10,
                  "thuiszitter": 6, "terugplaatsing": 4, "herbeoordeling": 4, "vso_vo_overstap": 4},
    "zuid-limburg-po": {"opp": 25, "signalering": 15, "knooppunt": 12, "po_vo_overstap": 12, "tlv": 10,
                        "zorgplicht": 10, "cascade": 5, "thuiszitter": 4, "terugplaatsing": 4, "herbeoordeling": 3},
    "standaard": {"opp": 30, "signalering": 15, "tlv": 15, "zorgplicht": 12, "cascade": 10, "thuiszitter": 8,
                  "terugplaatsing": 5, "herbeoordeling": 5},
}
BEYOND_NORM = 0.12
"""Share of the cases in a stage with a norm that stay there longer than the norm."""
OVERDUE_PENDING = 0.05
"""Share of the timers whose due date passed that are still pending (the sweeper is behind): the rest fired."""

CASE_COLUMNS = ("id", "pathway", "definition_version", "school_brin", "pupil_id", "stage", "version", "artifacts",
                "opened_at", "stage_entered_at", "updated_at", "profile")
EVENT_COLUMNS = ("case_id", "seq", "type", "command", "stage_from", "stage_to", "payload", "actor_role", "actor_id",
                 "pathway", "definition_version", "occurred_at", "recorded_at", "chain_seq", "prev_hash", "hash")
TIMER_COLUMNS = ("id", "case_id", "name", "fires", "due_at", "state", "finished_at", "reason", "profile")

Row = tuple[Any, ...]
Stamp = Callable[[float], str]
Chunk = tuple[list[Row], list[Row], list[Row]]
"""Rows of (cases, events, timers), as loaded together."""


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


# --------------------------------------------------------------------------- the generated region


def _days(duration: Duration) -> float:
    return duration.months * 30.44 + duration.weeks * 7 + duration.days


@dataclass(frozen=True)
class Shape:
    """What the generator needs of one pathway: its transitions per stage and timers per stage."""

    definition: PathwayDefinition
    moves: dict[str, tuple[Transition, ...]]
    timers: dict[str, tuple[tuple[str, str, float], ...]]
    """Per stage: the timers entering it starts (name, command it fires, days until due)."""

    @classmethod
    def of(cls, definition: PathwayDefinition) -> Shape:
        moves = {s: tuple(definition.commands_from(s)) for s, stage in definition.stages.items() if not stage.final}
        starts = {s: tuple((t.name, t.fires, _days(t.term.length or Duration(days=1))) for t in definition.timers
                           if t.starts_on == s) for s in definition.stages}
        return cls(definition, moves, starts)


def _payload(transition: Transition, day: str, rng: random.Random) -> dict[str, Any]:
    """Plausible values for the transition's fields (required ones always, optional ones half the time)."""
    values: dict[str, Any] = {}
    for name, spec in transition.fields.items():
        if not spec.required and rng.random() < 0.5:
            continue
        values[name] = {"date": day, "int": 1, "bool": True, "text": "besproken in het overleg"}.get(
            spec.type, rng.choice(spec.choices) if spec.choices else "x")
    return values


@dataclass(frozen=True)
class Walk:
    """A generated case's profile, pathway and number of steps, when not drawn at random."""

    profile: str
    pathway: str
    steps: int


@dataclass
class Stats:
    """What was generated."""

    cases: int = 0
    events: int = 0
    timers_pending: int = 0
    timers_overdue: int = 0
    timers_fired: int = 0
    in_norm_stage: int = 0
    beyond_norm: int = 0
    final: int = 0
    per_profile: Counter[str] = field(default_factory=Counter)


class Region:
    """A deterministic, generated region: schools, pupils and N cases with their events and timers."""

    def __init__(self, registry: PathwayRegistry, n: int, now: datetime, seed: int) -> None:
        self.n, self.rng = n, random.Random(seed)
        self.now = now.timestamp()
        self.shapes = {d.pathway: Shape.of(d) for d in registry.latest()}
        self.norms = {code: {p: {s: _days(d) for s, d in stages.items()} for p, stages in stage_norms(p_).items()}
                      for code, p_ in registry.profiles.items()}
        self.schools: dict[str, list[str]] = {}
        self.school_weights: dict[str, list[float]] = {}
        letters = "ABCDEFGHJKLMNPRSTVWXYZ"
        number = 0
        for profile, (_, count, _) in PROFILES.items():
            names = []
            for _ in range(count):
                number += 1
                names.append(f"{number % 100:02d}{letters[number // 22 % 22]}{letters[number % 22]}00")
            self.schools[profile] = names
            self.school_weights[profile] = [self.rng.lognormvariate(0, 0.6) for _ in names]
        self.profile_names = list(PROFILES)
        self.profile_weights = [share for share, _, _ in PROFILES.values()]
        self.pupils = max(1, int(n / 1.4))
        self.stats = Stats()
        self.chain_head: tuple[int, str] | None = None
        """The events' hash chain so far (its newest link's chain_seq and hash): events are linked as generated."""
        self.sample: list[str] = []
        self._keep = min(1.0, 12_000 / max(1.0, n * PROFILES[SWV_PROFILE][0]))

    def reference_rows(self) -> dict[str, list[dict[str, Any]]]:
        """Municipalities, SWVs and schools (the resources tables), for realism."""
        swv_of = {SWV_PROFILE: "VO3102", "zuid-limburg-po": "PO3104", "standaard": "PO9999"}
        kinds = {"vo": "vo", "po": "po"}
        return {
            "municipalities": [{"cbs_code": f"09{i:02d}", "name": f"Gemeente {i}"} for i in range(40)],
            "swvs": [{"code": code, "name": f"SWV {code}", "sector": code[:2].lower()} for code in swv_of.values()],
            "schools": [{"brin": brin, "name": f"School {brin}", "swv_code": swv_of[profile],
                         "kind": kinds[PROFILES[profile][2]], "municipality_cbs": f"09{i % 40:02d}",
                         "calendar_region": "zuid"}
                        for profile, names in self.schools.items() for i, brin in enumerate(names)],
        }

    def case_ids(self) -> list[str]:
        """N random (version 4) UUIDs, sorted: the primary keys are then filled in order."""
        return sorted(str(uuid.UUID(int=self.rng.getrandbits(128), version=4)) for _ in range(self.n))

    def chunks(self, stamp: Stamp) -> Iterator[Chunk]:
        """(cases, events, timers) rows, CHUNK cases at a time; instants formatted by ``stamp``."""
        ids = self.case_ids()
        for start in range(0, len(ids), CHUNK):
            chunk: Chunk = ([], [], [])
            for case_id in ids[start:start + CHUNK]:
                self._case(case_id, stamp, chunk)
            yield chunk

    def long_case(self, events: int, stamp: Stamp, pathway: str = "opp") -> tuple[str, Chunk]:
        """One more case of the SWV (in the coordinator's scope, not in the status sample) whose walk is
        ``events`` steps long, never into a final stage: a case with a long history. Its events are the chain's
        next links, so load it after the region's chunks."""
        case_id = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        chunk: Chunk = ([], [], [])
        self._case(case_id, stamp, chunk, Walk(SWV_PROFILE, pathway, events))
        return case_id, chunk

    def _case(self, case_id: str, stamp: Stamp, chunk: Chunk, forced: Walk | None = None) -> None:
        rng, stats = self.rng, self.stats
        case_rows, event_rows, timer_rows = chunk
        profile = forced.profile if forced else rng.choices(self.profile_names, self.profile_weights)[0]
        school = rng.choices(self.schools[profile], self.school_weights[profile])[0]
        mix = PATHWAY_MIX[profile]
        shape = self.shapes[forced.pathway if forced else rng.choices(list(mix), list(mix.values()))[0]]
        definition = shape.definition
        walk, stage, entered_at_step = self._walk(shape, forced.steps if forced else None)
        entered = self.now - self._age(profile, definition.pathway, stage) * 86_400
        opened = entered - rng.uniform(1, 120) * 86_400 if entered_at_step else entered
        later = sorted(rng.uniform(entered, self.now) for _ in range(len(walk) - entered_at_step - 1))
        moments = [opened + (entered - opened) * i / entered_at_step for i in range(entered_at_step)]
        moments += [entered, *later]
        artifacts: dict[str, dict[str, Any]] = {}
        actor_id = f"zc-{school.lower()}"
        for seq, ((move, source, target), moment) in enumerate(zip(walk, moments, strict=True), start=1):
            instant = datetime.fromtimestamp(moment, UTC)
            payload = _payload(move, instant.date().isoformat(), rng)
            if move.records:
                artifacts[move.records] = {**payload, "occurred_at": instant.isoformat()}
            role = SYSTEEM if move.roles == {SYSTEEM} else ("zorgcoordinator" if "zorgcoordinator" in move.roles
                                                            else min(move.roles - {SYSTEEM}))
            recorded = moment + rng.uniform(0.05, 3)
            event: dict[str, Any] = {
                "case_id": case_id, "seq": seq, "type": move.event, "command": move.command, "stage_from": source,
                "stage_to": target, "payload": payload, "actor_role": role,
                "actor_id": "termijnbewaking" if role == SYSTEEM else actor_id, "pathway": definition.pathway,
                "definition_version": definition.version, "occurred_at": instant,
                "recorded_at": datetime.fromtimestamp(recorded, UTC)}
            event_chain.link([event], self.chain_head)  # the chain's next link, as the engine makes it
            self.chain_head = event["chain_seq"], event["hash"]
            event_rows.append((case_id, seq, move.event, move.command, source, target,
                               json.dumps(payload, separators=(",", ":")), role, event["actor_id"], definition.pathway,
                               definition.version, stamp(moment), stamp(recorded), event["chain_seq"],
                               event["prev_hash"], event["hash"]))
        self._timers(shape, stage, case_id, f"{case_id}:{entered_at_step + 1}:", entered, stamp, timer_rows,
                     profile)
        pupil = f"lln-{rng.randrange(self.pupils):08d}"
        case_rows.append((case_id, definition.pathway, definition.version, school, pupil, stage, len(walk),
                          json.dumps(artifacts, separators=(",", ":")), stamp(opened), stamp(entered),
                          stamp(moments[-1] + 1), profile))
        stats.cases += 1
        stats.events += len(walk)
        stats.final += definition.stages[stage].final
        stats.per_profile[profile] += 1
        if forced is None and profile == SWV_PROFILE and rng.random() < self._keep:
            self.sample.append(case_id)

    def _walk(self, shape: Shape, steps: int | None = None) -> tuple[list[tuple[Transition, str | None, str]], str,
                                                                       int]:
        """The start, then up to five random transitions (any role's, the system's included): the
        steps (transition, from, to), the stage reached and the step that entered it. With ``steps``: that
        many steps, none into a final stage (as long as the pathway has a way on)."""
        definition = shape.definition
        walk: list[tuple[Transition, str | None, str]] = [(definition.start, None, definition.initial)]
        stage, entered_at_step = definition.initial, 0
        for _ in range((self.rng.randint(1, 6) if steps is None else steps) - 1):
            moves = shape.moves.get(stage)
            if moves and steps is not None:
                moves = tuple(m for m in moves if not definition.stages[m.target_from(stage)].final)
            if not moves:
                break
            move = self.rng.choice(moves)
            target = move.target_from(stage)
            walk.append((move, stage, target))
            if target != stage:
                stage, entered_at_step = target, len(walk) - 1
        return walk, stage, entered_at_step

    def _age(self, profile: str, pathway: str, stage: str) -> float:
        """Days since the case entered ``stage``: within the stage's norm, or (BEYOND_NORM) longer;
        anywhere in the last 18 months for a stage without a norm."""
        norm = self.norms[profile].get(pathway, {}).get(stage)
        if norm is None:
            return self.rng.uniform(0, WINDOW_DAYS)
        self.stats.in_norm_stage += 1
        if self.rng.random() < BEYOND_NORM:
            self.stats.beyond_norm += 1
            return self.rng.uniform(norm + 1, WINDOW_DAYS)
        return self.rng.uniform(0, norm)

    def _timers(self, shape: Shape, stage: str, case_id: str, prefix: str, entered: float, stamp: Stamp,
                timer_rows: list[Row], profile: str) -> None:
        """The timers entering ``stage`` started: pending if due later, else fired (a few still pending)."""
        for name, fires, days in shape.timers.get(stage, ()):
            due = entered + days * 86_400
            if due > self.now:
                state, finished = "pending", None
                self.stats.timers_pending += 1
            elif self.rng.random() < OVERDUE_PENDING:
                state, finished = "pending", None
                self.stats.timers_overdue += 1
            else:
                state, finished = "fired", stamp(due + 60)
                self.stats.timers_fired += 1
            timer_rows.append((prefix + name, case_id, name, fires, stamp(due), state, finished, None, profile))


# --------------------------------------------------------------------------- databases


def sqlite_stamp(moment: float) -> str:
    """As SQLAlchemy stores an instant on SQLite: naive UTC text with microseconds."""
    return datetime.fromtimestamp(moment, UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def pg_stamp(moment: float) -> str:
    """A timestamptz literal in UTC, for COPY."""
    return datetime.fromtimestamp(moment, UTC).replace(tzinfo=None).isoformat(" ", "microseconds") + "+00"


class Database(ABC):
    """A fresh, migrated database for one run, and how to fill and drop it."""

    kind: str
    url: str

    @abstractmethod
    def stamp(self, moment: float) -> str:
        """An instant as this database's bulk load writes it."""

    @abstractmethod
    def add(self, chunks: Iterable[Chunk], region: Region) -> None:
        """Write generated rows in bulk (the region's, or extra cases it generated afterwards)."""

    def load(self, region: Region) -> None:
        """Fill the database with the region's generated cases."""
        self.reference(region)
        self.add(region.chunks(self.stamp), region)

    @abstractmethod
    def size_mib(self) -> float:
        """The database's size on disk."""

    @abstractmethod
    def drop(self) -> None:
        """Remove the database."""

    def reference(self, region: Region) -> None:
        engine = make_engine(self.url)
        rows = region.reference_rows()
        with engine.begin() as conn:
            for table in (municipalities, swvs, schools):
                conn.execute(insert(table), rows[table.name])
        engine.dispose()


class SqliteDatabase(Database):
    """A SQLite file in the temp folder (WAL, 1 KiB pages: as ``infra.store.db.make_engine`` creates it)."""

    kind = "sqlite"

    def __init__(self, folder: Path, n: int) -> None:
        self.path = folder / f"scale-{n}.db"
        self.url = f"sqlite:///{self.path}"
        upgrade(self.url)

    def stamp(self, moment: float) -> str:
        return sqlite_stamp(moment)

    def add(self, chunks: Iterable[Chunk], region: Region) -> None:
        conn = sqlite3.connect(self.path)
        for pragma in ("synchronous=OFF", "cache_size=-1000000", "temp_store=MEMORY"):
            conn.execute(f"PRAGMA {pragma}")
        statements = {name: f"INSERT INTO {name} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"  # noqa: S608
                      for name, cols in (("cases", CASE_COLUMNS), ("case_events", EVENT_COLUMNS),
                                         ("timers", TIMER_COLUMNS))}
        for case_rows, event_rows, timer_rows in chunks:
            conn.executemany(statements["cases"], case_rows)
            conn.executemany(statements["case_events"], event_rows)
            conn.executemany(statements["timers"], timer_rows)
            conn.commit()
            _progress(region)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()

    def size_mib(self) -> float:
        return sum(p.stat().st_size for p in (self.path, Path(f"{self.path}-wal")) if p.exists()) / 2**20

    def drop(self) -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)


class PostgresDatabase(Database):
    """A new database on the server of ``base_url`` (dropped with ``drop``)."""

    kind = "postgresql"

    def __init__(self, base_url: str, n: int) -> None:
        self.admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
        self.name = f"lr_scale_{n}_{uuid.uuid4().hex[:6]}"
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.name}"'))
        self.url = self.admin.url.set(database=self.name).render_as_string(hide_password=False)
        upgrade(self.url)

    def _conninfo(self) -> str:
        return make_url(self.url).set(drivername="postgresql").render_as_string(hide_password=False)

    def stamp(self, moment: float) -> str:
        return pg_stamp(moment)

    def add(self, chunks: Iterable[Chunk], region: Region) -> None:
        with psycopg.connect(self._conninfo()) as conn:
            for case_rows, event_rows, timer_rows in chunks:
                with conn.cursor() as cursor:
                    for table, columns, rows in (("cases", CASE_COLUMNS, case_rows),
                                                 ("case_events", EVENT_COLUMNS, event_rows),
                                                 ("timers", TIMER_COLUMNS, timer_rows)):
                        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                            for row in rows:
                                copy.write_row(row)
                conn.commit()
                _progress(region)
        with psycopg.connect(self._conninfo(), autocommit=True) as conn:  # what autovacuum would do soon after
            conn.execute("VACUUM (ANALYZE) cases, case_events, timers")

    def size_mib(self) -> float:
        with self.admin.connect() as conn:
            size: int = conn.execute(text("SELECT pg_database_size(:name)"), {"name": self.name}).scalar_one()
        return size / 2**20

    def drop(self) -> None:
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self.admin.dispose()


def pg_settings(url: str) -> dict[str, str]:
    """The server settings that matter for these figures (a test server may run without fsync)."""
    names = ("server_version", "fsync", "synchronous_commit", "shared_buffers", "work_mem", "jit")
    engine = create_engine(url)
    with engine.connect() as conn:
        found = {name: str(conn.execute(text(f"SHOW {name}")).scalar_one()) for name in names}
    engine.dispose()
    return found


def _progress(region: Region) -> None:
    done = region.stats.cases
    if done % 200_000 == 0 or done == region.n:
        log(f"  loaded {done:,} / {region.n:,} cases ({region.stats.events:,} events)")


# --------------------------------------------------------------------------- the API process


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def proc_memory(pid: int) -> dict[str, float]:
    """VmHWM (peak RSS) and VmRSS of a process, MiB."""
    found: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
        key, _, value = line.partition(":")
        if key in {"VmHWM", "VmRSS"}:
            found[key] = int(value.split()[0]) / 1024
    return found


def proc_cpu_ms(pid: int) -> float:
    """User + system CPU time of a process so far, ms (from /proc/<pid>/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


@contextmanager
def api_process(url: str, folder: Path, label: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """The API served by uvicorn in its own process, as ``leerlingroute run`` starts it."""
    port = free_port()
    logfile = folder / f"api-{label}.log"
    env = {**os.environ, "LEERLINGROUTE_DATABASE_URL": url, "LEERLINGROUTE_DATA_DIR": str(folder)}
    with logfile.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory", "--host",
                                 "127.0.0.1", "--port", str(port), "--log-level", "warning"],
                                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(f"{base}/health", 120, lambda: proc.poll() is None)
        yield base, proc
    except BaseException:
        print(logfile.read_text(encoding="utf-8", errors="replace")[-3000:], file=sys.stderr)
        raise
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def percentile(values: Sequence[float], q: float) -> float:
    """The nearest-rank percentile ``q`` (0-100)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def timed(client: httpx.Client, path: str) -> tuple[float, Any]:
    """(milliseconds, JSON body) of one GET that must answer 200."""
    started = time.perf_counter()
    response = client.get(path)
    ms = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        msg = f"GET {path} answered {response.status_code}: {response.text[:500]}"
        raise RuntimeError(msg)
    return ms, response.json()


@dataclass
class Measured:
    """One backend at one N."""

    backend: str
    cases: int
    load_s: float
    db_mib: float
    data: dict[str, Any]
    status_ms: list[float] = field(default_factory=list)
    stalled_ms: list[float] = field(default_factory=list)
    search_ms: list[float] = field(default_factory=list)
    stalled_total: int = 0
    overdue_total: int = 0
    search_rows: float = 0.0
    loadavg: str = ""
    cpu_ms: dict[str, float] = field(default_factory=dict)
    """The API process's CPU time per request, by call (less sensitive to a busy machine than wall time)."""
    rss_start_mib: float = 0.0
    rss_peak_mib: float = 0.0
    rss_end_mib: float = 0.0

    def figures(self) -> dict[str, float]:
        return {"status_p50_ms": statistics.median(self.status_ms), "status_p99_ms": percentile(self.status_ms, 99),
                "stalled_p50_ms": statistics.median(self.stalled_ms), "stalled_max_ms": max(self.stalled_ms),
                "search_p50_ms": statistics.median(self.search_ms), "search_p99_ms": percentile(self.search_ms, 99),
                "rss_mib": self.rss_peak_mib, "load_s": self.load_s, "db_mib": self.db_mib}


def measure(db: Database, region: Region, args: argparse.Namespace, folder: Path, result: Measured,
            more: Callable[[httpx.Client], None] | None = None) -> None:
    """Serve the database and time the three calls (and ``more``'s, given the client), then read the server's
    peak RSS."""
    rng = random.Random(args.seed + 1)
    brins = region.schools[SWV_PROFILE]
    with api_process(db.url, folder, f"{db.kind}-{region.n}") as (base, proc), httpx.Client(
            base_url=base, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=300) as client:
        result.rss_start_mib = proc_memory(proc.pid)["VmHWM"]
        result.loadavg = "/".join(f"{v:.1f}" for v in os.getloadavg())
        for case_id in rng.sample(region.sample, min(50, len(region.sample))):  # warm-up: connections, caches
            timed(client, f"/cases/{case_id}")
        for brin in brins[:10]:
            timed(client, f"/cases?school={brin}&limit=50")
        log(f"  status: {args.status_requests:,} x GET /cases/{{id}}")
        cpu = proc_cpu_ms(proc.pid)
        result.status_ms = [timed(client, f"/cases/{rng.choice(region.sample)}")[0]
                            for _ in range(args.status_requests)]
        result.cpu_ms["status"], cpu = (proc_cpu_ms(proc.pid) - cpu) / args.status_requests, proc_cpu_ms(proc.pid)
        log(f"  search: {args.search_calls:,} x GET /cases?school=..&limit=50")
        rows = 0
        for _ in range(args.search_calls):
            ms, body = timed(client, f"/cases?school={rng.choice(brins)}&limit=50")
            result.search_ms.append(ms)
            rows += len(body["items"])
        result.cpu_ms["search"] = (proc_cpu_ms(proc.pid) - cpu) / args.search_calls
        result.search_rows = rows / args.search_calls
        log(f"  stalled: up to {args.stalled_calls} x GET /monitor/stalled?limit=100 (budget {args.stalled_budget} s)")
        timed(client, "/monitor/stalled?limit=100")  # warm-up
        began, cpu = time.perf_counter(), proc_cpu_ms(proc.pid)
        while len(result.stalled_ms) < args.stalled_calls and (
                len(result.stalled_ms) < 3 or time.perf_counter() - began < args.stalled_budget):
            ms, body = timed(client, "/monitor/stalled?limit=100")
            result.stalled_ms.append(ms)
        result.cpu_ms["stalled"] = (proc_cpu_ms(proc.pid) - cpu) / len(result.stalled_ms)
        result.stalled_total, result.overdue_total = body["stalled_total"], body["overdue_total"]
        if more is not None:
            more(client)
        memory = proc_memory(proc.pid)
        result.rss_peak_mib, result.rss_end_mib = memory["VmHWM"], memory["VmRSS"]


# --------------------------------------------------------------------------- diagnosis


@contextmanager
def traced(engine: Engine) -> Iterator[list[tuple[str, Any, float]]]:
    """Every statement the engine runs meanwhile: (SQL, driver parameters, milliseconds)."""
    found: list[tuple[str, Any, float]] = []
    starts: list[float] = []

    def before(*_: Any) -> None:
        starts.append(time.perf_counter())

    def after(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        found.append((statement, parameters, (time.perf_counter() - starts.pop()) * 1000))

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        yield found
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)


def explain(engine: Engine, statement: str, parameters: Any) -> str:
    prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN (ANALYZE, BUFFERS) "
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(prefix + statement, parameters).all()
    if engine.dialect.name == "sqlite":
        return "\n".join(f"    {r[3]}" for r in rows)
    return "\n".join(f"    {r[0]}" for r in rows)


def diagnose(db: Database, region: Region, folder: Path) -> dict[str, Any]:
    """The stalled and search calls in this process: their statements (time, plan) and a profile."""
    service = Service.from_settings(Settings(database_url=db.url, data_dir=folder))
    principal = service.authenticate(TOKEN, datetime.now(UTC))
    report: dict[str, Any] = {}
    calls: dict[str, Callable[[], Any]] = {
        "status": lambda: service.read_status(principal, region.sample[0], datetime.now(UTC), None),
        "stalled": lambda: service.stalled(principal, StalledQuery(), datetime.now(UTC)),
        "search": lambda: service.search(principal, CaseFilter(school_brin=region.schools[SWV_PROFILE][0]),
                                         "stage_entered_at", descending=False, limit=50, cursor=None,
                                         now=datetime.now(UTC)),
    }
    for name, call in calls.items():
        call()  # warm
        with traced(service.engine) as statements:
            started = time.perf_counter()
            call()
            total = (time.perf_counter() - started) * 1000
        profiler = cProfile.Profile()
        profiler.enable()
        call()
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(12)
        sql_ms = sum(ms for _, _, ms in statements)
        slow = [{"ms": round(ms, 2), "sql": " ".join(sql.split())[:1500],
                 "plan": explain(service.engine, sql, params)} for sql, params, ms in statements
                if ms >= SLOW_STATEMENT_MS]
        report[name] = {"in_process_ms": round(total, 1), "sql_ms": round(sql_ms, 1), "statements": len(statements),
                        "slow_statements": slow, "profile_by_tottime": _trimmed(out.getvalue())}
    service.engine.dispose()
    return report


def _trimmed(profile: str) -> str:
    lines = [line for line in profile.splitlines() if line.strip()]
    start = next((i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls")), 0)
    return "\n".join(lines[max(0, start - 1):])


# --------------------------------------------------------------------------- runs and report


def run_one(kind: str, n: int, args: argparse.Namespace, folder: Path, registry: PathwayRegistry,
            diagnoses: dict[str, Any], diagnose_here: bool) -> Measured:
    db = new_database(kind, n, args, folder)
    try:
        region, result = fill(db, n, args, registry)
        measure(db, region, args, folder, result)
        log_figures(result)
        result.data["verified"] = verify_chains(db, folder, region.stats.events)
        if diagnose_here:
            log("  diagnosis: status, stalled and search in-process (SQL traced, profiled), then the proposed fix ...")
            diagnoses[kind] = diagnose(db, region, folder)
        return result
    finally:
        db.drop()


def new_database(kind: str, n: int, args: argparse.Namespace, folder: Path) -> Database:
    """A fresh, migrated database of ``kind`` (sqlite or postgresql) for N cases."""
    log(f"{kind}: {n:,} cases - migrate, generate, load ...")
    return SqliteDatabase(folder, n) if kind == "sqlite" else PostgresDatabase(args.pg_url, n)


def fill(db: Database, n: int, args: argparse.Namespace, registry: PathwayRegistry) -> tuple[Region, Measured]:
    """The generated region loaded in bulk and the SWV coordinator's account made: the region and its
    figures so far."""
    region = Region(registry, n, datetime.now(UTC), args.seed)
    started = time.perf_counter()
    db.load(region)
    load_s = time.perf_counter() - started
    engine = make_engine(db.url)
    with engine.begin() as conn:  # the passed deadlines' marks, as the store writes them step by step
        mark_all(conn, registry.missed_deadlines)
    if db.kind == "postgresql":  # what autovacuum would do soon after
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM (ANALYZE) timers")
    swv_codes = {c for p in registry.profiles.values() for c in p.setting("swv_codes", ())}
    create_user(engine, SWV_COORDINATOR, [SWV_CODE], datetime.now(UTC), swv_codes, name="bench-swv-vo3102",
                token=TOKEN)
    engine.dispose()
    s = region.stats
    data = {"cases": s.cases, "events": s.events, "timers_pending": s.timers_pending,
            "timers_overdue_pending": s.timers_overdue, "timers_fired": s.timers_fired,
            "cases_final": s.final, "cases_in_stage_with_norm": s.in_norm_stage, "beyond_norm": s.beyond_norm,
            "per_profile": dict(s.per_profile), "schools": sum(len(v) for v in region.schools.values())}
    result = Measured(db.kind, n, load_s, db.size_mib(), data)
    log(f"  loaded in {load_s:.1f} s ({result.db_mib:,.0f} MiB): {s.events:,} events, "
        f"{s.timers_pending + s.timers_overdue:,} pending timers ({s.timers_overdue:,} overdue), "
        f"{s.beyond_norm:,} cases beyond their stage norm, {s.final:,} closed")
    return region, result


def log_figures(result: Measured) -> None:
    f = result.figures()
    log(f"  status p50/p99 {f['status_p50_ms']:.2f}/{f['status_p99_ms']:.2f} ms, stalled p50 "
        f"{f['stalled_p50_ms']:.0f} ms, search p50/p99 {f['search_p50_ms']:.2f}/{f['search_p99_ms']:.2f} ms, "
        f"RSS peak {f['rss_mib']:.0f} MiB")


def verify_chains(db: Database, folder: Path, events: int) -> dict[str, Any]:
    """Both hash chains walked as ``leerlingroute audit verify`` walks them (not timed): the loaded events
    and the audit rows the API wrote. A chain that does not verify, or a missing event, stops the run."""
    log("  verifying the events' and the audit log's hash chains ...")
    engine = make_engine(db.url)
    started = time.perf_counter()
    try:
        found = checkpoints.verify(engine, Settings(data_dir=folder / "audit", database_url=db.url))
    finally:
        engine.dispose()
    seconds = time.perf_counter() - started
    if found.problems or found.events.rows != events:
        msg = f"the hash chains do not verify ({found.events.rows:,} of {events:,} events): {found.problems}"
        raise RuntimeError(msg)
    log(f"  verified in {seconds:.1f} s: {found.events.rows:,} events, {found.audit.rows:,} audit rows")
    return {"events": found.events.rows, "audit_rows": found.audit.rows, "seconds": round(seconds, 1)}


def _pass(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def _growth(results: list[Measured], lines: list[str]) -> dict[str, dict[str, float]]:
    """Per backend, each figure at the largest N divided by the same figure at the smallest."""
    lines += ["", "growth from the smallest to the largest N (ratio):"]
    growth: dict[str, dict[str, float]] = {}
    for backend in dict.fromkeys(r.backend for r in results):
        runs = sorted((r for r in results if r.backend == backend), key=lambda r: r.cases)
        if len(runs) < 2:
            continue
        first, last = runs[0].figures(), runs[-1].figures()
        growth[backend] = g = {k: round(last[k] / first[k], 2) for k in first if first[k]}
        lines.append(f"  {backend} {runs[0].cases:,} -> {runs[-1].cases:,} (x{runs[-1].cases // runs[0].cases}): "
                     f"status p50 x{g['status_p50_ms']}, p99 x{g['status_p99_ms']}; stalled x{g['stalled_p50_ms']}; "
                     f"search p50 x{g['search_p50_ms']}, p99 x{g['search_p99_ms']}; RSS x{g['rss_mib']}; "
                     f"load x{g['load_s']}")
    lines.append("")
    return growth


def _verdicts(results: list[Measured], lines: list[str]) -> list[dict[str, Any]]:
    verdicts = []
    for r in results:
        f = r.figures()
        for key, label in (("status_p99_ms", "status p99 <= 10 ms"), ("stalled_p50_ms", "stalled <= 200 ms"),
                           ("search_p50_ms", "search <= 50 ms"), ("rss_mib", "RSS <= 1 GiB")):
            ok = f[key] <= TARGETS[key]
            verdicts.append({"backend": r.backend, "cases": r.cases, "target": label, "value": round(f[key], 2),
                             "pass": ok})
            lines.append(f"{_pass(ok)}  {r.backend:<10} {r.cases:>10,}  {label:<20} {f[key]:,.2f}")
    return verdicts


def report(results: list[Measured], diagnoses: dict[str, Any], args: argparse.Namespace,
           env: dict[str, Any]) -> dict[str, Any]:
    header = (f"{'backend':<11}{'cases':>10}{'load s':>8}{'db MiB':>8}{'status p50':>11}{'p99':>7}"
              f"{'stalled p50':>12}{'max':>7}{'search p50':>11}{'p99':>7}{'RSS MiB':>9}{'stalled':>9}{'overdue':>9}")
    lines = ["", (f"leerlingroute API at scale - python {env['python']}, {env['cores']} cores, "
                  f"sqlite {env['sqlite']}, load average {env['loadavg_start']} -> {env['loadavg_end']}"),
             (f"(ms per request over loopback, one at a time; status n={args.status_requests}, search "
              f"n={args.search_calls}, stalled n<={args.stalled_calls}; RSS = VmHWM of the uvicorn process)"), "",
             header, "-" * len(header)]
    for r in results:
        f = r.figures()
        lines.append(f"{r.backend:<11}{r.cases:>10,}{f['load_s']:>8.1f}{f['db_mib']:>8,.0f}"
                     f"{f['status_p50_ms']:>11.2f}{f['status_p99_ms']:>7.2f}{f['stalled_p50_ms']:>12.1f}"
                     f"{f['stalled_max_ms']:>7.0f}{f['search_p50_ms']:>11.2f}{f['search_p99_ms']:>7.2f}"
                     f"{f['rss_mib']:>9.0f}{r.stalled_total:>9,}{r.overdue_total:>9,}")
    lines += ["", (f"{'backend':<11}{'cases':>10}{'events':>11}{'pending timers':>15}{'search rows':>12}"
                   f"{'API CPU ms/req: status':>24}{'search':>8}{'stalled':>9}{'load avg 1/5/15':>17}")]
    for r in results:
        pending = r.data["timers_pending"] + r.data["timers_overdue_pending"]
        lines.append(f"{r.backend:<11}{r.cases:>10,}{r.data['events']:>11,}{pending:>15,}{r.search_rows:>12.1f}"
                     f"{r.cpu_ms['status']:>24.2f}{r.cpu_ms['search']:>8.2f}{r.cpu_ms['stalled']:>9.1f}"
                     f"{r.loadavg:>17}")
    growth = _growth(results, lines)
    verdicts = _verdicts(results, lines)
    if "postgresql_settings" in env:
        lines.append(f"PostgreSQL settings: {env['postgresql_settings']}")
    print("\n".join(lines))
    for backend, found in diagnoses.items():
        for name, d in found.items():
            print(f"\n--- diagnosis {backend}, largest N: {name} in-process {d['in_process_ms']} ms, of which SQL "
                  f"{d['sql_ms']} ms in {d['statements']} statements (SQLite: until each one's first row)")
            for s in d["slow_statements"]:
                print(f"  {s['ms']} ms: {s['sql']}\n{s['plan']}")
            print(d["profile_by_tottime"])
    return {"generated_at": datetime.now(UTC).isoformat(timespec="seconds"), "environment": env,
            "config": {k: v for k, v in vars(args).items() if k != "pg_url"},
            "runs": [{**asdict(r), "figures": {k: round(v, 3) for k, v in r.figures().items()}} for r in results],
            "growth": growth, "targets": verdicts, "diagnosis": diagnoses}


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--sizes", default=",".join(str(s) for s in DEFAULT_SIZES),
                        help="comma-separated numbers of cases (default 10000,100000,1000000)")
    parser.add_argument("--backends", default="sqlite,postgresql",
                        help="sqlite and/or postgresql (postgresql needs --pg-url or LEERLINGROUTE_TEST_PG_URL)")
    parser.add_argument("--pg-url", default=os.environ.get("LEERLINGROUTE_TEST_PG_URL"),
                        help="SQLAlchemy URL of a PostgreSQL database on the server to use (default: "
                             "$LEERLINGROUTE_TEST_PG_URL); the benchmark creates and drops its own databases there")
    parser.add_argument("--status-requests", type=int, default=2000)
    parser.add_argument("--search-calls", type=int, default=200)
    parser.add_argument("--stalled-calls", type=int, default=20)
    parser.add_argument("--stalled-budget", type=float, default=60.0, help="seconds; at least 3 calls")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--no-diagnose", action="store_true", help="skip the in-process SQL trace at the largest N")
    parser.add_argument("--keep-tmp", action="store_true", help="keep the temp folder (SQLite files, API logs)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    sizes = sorted(int(s) for s in args.sizes.split(","))
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if "postgresql" in backends and not args.pg_url:
        log("no --pg-url / LEERLINGROUTE_TEST_PG_URL: PostgreSQL is skipped")
        backends.remove("postgresql")
    env: dict[str, Any] = {"python": platform.python_version(), "platform": platform.platform(),
                           "cores": os.cpu_count(), "sqlite": sqlite3.sqlite_version,
                           "loadavg_start": "/".join(f"{v:.2f}" for v in os.getloadavg())}
    if "postgresql" in backends:
        env["postgresql_settings"] = pg_settings(args.pg_url)
    registry = PathwayRegistry.builtin(Settings().durations(), load_profiles())
    TMP_PARENT.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="api-scale-", dir=TMP_PARENT))
    results: list[Measured] = []
    diagnoses: dict[str, Any] = {}
    began = time.perf_counter()
    try:
        for kind in backends:
            for n in sizes:
                diagnose_here = not args.no_diagnose and n == sizes[-1]
                results.append(run_one(kind, n, args, folder, registry, diagnoses, diagnose_here))
    except BaseException:
        if results:  # what finished before the failure is still worth seeing
            report(results, diagnoses, args, {**env, "loadavg_end": "?"})
        raise
    finally:
        if not args.keep_tmp:
            with suppress(OSError):
                shutil.rmtree(folder)
    env["loadavg_end"] = "/".join(f"{v:.2f}" for v in os.getloadavg())
    env["total_seconds"] = round(time.perf_counter() - began)
    data = report(results, diagnoses, args, env)
    log(f"done in {timedelta(seconds=env['total_seconds'])}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
        print(f"results written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
