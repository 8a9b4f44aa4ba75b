"""The engine beside its peers in one run (issue 18): raw sqlite3, SpiffWorkflow, naive Prefect, the sweep, the API.

Run from the project root (``make bench-compare`` runs the full set through ``.ci/with-postgres``)::

    .venv/bin/python bench/compare.py [--rounds 3] [--cases 5000] [--callers 32] [--timers 20000]
        [--api-sizes 100000 [1000000]] [--prefect-sample 5] [--out bench/results/compare.json]

1. ``--rounds`` interleaved rounds; round r runs its phases in an order rotated by r, medians are reported:
   - **engine**: N OPP cases opened with ``Service.open_case`` on a fresh migrated SQLite file, then driven
     through the five steps of ``throughput.HAPPY_PATH`` with the product's use case ``Service.handle`` (one
     durable command each), a step at a time across all cases, from ``--callers`` threads at once (a
     group-committing writer may batch them); and again, on another fresh file, from one caller;
   - **raw**: ``throughput.run_raw``, plain sqlite3 on the same schema, one commit per transition;
   - **spiff**: ``spiff_pathway.py`` in the bench's own environment (``bench/.spiff-venv``, SpiffWorkflow
     installed there on first use): the same five steps as BPMN user tasks, the workflow serialised and written
     to SQLite with one commit per step; for ``--spiff-reload-cases`` cases each step also reads and deserialises
     the workflow first. That is the like-for-like figure behind ``engine/spiff`` (the engine reads each case
     from the database for every command); ``engine/spiff_in_memory`` holds it to workflows kept in memory;
   - **sweep**: ``sweep.sqlite_one_sweeper`` against ``sweep.raw_batched_sqlite`` on ``--timers`` due timers.
2. The API with ``api_scale``'s generated region at each ``--api-sizes`` N on SQLite, and on PostgreSQL as well
   when LEERLINGROUTE_TEST_PG_URL is set: status, search, stalled, a history page of a case with
   ``--history-events`` events, and the API process's peak RSS.
3. A few naive Prefect flow runs, one per transition (``throughput.run_prefect``), once.

Prints each ratio, writes ``--out`` (JSON); the last line of stdout reads
``ratios: engine/spiff=N.N engine/raw=N.NN sweep/raw=N.NN status_p99_ms=N.N``.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import functools
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
for path in (str(ROOT), str(BENCH_DIR)):  # the project's packages and the other benchmarks are importable
    if path not in sys.path:
        sys.path.insert(0, path)

import api_scale  # noqa: E402
import httpx  # noqa: E402 - after the sys.path fix above
import sweep  # noqa: E402
import throughput  # noqa: E402

from domain.handlers import NewCase  # noqa: E402
from domain.registry import PathwayRegistry  # noqa: E402
from infra.logging import configure_logging  # noqa: E402
from infra.reference.profiles import load_profiles  # noqa: E402
from infra.settings import Settings  # noqa: E402
from infra.store.db import SQLITE_PRAGMAS  # noqa: E402
from service import Service  # noqa: E402

SPIFF_VERSION = "3.2.0"
SPIFF_VENV = BENCH_DIR / ".spiff-venv"
SPIFF_SCRIPT = BENCH_DIR / "spiff_pathway.py"
DEFAULT_OUT = BENCH_DIR / "results" / "compare.json"
COMMAND_PHASES = ("engine", "engine_sequential", "raw", "spiff")
SWEEP_PHASES = ("sweep", "raw_sweep")
STATUS_AT = ("sqlite", 100_000)
"""The status read of the ratio line: on SQLite at 100k cases."""

log = api_scale.log
Rates = dict[str, float]


# --------------------------------------------------------------------------- 1. the command phases


def engine_phase(folder: Path, cases: int, callers: int) -> dict[str, Any]:
    """N cases opened, then the five steps through ``Service.handle`` from ``callers`` threads (1: inline)."""
    path, url = throughput.fresh_db(folder, "engine")
    service = Service.from_settings(Settings(database_url=url, data_dir=folder))
    try:
        started = time.perf_counter()
        ids = [service.open_case(NewCase(throughput.PATHWAY, throughput.BRIN, f"lln-{i}"), throughput.START,
                                 throughput.NOW).case_id for i in range(cases)]
        opened = time.perf_counter()
        for command in throughput.HAPPY_PATH:
            each_case(ids, callers, functools.partial(service.handle, command=command, now=throughput.NOW))
        done = time.perf_counter()
    finally:
        close = getattr(service, "close", None)  # a service that runs a writer of its own stops it
        if callable(close):
            close()
        service.engine.dispose()
    checks = throughput.engine_checks(path, cases)
    if not checks["ok"]:
        msg = f"the engine's database is not as the steps leave it: {checks}"
        raise RuntimeError(msg)
    commands = throughput.Phase(cases * len(throughput.HAPPY_PATH), done - opened)
    return {"callers": callers, "opens": throughput.Phase(cases, opened - started).as_dict(),
            **commands.as_dict()}


def each_case(ids: Sequence[str], callers: int, call: Callable[[str], object]) -> None:
    """``call`` for every id, from ``callers`` threads taking the next id as they are free; the first error
    is raised once all have stopped."""
    if callers == 1:
        for case_id in ids:
            call(case_id)
        return
    pending, lock = iter(ids), threading.Lock()
    errors: list[Exception] = []

    def caller() -> None:
        while not errors:
            with lock:
                case_id = next(pending, None)
            if case_id is None:
                return
            try:
                call(case_id)
            except Exception as error:  # noqa: BLE001 - handed to the main thread
                errors.append(error)

    threads = [threading.Thread(target=caller, name=f"caller-{i}") for i in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def spiff_python() -> Path:
    """The bench's own environment with SpiffWorkflow, made on first use (not a product dependency)."""
    python = SPIFF_VENV / "bin" / "python"
    probe = [str(python), "-c", "from SpiffWorkflow.version import __version__; print(__version__)"]
    if python.exists() and subprocess.run(probe, capture_output=True, text=True, check=False).stdout.strip() \
            == SPIFF_VERSION:
        return python
    log(f"installing SpiffWorkflow=={SPIFF_VERSION} into {SPIFF_VENV.relative_to(ROOT)} (first use) ...")
    subprocess.run([sys.executable, "-m", "venv", str(SPIFF_VENV)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", f"SpiffWorkflow=={SPIFF_VERSION}"], check=True)
    return python


def spiff_phase(folder: Path, cases: int, reload_cases: int) -> dict[str, Any]:
    """``spiff_pathway.py`` as a subprocess in the bench's environment: its JSON."""
    found = subprocess.run([str(spiff_python()), str(SPIFF_SCRIPT), "--cases", str(cases), "--db",
                            str(folder / "spiff.db"), "--pragmas", ";".join(SQLITE_PRAGMAS),
                            "--reload-cases", str(reload_cases)], capture_output=True, text=True, check=False)
    if found.returncode != 0:
        msg = f"spiff_pathway.py failed:\n{found.stderr[-3000:]}"
        raise RuntimeError(msg)
    result: dict[str, Any] = json.loads(found.stdout.strip().splitlines()[-1])
    if not result["checks"]["ok"]:
        msg = f"the Spiff run did not end as expected: {result['checks']}"
        raise RuntimeError(msg)
    return result


def rotated(phases: Sequence[str], r: int) -> list[str]:
    return [*phases[r % len(phases):], *phases[:r % len(phases)]]


def run_rounds(args: argparse.Namespace, tmp: Path) -> list[dict[str, Any]]:
    """The interleaved rounds: per round, the command phases, then the sweep phases, each in rotated order."""
    cases, transitions = args.cases, args.cases * throughput.TRANSITIONS_PER_CASE
    phases: dict[str, Callable[[Path], dict[str, Any]]] = {
        "engine": lambda f: engine_phase(f, cases, args.callers),
        "engine_sequential": lambda f: engine_phase(f, cases, 1),
        "raw": lambda f: throughput.run_raw(f, cases, transitions).as_dict(),
        "spiff": lambda f: spiff_phase(f, cases, args.spiff_reload_cases),
        "sweep": lambda f: {"timers_per_s": sweep.sqlite_one_sweeper(f, args.timers, args.batch)},
        "raw_sweep": lambda f: {"timers_per_s": sweep.raw_batched_sqlite(f, args.timers, args.batch)},
    }
    rounds = []
    for r in range(args.rounds):
        order = rotated(COMMAND_PHASES, r) + rotated(SWEEP_PHASES, r)
        found: dict[str, Any] = {"round": r + 1, "order": order, "loadavg": os.getloadavg()}
        for name in order:
            folder = Path(tempfile.mkdtemp(prefix=f"{name}-", dir=tmp))
            log(f"round {r + 1}/{args.rounds}: {name} ...")
            found[name] = phases[name](folder)
            shutil.rmtree(folder, ignore_errors=True)
        rounds.append(found)
        log(f"round {r + 1}: {rates(found)}")
    return rounds


def rates(found: dict[str, Any]) -> Rates:
    """One round's rates per second, by phase."""
    return {"engine": found["engine"]["transitions_per_s"],
            "engine_sequential": found["engine_sequential"]["transitions_per_s"],
            "raw": found["raw"]["transitions_per_s"], "spiff": found["spiff"]["steps"]["transitions_per_s"],
            "spiff_reload": found["spiff"]["reload"]["transitions_per_s"],
            "sweep": found["sweep"]["timers_per_s"], "raw_sweep": found["raw_sweep"]["timers_per_s"]}


# --------------------------------------------------------------------------- 2. the API


def api_runs(args: argparse.Namespace, tmp: Path) -> list[dict[str, Any]]:
    """Per backend and N: api_scale's region loaded, one case with a long history added, the API measured."""
    api_args = api_scale.parse_args(["--no-diagnose", "--status-requests", str(args.status_requests)])
    registry = PathwayRegistry.builtin(Settings().durations(), load_profiles())
    backends = ["sqlite", *(["postgresql"] if api_args.pg_url else [])]
    runs = []
    for kind in backends:
        for n in sorted(args.api_sizes):
            db = api_scale.new_database(kind, n, api_args, tmp)
            try:
                runs.append(api_run(db, n, api_args, registry, args, tmp))
            finally:
                db.drop()
    return runs


def api_run(db: api_scale.Database, n: int, api_args: argparse.Namespace, registry: PathwayRegistry,
            args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    region, result = api_scale.fill(db, n, api_args, registry)
    long_id, chunk = region.long_case(args.history_events, db.stamp)
    db.add([chunk], region)
    log(f"  one case with {len(chunk[1]):,} events added")
    history_ms: list[float] = []

    def history(client: httpx.Client) -> None:
        log(f"  history: {args.history_calls} x GET /cases/{{id}}/history?limit=100 ({len(chunk[1]):,} events)")
        api_scale.timed(client, f"/cases/{long_id}/history?limit=100")  # warm-up
        history_ms.extend(api_scale.timed(client, f"/cases/{long_id}/history?limit=100")[0]
                          for _ in range(args.history_calls))

    api_scale.measure(db, region, api_args, tmp, result, history)
    api_scale.log_figures(result)
    verified = api_scale.verify_chains(db, tmp, region.stats.events)
    figures = {k: round(v, 2) for k, v in result.figures().items()}
    figures |= {"history_p50_ms": round(statistics.median(history_ms), 2),
                "history_p99_ms": round(api_scale.percentile(history_ms, 99), 2)}
    log(f"  history page p50/p99 {figures['history_p50_ms']:.2f}/{figures['history_p99_ms']:.2f} ms")
    return {"backend": db.kind, "cases": n, "history_events": len(chunk[1]), "figures": figures,
            "requests": {"status": len(result.status_ms), "search": len(result.search_ms),
                         "stalled": len(result.stalled_ms), "history": len(history_ms)},
            "cpu_ms_per_request": {k: round(v, 2) for k, v in result.cpu_ms.items()},
            "loadavg": result.loadavg, "verified": verified}


# --------------------------------------------------------------------------- report and main


def ratio(a: float, b: float) -> float:
    return a / b if b else 0.0


def report(args: argparse.Namespace, rounds: list[dict[str, Any]], api: list[dict[str, Any]],
           prefect: dict[str, Any] | None, env: dict[str, Any]) -> dict[str, Any]:
    per_round = [rates(r) for r in rounds]
    median = {k: round(statistics.median(r[k] for r in per_round), 1) for k in per_round[0]}
    # like for like: the engine reads every case from the database for each command (any process may get the next
    # one), so the durable Spiff it is held to reads and deserialises the workflow for each step too
    ratios = {"engine/spiff": ratio(median["engine"], median["spiff_reload"]),
              "engine/raw": ratio(median["engine"], median["raw"]),
              "engine_sequential/raw": ratio(median["engine_sequential"], median["raw"]),
              "engine/engine_sequential": ratio(median["engine"], median["engine_sequential"]),
              "engine/spiff_in_memory": ratio(median["engine"], median["spiff"]),
              "sweep/raw": ratio(median["sweep"], median["raw_sweep"])}
    if prefect:
        ratios["engine/naive_prefect"] = ratio(median["engine"], prefect["transitions_per_s"])
    status_run = min((run for run in api if run["backend"] == STATUS_AT[0]),
                     key=lambda run: abs(run["cases"] - STATUS_AT[1]), default=None)
    status_p99 = status_run["figures"]["status_p99_ms"] if status_run else float("nan")

    lines = ["", (f"leerlingroute compare - {args.rounds} interleaved rounds, {args.cases:,} OPP cases x "
                  f"{len(throughput.HAPPY_PATH)} steps, {args.callers} callers, {args.timers:,} timers; python "
                  f"{env['python']}, sqlite {env['sqlite']}, SpiffWorkflow {SPIFF_VERSION}, {env['cores']} cores"),
             f"load average at start {env['loadavg_start']}, at end {env['loadavg_end']}",
             f"the service's log during the rounds (JSON at INFO, as the API logs): {env['service_log_lines']:,} lines",
             "",
             f"{'phase':<38}{'median/s':>11}   per round"]
    labels = {"engine": f"engine, Service.handle, {args.callers} callers", "engine_sequential":
              "engine, Service.handle, 1 caller", "raw": "raw sqlite3, 1 commit/transition",
              "spiff": "SpiffWorkflow, serialise+commit/step", "spiff_reload": "SpiffWorkflow, + read+deserialise",
              "sweep": "timer sweep, SQLite, 1 sweeper", "raw_sweep": "raw batched sweep"}
    lines += [f"{labels[k]:<38}{median[k]:>11,.0f}   {' '.join(f'{r[k]:,.0f}' for r in per_round)}"
              for k in labels]
    if prefect:
        lines.append(f"{'naive Prefect, 1 flow run/transition':<38}{prefect['transitions_per_s']:>11,.2f}   "
                     f"(n={prefect['runs']}, mean {prefect['mean_seconds']:.3f} s)")
    lines += ["", "ratios (of the medians):", *(f"  {k:<28}{v:>10,.2f}" for k, v in ratios.items())]
    if api:
        header = (f"{'backend':<11}{'cases':>10}{'status p50':>11}{'p99':>7}{'search p50':>11}{'p99':>7}"
                  f"{'stalled p50':>12}{'history p50':>12}{'p99':>7}{'RSS MiB':>9}")
        lines += ["", "API over loopback, ms per request, one at a time:", header]
        for run in api:
            f = run["figures"]
            lines.append(f"{run['backend']:<11}{run['cases']:>10,}{f['status_p50_ms']:>11.2f}{f['status_p99_ms']:>7.2f}"
                         f"{f['search_p50_ms']:>11.2f}{f['search_p99_ms']:>7.2f}{f['stalled_p50_ms']:>12.1f}"
                         f"{f['history_p50_ms']:>12.2f}{f['history_p99_ms']:>7.2f}{f['rss_mib']:>9.0f}")
    if status_run and (status_run["backend"], status_run["cases"]) != STATUS_AT:
        lines.append(f"note: no API run on SQLite at {STATUS_AT[1]:,} cases; status_p99_ms below is at "
                     f"{status_run['cases']:,}")
    print("\n".join(lines))
    return {"generated_at": datetime.now(UTC).isoformat(timespec="seconds"), "environment": env,
            "config": vars(args) | {"out": str(args.out)}, "rounds": rounds, "per_round_rates": per_round,
            "medians": median, "ratios": {k: round(v, 3) for k, v in ratios.items()},
            "status_p99_ms": status_p99, "naive_prefect": prefect, "api": api}


def prefect_sample(tmp: Path, sample: int) -> dict[str, Any] | None:
    if sample <= 0:
        return None
    log(f"naive prefect: {sample} flow runs + 1 warm-up ...")
    found = throughput.run_prefect(tmp, sample)
    return {"runs": len(found.run_seconds), "mean_seconds": round(found.mean, 4),
            "run_seconds": [round(s, 4) for s in found.run_seconds], "warmup_seconds": round(found.warmup_seconds, 3),
            "transitions_per_s": round(found.per_second, 3), "prefect": found.prefect_version}


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    positive = throughput._at_least(1)  # noqa: SLF001 - the same check as throughput's own flags
    parser.add_argument("--rounds", type=positive, default=3)
    parser.add_argument("--cases", type=positive, default=5000, help="OPP cases per command phase (default 5000)")
    parser.add_argument("--callers", type=positive, default=32, help="concurrent callers of Service.handle")
    parser.add_argument("--spiff-reload-cases", type=int, default=None,
                        help="cases Spiff also runs reading each step's state back (default cases/10)")
    parser.add_argument("--timers", type=positive, default=20_000, help="due timers per sweep phase")
    parser.add_argument("--batch", type=positive, default=1000, help="the sweep's batch size")
    parser.add_argument("--api-sizes", type=positive, nargs="+", default=[100_000],
                        help="cases in the API's database (default 100000; make bench-compare: 100000 1000000)")
    parser.add_argument("--status-requests", type=positive, default=2000)
    parser.add_argument("--history-events", type=positive, default=10_000)
    parser.add_argument("--history-calls", type=positive, default=30)
    parser.add_argument("--prefect-sample", type=int, default=5, help="timed naive Prefect flow runs (0: none)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    if args.spiff_reload_cases is None:
        args.spiff_reload_cases = max(1, args.cases // 10)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    began = time.perf_counter()
    env: dict[str, Any] = {"python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
                           "cores": os.cpu_count(), "platform": platform.platform(),
                           "loadavg_start": "/".join(f"{v:.2f}" for v in os.getloadavg())}
    throughput.TMP_PARENT.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="compare-", dir=throughput.TMP_PARENT))
    atexit.register(shutil.rmtree, tmp, ignore_errors=True)  # before prefect's exit handlers: runs after them
    spiff_python()
    service_log = tmp / "service-log.jsonl"
    with service_log.open("w", encoding="utf-8") as sink, contextlib.redirect_stderr(sink):
        configure_logging()  # as the API and the CLI do: a JSON line per command, here into a file
        rounds = run_rounds(args, tmp)
    with service_log.open(encoding="utf-8") as lines:
        env["service_log_lines"] = sum(1 for _ in lines)
    api = api_runs(args, tmp)
    prefect = prefect_sample(tmp, args.prefect_sample)
    env["loadavg_end"] = "/".join(f"{v:.2f}" for v in os.getloadavg())
    env["seconds"] = round(time.perf_counter() - began)
    data = report(args, rounds, api, prefect, env)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
    r = data["ratios"]
    print(f"results written to {args.out} ({env['seconds']} s)")
    print(f"ratios: engine/spiff={r['engine/spiff']:.1f} engine/raw={r['engine/raw']:.2f} "
          f"sweep/raw={r['sweep/raw']:.2f} status_p99_ms={data['status_p99_ms']:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
