"""The hot-path statements, rendered once per dialect from the Core schema and run on the
driver's cursor: a command costs a few driver calls, not SQLAlchemy's per-call compilation.

Values are converted exactly as SQLAlchemy stores them (SQLite: naive UTC text
``YYYY-MM-DD HH:MM:SS.ffffff``, always with microseconds so text order is time order; JSON as
text), so Core queries read the same rows.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, ClassVar

from sqlalchemy import JSON, Dialect, bindparam, insert, literal_column, or_, select, text, update
from sqlalchemy.dialects import sqlite
from sqlalchemy.sql import ClauseElement, ColumnElement

from infra.store.tables import UTCDateTime, audit_log, case_events, case_links, cases, outbox, timers, users

_CASE_FIELDS = ("id", "pathway", "definition_version", "school_brin", "pupil_id", "stage", "opened_at",
                "stage_entered_at", "version", "artifacts", "profile")
_TIMER_FIELDS = ("id", "case_id", "name", "fires", "due_at", "deadline")
LINK_FIELDS = ("reaction", "source_case_id", "source_seq", "outcome", "reason", "at", "target_case_id", "target_seq")

_PENDING: ColumnElement[str] = literal_column("'pending'")

_CASES_WITH_TIMERS = (
    select(*(cases.c[f] for f in _CASE_FIELDS), *(timers.c[f] for f in _TIMER_FIELDS))
    .select_from(cases.outerjoin(timers, (timers.c.case_id == cases.c.id) & (timers.c.state == _PENDING)))
)

_STATEMENTS: dict[str, ClauseElement] = {
    "get_case": _CASES_WITH_TIMERS.where(cases.c.id == bindparam("id")),
    "get_cases": _CASES_WITH_TIMERS,
    "insert_case": insert(cases),
    "update_case": update(cases)
    .where(cases.c.id == bindparam("case_id"), cases.c.version == bindparam("expected_version"))
    .values(stage=bindparam("stage"), version=bindparam("version"), artifacts=bindparam("artifacts"),
            definition_version=bindparam("definition_version"), school_brin=bindparam("school_brin"),
            stage_entered_at=bindparam("stage_entered_at"), updated_at=bindparam("updated_at")),
    "insert_event": insert(case_events),
    "insert_outbox": insert(outbox).inline().values(
        case_id=bindparam("case_id"), seq=bindparam("seq"), type=bindparam("type"),
        pathway=bindparam("pathway"), stage_from=bindparam("stage_from"), stage_to=bindparam("stage_to"),
        occurred_at=bindparam("occurred_at")),
    "insert_timer": insert(timers).values(
        id=bindparam("id"), case_id=bindparam("case_id"), name=bindparam("name"), fires=bindparam("fires"),
        due_at=bindparam("due_at"), state=bindparam("state"), deadline=bindparam("deadline"),
        profile=bindparam("profile")),
    "links_of": select(*(case_links.c[f] for f in LINK_FIELDS))
    .where(or_(case_links.c.source_case_id == bindparam("case_id"),
               case_links.c.target_case_id == bindparam("case_id")))
    .order_by(case_links.c.at, case_links.c.source_seq),
    "token_user": select(users.c.id, users.c.role, users.c.scopes, users.c.expires_at, users.c.revoked_at)
    .where(users.c.token_hash == bindparam("token_hash")),
    "audit_head": text("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1"),
    "insert_audit": insert(audit_log),
    "finish_timer": update(timers)
    .where(timers.c.id == bindparam("timer_id"), timers.c.state == _PENDING)
    .values(state=bindparam("state"), finished_at=bindparam("finished_at"), reason=bindparam("reason")),
}


def rendering_dialect(dialect: Dialect) -> Dialect:
    """The dialect to render a statement in for ``dialect``'s driver cursor: SQLite's with named parameters
    (``:name``, which the driver takes with a mapping), else the dialect itself.
    """
    return sqlite.dialect(paramstyle="named") if dialect.name == "sqlite" else dialect


class Statements:
    """The statements for one dialect, with the value conversions that dialect needs."""

    _rendered: ClassVar[dict[tuple[str, str], Statements]] = {}

    @classmethod
    def for_dialect(cls, dialect: Dialect) -> Statements:
        """The statements for ``dialect``, rendered on first use and kept for the process."""
        key = (dialect.name, dialect.driver)
        if key not in cls._rendered:
            cls._rendered[key] = cls(dialect)
        return cls._rendered[key]

    def __init__(self, dialect: Dialect) -> None:
        self.sqlite = dialect.name == "sqlite"
        render_as = rendering_dialect(dialect)
        compiled = {name: stmt.compile(dialect=render_as) for name, stmt in _STATEMENTS.items()}
        self.sql = {name: str(c) for name, c in compiled.items()}
        self._instants = {name: tuple(k for k in c.params if k in _INSTANT_KEYS) for name, c in compiled.items()}
        self._documents = {name: tuple(k for k in c.params if k in _DOCUMENT_KEYS) for name, c in compiled.items()}

    def cases_in(self, count: int) -> tuple[str, list[str]]:
        """SQL reading ``count`` cases (with running timers) by id, and its parameter names."""
        names = [f"id{i}" for i in range(count)]
        marks = ", ".join(f":{n}" if self.sqlite else f"%({n})s" for n in names)
        return f"{self.sql['get_cases']} WHERE cases.id IN ({marks})", names

    def params(self, name: str, values: Mapping[str, Any]) -> dict[str, Any]:
        """Driver parameters for statement ``name``: instants in UTC, JSON as text."""
        bound = dict(values)
        convert = _sqlite_instant if self.sqlite else _utc
        for key in self._instants[name]:
            value = bound.get(key)
            if value is not None:
                bound[key] = convert(value)
        for key in self._documents[name]:
            bound[key] = json.dumps(bound[key], separators=(",", ":"))
        return bound

    def instant(self, value: Any) -> datetime:
        """An instant as read from the driver, made aware in UTC."""
        if isinstance(value, str):
            return datetime.fromisoformat(value).replace(tzinfo=UTC)
        result: datetime = value
        return result.astimezone(UTC)

    @staticmethod
    def document(value: Any) -> dict[str, Any]:
        """A JSON column as read from the driver."""
        loaded: dict[str, Any] = json.loads(value) if isinstance(value, str) else value
        return loaded


@lru_cache(maxsize=256)
def _sqlite_instant(value: datetime) -> str:
    """As SQLAlchemy stores it on SQLite; cached, since one command repeats its ``now`` often."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


_INSTANT_KEYS = frozenset(c.name for t in (cases, case_events, outbox, timers, audit_log) for c in t.columns
                          if isinstance(c.type, UTCDateTime))
_DOCUMENT_KEYS = frozenset(c.name for t in (cases, case_events) for c in t.columns if isinstance(c.type, JSON))
CASE_FIELDS = _CASE_FIELDS
TIMER_FIELDS = _TIMER_FIELDS
