"""Fixtures for the browser tests: the app (API and pages) served by a real uvicorn on a free local
port over a SQLite database, people with a password and TOTP secret made through
``infra.identity.web_accounts``, and a fresh headless Chromium page per test, driven by Playwright.

Chromium is Debian's (``/usr/bin/chromium``, or ``LEERLINGROUTE_CHROMIUM``); Playwright's own browser
download is never used. Without Chromium the tests skip, except on CI (CI=true), where they fail:
run them through ``.ci/with-chromium``, which installs it.

The clock only moves forward, for the whole folder: each sign-in moves it to the next TOTP time
step, because a code is accepted once (so a test cannot reuse the previous test's code).
Screenshots go to ``artifacts/screenshots/<name>.png``.
"""

from __future__ import annotations

import importlib.util
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from api.app import create_app
from domain.case import Actor, Command
from domain.handlers import NewCase
from infra.identity import accounts, web_accounts
from infra.settings import Settings
from service import Service
from tests.api.conftest import DEFAULT_NOW, ControllableClock, serving
from tests.databases import migrated_sqlite

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Playwright, ViewportSize

CHROMIUM = os.environ.get("LEERLINGROUTE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
"""Headless in a container, as root, on a machine with no network beyond loopback."""
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
PASSWORD = "correct paard batterij nietje"  # noqa: S105 - a test account's password
PEOPLE: dict[str, tuple[str, tuple[str, ...]]] = {
    "zc": ("zorgcoordinator", ("14PS03",)),
    "elders": ("zorgcoordinator", ("20XY00",)),
    "swv": ("swv_coordinator", ("standaard",)),
    "vo-coordinator": ("swv_coordinator", ("VO3102",)),
    "beheerder": ("admin", ()),
    "leerplicht": ("leerplicht", ("0957",)),
    "pechvogel": ("zorgcoordinator", ("14PS03",)),
    "vertrekker": ("zorgcoordinator", ("14PS03",)),
}
"""People by key: role and scopes. 'pechvogel' gets locked out; 'vertrekker' signs out."""
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
TABLET: ViewportSize = {"width": 768, "height": 1024}
OPP_START = {"extra_ondersteuning_sinds": "2026-09-01"}


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker of this folder's tests."""
    config.addinivalue_line("markers", "browser: drives headless Chromium (Debian's, via .ci/with-chromium)")


@dataclass(frozen=True)
class Person:
    """A test account that can sign in on the pages."""

    key: str
    name: str
    user_id: str
    secret: str


@dataclass(frozen=True)
class Site:
    """The running app: its address, clock and service, and the people who can sign in."""

    base_url: str
    clock: ControllableClock
    service: Service
    people: dict[str, Person]

    def url(self, path: str) -> str:
        """The absolute URL of ``path``."""
        return f"{self.base_url}{path}"

    def next_code(self, key: str) -> str:
        """Move the clock to the next TOTP step and return the person's code for it."""
        at = self.clock.set(self.clock() + timedelta(seconds=web_accounts.TOTP_STEP_S))
        return web_accounts.totp(self.people[key].secret, at)

    def sign_in(self, page: Page, key: str, code: str | None = None, password: str = PASSWORD) -> None:
        """Fill in and send the sign-in form as a person would (with their current code by default)."""
        page.goto(self.url("/inloggen"))
        page.get_by_label("Gebruikersnaam").fill(self.people[key].name)
        page.get_by_label("Wachtwoord").fill(password)
        page.get_by_label("Code uit de authenticator-app").fill(code or self.next_code(key))
        page.get_by_role("button", name="Inloggen").click()

    def open_case(self, pathway: str, start: str, payload: dict[str, Any], pupil: str | None = None,
                  school: str = "14PS03") -> str:
        """A new case opened by the zorgcoördinator, without the pages; its id."""
        actor = Actor("zorgcoordinator", self.people["zc"].user_id)
        new = NewCase(pathway, school, pupil or f"lln-{uuid.uuid4().hex[:8]}")
        return self.service.open_case(new, Command(start, actor, payload), self.clock()).case_id

    def open_opp(self, pupil: str | None = None) -> str:
        """A new OPP case at 14PS03 (in 'concept'); its id."""
        return self.open_case("opp", "start_opp", OPP_START, pupil)

    def step(self, case_id: str, command: str, payload: dict[str, Any] | None = None) -> None:
        """Apply a command as the zorgcoördinator, without the pages."""
        actor = Actor("zorgcoordinator", self.people["zc"].user_id)
        self.service.handle(case_id, Command(command, actor, payload or {}), self.clock())

    def version(self, case_id: str) -> int:
        """The case's version now (how many events it has)."""
        return self.service.status(case_id, self.clock()).version


def shot(page: Page, name: str) -> Path:
    """A full-page screenshot of what the person sees, as artifacts/screenshots/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def _make_people(service: Service, now: datetime) -> dict[str, Person]:
    people = {}
    for key, (role, scopes) in PEOPLE.items():
        name = f"web-{key}".replace("_", "-")
        user, _ = accounts.create_user(service.engine, role, scopes, now - timedelta(days=1), service.swv_codes(),
                                       name=name, days=3000)
        enrolment = web_accounts.set_password(service.engine, name, PASSWORD, now - timedelta(days=1))
        people[key] = Person(key, name, user.id, enrolment.secret)
    return people


@pytest.fixture(scope="package")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The app over a real HTTP socket on SQLite, served by uvicorn in a background thread."""
    url = migrated_sqlite(str(tmp_path_factory.mktemp("web-sqlite")))
    service = Service.from_settings(Settings(database_url=url, data_dir=tmp_path_factory.mktemp("web-data")))
    clock = ControllableClock(DEFAULT_NOW)
    people = _make_people(service, DEFAULT_NOW)
    try:
        with serving(create_app(service, clock), "web-server") as base_url:
            yield Site(base_url, clock, service, people)
    finally:
        service.engine.dispose()


def _require_chromium() -> None:
    problem = None
    if importlib.util.find_spec("playwright") is None:
        problem = "the playwright package is not installed (pip install -e '.[dev]')"
    elif not Path(CHROMIUM).exists():
        problem = f"Chromium not found at {CHROMIUM}: run the tests through .ci/with-chromium"
    if problem is None:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(problem, pytrace=False)
    pytest.skip(problem)


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    """Playwright's driver, for this folder's tests only: while it runs, its event loop counts as running
    in this thread, so asyncio.run() elsewhere (Prefect's flows) would fail.
    """
    _require_chromium()
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 - only after the check above

    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Debian's headless Chromium, for this folder's tests."""
    launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield launched
    launched.close()


@pytest.fixture
def page(browser: Browser, site: Site) -> Iterator[Page]:
    """A new browser window (its own cookies) at 1280 px wide, in Dutch."""
    del site  # requested so that the server runs before the page opens
    context = browser.new_context(viewport=DESKTOP, locale="nl-NL")
    context.set_default_timeout(15_000)
    opened = context.new_page()
    yield opened
    context.close()
