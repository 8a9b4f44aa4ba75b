"""Rate limits on web sign-in, per client address and per typed username, shared by every worker.

Each attempt is counted in a fixed one-minute window twice: under its client address
(``adres:<ip>``) and under the username that was typed (``naam:<sha256>``, known or not, so the limit
itself never tells whether a name exists). An attempt over either limit is refused before anything
else happens (no account lookup, no argon2) with :class:`SignInLimited`, which says in Dutch how many
seconds to wait (the page answers 429 with ``Retry-After``).

The counters live in the database (``web_sign_in_windows``) and only change through conditional
updates (``admitted = admitted + 1 WHERE admitted < limit``), so two API workers on one database share
them and sixty simultaneous attempts let exactly ``limit`` through. A fixed window is simpler than a
token bucket and good enough here: at a window's edge a client gets at most twice the limit within a
few seconds, and the account lock-out (five failures) still bounds what guessing achieves.

The audit log keeps every attempt that was let through (each its own row, written by
``infra.web_accounts``), but not every refused one: a flood would fill the append-only log for ever.
Refusals are counted per address and window instead, and when the window is over the next sign-in
attempt (from anyone) deletes the window's rows and writes one audit row per address that was refused:
``web.sign_in`` on ``adres:<ip>`` with the outcome ``limited:<count>`` at the window's end. The typed
name is kept only as its SHA-256 and only until its window is deleted (a name may be a mistyped
password; the audit log never gets it).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import structlog
from sqlalchemy import Connection, Engine, delete, select, tuple_, update

from infra import audit
from infra.db import dialect_insert
from infra.tables import web_sign_in_windows as windows
from infra.web_accounts import SIGN_IN_PURPOSE, UNKNOWN_ACCOUNT

log = structlog.get_logger("leerlingroute")
WINDOW = timedelta(minutes=1)
ADDRESS = "adres:"
NAME = "naam:"
MAX_ADDRESS = 64
"""Longer than any IPv6 address with zone; what a proxy might send beyond it is cut off."""


@dataclass(frozen=True)
class Limits:
    """How many sign-in attempts a minute may come from one address and name one username."""

    per_address: int = 10
    per_name: int = 5


class SignInLimited(Exception):
    """Too many attempts in this window; ``str()`` is the Dutch sentence, ``retry_after_s`` the wait."""

    def __init__(self, retry_after_s: int) -> None:
        self.retry_after_s = retry_after_s
        super().__init__(f"U hebt het te vaak achter elkaar geprobeerd. Wacht {retry_after_s} seconden en "
                         "probeer het dan opnieuw.")


def window_start(at: datetime) -> datetime:
    """The start of the one-minute window ``at`` falls in."""
    seconds = int(at.timestamp())
    return datetime.fromtimestamp(seconds - seconds % int(WINDOW.total_seconds()), UTC)


def address_key(address: str) -> str:
    """The counter of a client address."""
    return ADDRESS + address[:MAX_ADDRESS]


def name_key(name: str) -> str:
    """The counter of a typed username: its SHA-256, case-folded (a name differing only in case counts as one)."""
    return NAME + hashlib.sha256(name.casefold().encode()).hexdigest()


def admit(engine: Engine, address: str, name: str, now: datetime, limits: Limits) -> None:
    """Count one attempt from ``address`` for ``name``; SignInLimited if either is over its limit.

    One transaction: the past windows are closed first (their refusals to the audit log), then the
    attempt takes a place in the address's window and then in the name's (always in that order, so
    two attempts never wait for each other's rows crosswise).
    """
    start, first = window_start(now), False
    with engine.begin() as conn:
        _close_past_windows(conn, start)
        over = next((kind for kind, key, limit in (("address", address_key(address), limits.per_address),
                                                    ("name", name_key(name), limits.per_name))
                     if not _take(conn, key, start, limit)), None)
        if over is not None:
            first = _count_refusal(conn, address_key(address), start) == 1
    if over is None:
        return
    retry_after = max(1, math.ceil((start + WINDOW - now).total_seconds()))
    if first:
        log.warning("web_sign_in_limited", limit=over, retry_after_s=retry_after)
    raise SignInLimited(retry_after)


def _take(conn: Connection, key: str, start: datetime, limit: int) -> bool:
    """Whether the window of ``key`` had room for one more attempt (and now holds it)."""
    conn.execute(dialect_insert(conn, windows).values(key=key, window_start=start, admitted=0, refused=0)
                 .on_conflict_do_nothing())
    taken = conn.execute(update(windows).where(windows.c.key == key, windows.c.window_start == start,
                                               windows.c.admitted < limit).values(admitted=windows.c.admitted + 1))
    return taken.rowcount == 1


def _count_refusal(conn: Connection, key: str, start: datetime) -> int:
    """Add one refusal to the address's window; how many it has now."""
    where = (windows.c.key == key, windows.c.window_start == start)
    conn.execute(update(windows).where(*where).values(refused=windows.c.refused + 1))
    refused: int = conn.execute(select(windows.c.refused).where(*where)).scalar_one()
    return refused


def _close_past_windows(conn: Connection, start: datetime) -> None:
    """Delete the windows before ``start``; each address with refusals there gets one audit row.

    The rows are claimed with ``FOR UPDATE SKIP LOCKED`` (PostgreSQL; SQLite has one writer at a time),
    so two workers closing at once neither wait for each other nor write a window's row twice.
    """
    past = (select(windows.c.key, windows.c.window_start).where(windows.c.window_start < start)
            .with_for_update(skip_locked=True))
    gone = conn.execute(delete(windows).where(tuple_(windows.c.key, windows.c.window_start).in_(past))
                        .returning(windows.c.key, windows.c.window_start, windows.c.refused)).all()
    for row in sorted(gone, key=lambda r: (r.window_start, r.key)):
        if row.key.startswith(ADDRESS) and row.refused:
            audit.append_in(conn, at=row.window_start + WINDOW, user_id=UNKNOWN_ACCOUNT, role="",
                            action="web.sign_in", resource=row.key, purpose=SIGN_IN_PURPOSE,
                            outcome=f"limited:{row.refused}")
