"""Server-side sessions of the web pages: started at sign-in, looked up on every page, ended at sign-out.

A session id is random (``secrets.token_urlsafe(32)``) and lives only in the browser's cookie; the
database keeps its SHA-256, the CSRF token its forms carry, and when it ends (8 hours after sign-in,
or at sign-out). A revoked account's sessions stop working at once, an expired account's when it expires.
Setting a password or replacing the TOTP secret (``infra.identity.web_accounts``) ends an account's sessions.
The sign-out is in the audit log (``web.sign_out``) with the account's id.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, insert, select, update

from domain.access import Principal
from infra.identity import audit
from infra.store.sign_in_tables import web_sessions
from infra.store.tables import users

__all__ = ["SESSION", "WebSession", "end_session", "find_session", "session_hash", "start_session"]

SESSION = timedelta(hours=8)


@dataclass(frozen=True)
class WebSession:
    """A signed-in browser: who it is (as the API would see them), their username and the CSRF token."""

    principal: Principal
    name: str
    csrf_token: str
    expires_at: datetime


def session_hash(session_id: str) -> str:
    """The stored form of a session id: its SHA-256 in hex."""
    return hashlib.sha256(session_id.encode()).hexdigest()


def start_session(engine: Engine, principal: Principal, now: datetime) -> str:
    """A new session for the signed-in principal; returns its id (for the cookie, never stored)."""
    session_id = secrets.token_urlsafe(32)
    with engine.begin() as conn:
        conn.execute(insert(web_sessions), {"id_hash": session_hash(session_id), "user_id": principal.user_id,
                                            "csrf_token": secrets.token_urlsafe(32), "created_at": now,
                                            "expires_at": now + SESSION, "revoked_at": None})
    return session_id


def find_session(engine: Engine, session_id: str, now: datetime) -> WebSession | None:
    """The live session with this id (not expired, not ended, its account neither revoked nor expired), or None.

    A session of an account that expires ends then, also within its eight hours.
    """
    query = (select(users.c.id, users.c.name, users.c.role, users.c.scopes, web_sessions.c.csrf_token,
                    web_sessions.c.expires_at)
             .join(users, users.c.id == web_sessions.c.user_id)
             .where(web_sessions.c.id_hash == session_hash(session_id), web_sessions.c.revoked_at.is_(None),
                    users.c.revoked_at.is_(None), users.c.expires_at > now))
    with engine.connect() as conn:
        row = conn.execute(query).first()
    if row is None or row.expires_at <= now:
        return None
    return WebSession(Principal(row.id, row.role, tuple(row.scopes)), row.name, row.csrf_token, row.expires_at)


def end_session(engine: Engine, session_id: str, now: datetime, principal: Principal | None = None) -> None:
    """Sign out: the session stops working from ``now`` on (audited when the principal is given)."""
    with engine.begin() as conn:
        conn.execute(update(web_sessions).where(web_sessions.c.id_hash == session_hash(session_id),
                                                web_sessions.c.revoked_at.is_(None)).values(revoked_at=now))
    if principal is not None:
        audit.append(engine, at=now, user_id=principal.user_id, role=principal.role, action="web.sign_out",
                     resource=f"user:{principal.user_id}", purpose="Uitloggen", outcome="ok")
