"""The main job: a local Prefect server (unless PREFECT_API_URL points at one), the API and the
flow runner, as child processes. SIGINT/SIGTERM stops them all, newest first.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

import httpx

from infra.settings import Settings

STOP_GRACE_SECONDS = 20


@dataclass
class Supervisor:
    """Starts children, watches them, stops them cleanly."""

    env: dict[str, str]
    say: Callable[[str], None]
    children: list[tuple[str, subprocess.Popen[bytes]]] = field(default_factory=list)
    stopping: bool = False

    def start(self, name: str, argv: list[str], log: Path | None = None) -> None:
        """Start a child in its own session, so a terminal's Ctrl-C reaches only us; with ``log``, its output goes
        to that file (appended) instead of the console (Prefect's English banner is no news for a coordinator).
        """
        if log is None:
            self.children.append((name, subprocess.Popen(argv, env=self.env, start_new_session=True)))  # noqa: S603
            return
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("ab") as out:
            child = subprocess.Popen(argv, env=self.env, start_new_session=True, stdout=out,  # noqa: S603
                                     stderr=subprocess.STDOUT)
        self.children.append((name, child))

    def handle_signals(self) -> None:
        """Turn SIGINT and SIGTERM into a clean stop."""
        def stop(signum: int, _: FrameType | None) -> None:
            self.stopping = True
            self.say(f"Signaal {signal.Signals(signum).name} ontvangen: alles wordt netjes gestopt.")
        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)

    def watch(self) -> int:
        """Wait until a stop is asked or a child dies; then stop all. Returns the exit code."""
        code = 0
        while not self.stopping:
            for name, proc in self.children:
                if proc.poll() is not None:
                    self.say(f"Onderdeel '{name}' is gestopt (code {proc.returncode}); alles stopt.")
                    self.stopping, code = True, 1
            time.sleep(0.5)
        self.stop_all()
        return code

    def stop_all(self) -> None:
        """SIGTERM each child, newest first; SIGKILL what does not stop within the grace period."""
        for name, proc in reversed(self.children):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(STOP_GRACE_SECONDS)
                except subprocess.TimeoutExpired:
                    self.say(f"Onderdeel '{name}' stopt niet binnen {STOP_GRACE_SECONDS} s; het wordt afgebroken.")
                    proc.kill()
                    proc.wait()


def prefect_env(settings: Settings) -> dict[str, str]:
    """Environment for a local Prefect server with its SQLite database in the data folder."""
    home = (settings.data_dir / "prefect").resolve()
    home.mkdir(parents=True, exist_ok=True)
    return {
        "PREFECT_HOME": str(home),
        "PREFECT_API_URL": f"http://127.0.0.1:{settings.prefect_port}/api",
        "PREFECT_SERVER_API_HOST": "127.0.0.1",
        "PREFECT_SERVER_API_PORT": str(settings.prefect_port),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
    }


def wait_healthy(url: str, timeout: float, alive: Callable[[], bool]) -> None:
    """Poll ``url`` until it answers 200; raise RuntimeError after ``timeout`` or if the process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive():
            msg = f"the process behind {url} stopped before it was healthy"
            raise RuntimeError(msg)
        try:
            if httpx.get(url, timeout=2).status_code == 200:  # noqa: PLR2004 - HTTP OK
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    msg = f"{url} did not become healthy within {timeout:.0f} s"
    raise RuntimeError(msg)


def python_module(module: str, *args: str) -> list[str]:
    """Argv to run ``module`` with this interpreter."""
    return [sys.executable, "-m", module, *args]


def child_env(extra: dict[str, str]) -> dict[str, str]:
    """The environment of the current process plus ``extra``."""
    return {**os.environ, **extra}
