"""The web sign-in tables (issue 7): people's passwords, TOTP secrets, sign-in attempts per minute and
server-side sessions.

Defined on the one schema's ``metadata`` (:mod:`infra.store.tables`, where the accounts in ``users`` are):
whoever uses that metadata as the whole schema (Alembic's env, the schema tests) imports this module too.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table

from infra.store.tables import BigId, UTCDateTime, metadata

web_credentials = Table(
    "web_credentials", metadata,
    Column("user_id", String(36), ForeignKey("users.id"), primary_key=True),
    Column("password_hash", String(200), nullable=False),
    Column("totp_secret", String(64), nullable=False),
    Column("totp_last_step", BigId, nullable=False, server_default="0"),
    Column("failed_attempts", Integer, nullable=False, server_default="0"),
    Column("locked_until", UTCDateTime),
    Column("updated_at", UTCDateTime, nullable=False),
)
"""How a person signs in to the web pages: an argon2 hash of their password, their TOTP secret
(base32), the last TOTP time step used (a code is accepted once), failed attempts since the last
success, and until when the account is locked after too many."""

web_sign_in_windows = Table(
    "web_sign_in_windows", metadata,
    Column("key", String(80), primary_key=True),
    Column("window_start", UTCDateTime, primary_key=True),
    Column("admitted", Integer, nullable=False, server_default="0"),
    Column("refused", Integer, nullable=False, server_default="0"),
    Index("ix_web_sign_in_windows_window_start", "window_start"),
)
"""Sign-in attempts per one-minute window, per client address (``adres:<ip>``) and per typed username
(``naam:<sha256 of the name>``): how many were let through and how many refused (429). Rows of past
windows are deleted by the next attempt; an address's refusals then become one audit row."""

web_sessions = Table(
    "web_sessions", metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("user_id", String(36), ForeignKey("users.id"), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime),
    Index("ix_web_sessions_user_id", "user_id"),
)
"""A signed-in browser: the SHA-256 of its session id (the id itself lives only in the cookie), the
CSRF token its forms carry, and when it ends (expiry or sign-out)."""
