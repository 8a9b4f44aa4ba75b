"""One probe of ``bench/before_after.py``, run with the tree to measure first on ``sys.path``: prints one JSON line.

Uses only what the product had before issue 18 too: ``Service.handle``, ``open_case``, ``fire_due_timers``,
``api.app.create_app``, ``accounts.create_user``, ``run.seeding.seed_due_timers`` and the store's event insert.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import structlog
from sqlalchemy import update

from api.app import create_app
from domain.case import Actor, Command
from domain.handlers import NewCase
from infra.identity import accounts
from infra.settings import Settings
from infra.store import migrate
from infra.store.sql import SqlUnitOfWork
from infra.store.tables import cases
from run.seeding import DUE_AT, seed_due_timers
from service import Service

NOW = datetime(2027, 3, 1, 9, 30, tzinfo=UTC)
ZC = Actor("zorgcoordinator", "zc")
START = Command("start_opp", ZC, {"extra_ondersteuning_sinds": "2027-01-01"})
STEPS = (Command("leg_handelingsdeel_voor", ZC),
         Command("registreer_instemming", ZC, {"gegeven_door": "ouders", "handelingsdeel_versie": 1}))
HISTORY_EVENTS = 10_000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--timers", type=int, default=20000)
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    scratch = Path(__file__).resolve().parent / "results" / "tmp"
    scratch.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="probe-", dir=scratch))
    service = _service(folder, "cases")
    ids = [service.open_case(NewCase("opp", "14PS03", f"p{i}", "standaard"), START, NOW).case_id
           for i in range(args.cases)]
    figures = _commands(service, ids)
    figures |= asyncio.run(_reads(service, ids))
    figures["sweep_timers_per_s"] = _sweep(folder, args.timers)
    print(json.dumps(figures))


def _service(folder: Path, name: str) -> Service:
    url = f"sqlite:///{folder}/{name}.db"
    migrate.upgrade(url)
    return Service.from_settings(Settings(database_url=url, data_dir=folder))


def _commands(service: Service, ids: list[str]) -> dict[str, float]:
    """Two steps on half the cases from 32 threads, the same two on the other half from one."""
    half = len(ids) // 2
    started = time.perf_counter()
    with ThreadPoolExecutor(32) as pool:
        for step in STEPS:
            list(pool.map(lambda case_id, step=step: service.handle(case_id, step, NOW), ids[:half]))
    concurrent = 2 * half / (time.perf_counter() - started)
    started = time.perf_counter()
    for step in STEPS:
        for case_id in ids[half:]:
            service.handle(case_id, step, NOW)
    return {"commands_32_callers_per_s": concurrent,
            "commands_1_caller_per_s": 2 * (len(ids) - half) / (time.perf_counter() - started)}


async def _reads(service: Service, ids: list[str]) -> dict[str, float]:
    _, token = accounts.create_user(service.engine, "zorgcoordinator", ["14PS03"], NOW, service.swv_codes())
    long_case = _long_case(service, ids[-1])
    app = create_app(service, lambda: NOW)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://probe",
                                 headers={"Authorization": f"Bearer {token}"}) as client:
        status = await _times(client, [f"/cases/{ids[i % len(ids)]}" for i in range(2000)])
        history = await _times(client, [f"/cases/{long_case}/history?limit=100"] * 20)
    return {"status_p50_ms": _ms(status, 0.5), "status_p99_ms": _ms(status, 0.99),
            "history_10k_p50_ms": _ms(history, 0.5)}


def _long_case(service: Service, case_id: str) -> str:
    """``case_id`` with HISTORY_EVENTS events, the rest appended in bulk as the store appends events."""
    uow = SqlUnitOfWork(service.engine)
    with uow:
        last = uow.history(case_id)[-1]
        uow._insert_events([replace(last, seq=seq, type="notitie_bench", payload={"n": seq})  # noqa: SLF001
                            for seq in range(last.seq + 1, HISTORY_EVENTS + 1)])
        uow.conn.execute(update(cases).where(cases.c.id == case_id).values(version=HISTORY_EVENTS))
        uow.commit()
    uow.close()
    return case_id


async def _times(client: httpx.AsyncClient, paths: list[str]) -> list[float]:
    for path in paths[:20]:  # warm
        (await client.get(path)).raise_for_status()
    taken = []
    for path in paths:
        started = time.perf_counter()
        response = await client.get(path)
        taken.append(time.perf_counter() - started)
        response.raise_for_status()
    return taken


def _sweep(folder: Path, timers: int) -> float:
    service = _service(folder, "sweep")
    seed_due_timers(str(service.engine.url), timers)
    started = time.perf_counter()
    report: Any = service.fire_due_timers(DUE_AT + timedelta(days=1))
    taken = time.perf_counter() - started
    if report.fired != timers:
        raise SystemExit(f"the sweep fired {report.fired} of {timers} timers")
    return timers / taken


def _ms(times: list[float], share: float) -> float:
    """The ``share`` quantile of ``times``, in milliseconds."""
    ordered = sorted(times)
    return 1000 * ordered[min(len(ordered) - 1, int(share * len(ordered)))]


if __name__ == "__main__":
    main()
