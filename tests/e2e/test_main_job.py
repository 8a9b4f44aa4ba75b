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


@pytest.fixture
def serving(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], int, int]]:
    """`leerlingroute serve --no-demo` on free ports, until it answers; killed if a test leaves it running."""
    api_port, prefect_port = _free_port(), _free_port()
    env = _environment(tmp_path, LEERLINGROUTE_API_PORT=str(api_port), LEERLINGROUTE_PREFECT_PORT=str(prefect_port))
    process = subprocess.Popen([SCRIPT, "serve", "--no-demo"], env=env, cwd=tmp_path, text=True,  # noqa: S603
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + STARTUP_SECONDS
    while not _answers(f"http://127.0.0.1:{api_port}/health"):
        assert process.poll() is None, f"serve stopped while starting:\n{process.communicate()[0]}"
        assert time.monotonic() < deadline, "serve did not start in time"
        time.sleep(1)
    yield process, api_port, prefect_port
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@pytest.mark.prefect
def test_serve_runs_api_prefect_and_the_scheduled_flows_and_ctrl_c_stops_everything(
    serving: tuple[subprocess.Popen[str], int, int],
) -> None:
    """The API and the Prefect UI answer, both deployments are served; SIGINT ends every process."""
    process, api_port, prefect_port = serving
    prefect = f"http://127.0.0.1:{prefect_port}/api"
    assert _answers(f"{prefect}/health")
    deadline = time.monotonic() + 60
    names: set[str] = set()
    while names != {"fire-due-timers", "relay-events", "report-stalled-pathways"} and time.monotonic() < deadline:
        found = httpx.post(f"{prefect}/deployments/filter", json={"limit": 10}, timeout=5).json()
        names = {d["name"] for d in found}
        time.sleep(1)
    assert names == {"fire-due-timers", "relay-events", "report-stalled-pathways"}
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=90)
    assert process.returncode == 0, output
    assert "alles wordt netjes gestopt" in output
    assert not _answers(f"http://127.0.0.1:{api_port}/health")
    assert not _answers(f"{prefect}/health")


def test_the_demo_runs_a_simulated_year_and_summarises_it(tmp_path: Path) -> None:
    """Cases per stage, OPPs flagged too late, and why nothing was relayed without a Prefect server."""
    result = subprocess.run([SCRIPT, "demo", "--pupils", "40", "--seed", "7"], env=_environment(tmp_path),  # noqa: S603
                            cwd=tmp_path, capture_output=True, text=True, timeout=300, check=True)
    for line in ("In werking", "leerlingen met een OPP: 40", "OPP's te laat", "Gebeurtenissen naar Prefect"):
        assert line in result.stdout
