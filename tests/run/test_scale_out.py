"""Running at scale as the README says: a separate `prefect server`, the deployments registered in the
`leerlingroute` work pool with `leerlingroute deploy`, one `prefect worker`; the scheduled sweep
fires the due timers in our database, end to end.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from run.seeding import seed_due_timers
from tests.databases import migrated_sqlite
from tests.run.conftest import BIN, PrefectServer, start, stop


def _pending(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        count = int(conn.execute(text("SELECT count(*) FROM timers WHERE state = 'pending'")).scalar_one())
    engine.dispose()
    return count


@pytest.mark.prefect
def test_a_worker_in_the_work_pool_runs_the_scheduled_sweep_end_to_end(
    prefect_server: PrefectServer, tmp_path: Path,
) -> None:
    """Ten due timers; `leerlingroute deploy`; a worker; the scheduled fire-due-timers run fires all ten."""
    url = migrated_sqlite(str(tmp_path))
    seed_due_timers(url, 10)
    env = {**prefect_server.env, "LEERLINGROUTE_DATABASE_URL": url}
    deployed = subprocess.run([str(BIN / "leerlingroute"), "deploy"], env=env, capture_output=True, text=True,  # noqa: S603
                              timeout=120, check=False)
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    assert "fire-due-timers" in deployed.stdout
    worker = start([str(BIN / "prefect"), "worker", "start", "--pool", "leerlingroute"], env, tmp_path / "worker.log")
    try:
        deadline = time.monotonic() + 240
        while _pending(url) and time.monotonic() < deadline:
            assert worker.poll() is None, (tmp_path / "worker.log").read_text()
            time.sleep(2)
        assert _pending(url) == 0, (tmp_path / "worker.log").read_text()[-3000:]
    finally:
        stop(worker)
