"""Accounts managed by an admin through the service (as the admin page does): make one with a token, a first
password and a TOTP secret; revoke one; give one a new second factor. Each is one transaction with its audit row;
bad input changes nothing and writes no row; only an admin may. On SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from domain.access import Principal
from domain.errors import NotAuthenticated, RoleNotAllowed
from infra.identity import accounts, audit, web_accounts, web_sessions
from infra.identity.accounts import AccountError
from infra.identity.web_accounts import SignInRefused
from infra.store.tables import audit_log, users
from service import Service
from tests.databases import fresh_service

NOW = datetime(2026, 9, 3, 9, 0, 10, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgres"])
def service(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """The service on a freshly migrated database of each kind."""
    with fresh_service(request.param, tmp_path_factory) as built:
        yield built


def _principal(service: Service, role: str, scopes: list[str], name: str | None = None) -> Principal:
    _, token = accounts.create_user(service.engine, role, scopes, NOW - timedelta(days=1), service.swv_codes(),
                                    name=name)
    return accounts.authenticate(service.engine, token, NOW)


def _counts(service: Service) -> tuple[int, int]:
    with service.engine.connect() as conn:
        return (conn.execute(select(func.count()).select_from(users)).scalar_one(),
                conn.execute(select(func.count()).select_from(audit_log)).scalar_one())


def test_an_admin_makes_an_account_that_signs_in_and_whose_token_works_with_its_audit_row(service: Service) -> None:
    """The token authenticates with the role and scopes; the first password and the TOTP secret sign in on the
    pages; the audit row names the new account and the admin, and the chain verifies.
    """
    admin = _principal(service, "admin", [])
    made = service.create_account(admin, "zorgcoordinator", ["14PS03", "20XY00"], "ib-nieuw", NOW)

    assert accounts.authenticate(service.engine, made.token, NOW) == Principal(
        made.user.id, "zorgcoordinator", ("14PS03", "20XY00"))
    later = NOW + timedelta(seconds=30)
    signed = web_accounts.sign_in(service.engine, "ib-nieuw", made.password,
                                  web_accounts.totp(made.enrolment.secret, later), later)
    assert signed.user_id == made.user.id
    [row] = [e for e in audit.entries(service.engine) if e.action == "account.create"]
    assert (row.user_id, row.resource, row.outcome, row.purpose) == (
        admin.user_id, f"user:{made.user.id}", "ok", "Account aanmaken")
    assert audit.verify(service.engine).broken_seq is None


@pytest.mark.parametrize(("role", "scopes", "name", "message"), [
    ("directeur", [], "ib-x", "Onbekende rol 'directeur'"),
    ("zorgcoordinator", [], "ib-x", "minstens één --scope nodig"),
    ("leerplicht", ["14PS03"], "ib-x", "Geen geldige CBS-gemeentecode: 14PS03"),
    ("admin", ["14PS03"], "ib-x", "heeft geen scope"),
    ("zorgcoordinator", ["14PS03"], "Jan Jansen", "Ongeldige gebruikersnaam"),
    ("zorgcoordinator", ["14PS03"], "bestaand", "Er is al een account met de gebruikersnaam 'bestaand'"),
])
def test_bad_input_for_a_new_account_is_refused_in_dutch_and_makes_nothing(
    service: Service, role: str, scopes: list[str], name: str, message: str,
) -> None:
    """Unknown role, missing or wrong scope, a full name, a taken name: AccountError, no account, no audit row."""
    admin = _principal(service, "admin", [])
    _principal(service, "zorgcoordinator", ["14PS03"], name="bestaand")
    before = _counts(service)
    with pytest.raises(AccountError, match=message):
        service.create_account(admin, role, scopes, name, NOW)
    assert _counts(service) == before


def test_a_revoked_name_may_be_used_again(service: Service) -> None:
    """The taken-name rule is about active accounts: after revoking 'weg', a new 'weg' can be made."""
    admin = _principal(service, "admin", [])
    old = service.create_account(admin, "deskundige", [], "weg", NOW)
    service.revoke_account(admin, old.user.id, NOW)
    new = service.create_account(admin, "deskundige", [], "weg", NOW)
    assert new.user.id != old.user.id


def test_a_revoked_account_can_no_longer_sign_in_nor_use_its_token_or_session(service: Service) -> None:
    """Revoking: the token is refused, the open session ends, a sign-in is refused; one audit row."""
    admin = _principal(service, "admin", [])
    made = service.create_account(admin, "deskundige", [], "deskundige-weg", NOW)
    principal = accounts.authenticate(service.engine, made.token, NOW)
    session_id = web_sessions.start_session(service.engine, principal, NOW)

    revoked = service.revoke_account(admin, made.user.id, NOW + timedelta(minutes=1))

    assert revoked.revoked_at is not None
    later = NOW + timedelta(minutes=2)
    with pytest.raises(NotAuthenticated):
        accounts.authenticate(service.engine, made.token, later)
    assert web_sessions.find_session(service.engine, session_id, later) is None
    with pytest.raises(SignInRefused):
        web_accounts.sign_in(service.engine, "deskundige-weg", made.password,
                             web_accounts.totp(made.enrolment.secret, later), later)
    [row] = [e for e in audit.entries(service.engine) if e.action == "account.revoke"]
    assert (row.user_id, row.resource, row.outcome) == (admin.user_id, f"user:{made.user.id}", "ok")


def test_revoking_twice_an_unknown_account_or_ones_own_is_refused_and_writes_nothing(service: Service) -> None:
    """Already revoked, no such id, the admin's own account: AccountError, no change, no audit row."""
    admin = _principal(service, "admin", [])
    made = service.create_account(admin, "deskundige", [], "twee-keer", NOW)
    first = service.revoke_account(admin, made.user.id, NOW)
    before = _counts(service)
    with pytest.raises(AccountError, match="al ingetrokken"):
        service.revoke_account(admin, made.user.id, NOW + timedelta(days=1))
    with pytest.raises(AccountError, match="bestaat niet"):
        service.revoke_account(admin, "00000000-0000-0000-0000-000000000000", NOW)
    with pytest.raises(AccountError, match="eigen account"):
        service.revoke_account(admin, admin.user_id, NOW)
    assert _counts(service) == before
    assert accounts.list_users(service.engine)[-1].revoked_at == first.revoked_at


def test_a_new_second_factor_makes_the_old_codes_fail_and_the_new_ones_work(service: Service) -> None:
    """Reset: the old secret's code is refused, the new one's accepted, the password is kept, sessions end."""
    admin = _principal(service, "admin", [])
    made = service.create_account(admin, "deskundige", [], "telefoon-kwijt", NOW)
    principal = accounts.authenticate(service.engine, made.token, NOW)
    session_id = web_sessions.start_session(service.engine, principal, NOW)

    reset = service.reset_second_factor(admin, made.user.id, NOW)

    assert reset.secret != made.enrolment.secret
    assert web_sessions.find_session(service.engine, session_id, NOW) is None
    later = NOW + timedelta(seconds=60)
    with pytest.raises(SignInRefused):
        web_accounts.sign_in(service.engine, "telefoon-kwijt", made.password,
                             web_accounts.totp(made.enrolment.secret, later), later)
    signed = web_accounts.sign_in(service.engine, "telefoon-kwijt", made.password,
                                  web_accounts.totp(reset.secret, later), later)
    assert signed.user_id == made.user.id
    [row] = [e for e in audit.entries(service.engine) if e.action == "account.reset_second_factor"]
    assert (row.user_id, row.resource, row.outcome) == (admin.user_id, f"user:{made.user.id}", "ok")


def test_a_new_second_factor_is_refused_without_a_password_or_for_a_revoked_account(service: Service) -> None:
    """An account made with the CLI but no password, or a revoked one: AccountError, nothing written."""
    admin = _principal(service, "admin", [])
    bare = _principal(service, "deskundige", [], name="zonder-wachtwoord")
    made = service.create_account(admin, "deskundige", [], "ingetrokken", NOW)
    service.revoke_account(admin, made.user.id, NOW)
    before = _counts(service)
    with pytest.raises(AccountError, match="nog geen wachtwoord"):
        service.reset_second_factor(admin, bare.user_id, NOW)
    with pytest.raises(AccountError, match="is ingetrokken"):
        service.reset_second_factor(admin, made.user.id, NOW)
    assert _counts(service) == before


def test_only_an_admin_manages_accounts_and_each_refusal_is_on_record(service: Service) -> None:
    """A coordinator: RoleNotAllowed for each; nothing is made or changed, and each attempt has its 'forbidden'
    audit row (the role check runs inside the audit, as for every use case: service.use_case).
    """
    admin = _principal(service, "admin", [])
    swv = _principal(service, "swv_coordinator", ["standaard"])
    made = service.create_account(admin, "deskundige", [], "doelwit", NOW)
    before = _counts(service)
    with pytest.raises(RoleNotAllowed):
        service.create_account(swv, "deskundige", [], "stiekem", NOW)
    with pytest.raises(RoleNotAllowed):
        service.revoke_account(swv, made.user.id, NOW)
    with pytest.raises(RoleNotAllowed):
        service.reset_second_factor(swv, made.user.id, NOW)
    assert _counts(service) == (before[0], before[1] + 3)
    with service.engine.connect() as conn:
        refused = conn.execute(select(audit_log.c.action, audit_log.c.user_id, audit_log.c.outcome)
                               .order_by(audit_log.c.seq.desc()).limit(3)).all()
    assert sorted(refused) == sorted([("account.create", swv.user_id, "forbidden"),
                                      ("account.revoke", swv.user_id, "forbidden"),
                                      ("account.reset_second_factor", swv.user_id, "forbidden")])
    assert accounts.authenticate(service.engine, made.token, NOW).user_id == made.user.id
