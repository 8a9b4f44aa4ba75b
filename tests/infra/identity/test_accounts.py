"""Accounts: tokens are stored only as their SHA-256, expire and can be revoked; scopes are checked per
role with a Dutch sentence; the CLI shows the token once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from domain.errors import NotAuthenticated
from infra.identity import accounts
from infra.identity.accounts import AccountError
from infra.store.tables import users
from run.cli import app
from tests.databases import fresh_engine, migrated_sqlite

NOW = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)
SWV_CODES = {"VO3102", "PO3104", "PO3105", "PO3106"}


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """An engine on a freshly migrated database of each kind."""
    with fresh_engine(request.param, tmp_path_factory) as made:
        yield made


def test_the_token_is_stored_only_as_its_sha256(engine: Engine) -> None:
    """The database holds the hash, never the token; the token authenticates as the account."""
    user, token = accounts.create_user(engine, "zorgcoordinator", ["14PS03"], NOW, SWV_CODES, name="zc-1")
    assert len(token) >= 40
    with engine.connect() as conn:
        stored = conn.execute(select(users)).mappings().one()
    assert stored["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    assert token not in {str(v) for v in stored.values()}
    principal = accounts.authenticate(engine, token, NOW)
    assert (principal.user_id, principal.role, principal.scopes) == (user.id, "zorgcoordinator", ("14PS03",))
    listed = accounts.list_users(engine)
    assert [(u.id, u.name) for u in listed] == [(user.id, "zc-1")]
    assert not hasattr(listed[0], "token_hash")


def test_a_token_expires_after_90_days_by_default(engine: Engine) -> None:
    """Valid up to just before the expiry instant; 401 from then on. --days sets another term."""
    _, token = accounts.create_user(engine, "admin", [], NOW, SWV_CODES)
    accounts.authenticate(engine, token, NOW + timedelta(days=90) - timedelta(seconds=1))
    with pytest.raises(NotAuthenticated) as caught:
        accounts.authenticate(engine, token, NOW + timedelta(days=90))
    assert caught.value.detail_nl == "Het token is verlopen. Vraag een beheerder om een nieuw token."
    short, _ = accounts.create_user(engine, "admin", [], NOW, SWV_CODES, days=7)
    assert short.expires_at == NOW + timedelta(days=7)


def test_a_revoked_token_no_longer_authenticates(engine: Engine) -> None:
    """Revoked from the instant on; an unknown id is a Dutch error."""
    user, token = accounts.create_user(engine, "bto", ["VO3102"], NOW, SWV_CODES)
    revoked = accounts.revoke_user(engine, user.id, NOW + timedelta(hours=1))
    assert revoked.revoked_at == NOW + timedelta(hours=1)
    with pytest.raises(NotAuthenticated) as caught:
        accounts.authenticate(engine, token, NOW + timedelta(hours=2))
    assert caught.value.detail_nl.startswith("Het token is ingetrokken.")
    with pytest.raises(AccountError, match=r"Er is geen gebruiker met id nergens\."):
        accounts.revoke_user(engine, "nergens", NOW)
    with pytest.raises(NotAuthenticated, match="Authentication required"):
        accounts.authenticate(engine, "nooit-uitgegeven", NOW)


@pytest.mark.parametrize(("role", "scopes", "message"), [
    ("zorgcoordinator", ["14PS3"], ("Geen geldige BRIN-code: 14PS3. Een zorgcoördinator krijgt de BRIN-code van "
                                   "een school als scope, bijvoorbeeld 14PS03.")),
    ("zorgcoordinator", [], "De rol 'zorgcoordinator' heeft minstens één --scope nodig (BRIN-code van een school)."),
    ("swv_coordinator", ["VO9999"], ("Onbekend samenwerkingsverband: VO9999. Bekend zijn: PO3104, PO3105, PO3106, "
                                    "VO3102, standaard.")),
    ("bto", ["14PS03"], "Onbekend samenwerkingsverband: 14PS03."),
    ("leerplicht", ["957"], "Geen geldige CBS-gemeentecode: 957."),
    ("admin", ["14PS03"], "De rol 'admin' heeft geen scope; laat --scope weg."),
    ("deskundige", ["VO3102"], "De rol 'deskundige' heeft geen scope; laat --scope weg."),
    ("directeur", [], ("Onbekende rol 'directeur'; kies uit: zorgcoordinator, swv_coordinator, bto, leerplicht, "
                      "deskundige, admin.")),
])
def test_scopes_are_checked_per_role_in_dutch(role: str, scopes: list[str], message: str) -> None:
    """Nothing is written when a scope does not fit (checked before any database access)."""
    with pytest.raises(AccountError) as caught:
        accounts.validate_scopes(role, scopes, SWV_CODES)
    assert str(caught.value).startswith(message)


@pytest.mark.parametrize(("role", "scopes"), [
    ("zorgcoordinator", ["14PS03", "00KX00", "14PS"]), ("swv_coordinator", ["VO3102", "standaard"]),
    ("bto", ["PO3104"]), ("leerplicht", ["0957", "0917"]), ("admin", []), ("deskundige", []),
])
def test_fitting_scopes_are_accepted(role: str, scopes: list[str]) -> None:
    """BRIN codes with or without vestiging, known SWV codes, CBS codes; none for admin and deskundige."""
    assert accounts.validate_scopes(role, scopes, SWV_CODES) == tuple(scopes)


def test_the_cli_shows_the_token_once_lists_without_it_and_revokes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`users create` prints the token with the Dutch warning; `users list` never shows it; `users revoke`."""
    monkeypatch.setenv("LEERLINGROUTE_DATABASE_URL", migrated_sqlite(str(tmp_path)))
    runner = CliRunner()
    made = runner.invoke(app, ["users", "create", "--role", "zorgcoordinator", "--scope", "14PS03",
                               "--scope", "14PS00", "--name", "ib-de-linde", "--days", "30"])
    assert made.exit_code == 0, made.output
    token = next(line.removeprefix("API-token: ") for line in made.output.splitlines()
                 if line.startswith("API-token: "))
    assert "alleen deze ene keer getoond" in made.output
    listed = runner.invoke(app, ["users", "list"])
    assert "ib-de-linde  zorgcoordinator  scope: 14PS03, 14PS00" in listed.output
    assert token not in listed.output
    user_id = listed.output.split()[0]
    assert runner.invoke(app, ["users", "revoke", user_id]).exit_code == 0
    assert "ingetrokken" in runner.invoke(app, ["users", "list"]).output
    wrong = runner.invoke(app, ["users", "create", "--role", "leerplicht", "--scope", "Maastricht"])
    assert wrong.exit_code == 2
    assert "Geen geldige CBS-gemeentecode: Maastricht." in wrong.output
