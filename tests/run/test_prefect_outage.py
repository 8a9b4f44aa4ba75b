"""Prefect is not on the hot path: with its server stopped the API still applies commands and the
outbox keeps their events; when it is back, every event is relayed once and none is lost.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.databases import migrated_sqlite
from tests.run.conftest import BIN, PrefectServer, free_port, start, stop, wait_until


def _token(env: dict[str, str]) -> str:
    """A zorgcoördinator's API token, made with the CLI (the only line that starts with 'API-token:')."""
    made = subprocess.run([str(BIN / "leerlingroute"), "users", "create", "--role", "zorgcoordinator",  # noqa: S603
                           "--scope", "14PS03", "--name", "zc-e2e"], env=env, capture_output=True, text=True,
                          timeout=120, check=True)
    return next(line.removeprefix("API-token: ") for line in made.stdout.splitlines() if line.startswith("API-token: "))


def _relay(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "leerlingroute"), "relay"], env=env, capture_output=True, text=True,  # noqa: S603
                          timeout=120, check=False)


def _open_and_advance(api: httpx.Client, pupil: str) -> None:
    created = api.post("/cases", json={"pathway": "opp", "school_brin": "14PS03", "pupil_id": pupil,
                                       "payload": {"extra_ondersteuning_sinds": "2026-11-02"}})
    assert created.status_code == httpx.codes.CREATED, created.text
    step = api.post(f"/cases/{created.json()['case_id']}/commands", json={"command": "leg_handelingsdeel_voor"})
    assert step.status_code == httpx.codes.OK, step.text


def _leerlingroute_events(server: PrefectServer, expected: int) -> list[str]:
    """Ids of our events Prefect stored (it writes accepted events within seconds)."""
    deadline = time.monotonic() + 30
    while True:
        found = httpx.post(f"{server.api_url}/events/filter", json={
            "filter": {"event": {"prefix": ["leerlingroute."]}, "occurred": {"since": "2026-01-01T00:00:00Z"}},
            "limit": 50}, timeout=10).json()
        ids = [e["id"] for e in found["events"]]
        if len(ids) >= expected or time.monotonic() > deadline:
            return ids
        time.sleep(0.5)


@pytest.mark.prefect
def test_with_prefect_down_commands_still_apply_and_every_event_is_relayed_once_when_it_is_back(
    prefect_server: PrefectServer, tmp_path: Path,
) -> None:
    """2 events relayed; Prefect stops; 4 more commands apply through HTTP; the relay fails and keeps
    them; Prefect starts again; the relay sends the 4; Prefect holds 6 distinct events.
    """
    url = migrated_sqlite(str(tmp_path))
    port = free_port()
    env = {**prefect_server.env, "LEERLINGROUTE_DATABASE_URL": url, "LEERLINGROUTE_API_PORT": str(port)}
    headers = {"Authorization": f"Bearer {_token(env)}"}
    api_process = start([str(BIN / "leerlingroute"), "api"], env, tmp_path / "api.log")
    try:
        wait_until(f"http://127.0.0.1:{port}/health", api_process, tmp_path / "api.log")
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=30) as api:
            _open_and_advance(api, "lln-1")
            assert "doorgestuurd: 2" in _relay(env).stdout
            prefect_server.stop()
            _open_and_advance(api, "lln-2")
            _open_and_advance(api, "lln-3")
            down = _relay(env)
            assert down.returncode != 0
            prefect_server.start()
            assert "doorgestuurd: 4" in _relay(env).stdout
            assert "doorgestuurd: 0" in _relay(env).stdout
    finally:
        stop(api_process)
    ids = _leerlingroute_events(prefect_server, 6)
    assert len(ids) == len(set(ids)) == 6
