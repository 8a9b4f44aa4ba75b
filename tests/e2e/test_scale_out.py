"""Running at scale as the README says: a separate `prefect server`, the deployments registered in the
`leerlingroute` work pool with `leerlingroute deploy`, one `prefect worker`; the scheduled sweep
fires the due timers in our database, end to end.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from infra.seeding import seed_due_timers
from tests.databases import migrated_sqlite

BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _start(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(argv, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,  # noqa: S603
                            start_new_session=True)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture
def prefect_server(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A `prefect server` of its own (SQLite in tmp), scheduling every 2 s; its environment."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_HOME=str(tmp_path / "prefect"), PREFECT_API_URL=f"http://127.0.0.1:{port}/api",
               PREFECT_SERVER_ANALYTICS_ENABLED="false", PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS="2")
    server = _start([str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port), "--no-ui"],
                    env, tmp_path / "server.log")
    deadline = time.monotonic() + 180
    while True:
        try:
            if httpx.get(f"{env['PREFECT_API_URL']}/health", timeout=2).status_code == httpx.codes.OK:
                break
        except httpx.HTTPError:
            pass
        assert server.poll() is None, (tmp_path / "server.log").read_text()
        assert time.monotonic() < deadline, "prefect server did not become healthy"
        time.sleep(1)
    yield env
    _stop(server)


def _pending(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        count = int(conn.execute(text("SELECT count(*) FROM timers WHERE state = 'pending'")).scalar_one())
    engine.dispose()
    return count


@pytest.mark.prefect
def test_a_worker_in_the_work_pool_runs_the_scheduled_sweep_end_to_end(
    prefect_server: dict[str, str], tmp_path: Path,
) -> None:
    """Ten due timers; `leerlingroute deploy`; a worker; the scheduled fire-due-timers run fires all ten."""
    url = migrated_sqlite(str(tmp_path))
    seed_due_timers(url, 10)
    env = {**prefect_server, "LEERLINGROUTE_DATABASE_URL": url}
    deployed = subprocess.run([str(BIN / "leerlingroute"), "deploy"], env=env, capture_output=True, text=True,  # noqa: S603
                              timeout=120, check=False)
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    assert "fire-due-timers" in deployed.stdout
    worker = _start([str(BIN / "prefect"), "worker", "start", "--pool", "leerlingroute"], env, tmp_path / "worker.log")
    try:
        deadline = time.monotonic() + 240
        while _pending(url) and time.monotonic() < deadline:
            assert worker.poll() is None, (tmp_path / "worker.log").read_text()
            time.sleep(2)
        assert _pending(url) == 0, (tmp_path / "worker.log").read_text()[-3000:]
    finally:
        _stop(worker)
