"""Throughput benchmark: the engine vs. raw sqlite3 vs. one Prefect flow run per transition.

Run from the project root::

    .venv/bin/python bench/throughput.py [--cases N] [--prefect-sample M] [--out FILE]

One run measures three things on this machine and prints a table (JSON to ``--out``):

1. **engine** - N OPP cases on a fresh, migrated SQLite file (WAL, synchronous=NORMAL, as
   ``infra.store.db.make_engine`` sets it up), opened with ``open_case`` and driven through the
   happy path with ``handle_command``: one unit of work (= one commit) per command, one
   ``SqlUnitOfWork`` for the whole run. Every successful command, the opening included, is
   one transition.
2. **raw** - the floor: plain ``sqlite3`` on another fresh, migrated file, the same number of
   transitions, each one UPDATE of the case row + one INSERT into case_events + one INSERT
   into outbox + commit. The event is the hash chain's next link, as the engine writes it: the
   chain's head read in the transaction, then ``infra.store.event_chain.link`` (same schema, same work).
   Both runs' event chains are walked afterwards (not timed) and must verify.
3. **naive prefect** - the same work done the naive way: one Prefect flow run per
   transition, on a sample of M transitions against a throw-away ephemeral Prefect server
   (PREFECT_HOME in a temp dir, default settings otherwise, the default heartbeat included).

Targets (shown as PASS/FAIL, never an exit code): engine >= 5000 transitions/s on the
command phase, and engine >= 25% of raw.
"""

from __future__ import annotations

import argparse
import atexit
import cProfile
import io
import json
import os
import platform
import pstats
import resource
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere: the project packages are importable
    sys.path.insert(0, str(ROOT))

from domain.case import Actor, Command  # noqa: E402 - after the sys.path fix above
from domain.handlers import NewCase, Outcome, handle_command, open_case  # noqa: E402
from domain.registry import PathwayRegistry  # noqa: E402
from infra.store import event_chain  # noqa: E402
from infra.store.db import SQLITE_PRAGMAS, make_engine  # noqa: E402
from infra.store.migrate import upgrade  # noqa: E402
from infra.store.sql import SqlUnitOfWork  # noqa: E402

DEFAULT_CASES = 20_000
DEFAULT_PREFECT_SAMPLE = 24
MIN_PREFECT_SAMPLE = 20
DEFAULT_OUT = BENCH_DIR / "results" / "throughput.json"
TMP_PARENT = BENCH_DIR / "results" / "tmp"

TARGET_TPS = 5000.0
TARGET_RAW_SHARE = 0.25

# A fixed instant, well after the start of the extra ondersteuning (2026-09-01).
NOW = datetime(2027, 3, 1, 9, 30, tzinfo=UTC)
SINCE = "2026-09-01"
ACTOR = Actor("zorgcoordinator", "bench")
PATHWAY, BRIN = "opp", "14PS03"
START = Command("start_opp", ACTOR, {"extra_ondersteuning_sinds": SINCE})
HAPPY_PATH: tuple[Command, ...] = (
    Command("leg_handelingsdeel_voor", ACTOR),
    Command("registreer_instemming", ACTOR, {"gegeven_door": "ouders", "handelingsdeel_versie": 1}),
    Command("stel_in_werking", ACTOR),
    Command("registreer_evaluatie", ACTOR, {"met_ouders_besproken": True}),
    Command("continueer", ACTOR),
)
FINAL_STAGE = "in_werking"
TRANSITIONS_PER_CASE = 1 + len(HAPPY_PATH)


# --------------------------------------------------------------------------- results


@dataclass
class Phase:
    """One timed loop: how many transitions in how many seconds."""

    transitions: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.transitions / self.seconds if self.seconds > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"transitions": self.transitions, "seconds": round(self.seconds, 4),
                "transitions_per_s": round(self.per_second, 1),
                "us_per_transition": round(1e6 * self.seconds / self.transitions, 1) if self.transitions else None}


@dataclass
class EngineResult:
    cases: int
    opens: Phase
    commands: Phase
    db_bytes: int
    checks: dict[str, Any]

    @property
    def total(self) -> Phase:
        return Phase(self.opens.transitions + self.commands.transitions, self.opens.seconds + self.commands.seconds)


@dataclass
class PrefectResult:
    sample: int
    warmup_seconds: float
    import_seconds: float
    run_seconds: list[float]
    heartbeat_frequency_s: int | None
    prefect_version: str
    final_states: dict[str, int] = field(default_factory=dict)

    @property
    def mean(self) -> float:
        return statistics.fmean(self.run_seconds)

    @property
    def per_second(self) -> float:
        return 1.0 / self.mean if self.mean > 0 else 0.0


# --------------------------------------------------------------------------- helpers


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def fresh_db(tmp: Path, name: str) -> tuple[Path, str]:
    """A new SQLite file migrated to head with the project's own migrations."""
    path = tmp / f"{name}.db"
    url = sqlite_url(path)
    upgrade(url)
    return path, url


def db_bytes(path: Path) -> int:
    """The database's size on disk, WAL and shared memory included."""
    return sum(p.stat().st_size for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists())


def peak_rss_mib(who: int = resource.RUSAGE_SELF) -> float:
    """Peak resident set size (ru_maxrss is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(who).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def cores() -> dict[str, int | None]:
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return {"logical": os.cpu_count(), "usable": usable}


# --------------------------------------------------------------------------- 1. engine


def open_cases(uow: SqlUnitOfWork, registry: PathwayRegistry, n: int, prefix: str = "lln") -> list[str]:
    """Open ``n`` OPP cases, one unit of work each; return their ids."""
    ids: list[str] = []
    for i in range(n):
        outcome = open_case(uow, registry, NewCase(PATHWAY, BRIN, f"{prefix}-{i}"), START, NOW)
        ids.append(outcome.case_id)
    return ids


def drive(uow: SqlUnitOfWork, registry: PathwayRegistry, case_ids: Sequence[str]) -> int:
    """Every case through the happy path, a step at a time across all cases (so consecutive
    commands touch different cases); one unit of work per command. Returns the transitions."""
    done = 0
    for command in HAPPY_PATH:
        for case_id in case_ids:
            handle_command(uow, registry, case_id, command, NOW)
            done += 1
    return done


def chain_check(url: str, events: int) -> dict[str, Any]:
    """The case events' hash chain walked as ``leerlingroute audit verify`` walks it (not timed): every
    link intact and one link per event."""
    engine = make_engine(url)
    try:
        found = event_chain.verify(engine)
    finally:
        engine.dispose()
    return {"rows": found.rows, "broken_seq": found.broken_seq,
            "ok": found.broken_seq is None and found.rows == events}


def engine_checks(path: Path, cases: int) -> dict[str, Any]:
    """What the engine left in the database: every case at the end, every transition recorded, the
    events' chain intact."""
    with sqlite3.connect(path) as conn:
        stages = dict(conn.execute("SELECT stage, count(*) FROM cases GROUP BY stage").fetchall())
        events = conn.execute("SELECT count(*) FROM case_events").fetchone()[0]
        outbox = conn.execute("SELECT count(*) FROM outbox").fetchone()[0]
        pending_timers = conn.execute("SELECT count(*) FROM timers WHERE state = 'pending'").fetchone()[0]
    conn.close()
    expected = cases * TRANSITIONS_PER_CASE
    chain = chain_check(sqlite_url(path), expected)
    return {"stages": stages, "events": events, "outbox": outbox, "pending_timers": pending_timers,
            "chain": chain, "ok": stages == {FINAL_STAGE: cases} and events == expected and outbox == expected
            and pending_timers == cases and chain["ok"]}


def run_engine(tmp: Path, cases: int) -> EngineResult:
    path, url = fresh_db(tmp, "engine")
    engine = make_engine(url)
    uow = SqlUnitOfWork(engine)
    registry = PathwayRegistry.builtin()
    try:
        started = time.perf_counter()
        case_ids = open_cases(uow, registry, cases)
        opened = time.perf_counter()
        commands = drive(uow, registry, case_ids)
        finished = time.perf_counter()
    finally:
        uow.close()
        engine.dispose()
    return EngineResult(cases, Phase(len(case_ids), opened - started), Phase(commands, finished - opened),
                        db_bytes(path), engine_checks(path, cases))


def profile_commands(tmp: Path, cases: int, top: int = 15) -> str:
    """cProfile of the command phase alone on ``cases`` cases (opens not profiled), by tottime."""
    _, url = fresh_db(tmp, "profile")
    engine = make_engine(url)
    uow = SqlUnitOfWork(engine)
    registry = PathwayRegistry.builtin()
    try:
        case_ids = open_cases(uow, registry, cases)
        profiler = cProfile.Profile()
        profiler.enable()
        drive(uow, registry, case_ids)
        profiler.disable()
    finally:
        uow.close()
        engine.dispose()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    return out.getvalue()


# --------------------------------------------------------------------------- 2. raw sqlite3


def _iso(value: datetime) -> str:
    return value.isoformat()


def _stored(value: datetime) -> str:
    """An instant as the engine stores it on SQLite (naive UTC text)."""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


# (event, command, stage_from, stage_to, artifacts added, event payload) per transition, as the
# engine produces them on the OPP happy path; the artifacts accumulate like the engine's do.
_STEPS: tuple[tuple[str, str, str | None, str, dict[str, dict[str, Any]], dict[str, Any]], ...] = (
    ("opp_gestart", "start_opp", None, "concept",
     {"extra_ondersteuning": {"extra_ondersteuning_sinds": SINCE}}, {"extra_ondersteuning_sinds": SINCE}),
    ("handelingsdeel_voorgelegd", "leg_handelingsdeel_voor", "concept", "wacht_op_instemming",
     {"handelingsdeel": {"versie": 1}}, {"handelingsdeel_versie": 1}),
    ("instemming_geregistreerd", "registreer_instemming", "wacht_op_instemming", "wacht_op_instemming",
     {"instemming": {"gegeven_door": "ouders", "handelingsdeel_versie": 1}},
     {"gegeven_door": "ouders", "handelingsdeel_versie": 1}),
    ("opp_in_werking", "stel_in_werking", "wacht_op_instemming", "in_werking", {}, {}),
    ("opp_geevalueerd", "registreer_evaluatie", "in_werking", "geevalueerd",
     {"evaluatie": {"met_ouders_besproken": True}}, {"met_ouders_besproken": True}),
    ("opp_voortgezet", "continueer", "geevalueerd", "in_werking", {}, {}),
)

_RAW_UPDATE = ("UPDATE cases SET stage = ?, version = ?, artifacts = ?, stage_entered_at = ?, updated_at = ? "
               "WHERE id = ? AND version = ?")
_RAW_EVENT = ("INSERT INTO case_events (case_id, seq, type, command, stage_from, stage_to, payload, actor_role, "
              "actor_id, pathway, definition_version, occurred_at, recorded_at, chain_seq, prev_hash, hash) "
              "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
_RAW_OUTBOX = ("INSERT INTO outbox (case_id, seq, type, pathway, stage_from, stage_to, occurred_at) "
               "VALUES (?, ?, ?, ?, ?, ?, ?)")


def run_raw(tmp: Path, cases: int, transitions: int) -> Phase:
    """``transitions`` raw transitions on ``cases`` pre-inserted case rows (version 0), a step at a
    time across all cases like the engine run; one commit per transition, each event hash-chained."""
    path, url = fresh_db(tmp, "raw")
    conn = sqlite3.connect(path, timeout=30)
    for pragma in SQLITE_PRAGMAS:  # exactly the engine's connection settings
        conn.execute(f"PRAGMA {pragma}")
    now_text, now_iso = _stored(NOW), _iso(NOW)
    ids = [f"00000000-0000-4000-8000-{i:012d}" for i in range(cases)]
    conn.executemany(  # not timed
        "INSERT INTO cases (id, pathway, definition_version, school_brin, pupil_id, stage, version, artifacts, "
        "opened_at, stage_entered_at, updated_at) VALUES (?, ?, 1, ?, ?, 'concept', 0, '{}', ?, ?, ?)",
        [(case_id, PATHWAY, BRIN, f"lln-{i}", now_text, now_text, now_text) for i, case_id in enumerate(ids)])
    conn.commit()

    # The artifacts each case has after step k (the engine stamps occurred_at on every artifact).
    artifacts_after: list[dict[str, dict[str, Any]]] = []
    current: dict[str, dict[str, Any]] = {}
    for *_, added, _payload in _STEPS:
        current = {**current, **{name: {**values, "occurred_at": now_iso} for name, values in added.items()}}
        artifacts_after.append(current)

    done = 0
    started = time.perf_counter()
    for step in range(-(-transitions // cases)):
        event, command, stage_from, stage_to, _, payload = _STEPS[step % len(_STEPS)]
        artifacts = artifacts_after[step % len(_STEPS)]
        version = step + 1
        for case_id in ids:
            if done == transitions:
                break
            cursor = conn.execute(_RAW_UPDATE, (stage_to, version, json.dumps(artifacts, separators=(",", ":")),
                                                now_text, now_text, case_id, version - 1))
            if cursor.rowcount != 1:
                msg = f"raw update lost case {case_id} at version {version - 1}"
                raise RuntimeError(msg)
            # The event is the chain's next link, as the engine writes it: the head read in this
            # transaction (which holds the write lock since the UPDATE), then event_chain.link.
            head = conn.execute(event_chain.HEAD_SQL).fetchone()
            row: dict[str, Any] = {
                "case_id": case_id, "seq": version, "type": event, "command": command, "stage_from": stage_from,
                "stage_to": stage_to, "payload": payload, "actor_role": ACTOR.role, "actor_id": ACTOR.id,
                "pathway": PATHWAY, "definition_version": 1, "occurred_at": NOW, "recorded_at": NOW}
            event_chain.link([row], (head[0], head[1]) if head else None)
            conn.execute(_RAW_EVENT, (case_id, version, event, command, stage_from, stage_to,
                                      json.dumps(payload, separators=(",", ":")), ACTOR.role, ACTOR.id, PATHWAY, 1,
                                      now_text, now_text, row["chain_seq"], row["prev_hash"], row["hash"]))
            conn.execute(_RAW_OUTBOX, (case_id, version, event, PATHWAY, stage_from, stage_to, now_text))
            conn.commit()
            done += 1
    seconds = time.perf_counter() - started
    events = conn.execute("SELECT count(*) FROM case_events").fetchone()[0]
    conn.close()
    if events != transitions:
        msg = f"raw run recorded {events} events, expected {transitions}"
        raise RuntimeError(msg)
    chain = chain_check(url, transitions)
    if not chain["ok"]:
        msg = f"raw run's event chain does not verify: {chain}"
        raise RuntimeError(msg)
    return Phase(done, seconds)


# --------------------------------------------------------------------------- 3. naive prefect


def prefect_environment(home: Path) -> None:
    """A throw-away ephemeral Prefect: set before prefect is first imported."""
    if "prefect" in sys.modules:
        msg = "prefect was imported before its environment was set up"
        raise RuntimeError(msg)
    home.mkdir(parents=True, exist_ok=True)
    os.environ["PREFECT_HOME"] = str(home)
    os.environ["PREFECT_SERVER_ALLOW_EPHEMERAL_MODE"] = "true"
    os.environ["PREFECT_LOGGING_LEVEL"] = "WARNING"
    os.environ.pop("PREFECT_API_URL", None)
    os.environ.pop("PREFECT_PROFILES_PATH", None)  # the profiles file under the temp PREFECT_HOME


def run_prefect(tmp: Path, sample: int) -> PrefectResult:
    """``sample`` timed flow runs (plus one warm-up), each one ``handle_command`` on its own small
    migrated SQLite file, cycling through the happy path on as many cases as it takes."""
    prefect_environment(tmp / "prefect-home")
    started = time.perf_counter()
    import prefect  # noqa: PLC0415 - only after PREFECT_HOME etc. are set
    from prefect import flow  # noqa: PLC0415
    from prefect.settings import get_current_settings  # noqa: PLC0415
    imported = time.perf_counter()

    _, url = fresh_db(tmp, "prefect")
    engine = make_engine(url)
    uow = SqlUnitOfWork(engine)
    registry = PathwayRegistry.builtin()
    runs = sample + 1
    case_ids = open_cases(uow, registry, -(-runs // len(HAPPY_PATH)), prefix="prefect")  # not timed

    @flow(name="bench-one-transition")
    def one_transition(case_id: str, step: int) -> dict[str, Any]:
        """The naive way: one flow run for one command on one case."""
        outcome: Outcome = handle_command(uow, registry, case_id, HAPPY_PATH[step], NOW)
        return asdict(outcome)

    timings: list[float] = []
    states: dict[str, int] = {}
    try:
        for run in range(runs):
            case_id, step = case_ids[run // len(HAPPY_PATH)], run % len(HAPPY_PATH)
            begun = time.perf_counter()
            state = one_transition(case_id, step, return_state=True)
            timings.append(time.perf_counter() - begun)
            states[str(state.type.value)] = states.get(str(state.type.value), 0) + 1
            if not state.is_completed():
                msg = f"flow run {run} ended {state.type.value}: {state.message}"
                raise RuntimeError(msg)
    finally:
        uow.close()
        engine.dispose()
    return PrefectResult(sample, timings[0], imported - started, timings[1:],
                         get_current_settings().flows.heartbeat_frequency, prefect.__version__, states)


# --------------------------------------------------------------------------- report


def _loads(values: Sequence[float]) -> str:
    return "/".join(f"{v:.2f}" for v in values)


def _fmt_rate(value: float) -> str:
    return f"{value:>12,.0f}"


def report(
    args: argparse.Namespace, eng: EngineResult, raw: Phase, pf: PrefectResult, rss: dict[str, float],
    load: dict[str, list[float]], profile: str | None,
) -> dict[str, Any]:
    raw_share = eng.commands.per_second / raw.per_second if raw.per_second else 0.0
    naive_ratio = eng.commands.per_second / pf.per_second if pf.per_second else 0.0
    targets = [
        (f"engine >= {TARGET_TPS:,.0f} transitions/s (command phase)", eng.commands.per_second >= TARGET_TPS,
         f"{eng.commands.per_second:,.0f}/s"),
        (f"engine >= {TARGET_RAW_SHARE:.0%} of raw sqlite3", raw_share >= TARGET_RAW_SHARE, f"{raw_share:.1%}"),
    ]
    env: dict[str, Any] = {
        "python": platform.python_version(), "implementation": platform.python_implementation(),
        "platform": platform.platform(), "machine": platform.machine(), "cores": cores(),
        "sqlite": sqlite3.sqlite_version, "prefect": pf.prefect_version, "loadavg": load,
    }
    lines = [
        "",
        (f"leerlingroute throughput - {eng.cases:,} OPP cases, {TRANSITIONS_PER_CASE} transitions each "
         f"(open + {len(HAPPY_PATH)} commands), fixed now={NOW.isoformat()}"),
        (f"python {env['python']} | {env['platform']} | cores: {env['cores']['logical']} logical, "
         f"{env['cores']['usable']} usable | sqlite {env['sqlite']} | prefect {env['prefect']}"),
        (f"load average (1/5/15 min) at start {_loads(load['start'])}, at end {_loads(load['end'])} "
         "(other processes on this machine compete for its cores and disk)"),
        "",
        f"{'measurement':<44}{'transitions':>12}{'seconds':>10}{'trans/s':>12}{'us/trans':>11}",
        "-" * 89,
    ]

    def row(label: str, phase: Phase) -> str:
        us = 1e6 * phase.seconds / phase.transitions if phase.transitions else 0.0
        return f"{label:<44}{phase.transitions:>12,}{phase.seconds:>10.2f}{_fmt_rate(phase.per_second)}{us:>11.1f}"

    pf_phase = Phase(len(pf.run_seconds), sum(pf.run_seconds))
    lines += [
        row("engine: open_case (1 commit each)", eng.opens),
        row("engine: handle_command (1 commit each)", eng.commands),
        row("engine: all transitions", eng.total),
        row("raw sqlite3: UPDATE+chain+2 INSERT+commit", raw),
        row(f"naive prefect: 1 flow run/transition (n={len(pf.run_seconds)})", pf_phase),
        "-" * 89,
        f"engine / raw sqlite3 (command phase)     {raw_share:>8.1%}",
        f"engine / naive prefect (command phase)   {naive_ratio:>8,.0f}x",
        (f"prefect flow run: mean {1e3 * pf.mean:.1f} ms, median {1e3 * statistics.median(pf.run_seconds):.1f} ms, "
         f"min {1e3 * min(pf.run_seconds):.1f} ms, max {1e3 * max(pf.run_seconds):.1f} ms"),
        (f"prefect warm-up run (starts the ephemeral server): {pf.warmup_seconds:.2f} s; "
         f"import prefect: {pf.import_seconds:.2f} s"),
        f"prefect default flow heartbeat: {pf.heartbeat_frequency_s} s; run states: {pf.final_states}",
        (f"engine db after run: {eng.db_bytes / 2**20:.1f} MiB; checks {'ok' if eng.checks['ok'] else 'FAILED'}: "
         f"stages={eng.checks['stages']} events={eng.checks['events']:,} outbox={eng.checks['outbox']:,} "
         f"pending timers={eng.checks['pending_timers']:,} "
         f"event chain={'verified' if eng.checks['chain']['ok'] else eng.checks['chain']}"),
        (f"peak RSS (this process): {rss['final']:.1f} MiB  (after engine {rss['after_engine']:.1f}, "
         f"after raw {rss['after_raw']:.1f}, after prefect {rss['after_prefect']:.1f}; "
         f"largest child, e.g. the prefect server: {rss['children']:.1f} MiB)"),
        "",
    ]
    lines += [f"{'PASS' if ok else 'FAIL'}  {label}: {value}" for label, ok, value in targets]
    if args.cases < DEFAULT_CASES:
        lines.append(f"note: --cases {args.cases} is below the reference size {DEFAULT_CASES:,}")
    print("\n".join(lines))
    if profile:
        print(f"\ncProfile, command phase on {args.profile:,} cases ({args.profile * len(HAPPY_PATH):,} commands), "
              f"by tottime:\n{profile}")

    return {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "config": {"cases": args.cases, "prefect_sample": args.prefect_sample, "now": NOW.isoformat(),
                   "pathway": PATHWAY, "happy_path": [c.name for c in HAPPY_PATH],
                   "transitions_per_case": TRANSITIONS_PER_CASE},
        "environment": env,
        "engine": {"opens": eng.opens.as_dict(), "commands": eng.commands.as_dict(), "total": eng.total.as_dict(),
                   "db_bytes": eng.db_bytes, "checks": eng.checks},
        "raw_sqlite3": raw.as_dict(),
        "naive_prefect": {"timed_runs": len(pf.run_seconds), "warmup_seconds": round(pf.warmup_seconds, 4),
                          "import_seconds": round(pf.import_seconds, 4),
                          "mean_seconds": round(pf.mean, 5),
                          "median_seconds": round(statistics.median(pf.run_seconds), 5),
                          "min_seconds": round(min(pf.run_seconds), 5), "max_seconds": round(max(pf.run_seconds), 5),
                          "run_seconds": [round(s, 5) for s in pf.run_seconds],
                          "transitions_per_s_extrapolated": round(pf.per_second, 2),
                          "heartbeat_frequency_s": pf.heartbeat_frequency_s, "states": pf.final_states},
        "ratios": {"engine_vs_raw": round(raw_share, 4), "engine_vs_naive_prefect": round(naive_ratio, 1)},
        "peak_rss_mib": {k: round(v, 1) for k, v in rss.items()},
        "targets": [{"target": label, "pass": ok, "value": value} for label, ok, value in targets],
        "profile": profile,
    }


# --------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cases", type=_positive, default=DEFAULT_CASES,
                        help=f"OPP cases in the engine run (default {DEFAULT_CASES:,})")
    parser.add_argument("--prefect-sample", type=_at_least(MIN_PREFECT_SAMPLE), default=DEFAULT_PREFECT_SAMPLE,
                        help=f"timed Prefect flow runs, >= {MIN_PREFECT_SAMPLE} (default {DEFAULT_PREFECT_SAMPLE}; "
                             "one more runs first as warm-up)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"JSON results (default {DEFAULT_OUT})")
    parser.add_argument("--profile", type=int, default=0, metavar="CASES",
                        help="also cProfile the command phase on this many extra cases (default 0: off)")
    parser.add_argument("--keep-tmp", action="store_true", help="keep the temporary databases")
    return parser.parse_args(argv)


def _positive(text: str) -> int:
    return _at_least(1)(text)


def _at_least(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        value = int(text)
        if value < minimum:
            msg = f"must be >= {minimum}"
            raise argparse.ArgumentTypeError(msg)
        return value
    return parse


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    load = {"start": list(os.getloadavg())}
    TMP_PARENT.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="throughput-", dir=TMP_PARENT))
    if not args.keep_tmp:
        # Registered before prefect is imported, so it runs after prefect's own exit handlers
        # (which stop the ephemeral server that lives in this folder).
        atexit.register(shutil.rmtree, tmp, ignore_errors=True)

    print(f"engine: {args.cases:,} cases ...", flush=True)
    eng = run_engine(tmp, args.cases)
    rss = {"after_engine": peak_rss_mib()}
    print(f"raw sqlite3: {eng.total.transitions:,} transitions ...", flush=True)
    raw = run_raw(tmp, args.cases, eng.total.transitions)
    rss["after_raw"] = peak_rss_mib()
    profile = profile_commands(tmp, args.profile) if args.profile > 0 else None
    print(f"naive prefect: {args.prefect_sample} flow runs + 1 warm-up ...", flush=True)
    pf = run_prefect(tmp, args.prefect_sample)
    rss["after_prefect"] = peak_rss_mib()
    rss["final"] = peak_rss_mib()
    rss["children"] = peak_rss_mib(resource.RUSAGE_CHILDREN)

    load["end"] = list(os.getloadavg())
    results = report(args, eng, raw, pf, rss, load, profile)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"\nresults written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
