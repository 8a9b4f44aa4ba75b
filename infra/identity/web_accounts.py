"""Sign-in for people on the web pages: a password (argon2) plus a TOTP code, and server-side sessions.

- An account of ``infra.identity.accounts`` gets a password and a new TOTP secret from the CLI
  (``leerlingroute users set-password NAME``) or, made on the admin page, a random first password and a
  TOTP secret; doing so again replaces both and ends its sessions. The admin page can also replace only
  the TOTP secret (a lost phone): the old codes stop working and the sessions end.
- TOTP is RFC 6238: HMAC-SHA-1, 30-second steps, 6 digits; the codes of the previous, current and
  next step are accepted (clock drift), each step at most once (a code cannot be replayed, not even
  by many attempts racing with it: the step is marked used by a conditional update, one wins).
- Every attempt on an account claims a place before its password is checked (a conditional increment
  of its failures); a success gives it back. The fifth claim locks the account for 15 minutes, during
  which even the right password and code are refused, so at most five passwords are ever checked per
  lock window, however many attempts race. What a person is told is the same in every case, and every
  attempt costs one argon2 verification (a dummy hash for an unknown name or a locked account), so
  neither the answer nor its timing reveals whether a username exists or which factor was wrong.
- A sign-in is three steps: :func:`begin_attempt` (a transaction), :func:`check_attempt` (argon2 and
  TOTP, no database) and :func:`finish_attempt` (a transaction); :func:`sign_in` runs them in a row.
  The page runs the check on its own few threads (``web.auth``) and limits attempts per address and
  per name before the first step (``infra.identity.sign_in_limits``).
- Every attempt that got this far and every sign-out is in the audit log (``web.sign_in`` with outcome
  ok, wrong, replayed, locked_now, locked or unknown, in the transaction that records the attempt;
  ``web.sign_out``): the account's id, never the name that was typed.
- A signed-in person gets a session (``infra.identity.web_sessions``); setting a password or replacing
  the TOTP secret ends the account's sessions. An expired account cannot sign in (as for its API token).

A signed-in person is the same :class:`domain.access.Principal` (user id, role, scopes) as their API
token would give, so the pages go through the same scope checks and audit log as the API.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from typing import Any

import structlog
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, Engine, insert, or_, select, update

from domain.access import Principal
from infra.identity import audit
from infra.identity.accounts import AccountError, User
from infra.identity.totp import TOTP_STEP_S, matching_step, new_totp_secret, otpauth_uri, totp
from infra.store.sign_in_tables import web_credentials, web_sessions
from infra.store.tables import users

__all__ = [
    "LOCK", "MAX_ATTEMPTS", "MAX_PASSWORD", "MIN_PASSWORD", "REFUSED", "SIGN_IN_PURPOSE", "TOTP_STEP_S",
    "UNKNOWN_ACCOUNT", "Attempt", "CredentialState", "Enrolment", "NewAccount", "NewCredentials", "SignInRefused",
    "Verdict", "begin_attempt", "check_attempt", "check_password_rules", "credential_states", "finish_attempt",
    "new_credentials", "new_password", "otpauth_uri", "password_matches", "reset_second_factor_in", "set_password",
    "sign_in", "store_credentials", "totp",
]
"""With the TOTP of :mod:`infra.identity.totp` that an enrolment hands out (``totp``, ``otpauth_uri``,
``TOTP_STEP_S``)."""

log = structlog.get_logger("leerlingroute")
MIN_PASSWORD = 12
MAX_PASSWORD = 1024
MAX_ATTEMPTS = 5
UNKNOWN_ACCOUNT = "onbekend"
SIGN_IN_PURPOSE = "Inloggen op de webpagina's"
LOCK = timedelta(minutes=15)
REFUSED = ("Inloggen is niet gelukt: de gebruikersnaam, het wachtwoord of de code klopt niet. "
           f"Na {MAX_ATTEMPTS} mislukte pogingen is een account {LOCK.seconds // 60} minuten geblokkeerd.")
"""The one message for every refused sign-in: unknown name, wrong password, wrong code, locked."""


class SignInRefused(Exception):
    """The sign-in is refused; ``str()`` is the Dutch sentence to show (always :data:`REFUSED`)."""

    def __init__(self) -> None:
        super().__init__(REFUSED)


@dataclass(frozen=True)
class Enrolment:
    """A password set: the account, and its new TOTP secret as a base32 string and otpauth:// URI."""

    user_id: str
    name: str
    secret: str
    uri: str


@dataclass(frozen=True)
class CredentialState:
    """Whether an account can sign in on the web, and until when it is locked (if it is)."""

    user_id: str
    locked_until: datetime | None
    updated_at: datetime


# --- passwords --------------------------------------------------------------------------------------


@cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()


@cache
def _dummy_hash() -> str:
    """A hash to verify against for an unknown username, so that it takes as long as a known one."""
    return _hasher().hash(secrets.token_urlsafe(16))


def password_matches(stored_hash: str, password: str) -> bool:
    """Whether ``password`` is the one ``stored_hash`` (argon2) was made of: one argon2 verification,
    the costly step of a sign-in (none for a password longer than any we accept).
    """
    if len(password) > MAX_PASSWORD:
        return False
    try:
        return _hasher().verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def check_password_rules(password: str) -> None:
    """AccountError (Dutch) unless the password is long enough and not absurdly long."""
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"Het wachtwoord is te kort: gebruik minstens {MIN_PASSWORD} tekens.")
    if len(password) > MAX_PASSWORD:
        raise AccountError(f"Het wachtwoord is te lang: gebruik hoogstens {MAX_PASSWORD} tekens.")


# --- enrolment ----------------------------------------------------------------------------------------


def set_password(engine: Engine, name: str, password: str, now: datetime) -> Enrolment:
    """Give the (active) account ``name`` this password and a new TOTP secret; unlock it and end its
    sessions. AccountError (Dutch) for an unknown, revoked or ambiguous name or a weak password.
    """
    credentials = new_credentials(password)
    with engine.begin() as conn:
        enrolment = store_credentials(conn, name, credentials, now)
    log.info("web_credentials", action="set", user_id=enrolment.user_id)
    return enrolment


@dataclass(frozen=True)
class NewCredentials:
    """A password's argon2 hash and a new TOTP secret, made before the transaction that stores them."""

    password_hash: str
    secret: str = field(repr=False)


def new_credentials(password: str) -> NewCredentials:
    """The hash of ``password`` (AccountError, Dutch, if it breaks the rules) and a new TOTP secret."""
    check_password_rules(password)
    return NewCredentials(_hasher().hash(password), new_totp_secret())


def new_password() -> str:
    """A random first password for an account made on the admin page (20 characters, shown once)."""
    return secrets.token_urlsafe(15)


def store_credentials(conn: Connection, name: str, credentials: NewCredentials, now: datetime) -> Enrolment:
    """:func:`set_password` within the transaction open on ``conn``, with credentials made beforehand."""
    row = {"password_hash": credentials.password_hash, "totp_secret": credentials.secret, "totp_last_step": 0,
           "failed_attempts": 0, "locked_until": None, "updated_at": now}
    user_id = _active_user_id(conn, name)
    done = conn.execute(update(web_credentials).where(web_credentials.c.user_id == user_id).values(**row))
    if done.rowcount == 0:
        conn.execute(insert(web_credentials), {"user_id": user_id, **row})
    _end_sessions(conn, user_id, now)
    return Enrolment(user_id, name, credentials.secret, otpauth_uri(credentials.secret, name))


@dataclass(frozen=True)
class NewAccount:
    """An account made on the admin page, with what is shown only once: its API token, first password and
    TOTP secret (in the enrolment).
    """

    user: User
    token: str = field(repr=False)
    password: str = field(repr=False)
    enrolment: Enrolment = field(repr=False)


def reset_second_factor_in(conn: Connection, user_id: str, now: datetime) -> Enrolment:
    """Give the active account with web credentials a new TOTP secret (the old one's codes stop working),
    keeping its password; unlock it and end its sessions. AccountError (Dutch) for an unknown or revoked
    account or one without a password for the pages.
    """
    account = conn.execute(select(users.c.name, users.c.revoked_at).where(users.c.id == user_id)).first()
    if account is None:
        raise AccountError(f"Er is geen gebruiker met id {user_id}.")
    if account.revoked_at is not None:
        raise AccountError(f"De gebruiker '{account.name}' is ingetrokken; een nieuwe tweede factor kan niet meer.")
    secret = new_totp_secret()
    done = conn.execute(update(web_credentials).where(web_credentials.c.user_id == user_id).values(
        totp_secret=secret, totp_last_step=0, failed_attempts=0, locked_until=None, updated_at=now))
    if done.rowcount == 0:
        raise AccountError(f"De gebruiker '{account.name}' heeft nog geen wachtwoord voor de webpagina's, dus ook "
                           "geen tweede factor om te vervangen.")
    _end_sessions(conn, user_id, now)
    return Enrolment(user_id, account.name, secret, otpauth_uri(secret, account.name))


def _end_sessions(conn: Connection, user_id: str, now: datetime) -> None:
    conn.execute(update(web_sessions).where(web_sessions.c.user_id == user_id,
                                            web_sessions.c.revoked_at.is_(None)).values(revoked_at=now))


def _active_user_id(conn: Connection, name: str) -> str:
    found = conn.execute(select(users.c.id, users.c.revoked_at).where(users.c.name == name)).all()
    active = [r.id for r in found if r.revoked_at is None]
    if not found:
        raise AccountError(f"Er is geen gebruiker met de naam '{name}'. Maak die eerst met `leerlingroute users "
                           "create`.")
    if not active:
        raise AccountError(f"De gebruiker '{name}' is ingetrokken; een wachtwoord instellen kan niet meer.")
    if len(active) > 1:
        raise AccountError(f"Er zijn {len(active)} actieve gebruikers met de naam '{name}'; trek de overbodige in "
                           "met `leerlingroute users revoke`.")
    user_id: str = active[0]
    return user_id


def credential_states(engine: Engine) -> dict[str, CredentialState]:
    """Every account that can sign in on the web, by user id."""
    with engine.connect() as conn:
        rows = conn.execute(select(web_credentials.c.user_id, web_credentials.c.locked_until,
                                   web_credentials.c.updated_at)).all()
    return {r.user_id: CredentialState(r.user_id, r.locked_until, r.updated_at) for r in rows}


# --- signing in -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    """A sign-in attempt after its first transaction: the account and what the attempt may do.

    ``account`` is the row of the one active account with the typed name and web credentials (None:
    there is none). ``claim`` is 'unknown' (no account), 'locked' (locked, or five attempts of this lock
    window are being or were checked already), 'counted' (it holds one of the five places of the lock
    window) or 'locking' (it took the fifth place, which locked the account before its check ran).
    """

    account: Any
    claim: str


@dataclass(frozen=True)
class Verdict:
    """What checking the password and code found: the TOTP step they match (None: refused) and, when the
    stored hash uses older argon2 parameters, the password's new hash.
    """

    step: int | None
    new_hash: str | None = None


def sign_in(engine: Engine, name: str, password: str, code: str, now: datetime) -> Principal:
    """The principal of the account whose password and current TOTP code these are; SignInRefused
    otherwise (unknown or revoked name, wrong password or code, a replayed code, or a locked account).
    The three steps in one go; the web page runs them itself, the check on a small pool of threads.
    """
    attempt = begin_attempt(engine, name, now)
    return finish_attempt(engine, attempt, check_attempt(attempt, password, code, now), now)


def begin_attempt(engine: Engine, name: str, now: datetime) -> Attempt:
    """Find the account and claim the right to check a password against it (one transaction).

    The claim is a conditional increment of the failures (``failed_attempts < 5`` and not locked), made
    before any password is checked and counted as a failure until a success gives it back: however many
    attempts race, at most five passwords are checked against an account per lock window. The fifth
    claim locks the account at once; if its own check then succeeds, that success lifts the lock.
    """
    with engine.begin() as conn:
        row = _credentials_of(conn, name, now)
        claim = "unknown" if row is None else _claim(conn, row.id, now)
    return Attempt(row, claim)


def check_attempt(attempt: Attempt, password: str, code: str, now: datetime) -> Verdict:
    """Check password and code: no database, exactly one argon2 verification whatever the name or state.

    An unknown name or a locked account is checked against a fixed dummy hash, so that every refusal
    takes as long as a wrong password for a real account (the time tells nothing); only a claimed
    attempt is checked against the account's hash.
    """
    row = attempt.account
    if attempt.claim not in {"counted", "locking"}:
        password_matches(_dummy_hash(), password)
        return Verdict(None)
    if not password_matches(row.password_hash, password):
        return Verdict(None)
    step = matching_step(row.totp_secret, "".join(code.split()), now)
    rehash = _hasher().hash(password) if step is not None and _hasher().check_needs_rehash(row.password_hash) \
        else None
    return Verdict(step, rehash)


def finish_attempt(engine: Engine, attempt: Attempt, verdict: Verdict, now: datetime) -> Principal:
    """Record the attempt's outcome and its audit row in one transaction; the principal, or SignInRefused.

    A success marks its TOTP step used with a conditional update (``totp_last_step < step``): of any
    number of attempts racing with the same code exactly one succeeds, the others are 'replayed'.
    """
    row = attempt.account
    with engine.begin() as conn:
        outcome = _outcome(conn, attempt, verdict)
        _audit_sign_in(conn, row, outcome, now)
    if outcome != "ok":
        log.info("web_sign_in", outcome="refused", reason=outcome, user_id=row.id if row is not None else None)
        raise SignInRefused
    log.info("web_sign_in", outcome="ok", user_id=row.id)
    return Principal(row.id, row.role, tuple(row.scopes))


def _outcome(conn: Connection, attempt: Attempt, verdict: Verdict) -> str:
    """'ok', 'unknown', 'locked', 'locked_now' (the fifth failure), 'wrong' or 'replayed' (the right code
    once more, or by an attempt that lost the race for it).
    """
    if attempt.claim in {"unknown", "locked"}:
        return attempt.claim
    if verdict.step is not None and _succeed(conn, attempt.account, verdict):
        return "ok"
    if attempt.claim == "locking":
        return "locked_now"
    return "wrong" if verdict.step is None else "replayed"


def _audit_sign_in(conn: Connection, row: Any, outcome: str, now: datetime) -> None:
    """Every attempt in the audit log: the account's id and role (never the typed name: it may be a
    mistyped password), or 'onbekend' for a name that is no account.
    """
    user_id, role = (row.id, row.role) if row is not None else (UNKNOWN_ACCOUNT, "")
    audit.append_in(conn, at=now, user_id=user_id, role=role, action="web.sign_in", resource=f"user:{user_id}",
                    purpose=SIGN_IN_PURPOSE, outcome=outcome)


def _credentials_of(conn: Connection, name: str, now: datetime) -> Any:
    """The one active account named ``name`` with web credentials (or None), with its role and scopes.

    Active: neither revoked nor expired at ``now`` (an expired account signs in no more than its API token
    authenticates; to the person it is like an unknown name).
    """
    query = (select(users.c.id, users.c.role, users.c.scopes, web_credentials)
             .join(web_credentials, web_credentials.c.user_id == users.c.id)
             .where(users.c.name == name, users.c.revoked_at.is_(None), users.c.expires_at > now))
    rows = conn.execute(query).all()
    return rows[0] if len(rows) == 1 else None


def _claim(conn: Connection, user_id: str, now: datetime) -> str:
    """Take a place in the account's lock window: 'counted', 'locking' (the fifth) or 'locked' (none left)."""
    mine = web_credentials.c.user_id == user_id
    free = or_(web_credentials.c.locked_until.is_(None), web_credentials.c.locked_until <= now)
    claimed = conn.execute(update(web_credentials).where(mine, web_credentials.c.failed_attempts < MAX_ATTEMPTS, free)
                           .values(failed_attempts=web_credentials.c.failed_attempts + 1))
    if claimed.rowcount == 0:
        return "locked"
    if conn.execute(select(web_credentials.c.failed_attempts).where(mine)).scalar_one() < MAX_ATTEMPTS:
        return "counted"
    conn.execute(update(web_credentials).where(mine).values(failed_attempts=0, locked_until=now + LOCK))
    log.info("web_sign_in", outcome="locked", user_id=user_id, minutes=LOCK.seconds // 60)
    return "locking"


def _succeed(conn: Connection, row: Any, verdict: Verdict) -> bool:
    """Mark the step used, give the claim back and lift a lock, if the step is still unused and the
    password unchanged since the attempt began (``set-password`` in between wins); whether it was.
    """
    values: dict[str, Any] = {"failed_attempts": 0, "locked_until": None, "totp_last_step": verdict.step}
    if verdict.new_hash is not None:
        values["password_hash"] = verdict.new_hash
    done = conn.execute(update(web_credentials).where(
        web_credentials.c.user_id == row.id, web_credentials.c.totp_last_step < verdict.step,
        web_credentials.c.password_hash == row.password_hash).values(**values))
    return done.rowcount == 1
