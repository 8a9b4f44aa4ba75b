"""The main job as a person runs it: `leerlingroute serve` starts a local Prefect server, the API
and the scheduled flows, and Ctrl-C stops all of it; `leerlingroute demo` runs a simulated year.
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

SCRIPT = str(Path(sys.executable).parent / "leerlingroute")
STARTUP_SECONDS = 240
DEPLOYMENTS = {"fire-due-timers", "relay-events", "report-stalled-pathways", "detect-thuiszitters",
               "audit-checkpoint", "check-silence", "send-mail"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _environment(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "LEERLINGROUTE_"))}
    return {**env, "LEERLINGROUTE_DATA_DIR": str(data_dir), **extra}


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == httpx.codes.OK
    except httpx.HTTPError:
        return False


def _serve(folder: Path, api_port: int, prefect_port: int) -> subprocess.Popen[str]:
    """`leerlingroute serve --no-demo` with its data in ``folder``, once the API answers."""
    env = _environment(folder, LEERLINGROUTE_API_PORT=str(api_port), LEERLINGROUTE_PREFECT_PORT=str(prefect_port))
    process = subprocess.Popen([SCRIPT, "serve", "--no-demo"], env=env, cwd=folder, text=True,  # noqa: S603
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + STARTUP_SECONDS
    while not _answers(f"http://127.0.0.1:{api_port}/health"):
        assert process.poll() is None, f"serve stopped while starting:\n{process.communicate()[0]}"
        assert time.monotonic() < deadline, "serve did not start in time"
        time.sleep(1)
    return process


def _deployments(prefect: str) -> dict[str, bool]:
    """Deployments and whether each is paused, once all five are served unpaused (or after a minute:
    a restart finds them paused by the previous stop until `serve` has registered them again).
    """
    deadline, found = time.monotonic() + 60, dict.fromkeys(DEPLOYMENTS, True)
    while (set(found) != DEPLOYMENTS or any(found.values())) and time.monotonic() < deadline:
        found = {d["name"]: d["paused"] for d in httpx.post(f"{prefect}/deployments/filter", json={"limit": 10},
                                                            timeout=5).json()}
        time.sleep(1)
    return found


@pytest.fixture
def serving(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], int, int]]:
    """Serve on free ports; killed if a test leaves it running."""
    api_port, prefect_port = _free_port(), _free_port()
    process = _serve(tmp_path, api_port, prefect_port)
    yield process, api_port, prefect_port
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@pytest.mark.prefect
def test_serve_runs_api_prefect_and_the_scheduled_flows_and_ctrl_c_stops_everything(
    serving: tuple[subprocess.Popen[str], int, int], tmp_path: Path,
) -> None:
    """The API and the Prefect UI answer, the deployments are served; SIGINT ends every process; a
    restart on the same data folder serves them again, unpaused.
    """
    process, api_port, prefect_port = serving
    prefect = f"http://127.0.0.1:{prefect_port}/api"
    assert _answers(f"{prefect}/health")
    assert _deployments(prefect) == dict.fromkeys(DEPLOYMENTS, False)
    _interrupt(process, tmp_path)
    assert not _answers(f"http://127.0.0.1:{api_port}/health")
    assert not _answers(f"{prefect}/health")
    again = _serve(tmp_path, api_port, prefect_port)
    try:
        assert _deployments(prefect) == dict.fromkeys(DEPLOYMENTS, False)
    finally:
        _interrupt(again, tmp_path)


def _interrupt(process: subprocess.Popen[str], folder: Path) -> None:
    """Ctrl-C: every part stops and says so in Dutch; Prefect's English goes to the log files, and the flow
    runner stops without a warning or a traceback there.
    """
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=90)
    assert process.returncode == 0, output
    assert "alles wordt netjes gestopt" in output
    assert "Pausing all deployments" not in output, output
    assert "| INFO" not in output, output
    flows_log = (folder / "flows.log").read_text(encoding="utf-8")
    assert "All deployments have been paused" in flows_log
    assert "never awaited" not in flows_log
    assert "Traceback" not in flows_log


def test_the_demo_runs_a_simulated_year_and_summarises_it(tmp_path: Path) -> None:
    """Cases per stage, OPPs flagged too late, and why nothing was relayed without a Prefect server."""
    result = subprocess.run([SCRIPT, "demo", "--pupils", "40", "--seed", "7"], env=_environment(tmp_path),  # noqa: S603
                            cwd=tmp_path, capture_output=True, text=True, timeout=300, check=True)
    for line in ("In werking", "leerlingen met een OPP: 40", "OPP's te laat", "Gebeurtenissen naar Prefect",
                 "Verzuim: 6 leerlingen met verzuim"):
        assert line in result.stdout
