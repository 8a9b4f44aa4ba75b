"""Accounts and API tokens: create (the token is shown once), list, revoke, authenticate.

Only the SHA-256 of a token is stored; a token expires (default after 90 days) and can be revoked.
A role's scopes are checked when the account is made: BRIN codes for a zorgcoördinator, SWV codes
known in some profile (or ``standaard``) for an SWV coordinator or BTO member, 4-digit CBS codes
for leerplicht; admin and deskundige take none. Messages are Dutch: the CLI shows them as they are.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from domain.access import STANDARD_SWV, Principal
from domain.errors import NotAuthenticated
from domain.roles import ADMIN, BTO, DESKUNDIGE, LEERPLICHT, SWV_COORDINATOR, ZORGCOORDINATOR
from infra.store.statements import Statements
from infra.store.tables import users

ACCOUNT_ROLES = (ZORGCOORDINATOR, SWV_COORDINATOR, BTO, LEERPLICHT, DESKUNDIGE, ADMIN)
DEFAULT_DAYS = 90
MAX_DAYS = 3660
"""Ten years at most; the default is 90 days."""
BRIN = re.compile(r"^[0-9]{2}[A-Z]{2}([0-9]{2})?$")
"""A school: 4 characters (2 digits, 2 letters), optionally 2 digits of the vestiging (14PS03, 00KX00)."""
CBS = re.compile(r"^[0-9]{4}$")
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


class AccountError(ValueError):
    """An account cannot be made or changed; the message is the Dutch sentence to show."""


@dataclass(frozen=True)
class User:
    """An account as listed (never with its token or hash)."""

    id: str
    name: str
    role: str
    scopes: tuple[str, ...]
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


def token_hash(token: str) -> str:
    """The stored form of a token: its SHA-256 in hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def validate_scopes(role: str, scopes: Sequence[str], swv_codes: Collection[str]) -> tuple[str, ...]:
    """The scopes, cleaned (no duplicates, order kept), if they fit ``role``; AccountError otherwise.

    ``swv_codes`` are the SWV codes known in the profiles (``standaard`` is always allowed).
    """
    if role not in ACCOUNT_ROLES:
        raise AccountError(f"Onbekende rol '{role}'; kies uit: {', '.join(ACCOUNT_ROLES)}.")
    cleaned = tuple(dict.fromkeys(s.strip() for s in scopes if s.strip()))
    if role in (ADMIN, DESKUNDIGE):
        if cleaned:
            raise AccountError(f"De rol '{role}' heeft geen scope; laat --scope weg.")
        return cleaned
    if not cleaned:
        raise AccountError(f"De rol '{role}' heeft minstens één --scope nodig ({_scope_kind(role)}).")
    problem = _wrong_scopes(role, cleaned, swv_codes)
    if problem:
        raise AccountError(problem)
    return cleaned


def _wrong_scopes(role: str, scopes: Sequence[str], swv_codes: Collection[str]) -> str | None:
    """The Dutch sentence naming the scopes that do not fit ``role``, or None."""
    if role == ZORGCOORDINATOR:
        wrong = [s for s in scopes if not BRIN.match(s)]
        return (f"Geen geldige BRIN-code: {', '.join(wrong)}. Een zorgcoördinator krijgt de BRIN-code van een "
                "school als scope, bijvoorbeeld 14PS03.") if wrong else None
    if role in (SWV_COORDINATOR, BTO):
        known = {*swv_codes, STANDARD_SWV}
        wrong = [s for s in scopes if s not in known]
        return (f"Onbekend samenwerkingsverband: {', '.join(wrong)}. Bekend zijn: "
                f"{', '.join(sorted(known))}.") if wrong else None
    wrong = [s for s in scopes if not CBS.match(s)]
    return (f"Geen geldige CBS-gemeentecode: {', '.join(wrong)}. Leerplicht krijgt de viercijferige CBS-code "
            "van een gemeente als scope, bijvoorbeeld 0957.") if wrong else None


def _scope_kind(role: str) -> str:
    return {ZORGCOORDINATOR: "BRIN-code van een school", SWV_COORDINATOR: "code van het samenwerkingsverband",
            BTO: "code van het samenwerkingsverband", LEERPLICHT: "CBS-code van een gemeente"}[role]


def create_user(
    engine: Engine, role: str, scopes: Sequence[str], now: datetime, swv_codes: Collection[str], *,
    name: str | None = None, days: int = DEFAULT_DAYS, token: str | None = None,
) -> tuple[User, str]:
    """Make an account; return it with its token, the only time the token is available.

    ``token`` is for tests and fixtures only: without it a random one is made
    (``secrets.token_urlsafe(32)``).
    """
    user, token = new_user(role, scopes, now, swv_codes, name=name, days=days, token=token)
    with engine.begin() as conn:
        insert_user(conn, user, token)
    return user, token


def new_user(
    role: str, scopes: Sequence[str], now: datetime, swv_codes: Collection[str], *,
    name: str | None = None, days: int = DEFAULT_DAYS, token: str | None = None,
) -> tuple[User, str]:
    """An account not yet stored, with its token: role, scopes, name and days checked (AccountError, Dutch)."""
    cleaned = validate_scopes(role, scopes, swv_codes)
    if not 1 <= days <= MAX_DAYS:
        raise AccountError(f"Een token is 1 tot {MAX_DAYS} dagen geldig; {days} kan niet.")
    user_id = str(uuid.uuid4())
    name = name if name is not None else f"{role}-{user_id[:8]}"
    if not USERNAME.match(name):
        raise AccountError(f"Ongeldige gebruikersnaam '{name}': gebruik kleine letters, cijfers, '.', '_' of '-' "
                           "(een gebruikersnaam, geen volledige naam).")
    token = token or secrets.token_urlsafe(32)
    return User(user_id, name, role, cleaned, now, now + timedelta(days=days), None), token


def insert_user(conn: Connection, user: User, token: str) -> None:
    """Store a new account (of :func:`new_user`) within the transaction open on ``conn``."""
    conn.execute(insert(users), {"id": user.id, "name": user.name, "role": user.role, "scopes": list(user.scopes),
                                 "token_hash": token_hash(token), "created_at": user.created_at,
                                 "expires_at": user.expires_at, "revoked_at": None})


def require_free_name(conn: Connection, name: str) -> None:
    """AccountError (Dutch) if an active (not revoked) account already has this name."""
    taken = conn.execute(select(users.c.id).where(users.c.name == name, users.c.revoked_at.is_(None))).first()
    if taken is not None:
        raise AccountError(f"Er is al een account met de gebruikersnaam '{name}'; kies een andere naam.")


def list_users(engine: Engine) -> list[User]:
    """Every account, oldest first."""
    with engine.connect() as conn:
        rows = conn.execute(select(*_COLUMNS).order_by(users.c.created_at, users.c.id)).all()
    return [_user(r._mapping) for r in rows]  # noqa: SLF001 - SQLAlchemy's public row mapping


def revoke_user(engine: Engine, user_id: str, now: datetime) -> User:
    """Revoke the account's token from ``now`` on (revoking twice keeps the first instant)."""
    with engine.begin() as conn:
        return revoke_user_in(conn, user_id, now)


def revoke_user_in(conn: Connection, user_id: str, now: datetime) -> User:
    """:func:`revoke_user` within the transaction open on ``conn``."""
    conn.execute(update(users).where(users.c.id == user_id, users.c.revoked_at.is_(None)).values(revoked_at=now))
    row = conn.execute(select(*_COLUMNS).where(users.c.id == user_id)).first()
    if row is None:
        raise AccountError(f"Er is geen gebruiker met id {user_id}.")
    return _user(row._mapping)  # noqa: SLF001


def find_user(conn: Connection, user_id: str) -> User | None:
    """The account with this id, or None."""
    row = conn.execute(select(*_COLUMNS).where(users.c.id == user_id)).first()
    return None if row is None else _user(row._mapping)  # noqa: SLF001


def authenticate(engine: Engine, token: str, now: datetime) -> Principal:
    """The principal the token belongs to; NotAuthenticated if it is unknown, expired or revoked.

    One statement, so on PostgreSQL it runs in autocommit: it sees the latest committed row just the
    same (a revocation counts from its commit), without the BEGIN and ROLLBACK around it, two of the
    three round trips this lookup made on every API request. (SQLite's driver begins no transaction
    for a SELECT anyway; switching it would only add a PRAGMA to reset the connection.) It runs on every
    request, pre-rendered on the driver's cursor (:mod:`infra.store.statements`), so that a revocation
    counts at once in every process.
    """
    with engine.connect() as conn:
        if conn.dialect.name != "sqlite":
            conn.execution_options(isolation_level="AUTOCOMMIT")
        statements = Statements.for_dialect(conn.dialect)
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        cursor.execute(statements.sql["token_user"], {"token_hash": token_hash(token)})
        row = cursor.fetchone()
    if row is None:
        raise NotAuthenticated("Het token is onbekend. Vraag een beheerder om een nieuw token.")
    user_id, role, scopes, expires_at, revoked_at = row
    if revoked_at is not None:
        raise NotAuthenticated("Het token is ingetrokken. Vraag een beheerder om een nieuw token.")
    if statements.instant(expires_at) <= now:
        raise NotAuthenticated("Het token is verlopen. Vraag een beheerder om een nieuw token.")
    return Principal(user_id, role, tuple(statements.document(scopes)))


_COLUMNS = [users.c.id, users.c.name, users.c.role, users.c.scopes, users.c.created_at, users.c.expires_at,
            users.c.revoked_at]


def _user(row: Any) -> User:
    return User(row["id"], row["name"], row["role"], tuple(row["scopes"]), row["created_at"], row["expires_at"],
                row["revoked_at"])
