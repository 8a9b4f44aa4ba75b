"""Page load times over HTTP with 2,000 cases in scope (issue 16: "page load times for the worklist and monitor
with 2,000 cases in scope"), and optionally a screenshot of each page.

Usage: ``.venv/bin/python bench/pages_http.py [--rounds N] [--screenshots DIR] [DATABASE_URL]`` (default: a new
SQLite file in a temporary folder; a PostgreSQL URL must name an empty database). Opens 2,000 cases at one school
of SWV VO 31-02 through the service (as ``bench/worklist_page.py``: OPPs with passed and running terms, cascades
over and under their norm), fires the passed timers and raises their alerts, then starts the app as
``leerlingroute serve`` does (uvicorn in its own process), signs in with password and TOTP code as the school's
zorgcoördinator and as the SWV coordinator, and times each page as a whole HTTP request (server time plus
transfer; the browser's rendering is not included) ``--rounds`` times: it prints p50 and p95 in milliseconds and
the page's size. Screenshots (``--screenshots``) use Debian's Chromium through Playwright. Asserts nothing.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from domain.case import Actor, Command
from domain.handlers import NewCase
from infra.identity import accounts, web_accounts
from infra.logging import configure_logging
from infra.settings import Settings
from infra.store import migrate
from run.supervisor import wait_healthy
from service import Service

CASES = 2000
SCHOOL = "14PS03"
SWV = "VO3102"
PROFILE = "vo-31-02"
PASSWORD = "correct paard batterij nietje"  # noqa: S105 - a bench account's password
PAGES = {
    "zorgcoordinator": ["/werklijst", "/werklijst?te_laat=1", "/werklijst?week=1", "/meldingen", "/zoeken?q=lln"],
    "swv_coordinator": ["/monitor", "/monitor?sorteer=dagen_over", "/werklijst", "/meldingen"],
}
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def fill(service: Service, user: str, now: datetime) -> None:
    """CASES cases at SCHOOL: half OPPs (terms from long passed to running), half cascades (some over the norm)."""
    actor = Actor("zorgcoordinator", user)
    for n in range(CASES):
        new = NewCase("opp" if n % 2 else "cascade", SCHOOL, f"lln-{uuid.uuid4().hex[:10]}", PROFILE)
        if n % 2:
            since = now.date() - timedelta(days=30 + n % 120)
            command = Command("start_opp", actor, {"extra_ondersteuning_sinds": since.isoformat()})
            service.open_case(new, command, now - timedelta(days=1))
        else:
            service.open_case(new, Command("start_cascade", actor, {"niveau": "basis"}), now - timedelta(days=n % 500))


def person(service: Service, role: str, scope: str, now: datetime) -> tuple[str, str]:
    """A web account of ``role`` over ``scope``: its name and TOTP secret."""
    name = f"bench-{role}-{uuid.uuid4().hex[:6]}".replace("_", "-")
    accounts.create_user(service.engine, role, (scope,), now - timedelta(days=1), service.swv_codes(), name=name,
                         days=30)
    return name, web_accounts.set_password(service.engine, name, PASSWORD, now - timedelta(days=1)).secret


def free_port() -> int:
    """A local TCP port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_app(url: str, folder: Path, port: int) -> subprocess.Popen[bytes]:
    """The app in uvicorn in its own process, as ``serve`` starts it; returns once /health answers."""
    env = {**os.environ, "LEERLINGROUTE_DATABASE_URL": url, "LEERLINGROUTE_DATA_DIR": str(folder)}
    process = subprocess.Popen([sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory",
                                "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
                               env=env, cwd=Path(__file__).resolve().parents[1])
    try:
        wait_healthy(f"http://127.0.0.1:{port}/health", 60, lambda: process.poll() is None)
    except RuntimeError as error:
        process.kill()
        raise SystemExit(f"the app did not start: {error}") from error
    return process


def signed_in(base: str, name: str, secret: str, step: int) -> httpx.Client:
    """A client with a session: the sign-in form sent with the TOTP code of time step ``step`` from now."""
    client = httpx.Client(base_url=base, timeout=30)
    form = client.get("/inloggen")
    token = CSRF.search(form.text)
    if token is None:
        raise SystemExit("no sign-in form")
    code = web_accounts.totp(secret, datetime.now(UTC) + timedelta(seconds=web_accounts.TOTP_STEP_S * step))
    response = client.post("/inloggen", data={"csrf": token.group(1), "volgende": "/", "gebruikersnaam": name,
                                              "wachtwoord": PASSWORD, "code": code})
    if response.status_code != httpx.codes.SEE_OTHER or "inloggen" in response.headers.get("location", ""):
        raise SystemExit(f"sign-in failed for {name}: {response.status_code}")
    return client


def timed(client: httpx.Client, path: str, rounds: int) -> tuple[float, float, int]:
    """p50 and p95 milliseconds of ``rounds`` GETs of ``path`` (after one warm-up), and the page's bytes."""
    size = len(client.get(path).content)
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code != httpx.codes.OK:
            raise SystemExit(f"{path}: {response.status_code}")
    times.sort()
    return statistics.median(times), times[max(0, round(rounds * 0.95) - 1)], size


def screenshots(base: str, people: dict[str, tuple[str, str]], folder: Path) -> None:
    """A full-page PNG of every page per role, signed in through the form as a person does."""
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 - only when asked for

    folder.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=os.environ.get("LEERLINGROUTE_CHROMIUM", "/usr/bin/chromium"),
                                         args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        for role, (name, secret) in people.items():
            page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="nl-NL").new_page()
            page.goto(f"{base}/inloggen")
            page.get_by_label("Gebruikersnaam").fill(name)
            page.get_by_label("Wachtwoord").fill(PASSWORD)
            code = web_accounts.totp(secret, datetime.now(UTC) + timedelta(seconds=web_accounts.TOTP_STEP_S))
            page.get_by_label("Code uit de authenticator-app").fill(code)
            page.get_by_role("button", name="Inloggen").click()
            page.wait_for_load_state()
            for path in PAGES[role]:
                page.goto(f"{base}{path}")
                label = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-")
                page.screenshot(path=str(folder / f"{role}-{label}.png"), full_page=True)
        browser.close()


def main() -> None:
    """Fill, serve, sign in, time every page; screenshots if asked."""
    parser = argparse.ArgumentParser()
    parser.add_argument("url", nargs="?")
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--screenshots", type=Path)
    args = parser.parse_args()
    configure_logging(logging.WARNING)
    folder = Path(tempfile.mkdtemp(prefix="pages-bench-"))
    url = args.url or f"sqlite:///{folder}/bench.db"
    migrate.upgrade(url)
    service = Service.from_settings(Settings(database_url=url, data_dir=folder))
    now = datetime.now(UTC)
    people = {"zorgcoordinator": person(service, "zorgcoordinator", SCHOOL, now),
              "swv_coordinator": person(service, "swv_coordinator", SWV, now)}
    started = time.perf_counter()
    fill(service, str(uuid.uuid4()), now)
    fired = service.fire_due_timers(now)
    service.raise_alerts(now)
    print(f"{CASES} cases opened and their passed timers fired in {time.perf_counter() - started:.1f} s "
          f"({url.split(':')[0]}; {fired})")
    service.engine.dispose()
    port = free_port()
    app = start_app(url, folder, port)
    base = f"http://127.0.0.1:{port}"
    try:
        for role, (name, secret) in people.items():
            client = signed_in(base, name, secret, 0)
            for path in PAGES[role]:
                p50, p95, size = timed(client, path, args.rounds)
                print(f"{role:>16} {path:<28} p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  {size / 1024:6.1f} KiB")
            client.close()
        if args.screenshots:
            screenshots(base, people, args.screenshots)
    finally:
        app.terminate()
        app.wait()


if __name__ == "__main__":
    main()
