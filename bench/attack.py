"""The resource attacks of issue 12, re-run against a real `leerlingroute api` process on a fresh SQLite.

What it measures (each against the same server, in this order):

1. big bodies: four parallel 300 MiB POSTs to ``/health`` (with Content-Length), then four chunked ones;
   the server process's RSS is sampled every 20 ms (``/proc/<pid>/status``): baseline, peak, and what
   every request was answered;
2. event streams: ``/health`` and ``GET /cases/{id}`` latency (p50, p99 of 100 calls each) with no stream
   open, then with 200 streams open from 40 users; and what the 6th stream of one user gets;
3. a sign-in flood with unknown names from one address (200 attempts, 20 at a time): the answers, and
   ``/health`` latency during the flood;
4. webhook registration of internal addresses (SSRF forms): how many were accepted.

    .venv/bin/python bench/attack.py [--json FILE]

It prints a table; with ``--json`` also the figures as JSON. Nothing here is a test: the security suite
(``tests/security/``) holds the assertions; this script gives the closing note its figures.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from infra.identity import accounts
from infra.settings import Settings
from infra.store import migrate
from service import Service

BIG = 300 * 1024 * 1024
CHUNK = 1024 * 1024
STREAM_USERS = 40
STREAMS_PER_USER = 5
SSRF_URLS = [
    "http://127.0.0.1:22/", "https://127.0.0.1/", "https://localhost/", "https://169.254.169.254/latest/",
    "https://10.0.0.1/", "https://192.168.1.1/", "https://172.16.0.1/", "https://0.0.0.0/", "https://[::1]/",
    "https://[fd00::1]/", "https://[::ffff:127.0.0.1]/", "https://2130706433/", "https://0177.0.0.1/",
    "https://0x7f.0.0.1/", "https://example.org@127.0.0.1/", "https://user:pw@127.0.0.1/", "https://100.64.0.1/",
    "http://example.org/",
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _rss_kib(pid: int) -> int:
    text = Path(f"/proc/{pid}/status").read_text(encoding="ascii")
    found = re.search(r"VmRSS:\s+(\d+) kB", text)
    return int(found.group(1)) if found else 0


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {"p50_ms": round(statistics.median(ordered) * 1000, 1),
            "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 1)}


def _timed(call: Callable[[], object], times: int = 100) -> dict[str, float]:
    samples = []
    for _ in range(times):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return _percentiles(samples)


@contextmanager
def _server(folder: Path) -> Iterator[tuple[str, int, int, dict[str, str]]]:
    """A migrated SQLite with the attack's accounts, and `leerlingroute api` serving it."""
    settings = Settings(data_dir=folder)
    migrate.upgrade(settings.url)
    service = Service.from_settings(settings)
    now = datetime.now(UTC)
    tokens = {"zc": accounts.create_user(service.engine, "zorgcoordinator", ["14PS03"], now, service.swv_codes(),
                                         name="aanval-zc")[1],
              "swv": accounts.create_user(service.engine, "swv_coordinator", ["standaard"], now, service.swv_codes(),
                                          name="aanval-swv")[1]}
    for i in range(STREAM_USERS):
        tokens[f"stream-{i}"] = accounts.create_user(service.engine, "swv_coordinator", ["standaard"], now,
                                                     service.swv_codes(), name=f"aanval-stroom-{i}")[1]
    service.engine.dispose()
    port = _free_port()
    env = {**os.environ, "LEERLINGROUTE_DATA_DIR": str(folder), "LEERLINGROUTE_API_PORT": str(port)}
    script = str(Path(sys.executable).parent / "leerlingroute")
    process = subprocess.Popen([script, "api"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == httpx.codes.OK:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                msg = "the API did not start"
                raise RuntimeError(msg)
            time.sleep(0.1)
        yield base, port, process.pid, tokens
    finally:
        process.terminate()
        process.wait(30)


def _send_big(port: int, *, chunked: bool) -> str:
    """Send up to 300 MiB to /health; the status line the server answered (or how the connection ended)."""
    head = (b"POST /health HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + (b"Transfer-Encoding: chunked\r\n" if chunked else f"Content-Length: {BIG}\r\n".encode()) + b"\r\n")
    block = b"a" * CHUNK
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head)
        try:
            for _ in range(BIG // CHUNK):
                sock.sendall(f"{CHUNK:x}\r\n".encode() + block + b"\r\n" if chunked else block)
        except OSError:
            pass
        try:
            return sock.recv(200).split(b"\r\n", 1)[0].decode(errors="replace") or "closed"
        except OSError as error:
            return type(error).__name__


def big_bodies(port: int, pid: int) -> dict[str, Any]:
    """The server's RSS while eight 300 MiB bodies are sent to it (`leerlingroute api` serves in-process)."""
    baseline, peak, stop = _rss_kib(pid), [0], threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], _rss_kib(pid))
            time.sleep(0.02)
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda c: _send_big(port, chunked=c), [False] * 4 + [True] * 4))
    stop.set()
    sampler.join()
    return {"rss_baseline_mib": round(baseline / 1024, 1), "rss_peak_mib": round(peak[0] / 1024, 1),
            "rss_growth_mib": round((peak[0] - baseline) / 1024, 1), "answers": dict(Counter(answers))}


def _open_stream(port: int, token: str) -> tuple[socket.socket, str]:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(f"GET /events/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
                 "Accept: text/event-stream\r\n\r\n".encode())
    return sock, sock.recv(100).split(b"\r\n", 1)[0].decode(errors="replace")


def streams(base: str, port: int, tokens: dict[str, str]) -> dict[str, Any]:
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {tokens['zc']}"}, timeout=30) as api:
        start = {"extra_ondersteuning_sinds": datetime.now(UTC).date().isoformat()}
        opened = api.post("/cases", json={"pathway": "opp", "school_brin": "14PS03", "pupil_id": "lln-aanval-1",
                                          "payload": start})
        opened.raise_for_status()
        case_id = opened.json()["case_id"]
        quiet = {"health": _timed(lambda: api.get("/health")), "status": _timed(lambda: api.get(f"/cases/{case_id}"))}
        held = [_open_stream(port, tokens[f"stream-{i}"]) for i in range(STREAM_USERS) for _ in range(STREAMS_PER_USER)]
        extra = _open_stream(port, tokens["stream-0"])
        busy = {"health": _timed(lambda: api.get("/health")), "status": _timed(lambda: api.get(f"/cases/{case_id}"))}
    for sock, _ in [*held, extra]:
        sock.close()
    return {"open": sum(1 for _, line in held if " 200 " in line), "sixth_of_one_user": extra[1],
            "without_streams": quiet, "with_200_streams": busy}


def sign_in_flood(base: str) -> dict[str, Any]:
    def attempt(i: int) -> int:
        with httpx.Client(base_url=base, timeout=60) as browser:
            form = browser.get("/inloggen")
            csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
            data = {"gebruikersnaam": f"onbekend-{i}", "wachtwoord": "x" * 12, "code": "123456",
                    "csrf": csrf.group(1) if csrf else ""}
            return browser.post("/inloggen", data=data).status_code
    done = threading.Event()
    latencies: list[float] = []

    def probe() -> None:
        with httpx.Client(base_url=base, timeout=60) as api:
            while not done.is_set():
                started = time.perf_counter()
                api.get("/health")
                latencies.append(time.perf_counter() - started)
                time.sleep(0.05)
    prober = threading.Thread(target=probe, daemon=True)
    prober.start()
    with ThreadPoolExecutor(20) as pool:
        answers = Counter(pool.map(attempt, range(200)))
    done.set()
    prober.join()
    return {"answers": {str(k): v for k, v in sorted(answers.items())}, "health_during_flood": _percentiles(latencies)}


def ssrf(base: str, tokens: dict[str, str]) -> dict[str, Any]:
    answers: Counter[int] = Counter()
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {tokens['swv']}"}, timeout=30) as api:
        for url in SSRF_URLS:
            answers[api.post("/webhooks", json={"url": url, "description": "aanval"}).status_code] += 1
    return {"tried": len(SSRF_URLS), "answers": {str(k): v for k, v in sorted(answers.items())}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, _server(Path(folder)) as (base, port, pid, tokens):
        results = {"big_bodies": big_bodies(port, pid), "streams": streams(base, port, tokens),
                   "sign_in_flood": sign_in_flood(base), "ssrf": ssrf(base, tokens)}
    print(json.dumps(results, indent=2))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
