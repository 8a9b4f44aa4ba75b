"""Real processes for end-to-end tests: a `prefect server` of its own that can be stopped and started."""

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

BIN = Path(sys.executable).parent


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start(argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """A process in its own session, its output in ``log``."""
    return subprocess.Popen(argv, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT,  # noqa: S603
                            start_new_session=True)


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM its session; SIGKILL after 30 s."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def wait_until(url: str, process: subprocess.Popen[bytes], log: Path, seconds: float = 180) -> None:
    """Poll ``url`` until it answers 200 while ``process`` lives."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if httpx.get(url, timeout=2).status_code == httpx.codes.OK:
                return
        except httpx.HTTPError:
            pass
        assert process.poll() is None, log.read_text()[-3000:]
        assert time.monotonic() < deadline, f"{url} did not answer in time"
        time.sleep(1)


class PrefectServer:
    """`prefect server start` with SQLite in a temporary home, scheduling every 2 s."""

    def __init__(self, home: Path) -> None:
        self.home, self.port = home, free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
        env.update(PREFECT_HOME=str(home), PREFECT_API_URL=f"http://127.0.0.1:{self.port}/api",
                   PREFECT_SERVER_ANALYTICS_ENABLED="false", PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS="2")
        self.env = env
        self.api_url = env["PREFECT_API_URL"]
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start and wait until healthy."""
        log = self.home.parent / "prefect-server.log"
        self.process = start([str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port",
                              str(self.port), "--no-ui"], self.env, log)
        wait_until(f"{self.api_url}/health", self.process, log)

    def stop(self) -> None:
        """Stop it (its database stays)."""
        if self.process is not None:
            stop(self.process)


@pytest.fixture
def prefect_server(tmp_path: Path) -> Iterator[PrefectServer]:
    """A running Prefect server of this test's own."""
    server = PrefectServer(tmp_path / "prefect")
    server.start()
    yield server
    server.stop()
