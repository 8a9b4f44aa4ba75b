"""Attacks on the web sign-in (``/inloggen``) through real HTTP with real threads: a TOTP code raced by
twenty browsers, sixty wrong passwords racing the lock-out, and a flood of unknown names.

The races run against a second server on the same database whose rate limits are out of the way
(so that they test the account's own defences); the flood runs against the suite's server with the
default limits. Each attempt comes from its own loopback address where the limit per address matters
(127.0.0.x: Linux routes all of 127/8 to the loopback device), and every test signs in at an instant of
its own, so that no test meets another's windows, steps or locks.
"""

from __future__ import annotations

import re
import statistics
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
import pytest
from sqlalchemy import Engine, func, select

from infra.identity import accounts, web_accounts
from infra.identity.web_accounts import REFUSED
from infra.settings import Settings
from infra.store.db import make_engine
from infra.store.sign_in_tables import web_credentials, web_sessions
from infra.store.tables import audit_log
from tests.api.conftest import (
    DEFAULT_NOW,
    ZORGCOORDINATOR,
    ControllableClock,
    Database,
    RunningApi,
    serving_settings,
)

PASSWORD = "een lang en geheim wachtwoord"  # noqa: S105 - a test account's password
FORM_TOKEN = re.compile(r'name="csrf" value="([^"]+)"')
SESSION_COOKIE = "leerlingroute_sessie"
TOO_MANY = "U hebt het te vaak achter elkaar geprobeerd."


@dataclass(frozen=True)
class Site:
    """A server on the test database, its clock and an engine on that database."""

    base_url: str
    clock: ControllableClock
    engine: Engine


@dataclass(frozen=True)
class Person:
    """An account with a password and a TOTP secret."""

    name: str
    user_id: str
    secret: str


@pytest.fixture(scope="module")
def engine(database: Database) -> Iterator[Engine]:
    """An engine on the suite's database, for making people and looking at what was stored."""
    made = make_engine(database.url)
    yield made
    made.dispose()


@pytest.fixture(scope="module")
def unlimited(running_api: RunningApi, database: Database, engine: Engine,
              tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A second server (a second worker) on the same database with rate limits no race reaches."""
    del running_api  # its accounts and tokens exist once it runs
    settings = Settings(database_url=database.url, data_dir=tmp_path_factory.mktemp("data"),
                        sign_in_per_address_per_minute=10_000, sign_in_per_name_per_minute=10_000,
                        sign_in_per_minute=10_000)
    clock = ControllableClock(DEFAULT_NOW)
    with serving_settings(settings, clock, "sign-in-server") as base_url:
        yield Site(base_url, clock, engine)


@pytest.fixture
def limited(running_api: RunningApi, clock: ControllableClock, engine: Engine) -> Site:
    """The suite's server, with the default limits (10 a minute per address, 5 per name)."""
    return Site(running_api.base_url, clock, engine)


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The stored hash of every argon2 verification the server runs, in order."""
    seen: list[str] = []
    lock = threading.Lock()
    real = web_accounts.password_matches

    def counting(stored_hash: str, password: str) -> bool:
        with lock:
            seen.append(stored_hash)
        return real(stored_hash, password)

    monkeypatch.setattr(web_accounts, "password_matches", counting)
    return seen


def person(engine: Engine, at: datetime) -> Person:
    """A new zorgcoördinator with a password and TOTP secret."""
    name = f"race-{uuid.uuid4().hex[:10]}"
    user, _ = accounts.create_user(engine, "zorgcoordinator", ["14PS03"], at - timedelta(days=1), set(), name=name)
    return Person(name, user.id, web_accounts.set_password(engine, name, PASSWORD, at - timedelta(days=1)).secret)


def stored_hash(engine: Engine, someone: Person) -> str:
    with engine.connect() as conn:
        found: str = conn.execute(select(web_credentials.c.password_hash)
                                  .where(web_credentials.c.user_id == someone.user_id)).scalar_one()
    return found


def client(site: Site, address: str = "127.0.0.1") -> httpx.Client:
    """A browser without cookies, connecting from ``address``."""
    return httpx.Client(base_url=site.base_url, timeout=120.0,
                        transport=httpx.HTTPTransport(local_address=address))


def sign_in_form(browser: httpx.Client) -> dict[str, str]:
    """The sign-in form's token and its cookie, as the form's page gives them."""
    form = browser.get("/inloggen")
    token = FORM_TOKEN.search(form.text)
    assert token is not None
    return {"csrf": token.group(1), "cookie": form.headers["set-cookie"].split(";")[0]}


def post_sign_in(browser: httpx.Client, form: dict[str, str], name: str, password: str, code: str) -> httpx.Response:
    return browser.post("/inloggen", headers={"Cookie": form["cookie"]},
                        data={"gebruikersnaam": name, "wachtwoord": password, "code": code, "csrf": form["csrf"]})


def race(site: Site, count: int, attempt: Callable[[int], tuple[str, str, str]],
         address: Callable[[int], str] = lambda _: "127.0.0.1") -> list[httpx.Response]:
    """``count`` browsers each fetch the form, wait until all have it, then post at the same moment."""
    start = threading.Barrier(count)

    def one(index: int) -> httpx.Response:
        with client(site, address(index)) as browser:
            form = sign_in_form(browser)
            start.wait(timeout=60)
            return post_sign_in(browser, form, *attempt(index))

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(one, range(count)))


def sessions_of(engine: Engine, someone: Person) -> int:
    with engine.connect() as conn:
        found: int = conn.execute(select(func.count()).select_from(web_sessions)
                                  .where(web_sessions.c.user_id == someone.user_id)).scalar_one()
    return found


def sign_in_audit_rows(engine: Engine) -> int:
    with engine.connect() as conn:
        found: int = conn.execute(select(func.count()).select_from(audit_log)
                                  .where(audit_log.c.action == "web.sign_in")).scalar_one()
    return found


# --- item 5: a TOTP code is accepted once, also when raced -----------------------------------------------


def test_twenty_simultaneous_sign_ins_with_one_code_make_exactly_one_session(unlimited: Site) -> None:
    """The same right password and code posted by twenty browsers at once: one is signed in, nineteen
    are refused with the one message, and the database holds one session.
    """
    at = unlimited.clock.set(DEFAULT_NOW + timedelta(days=1))
    someone = person(unlimited.engine, at)
    code = web_accounts.totp(someone.secret, at)
    responses = race(unlimited, 20, lambda _: (someone.name, PASSWORD, code))
    signed_in = [r for r in responses if r.status_code == httpx.codes.SEE_OTHER]
    assert len(signed_in) == 1
    assert SESSION_COOKIE in signed_in[0].headers["set-cookie"]
    assert {r.status_code for r in responses if r not in signed_in} == {httpx.codes.BAD_REQUEST}
    assert all(REFUSED in r.text for r in responses if r not in signed_in)
    assert sessions_of(unlimited.engine, someone) == 1


# --- item 6: at most five passwords are checked per lock window ------------------------------------------


def test_sixty_simultaneous_wrong_passwords_check_at_most_five_and_lock_the_account(
    unlimited: Site, checks: list[str],
) -> None:
    """Sixty wrong passwords at once: exactly five are checked against the account's hash (every other
    attempt is checked against the dummy, so that it takes as long), all sixty get the one message, and
    the account is locked: the right password and code are refused until fifteen minutes have passed.
    """
    at = unlimited.clock.set(DEFAULT_NOW + timedelta(days=2))
    someone = person(unlimited.engine, at)
    responses = race(unlimited, 60, lambda i: (someone.name, f"fout wachtwoord {i}", "000000"))
    assert {r.status_code for r in responses} == {httpx.codes.BAD_REQUEST}
    assert all(REFUSED in r.text for r in responses)
    assert checks.count(stored_hash(unlimited.engine, someone)) == web_accounts.MAX_ATTEMPTS
    assert len(checks) == 60
    with client(unlimited) as browser:
        right = web_accounts.totp(someone.secret, at)
        assert post_sign_in(browser, sign_in_form(browser), someone.name, PASSWORD, right).status_code == 400
        later = unlimited.clock.set(at + web_accounts.LOCK)
        now_right = web_accounts.totp(someone.secret, later)
        assert post_sign_in(browser, sign_in_form(browser), someone.name, PASSWORD, now_right).status_code == 303


# --- item 7: sign-in is rate-limited per address and per name, cheaply, and the API stays fast -----------


def test_a_flood_of_unknown_names_from_one_address_gets_429_after_ten_without_argon2(
    limited: Site, checks: list[str],
) -> None:
    """Thirty attempts with made-up names from one address within a minute: the first ten are checked
    (against the dummy hash) and refused as usual, the other twenty get 429 with a Dutch message and
    Retry-After (the seconds left in the minute), and run no argon2. Another address is not affected.
    """
    limited.clock.set(DEFAULT_NOW + timedelta(days=3, seconds=15))
    with client(limited, "127.0.0.31") as browser:
        form = sign_in_form(browser)
        responses = [post_sign_in(browser, form, f"niemand-{i}", PASSWORD, "123456") for i in range(30)]
    assert [r.status_code for r in responses] == [400] * 10 + [429] * 20
    assert all(TOO_MANY in r.text and r.headers["retry-after"] == "45" for r in responses[10:])
    assert len(checks) == 10
    with client(limited, "127.0.0.32") as other:
        assert post_sign_in(other, sign_in_form(other), "niemand-anders", PASSWORD, "123456").status_code == 400


def test_a_flood_writes_one_audit_row_per_refused_address_and_minute(limited: Site) -> None:
    """Forty attempts from one address in one minute add ten audit rows (the attempts let through) and,
    once the minute is over, one more that counts the thirty refused: the log does not grow with a flood.
    """
    at = limited.clock.set(DEFAULT_NOW + timedelta(days=4))
    with client(limited, "127.0.0.40") as browser:  # closes the windows of earlier tests
        post_sign_in(browser, sign_in_form(browser), "niemand", PASSWORD, "123456")
    before = sign_in_audit_rows(limited.engine)
    with client(limited, "127.0.0.41") as browser:
        form = sign_in_form(browser)
        for i in range(40):
            post_sign_in(browser, form, f"niemand-{i}", PASSWORD, "123456")
    assert sign_in_audit_rows(limited.engine) == before + 10
    limited.clock.set(at + timedelta(minutes=1))
    with client(limited, "127.0.0.42") as browser:
        post_sign_in(browser, sign_in_form(browser), "niemand", PASSWORD, "123456")
    with limited.engine.connect() as conn:
        summary = conn.execute(select(audit_log.c.outcome, audit_log.c.user_id, audit_log.c.at)
                               .where(audit_log.c.resource == "adres:127.0.0.41",
                                      audit_log.c.outcome.like("limited:%"))).all()
    assert [tuple(row) for row in summary] == [("limited:30", "onbekend", at + timedelta(minutes=1))]
    assert sign_in_audit_rows(limited.engine) == before + 12


def test_one_username_gets_five_attempts_a_minute_whichever_addresses_they_come_from(
    limited: Site, checks: list[str],
) -> None:
    """Six attempts on one (unknown) name from six addresses: the sixth gets 429 and no argon2; a name
    that exists is limited alike (the limit tells nothing about whether a name exists).
    """
    at = limited.clock.set(DEFAULT_NOW + timedelta(days=5))
    someone = person(limited.engine, at)
    for name in ("bestaat-niet-echt", someone.name):
        checks.clear()
        statuses = []
        for i in range(6):
            with client(limited, f"127.0.1.{50 + i}") as browser:
                statuses.append(post_sign_in(browser, sign_in_form(browser), name, "fout", "123456").status_code)
        assert statuses == [400] * 5 + [429]
        assert len(checks) == 5


@pytest.fixture(scope="module")
def capped(running_api: RunningApi, database: Database, engine: Engine,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A server on the same database that lets three sign-in attempts a minute through overall."""
    del running_api
    settings = Settings(database_url=database.url, data_dir=tmp_path_factory.mktemp("capped"), sign_in_per_minute=3)
    clock = ControllableClock(DEFAULT_NOW)
    with serving_settings(settings, clock, "capped-sign-in-server") as base_url:
        yield Site(base_url, clock, engine)


def test_a_flood_from_many_addresses_meets_the_overall_limit_with_429_and_no_argon2(
    capped: Site, checks: list[str],
) -> None:
    """Three attempts a minute overall: from six addresses (each well within its own limit) the first
    three are checked and refused as usual, the other three get 429 with Retry-After and run no argon2.
    """
    capped.clock.set(DEFAULT_NOW + timedelta(days=6, seconds=20))
    statuses, waits = [], []
    for index in range(6):
        with client(capped, f"127.0.2.{10 + index}") as browser:
            answer = post_sign_in(browser, sign_in_form(browser), f"niemand-{index}", PASSWORD, "123456")
            statuses.append(answer.status_code)
            waits.append(answer.headers.get("retry-after"))
    assert statuses == [400] * 3 + [429] * 3
    assert waits[3:] == ["40"] * 3
    assert len(checks) == 3


def test_the_api_answers_quickly_while_sixty_sign_ins_are_being_checked(
    unlimited: Site, checks: list[str],
) -> None:
    """Sixty simultaneous sign-ins with made-up names, all let through and each checked with argon2 (a
    few at a time): meanwhile API calls still get a thread at once and answer within a second.
    """
    unlimited.clock.set(DEFAULT_NOW + timedelta(days=6))
    flood = threading.Thread(target=race, args=(unlimited, 60, lambda i: (f"vloed-{i}", PASSWORD, "123456")))
    flood.start()
    try:
        with httpx.Client(base_url=unlimited.base_url, headers=ZORGCOORDINATOR, timeout=60.0) as api:
            assert _wait_for(lambda: len(checks) >= 2)
            durations = []
            for _ in range(5):
                started = time.perf_counter()
                assert api.get("/cases", params={"limit": 5}).status_code == httpx.codes.OK
                durations.append(time.perf_counter() - started)
            ongoing = len(checks) < 60
    finally:
        flood.join(timeout=120)
    assert statistics.median(durations) < 1.0, durations
    assert max(durations) < 2.0, durations
    assert ongoing, "the flood was over before the API was measured"


def _wait_for(condition: Callable[[], bool], timeout_s: float = 60.0) -> bool:
    """Poll ``condition`` until it holds (waiting for the other threads, not moving any clock)."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True
