"""Web sign-in for people: argon2 passwords plus RFC 6238 TOTP codes, one message for every refusal,
lock-out after five failures for fifteen minutes, and sessions stored only as the hash of their id;
the CLI sets a password and shows the new TOTP secret.
"""

from __future__ import annotations

import base64
import contextlib
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from domain.access import Principal
from infra.identity import accounts, sign_in_limits, web_accounts, web_sessions
from infra.identity.accounts import AccountError
from infra.identity.sign_in_limits import Limits, SignInLimited
from infra.identity.web_accounts import REFUSED, SignInRefused
from infra.store import sign_in_tables
from infra.store.db import make_engine
from infra.store.sign_in_tables import web_credentials, web_sign_in_windows
from infra.store.tables import audit_log
from run.cli import app
from tests.databases import fresh_engine, migrated_sqlite

NOW = datetime(2026, 9, 1, 8, 0, 10, tzinfo=UTC)
PASSWORD = "lang genoeg en geheim"  # noqa: S105 - a test account's password
RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()
"""The SHA-1 key of RFC 6238 appendix B."""


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """An engine on a freshly migrated database of each kind."""
    with fresh_engine(request.param, tmp_path_factory) as made:
        yield made


def _person(engine: Engine, name: str = "ib-de-linde") -> tuple[accounts.User, str, str]:
    """An enrolled zorgcoördinator: the account, its API token and its TOTP secret."""
    user, token = accounts.create_user(engine, "zorgcoordinator", ["14PS03"], NOW - timedelta(days=1), set(),
                                       name=name)
    return user, token, web_accounts.set_password(engine, name, PASSWORD, NOW - timedelta(days=1)).secret


def _refused(engine: Engine, name: str, password: str, code: str, at: datetime) -> str:
    with pytest.raises(SignInRefused) as refused:
        web_accounts.sign_in(engine, name, password, code, at)
    return str(refused.value)


@pytest.mark.parametrize(("unix_time", "code"), [
    (59, "287082"), (1111111109, "081804"), (1234567890, "005924"), (2000000000, "279037"),
])
def test_totp_codes_are_those_of_the_rfc_6238_test_vectors(unix_time: int, code: str) -> None:
    """SHA-1, 30-second steps: the last six digits of the RFC's eight-digit codes."""
    assert web_accounts.totp(RFC_SECRET, datetime.fromtimestamp(unix_time, UTC)) == code


def test_the_otpauth_uri_names_the_account_and_the_secret() -> None:
    """What an authenticator app reads (as text or QR code)."""
    uri = web_accounts.otpauth_uri("ABC234", "ib-de-linde")
    assert uri == ("otpauth://totp/Leerlingroute:ib-de-linde?secret=ABC234&issuer=Leerlingroute&algorithm=SHA1"
                   "&digits=6&period=30")


def test_password_and_current_code_sign_in_as_the_same_principal_as_the_api_token(engine: Engine) -> None:
    """The person is who their API token says: same user id, role and scopes."""
    user, token, secret = _person(engine)
    principal = web_accounts.sign_in(engine, "ib-de-linde", PASSWORD, web_accounts.totp(secret, NOW), NOW)
    assert principal == accounts.authenticate(engine, token, NOW) == Principal(user.id, "zorgcoordinator",
                                                                                 ("14PS03",))



def test_a_code_typed_with_a_space_in_the_middle_is_accepted(engine: Engine) -> None:
    """Authenticator apps show '123 456'; people type it so."""
    _, _, secret = _person(engine)
    code = web_accounts.totp(secret, NOW)
    web_accounts.sign_in(engine, "ib-de-linde", PASSWORD, f"{code[:3]} {code[3:]}", NOW)

def test_the_password_is_stored_as_an_argon2_hash(engine: Engine) -> None:
    """Never the password itself."""
    _person(engine)
    with engine.connect() as conn:
        stored = conn.execute(select(web_credentials.c.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


def test_a_code_is_accepted_only_once(engine: Engine) -> None:
    """The same code again, within its 30 seconds: refused (someone looking over a shoulder), and audited
    as 'replayed'.
    """
    _, _, secret = _person(engine)
    code = web_accounts.totp(secret, NOW)
    web_accounts.sign_in(engine, "ib-de-linde", PASSWORD, code, NOW)
    assert _refused(engine, "ib-de-linde", PASSWORD, code, NOW + timedelta(seconds=5)) == REFUSED
    assert _sign_in_outcomes(engine) == ["ok", "replayed"]


def test_of_attempts_racing_with_one_code_exactly_one_signs_in(engine: Engine) -> None:
    """Twelve threads with the right password and code at once: one principal, eleven refusals."""
    _, _, secret = _person(engine)
    code, start = web_accounts.totp(secret, NOW), threading.Barrier(12)

    def attempt(_: int) -> bool:
        start.wait(timeout=30)
        try:
            web_accounts.sign_in(engine, "ib-de-linde", PASSWORD, code, NOW)
        except SignInRefused:
            return False
        return True

    with ThreadPoolExecutor(max_workers=12) as pool:
        assert sorted(pool.map(attempt, range(12))) == [False] * 11 + [True]
    assert _sign_in_outcomes(engine).count("ok") == 1


def test_a_password_set_again_while_an_attempt_is_checked_wins(engine: Engine) -> None:
    """The attempt began with the old password and code; set-password came in between: refused."""
    _, _, secret = _person(engine)
    attempt = web_accounts.begin_attempt(engine, "ib-de-linde", NOW)
    web_accounts.set_password(engine, "ib-de-linde", "een heel nieuw wachtwoord", NOW)
    verdict = web_accounts.check_attempt(attempt, PASSWORD, web_accounts.totp(secret, NOW), NOW)
    assert verdict.step is not None
    with pytest.raises(SignInRefused):
        web_accounts.finish_attempt(engine, attempt, verdict, NOW)


def test_five_claims_lock_the_account_before_any_password_is_checked(engine: Engine) -> None:
    """Five attempts begun and not yet checked: the sixth may not check at all (it gets the dummy hash)."""
    _person(engine)
    claims = [web_accounts.begin_attempt(engine, "ib-de-linde", NOW).claim for _ in range(6)]
    assert claims == ["counted"] * 4 + ["locking", "locked"]


def _sign_in_outcomes(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(select(audit_log.c.outcome).where(audit_log.c.action == "web.sign_in")
                                 .order_by(audit_log.c.seq)).scalars())


def test_the_codes_of_the_neighbouring_steps_are_accepted_for_clock_drift(engine: Engine) -> None:
    """One step early or late is fine; two steps is refused."""
    _, _, secret = _person(engine)
    step = timedelta(seconds=30)
    web_accounts.sign_in(engine, "ib-de-linde", PASSWORD, web_accounts.totp(secret, NOW - step), NOW)
    web_accounts.sign_in(engine, "ib-de-linde", PASSWORD, web_accounts.totp(secret, NOW + step), NOW)
    later = NOW + 4 * step
    _refused(engine, "ib-de-linde", PASSWORD, web_accounts.totp(secret, later + 2 * step), later)


def test_the_fifth_failure_locks_the_account_for_fifteen_minutes(engine: Engine) -> None:
    """Four wrong passwords and one wrong code; then even the right ones are refused until 15 minutes
    after the fifth failure, with the same message throughout.
    """
    _, _, secret = _person(engine)
    right = web_accounts.totp(secret, NOW)
    for _ in range(4):
        assert _refused(engine, "ib-de-linde", "verkeerd wachtwoord", right, NOW) == REFUSED
    wrong_code = f"{(int(right) + 1) % 1_000_000:06d}"
    assert _refused(engine, "ib-de-linde", PASSWORD, wrong_code, NOW) == REFUSED
    almost = NOW + timedelta(minutes=15) - timedelta(seconds=1)
    assert _refused(engine, "ib-de-linde", PASSWORD, web_accounts.totp(secret, almost), almost) == REFUSED
    unlocked = NOW + timedelta(minutes=15)
    web_accounts.sign_in(engine, "ib-de-linde", PASSWORD, web_accounts.totp(secret, unlocked), unlocked)


def test_every_attempt_and_the_sign_out_are_in_the_audit_log_without_the_typed_name(engine: Engine) -> None:
    """Four wrong, the locking fifth, one while locked, one success, a name that is no account (typed as
    a password by mistake), then sign-out: each an audit row with its outcome; the typed name is nowhere.
    """
    user, _, secret = _person(engine)
    right = web_accounts.totp(secret, NOW)
    for _ in range(5):
        _refused(engine, "ib-de-linde", "verkeerd wachtwoord", right, NOW)
    _refused(engine, "ib-de-linde", PASSWORD, right, NOW + timedelta(minutes=1))
    later = NOW + timedelta(minutes=16)
    principal = web_accounts.sign_in(engine, "ib-de-linde", PASSWORD, web_accounts.totp(secret, later), later)
    _refused(engine, "mijn-geheime-wachtwoord", PASSWORD, right, later)
    web_sessions.end_session(engine, web_sessions.start_session(engine, principal, later), later, principal)
    with engine.connect() as conn:
        rows = conn.execute(select(audit_log).where(audit_log.c.action.like("web.%")).order_by(audit_log.c.seq)).all()
    assert [(r.action, r.user_id, r.outcome) for r in rows] == [
        *[("web.sign_in", user.id, "wrong")] * 4, ("web.sign_in", user.id, "locked_now"),
        ("web.sign_in", user.id, "locked"), ("web.sign_in", user.id, "ok"), ("web.sign_in", "onbekend", "unknown"),
        ("web.sign_out", user.id, "ok")]
    assert not any("mijn-geheime" in str(tuple(r)) for r in rows)


def test_a_success_starts_the_count_of_failures_anew(engine: Engine) -> None:
    """Four failures, a success, four failures: not locked."""
    _, _, secret = _person(engine)
    for minute in (0, 2):
        at = NOW + timedelta(minutes=minute)
        for _ in range(4):
            _refused(engine, "ib-de-linde", "verkeerd wachtwoord", "000000", at)
        web_accounts.sign_in(engine, "ib-de-linde", PASSWORD, web_accounts.totp(secret, at), at)


def test_failures_count_per_account(engine: Engine) -> None:
    """Five failures of one account lock that one only."""
    _person(engine, "ib-een")
    _, _, other = _person(engine, "ib-twee")
    for _ in range(5):
        _refused(engine, "ib-een", "verkeerd wachtwoord", "000000", NOW)
    web_accounts.sign_in(engine, "ib-twee", PASSWORD, web_accounts.totp(other, NOW), NOW)


def test_unknown_revoked_and_unenrolled_names_get_the_same_message(engine: Engine) -> None:
    """Nothing tells whether a username exists, is revoked or has no password yet."""
    user, _, secret = _person(engine)
    accounts.create_user(engine, "admin", [], NOW, set(), name="zonder-wachtwoord")
    accounts.revoke_user(engine, user.id, NOW)
    code = web_accounts.totp(secret, NOW)
    messages = {_refused(engine, name, PASSWORD, code, NOW)
                for name in ("ib-de-linde", "bestaat-niet", "zonder-wachtwoord")}
    assert messages == {REFUSED}
    assert "klopt niet" in REFUSED


def test_only_the_hash_of_a_session_id_is_stored(engine: Engine) -> None:
    """The cookie's id finds the session; the database has its SHA-256 and a CSRF token, not the id."""
    user, _, _ = _person(engine)
    principal = Principal(user.id, user.role, user.scopes)
    session_id = web_sessions.start_session(engine, principal, NOW)
    with engine.connect() as conn:
        stored = conn.execute(select(sign_in_tables.web_sessions)).mappings().one()
    assert stored["id_hash"] == web_sessions.session_hash(session_id) != session_id
    assert session_id not in {str(v) for v in stored.values()}
    found = web_sessions.find_session(engine, session_id, NOW)
    assert found is not None
    assert (found.principal, found.name, found.csrf_token) == (principal, "ib-de-linde", stored["csrf_token"])


def test_a_session_ends_at_sign_out_after_eight_hours_and_when_the_account_is_revoked(engine: Engine) -> None:
    """Each of the three makes the session id worthless."""
    user, _, _ = _person(engine)
    principal = Principal(user.id, user.role, user.scopes)
    signed_out, expiring, revoked = (web_sessions.start_session(engine, principal, NOW) for _ in range(3))
    web_sessions.end_session(engine, signed_out, NOW)
    assert web_sessions.find_session(engine, signed_out, NOW) is None
    assert web_sessions.find_session(engine, expiring, NOW + timedelta(hours=8) - timedelta(seconds=1))
    assert web_sessions.find_session(engine, expiring, NOW + timedelta(hours=8)) is None
    accounts.revoke_user(engine, user.id, NOW)
    assert web_sessions.find_session(engine, revoked, NOW) is None
    assert web_sessions.find_session(engine, "nooit-uitgegeven", NOW) is None


def _expiring_person(engine: Engine, expires_at: datetime) -> tuple[accounts.User, str]:
    """An enrolled zorgcoördinator whose account (made a day before) expires at ``expires_at``."""
    user, _ = accounts.create_user(engine, "zorgcoordinator", ["14PS03"], expires_at - timedelta(days=1), set(),
                                   name="ib-verloopt", days=1)
    return user, web_accounts.set_password(engine, "ib-verloopt", PASSWORD, expires_at - timedelta(days=1)).secret


def test_an_expired_account_cannot_sign_in_any_more_than_its_token_authenticates(engine: Engine) -> None:
    """The right password and code a second before the account expires: signed in. From the moment it
    expires: the one refusal message, audited as an unknown account, as its API token is refused.
    """
    user, secret = _expiring_person(engine, NOW)
    before = NOW - timedelta(seconds=1)
    assert web_accounts.sign_in(engine, "ib-verloopt", PASSWORD, web_accounts.totp(secret, before), before) == (
        Principal(user.id, "zorgcoordinator", ("14PS03",)))
    later = NOW + timedelta(seconds=31)  # the next TOTP step: not a replay of the code above
    assert _refused(engine, "ib-verloopt", PASSWORD, web_accounts.totp(secret, later), later) == REFUSED
    assert _refused(engine, "ib-verloopt", PASSWORD, web_accounts.totp(secret, NOW), NOW) == REFUSED
    assert _sign_in_outcomes(engine) == ["ok", "unknown", "unknown"]


def test_a_session_ends_when_its_account_expires(engine: Engine) -> None:
    """A session begun an hour before the account expires works until then, not for its eight hours."""
    user, _ = _expiring_person(engine, NOW)
    session_id = web_sessions.start_session(engine, Principal(user.id, user.role, user.scopes),
                                            NOW - timedelta(hours=1))
    assert web_sessions.find_session(engine, session_id, NOW - timedelta(seconds=1)) is not None
    assert web_sessions.find_session(engine, session_id, NOW) is None
    assert web_sessions.find_session(engine, session_id, NOW + timedelta(hours=6)) is None


def test_setting_the_password_again_replaces_the_secret_unlocks_and_ends_sessions(engine: Engine) -> None:
    """A lost phone: the old codes stop working, the account is unlocked, open sessions end."""
    user, _, old = _person(engine)
    session_id = web_sessions.start_session(engine, Principal(user.id, user.role, user.scopes), NOW)
    for _ in range(5):
        _refused(engine, "ib-de-linde", "verkeerd wachtwoord", "000000", NOW)
    new = web_accounts.set_password(engine, "ib-de-linde", "een heel nieuw wachtwoord", NOW).secret
    assert new != old
    assert web_sessions.find_session(engine, session_id, NOW) is None
    _refused(engine, "ib-de-linde", "een heel nieuw wachtwoord", web_accounts.totp(old, NOW), NOW)
    web_accounts.sign_in(engine, "ib-de-linde", "een heel nieuw wachtwoord", web_accounts.totp(new, NOW), NOW)


@pytest.mark.parametrize(("name", "password", "message"), [
    ("ib-de-linde", "kort", "Het wachtwoord is te kort: gebruik minstens 12 tekens."),
    ("niemand", PASSWORD, "Er is geen gebruiker met de naam 'niemand'."),
])
def test_a_short_password_or_an_unknown_name_is_refused_in_dutch(engine: Engine, name: str, password: str,
                                                                  message: str) -> None:
    """Nothing is set."""
    accounts.create_user(engine, "admin", [], NOW, set(), name="ib-de-linde")
    with pytest.raises(AccountError, match=message):
        web_accounts.set_password(engine, name, password, NOW)


def test_a_revoked_account_gets_no_password(engine: Engine) -> None:
    """Revoked is revoked, for the API and the pages alike."""
    user, _ = accounts.create_user(engine, "admin", [], NOW, set(), name="oud")
    accounts.revoke_user(engine, user.id, NOW)
    with pytest.raises(AccountError, match="is ingetrokken"):
        web_accounts.set_password(engine, "oud", PASSWORD, NOW)


def test_the_cli_sets_a_password_and_prints_the_otpauth_uri_and_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`users set-password NAME --password-stdin`: the URI and the secret, which then sign in."""
    url = migrated_sqlite(str(tmp_path))
    monkeypatch.setenv("LEERLINGROUTE_DATABASE_URL", url)
    runner = CliRunner()
    assert runner.invoke(app, ["users", "create", "--role", "admin", "--name", "beheer-1"]).exit_code == 0
    done = runner.invoke(app, ["users", "set-password", "beheer-1", "--password-stdin"], input=f"{PASSWORD}\n")
    assert done.exit_code == 0, done.output
    secret = next(line.removeprefix("TOTP-sleutel: ") for line in done.output.splitlines()
                  if line.startswith("TOTP-sleutel: "))
    assert f"otpauth://totp/Leerlingroute:beheer-1?secret={secret}&" in done.output
    engine = make_engine(url)
    now = datetime.now(UTC)
    assert web_accounts.sign_in(engine, "beheer-1", PASSWORD, web_accounts.totp(secret, now), now).role == "admin"
    engine.dispose()


def test_the_cli_asks_twice_and_refuses_two_different_passwords(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Prompted: both entries must match; otherwise nothing changes (exit code 2, Dutch message)."""
    monkeypatch.setenv("LEERLINGROUTE_DATABASE_URL", migrated_sqlite(str(tmp_path)))
    runner = CliRunner()
    runner.invoke(app, ["users", "create", "--role", "admin", "--name", "beheer-1"])
    differ = runner.invoke(app, ["users", "set-password", "beheer-1"], input=f"{PASSWORD}\niets anders dan dat\n")
    assert differ.exit_code == 2
    assert "De twee wachtwoorden zijn niet gelijk" in differ.output
    same = runner.invoke(app, ["users", "set-password", "beheer-1"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert same.exit_code == 0, same.output
    unknown = runner.invoke(app, ["users", "set-password", "niemand", "--password-stdin"], input=f"{PASSWORD}\n")
    assert unknown.exit_code == 2
    assert "Er is geen gebruiker met de naam 'niemand'" in unknown.output


# --- rate limits (infra.identity.sign_in_limits) -------------------------------------------------------------------


def _second_worker(engine: Engine) -> Engine:
    """Another engine on the same database, as a second API worker would have."""
    return make_engine(engine.url.render_as_string(hide_password=False))


def test_two_workers_share_the_limit_per_address_also_when_racing(engine: Engine) -> None:
    """Thirty attempts from one address at once, through two engines: exactly ten are let through."""
    other, start = _second_worker(engine), threading.Barrier(30)

    def attempt(index: int) -> bool:
        start.wait(timeout=30)
        try:
            sign_in_limits.admit(other if index % 2 else engine, "10.0.0.7", f"naam-{index}", NOW, Limits())
        except SignInLimited:
            return False
        return True

    try:
        with ThreadPoolExecutor(max_workers=30) as pool:
            assert sum(pool.map(attempt, range(30))) == Limits().per_address
    finally:
        other.dispose()


def test_a_limited_attempt_is_told_in_dutch_how_many_seconds_to_wait(engine: Engine) -> None:
    """NOW is ten seconds into its minute: fifty seconds to wait; the next minute starts afresh."""
    for _ in range(5):
        sign_in_limits.admit(engine, "10.0.0.8", "ib-de-linde", NOW, Limits())
    with pytest.raises(SignInLimited) as limited:
        sign_in_limits.admit(engine, "10.0.0.9", "ib-de-linde", NOW, Limits())
    assert limited.value.retry_after_s == 50
    assert str(limited.value) == ("U hebt het te vaak achter elkaar geprobeerd. Wacht 50 seconden en probeer het "
                                  "dan opnieuw.")
    sign_in_limits.admit(engine, "10.0.0.9", "ib-de-linde", NOW + timedelta(seconds=50), Limits())


def test_the_limit_per_name_ignores_case_and_keeps_only_a_hash_of_the_name(engine: Engine) -> None:
    """'IB-de-Linde' counts as 'ib-de-linde'; the table holds the name's SHA-256, never the name."""
    for name in ("ib-de-linde", "IB-de-Linde", "Ib-De-Linde", "ib-DE-linde", "IB-DE-LINDE"):
        sign_in_limits.admit(engine, f"10.0.1.{len(name)}", name, NOW, Limits())
    with pytest.raises(SignInLimited):
        sign_in_limits.admit(engine, "10.0.1.99", "iB-de-lindE", NOW, Limits())
    with engine.connect() as conn:
        keys = set(conn.execute(select(web_sign_in_windows.c.key)).scalars())
    assert sign_in_limits.name_key("ib-de-linde") in keys
    assert not any("linde" in key.casefold() for key in keys)


def test_the_refusals_of_a_minute_become_one_audit_row_per_address(engine: Engine) -> None:
    """Twelve refused from one address, three from another: when the minute is over, the next attempt
    writes one row for each (with the count) and deletes the minute's windows.
    """
    for address, tries in (("10.0.2.1", 22), ("10.0.2.2", 13)):
        for index in range(tries):
            with contextlib.suppress(SignInLimited):
                sign_in_limits.admit(engine, address, f"naam-{index}", NOW, Limits())
    sign_in_limits.admit(engine, "10.0.2.3", "iemand", NOW + timedelta(minutes=1), Limits())
    with engine.connect() as conn:
        rows = conn.execute(select(audit_log.c.resource, audit_log.c.outcome, audit_log.c.at)
                            .order_by(audit_log.c.seq)).all()
        windows = set(conn.execute(select(web_sign_in_windows.c.window_start)).scalars())
    end = sign_in_limits.window_start(NOW) + timedelta(minutes=1)
    assert [tuple(r) for r in rows] == [("adres:10.0.2.1", "limited:12", end), ("adres:10.0.2.2", "limited:3", end)]
    assert windows == {end}


@pytest.mark.parametrize(("address", "key"), [
    ("10.0.4.1", "adres:10.0.4.1"),
    ("::ffff:10.0.4.1", "adres:10.0.4.1"),
    ("2001:db8:1:2::1", "adres:2001:db8:1:2::/64"),
    ("2001:db8:1:2:ffff:ffff:ffff:fffe", "adres:2001:db8:1:2::/64"),
    ("fe80::1%eth0", "adres:fe80::/64"),
    ("onbekend", "adres:onbekend"),
    ("testclient", "adres:onbekend"),
])
def test_a_client_is_its_ipv4_address_or_its_ipv6_64(address: str, key: str) -> None:
    """An IPv6 subscriber gets a whole /64: every address in it is one client; an IPv4-mapped address is
    its IPv4 address; whatever is no address shares one counter (it cannot be varied to escape the limit).
    """
    assert sign_in_limits.address_key(address) == key


def test_two_addresses_in_one_ipv6_64_share_one_window(engine: Engine) -> None:
    """Ten attempts from two addresses of 2001:db8:1:2::/64 use up its minute: an eleventh from a third
    address in it is refused, one from the next /64 is let through. IPv4-mapped and plain IPv4 alike.
    """
    for index in range(10):
        address = "2001:db8:1:2::1" if index % 2 else "2001:db8:1:2:a:b:c:d"
        sign_in_limits.admit(engine, address, f"naam-{index}", NOW, Limits())
        sign_in_limits.admit(engine, "10.0.4.1" if index % 2 else "::ffff:10.0.4.1", f"v4-{index}", NOW, Limits())
    with pytest.raises(SignInLimited):
        sign_in_limits.admit(engine, "2001:db8:1:2:ffff:ffff:ffff:fffe", "nog-een", NOW, Limits())
    with pytest.raises(SignInLimited):
        sign_in_limits.admit(engine, "::ffff:10.0.4.1", "nog-een-v4", NOW, Limits())
    sign_in_limits.admit(engine, "2001:db8:1:3::1", "naast", NOW, Limits())


def test_the_overall_limit_refuses_any_address_once_reached_and_counts_only_attempts_let_through(
    engine: Engine,
) -> None:
    """With twelve a minute overall: one address's twenty attempts count ten (the other ten were refused
    by its own limit), two more from other addresses reach twelve, and the next attempt, from a new
    address with a new name, is refused with the seconds left in the minute; the next minute starts anew.
    """
    limits = Limits(overall=12)
    for index in range(20):
        with contextlib.suppress(SignInLimited):
            sign_in_limits.admit(engine, "10.0.5.1", f"naam-{index}", NOW, limits)
    for index in range(2):
        sign_in_limits.admit(engine, f"10.0.5.{10 + index}", f"ander-{index}", NOW, limits)
    with pytest.raises(SignInLimited) as limited:
        sign_in_limits.admit(engine, "2001:db8:9::1", "iemand-nieuw", NOW, limits)
    assert limited.value.retry_after_s == 50
    sign_in_limits.admit(engine, "2001:db8:9::1", "iemand-nieuw", NOW + timedelta(seconds=50), limits)


def test_two_workers_share_the_overall_limit_also_when_racing(engine: Engine) -> None:
    """Thirty attempts from thirty addresses at once, through two engines, twelve allowed overall: exactly
    twelve are let through.
    """
    other, start = _second_worker(engine), threading.Barrier(30)

    def attempt(index: int) -> bool:
        start.wait(timeout=30)
        try:
            sign_in_limits.admit(other if index % 2 else engine, f"10.0.6.{index}", f"naam-{index}", NOW,
                                 Limits(overall=12))
        except SignInLimited:
            return False
        return True

    try:
        with ThreadPoolExecutor(max_workers=30) as pool:
            assert sum(pool.map(attempt, range(30))) == 12
    finally:
        other.dispose()


def test_a_flood_from_many_addresses_writes_a_bounded_number_of_audit_rows(engine: Engine) -> None:
    """Once the overall limit (here one) is reached, sixty addresses are refused once each and one three
    times: when the minute is over, the fifty refused most get a row each (the one refused three times
    among them) and the other eleven share one row on 'adres:overige', so the log does not grow with the
    number of addresses.
    """
    limits = Limits(overall=1)
    sign_in_limits.admit(engine, "10.0.9.1", "de-eerste", NOW, limits)
    attempts = [f"10.0.7.{n}" for n in range(1, 61)] + ["10.0.8.1"] * 3
    for index, address in enumerate(attempts):
        with pytest.raises(SignInLimited):
            sign_in_limits.admit(engine, address, f"naam-{index}", NOW, limits)
    sign_in_limits.admit(engine, "10.0.9.2", "daarna", NOW + timedelta(minutes=1), limits)
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(select(audit_log.c.resource, audit_log.c.outcome)
                                                .order_by(audit_log.c.seq))]
    assert len(rows) == sign_in_limits.MAX_SUMMARY_ROWS + 1 == 51
    assert ("adres:10.0.8.1", "limited:3") in rows
    assert rows[-1] == ("adres:overige", "limited:11")
    assert sum(int(outcome.split(":")[1]) for _, outcome in rows) == len(attempts)
