"""Rate limits on web sign-in, per client, per typed username and over all clients, shared by every worker.

Each attempt is counted in a fixed one-minute window three times: under its client (``adres:<ip>``),
under the username that was typed (``naam:<sha256>``, known or not, so the limit itself never tells
whether a name exists), and, if both let it through, under ``alle``: every attempt from all clients
together. An attempt over any limit is refused before anything else happens (no account lookup, no
argon2) with :class:`SignInLimited`, which says in Dutch how many seconds to wait (the page answers 429
with ``Retry-After``).

A client is its IPv4 address, or the /64 network of its IPv6 address (one subscriber gets a whole /64
and could take a new address for every attempt; an IPv4-mapped IPv6 address counts as its IPv4 address).
The overall limit (120 a minute) bounds what a flood from many networks costs: at most that many argon2
verifications and per-attempt audit rows a minute, however many addresses it comes from (while it lasts,
people may be refused too: the price of keeping the server's work bounded).

The counters live in the database (``web_sign_in_windows``) and only change through conditional
updates (``admitted = admitted + 1 WHERE admitted < limit``), so two API workers on one database share
them and sixty simultaneous attempts let exactly ``limit`` through. A fixed window is simpler than a
token bucket and good enough here: at a window's edge a client gets at most twice the limit within a
few seconds, and the account lock-out (five failures) still bounds what guessing achieves.

The audit log keeps every attempt that was let through (each its own row, written by
``infra.identity.web_accounts``), but not every refused one: a flood would fill the append-only log for ever.
Refusals are counted per client and window instead, and when the window is over the next sign-in
attempt (from anyone) deletes the window's rows and writes one audit row per client that was refused:
``web.sign_in`` on ``adres:<ip or /64>`` with the outcome ``limited:<count>`` at the window's end; for
at most :data:`MAX_SUMMARY_ROWS` clients (those refused most), the others' refusals together in one row
on ``adres:overige``. The typed name is kept only as its SHA-256 and only until its window is deleted (a
name may be a mistyped password; the audit log never gets it).
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import groupby

import structlog
from sqlalchemy import Connection, Engine, Row, delete, select, tuple_, update

from infra.identity import audit
from infra.identity.web_accounts import SIGN_IN_PURPOSE, UNKNOWN_ACCOUNT
from infra.store.db import dialect_insert
from infra.store.sign_in_tables import web_sign_in_windows as windows

log = structlog.get_logger("leerlingroute")
WINDOW = timedelta(minutes=1)
ADDRESS = "adres:"
NAME = "naam:"
ALL = "alle"
"""The counter of every attempt from all clients together."""
UNKNOWN_CLIENT = ADDRESS + "onbekend"
"""The counter of every attempt whose client is no IP address (none known): they share one window."""
OTHERS = ADDRESS + "overige"
"""The audit resource of the refusals of the clients beyond :data:`MAX_SUMMARY_ROWS` in a window."""
MAX_SUMMARY_ROWS = 50
"""Clients with their own audit row for a window's refusals; the rest share one (the log stays bounded)."""
IPV6_SUBSCRIBER_PREFIX = 64


@dataclass(frozen=True)
class Limits:
    """How many sign-in attempts a minute may come from one client, name one username, and come in all."""

    per_address: int = 10
    per_name: int = 5
    overall: int = 120


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
    """The counter of a client address: ``adres:`` and the IPv4 address, or the /64 network of an IPv6
    address (an IPv4-mapped one as its IPv4 address); :data:`UNKNOWN_CLIENT` for anything else.
    """
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return UNKNOWN_CLIENT
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if isinstance(ip, ipaddress.IPv6Address):  # int() drops a zone (%eth0) too
        return ADDRESS + str(ipaddress.IPv6Network((int(ip), IPV6_SUBSCRIBER_PREFIX), strict=False))
    return ADDRESS + str(ip)


def name_key(name: str) -> str:
    """The counter of a typed username: its SHA-256, case-folded (a name differing only in case counts as one)."""
    return NAME + hashlib.sha256(name.casefold().encode()).hexdigest()


def admit(engine: Engine, address: str, name: str, now: datetime, limits: Limits) -> None:
    """Count one attempt from ``address`` for ``name``; SignInLimited if any limit is reached.

    One transaction: the past windows are closed first (their refusals to the audit log), then the
    attempt takes a place in the client's window, then in the name's, then in the overall one (always in
    that order, so two attempts never wait for each other's rows crosswise; and only an attempt both let
    through counts overall, so one client cannot use up the overall limit alone).
    """
    start, first = window_start(now), False
    with engine.begin() as conn:
        _close_past_windows(conn, start)
        over = next((kind for kind, key, limit in (("address", address_key(address), limits.per_address),
                                                    ("name", name_key(name), limits.per_name),
                                                    ("overall", ALL, limits.overall))
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
    """Delete the windows before ``start``; the refused clients of each get their audit rows.

    The rows are claimed with ``FOR UPDATE SKIP LOCKED`` (PostgreSQL; SQLite has one writer at a time),
    so two workers closing at once neither wait for each other nor write a window's row twice.
    """
    past = (select(windows.c.key, windows.c.window_start).where(windows.c.window_start < start)
            .with_for_update(skip_locked=True))
    gone = conn.execute(delete(windows).where(tuple_(windows.c.key, windows.c.window_start).in_(past))
                        .returning(windows.c.key, windows.c.window_start, windows.c.refused)).all()
    refused = sorted((r for r in gone if r.key.startswith(ADDRESS) and r.refused), key=lambda r: r.window_start)
    for window, rows in groupby(refused, key=lambda r: r.window_start):
        for resource, count in _summary(list(rows)):
            audit.append_in(conn, at=window + WINDOW, user_id=UNKNOWN_ACCOUNT, role="", action="web.sign_in",
                            resource=resource, purpose=SIGN_IN_PURPOSE, outcome=f"limited:{count}")


def _summary(rows: list[Row[tuple[str, datetime, int]]]) -> list[tuple[str, int]]:
    """One window's refused clients as audit rows (resource, count): the :data:`MAX_SUMMARY_ROWS` refused
    most each their own, in the order of their keys, then one :data:`OTHERS` with the rest's refusals.
    """
    most = sorted(rows, key=lambda r: (-r.refused, r.key))
    kept = sorted((r.key, r.refused) for r in most[:MAX_SUMMARY_ROWS])
    rest = sum(r.refused for r in most[MAX_SUMMARY_ROWS:])
    return kept + ([(OTHERS, rest)] if rest else [])
