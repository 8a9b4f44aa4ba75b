"""The SQL schema (SQLAlchemy Core). Alembic migrations create it; this is its single description.

Its one ``metadata`` and the tables of cases, events, timers, the outbox and webhooks, accounts and the
audit log, the region's reference data and pupils, alerts, notes and mail are here; the web sign-in tables
are in :mod:`infra.store.sign_in_tables` and the verzuim tables in :mod:`infra.store.verzuim_tables`, on the
same ``metadata``. Whoever uses the metadata as the whole schema imports those two modules as well.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    ColumnElement,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    case,
    literal_column,
    true,
)
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC instants on every backend (SQLite stores them naive, in UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            msg = "naive datetimes are not stored; give a timezone"
            raise ValueError(msg)
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:  # noqa: ARG002 - same on every dialect
        if value is None:
            return None
        result: datetime = value
        return result.replace(tzinfo=UTC) if result.tzinfo is None else result.astimezone(UTC)


BigId = BigInteger().with_variant(Integer, "sqlite")

metadata = MetaData(naming_convention={
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})

cases = Table(
    "cases", metadata,
    Column("id", String(36), primary_key=True),
    Column("pathway", String(40), nullable=False),
    Column("definition_version", Integer, nullable=False),
    Column("school_brin", String(8), nullable=False),
    Column("pupil_id", String(64), nullable=False),
    Column("stage", String(60), nullable=False),
    Column("version", Integer, nullable=False),
    Column("artifacts", JSON, nullable=False),
    Column("opened_at", UTCDateTime, nullable=False),
    Column("stage_entered_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("profile", String(40), nullable=False, server_default="standaard"),
    Index("ix_cases_pupil", "pupil_id"),
    Index("ix_cases_pathway_stage", "pathway", "stage"),
    Index("ix_cases_profile_stage_entered", "profile", "stage_entered_at"),
    Index("ix_cases_school_stage_entered", "school_brin", "stage_entered_at"),
    Index("ix_cases_profile_pathway_stage_entered", "profile", "pathway", "stage", "stage_entered_at"),
)

case_events = Table(
    "case_events", metadata,
    Column("case_id", String(36), ForeignKey("cases.id"), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("type", String(60), nullable=False),
    Column("command", String(60), nullable=False),
    Column("stage_from", String(60)),
    Column("stage_to", String(60), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("actor_role", String(30), nullable=False),
    Column("actor_id", String(64), nullable=False),
    Column("pathway", String(40), nullable=False),
    Column("definition_version", Integer, nullable=False),
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
    Column("chain_seq", Integer, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Index("ix_case_events_chain_seq", "chain_seq", unique=True),
)
"""Every case's history: append-only (database triggers) and hash-chained over all cases in commit order
(``chain_seq``, ``prev_hash``, ``hash``; see :mod:`infra.store.event_chain`)."""

timers = Table(
    "timers", metadata,
    Column("id", String(120), primary_key=True),
    Column("case_id", String(36), ForeignKey("cases.id"), nullable=False),
    Column("name", String(60), nullable=False),
    Column("fires", String(60), nullable=False),
    Column("due_at", UTCDateTime, nullable=False),
    Column("state", String(12), nullable=False),
    Column("finished_at", UTCDateTime),
    Column("reason", Text),
    Column("deadline", Text),
    Column("late", String(8)),
    Column("profile", String(40)),
    Index("ix_timers_state_due", "state", "due_at"),
    Index("ix_timers_case_state", "case_id", "state"),
)
"""A case's deadlines. ``late``: of a fired timer whose command marks a missed deadline, whether it is still
open (``open`` for the first by due date of its case and name, ``repeat`` for later ones) or ``handled``
(:mod:`domain.missed_deadlines`; written with every change of its case that may change it,
:mod:`infra.store.passed_deadlines`), else NULL; ``profile``: its case's profile (which never changes),
written with the timer, so that the monitor counts an SWV's passed deadlines from the indexes on timers alone
(pending ones along ``ix_timers_state_due``, which stays as narrow as the sweep's claim needs, open marks from
``ix_timers_late_open``); a row written without it (NULL) is read with its case."""
LATE_OPEN: ColumnElement[str] = literal_column("'open'")
LATE_REPEAT: ColumnElement[str] = literal_column("'repeat'")
"""``timers.late`` of the first open mark of a case and timer name and of a later one, as literals (so that SQLite
uses the partial index below, which holds ``late`` too so that it covers the monitor's reads)."""
Index("ix_timers_late_open", timers.c.profile, timers.c.case_id, timers.c.name, timers.c.due_at, timers.c.late,
      sqlite_where=timers.c.late == LATE_OPEN, postgresql_where=timers.c.late == LATE_OPEN)
PENDING_DUE = case((timers.c.state == "pending", timers.c.due_at))
"""A pending timer's due date, else NULL: indexed so that PostgreSQL knows how many *pending* timers
are due (finished timers keep their past due dates and would skew its estimate)."""
Index("ix_timers_pending_due", PENDING_DUE)

simulated_clock = Table(
    "simulated_clock", metadata,
    Column("id", Integer, primary_key=True),
    Column("simulated_at", UTCDateTime, nullable=False),
    Column("set_at", UTCDateTime, nullable=False),
)
"""The oefenomgeving's clock (``LEERLINGROUTE_CLOCK=simulated``): one row; the simulated now is
``simulated_at`` plus the wall-clock time passed since ``set_at``. Its presence marks a database that has
run simulated (see :mod:`infra.clock`)."""

outbox = Table(
    "outbox", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("case_id", String(36), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("type", String(60), nullable=False),
    Column("pathway", String(40), nullable=False),
    Column("stage_from", String(60)),
    Column("stage_to", String(60), nullable=False),
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("relayed_at", UTCDateTime),
)
Index("ix_outbox_pending", outbox.c.id,
      sqlite_where=outbox.c.relayed_at.is_(None), postgresql_where=outbox.c.relayed_at.is_(None))

idempotency_keys = Table(
    "idempotency_keys", metadata,
    Column("key", String(200), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("outcome", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

webhook_subscriptions = Table(
    "webhook_subscriptions", metadata,
    Column("id", String(36), primary_key=True),
    Column("url", Text, nullable=False),
    Column("secret", String(64), nullable=False),
    Column("description", String(200), nullable=False, server_default=""),
    Column("active", Boolean, nullable=False, server_default=true()),
    Column("created_at", UTCDateTime, nullable=False),
    Column("cursor", BigId, nullable=False, server_default="0"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", UTCDateTime),
    Column("failing_since", UTCDateTime),
    Column("last_error", Text),
    Column("delivered", BigId, nullable=False, server_default="0"),
    Column("owner_role", String(30), nullable=False, server_default="admin"),
    Column("scopes", JSON, nullable=False, server_default="[]"),
    Column("owner_id", String(36), ForeignKey("users.id")),
    Column("previous_secret", String(64)),
    Column("previous_secret_until", UTCDateTime),
    Column("retry_through", BigId),
    Index("ix_webhook_subscriptions_owner_id", "owner_id"),
)
"""A receiver of case events. ``cursor`` is the last outbox id it has received: each subscriber
reads the outbox at its own pace, so a dead one blocks neither the others nor the outbox.
``owner_id`` is the account that registered it (only it and admins manage it; it delivers while that
account is valid; none: made before migration 0009, deactivated then). ``secret`` is a Standard
Webhooks ``whsec_`` secret; after a rotation ``previous_secret`` also signs until
``previous_secret_until``. ``retry_through``: the last outbox id of the batch that failed, so that
the retry is the same message (same ``webhook-id``)."""

digests = Table(
    "digests", metadata,
    Column("id", String(36), primary_key=True),
    Column("profile", String(40), nullable=False),
    Column("week", String(8), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("as_of", UTCDateTime, nullable=False),
    Column("content", JSON, nullable=False),
    Index("ix_digests_profile_week", "profile", "week", unique=True),
)
"""The weekly report of stalled pathways per SWV profile (ISO week, e.g. 2026-W47)."""

users = Table(
    "users", metadata,
    Column("id", String(36), primary_key=True),
    Column("name", String(64), nullable=False),
    Column("role", String(30), nullable=False),
    Column("scopes", JSON, nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime),
    Column("email", String(254)),
    Column("mail_mode", String(10), nullable=False, server_default="direct"),
)
"""An account: a username (never a person's full name), a role and what it covers (BRIN codes, SWV
codes or CBS codes), and the SHA-256 of its API token (the token itself is never stored)."""

audit_log = Table(
    "audit_log", metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    Column("user_id", String(36), nullable=False),
    Column("role", String(30), nullable=False),
    Column("action", String(100), nullable=False),
    Column("resource", String(120), nullable=False),
    Column("purpose", String(200), nullable=False),
    Column("outcome", String(40), nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Index("ix_audit_log_resource", "resource"),
    Index("ix_audit_log_user_id", "user_id"),
)
"""Who read or changed which case or pupil, when and why: append-only (database triggers, REPLACE and
TRUNCATE refused too) and hash-chained (each row's hash covers the previous row's hash)."""

# --- resources (issue 5): the region's reference data and the pupils' pseudonymous records ----------

municipalities = Table(
    "municipalities", metadata,
    Column("cbs_code", String(4), primary_key=True),
    Column("name", String(100), nullable=False),
)
"""A gemeente by its CBS code (e.g. 0917 Heerlen): where pupils live and leerplicht works."""

swvs = Table(
    "swvs", metadata,
    Column("code", String(8), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("sector", String(2), nullable=False),
)
"""A samenwerkingsverband by its code (e.g. VO3102), PO or VO."""

schools = Table(
    "schools", metadata,
    Column("brin", String(8), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("swv_code", String(8), ForeignKey("swvs.code"), nullable=False),
    Column("kind", String(4), nullable=False),
    Column("municipality_cbs", String(4), ForeignKey("municipalities.cbs_code"), nullable=False),
    Column("calendar_region", String(8), nullable=False),
    Index("ix_schools_swv_code", "swv_code"),
)
"""A school (location) by BRIN: its SWV, kind (po, sbo, so, vo, vso), municipality and holiday region."""

pupils = Table(
    "pupils", metadata,
    Column("id", String(64), primary_key=True),
    Column("school_brin", String(8)),
    Column("residence_cbs", String(4), nullable=False),
    Column("birth_date", String(10), nullable=False),
    Column("startkwalificatie_on", Date),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_pupils_residence_cbs", "residence_cbs"),
    Index("ix_pupils_school_brin", "school_brin"),
)
"""A pupil by pseudonymous id: where they live (CBS code), their birth date (ISO, for the leerplicht
age) and their current school. Names and BSN live apart, in ``pupil_identities``."""

pupil_identities = Table(
    "pupil_identities", metadata,
    Column("pupil_id", String(64), ForeignKey("pupils.id"), primary_key=True),
    Column("given_name", String(100), nullable=False),
    Column("family_name", String(100), nullable=False),
    Column("bsn", String(9)),
)
"""Who the pupil is: shown only to the roles that must know (their school, leerplicht of their
municipality), never logged, never in events, alerts' titles or exports."""

alerts = Table(
    "alerts", metadata,
    Column("id", String(36), primary_key=True),
    Column("kind", String(40), nullable=False),
    Column("audience_role", String(30), nullable=False),
    Column("audience_scope", String(16), nullable=False),
    Column("dedupe_key", String(200), nullable=False, unique=True),
    Column("case_id", String(36)),
    Column("pupil_id", String(64)),
    Column("title", Text, nullable=False),
    Column("facts", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("acknowledged_at", UTCDateTime),
    Column("acknowledged_by", String(36)),
    Column("note", Text),
    Column("mail_queued_at", UTCDateTime),
    Index("ix_alerts_audience", "audience_role", "audience_scope", "created_at"),
    Index("ix_alerts_mail_queued_at", "mail_queued_at"),
)
"""A message for everyone of one role in one scope (a school, an SWV, a municipality). The
``dedupe_key`` makes raising the same alert twice a no-op: exactly one per episode or escalation."""

case_notes = Table(
    "case_notes", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("case_id", String(36), ForeignKey("cases.id"), nullable=False),
    Column("author_id", String(36), nullable=False),
    Column("author_role", String(30), nullable=False),
    Column("text", String(2000), nullable=False),
    Column("asks_school", Boolean, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("request_key", String(200)),
    Index("ix_case_notes_case_id", "case_id"),
    UniqueConstraint("case_id", "author_id", "request_key", name="uq_case_notes_request"),
)
"""Notes on a case by the people who carry it (they may hold names: never in events, logs, webhooks or alert
titles); ``asks_school``: an SWV coordinator's question to the school, which raised a ``vraag_school`` alert;
``request_key``: the form's one-time key or the API's ``Idempotency-Key``, so that a note sent twice is stored once."""

feed_cursors = Table(
    "feed_cursors", metadata,
    Column("name", String(40), primary_key=True),
    Column("position", BigId, nullable=False),
)
"""How far a reader of the outbox (e.g. the alert feed) has got: the last outbox id it handled."""

case_links = Table(
    "case_links", metadata,
    Column("reaction", String(60), primary_key=True),
    Column("source_case_id", String(36), primary_key=True),
    Column("source_seq", Integer, primary_key=True),
    Column("outcome", String(16), nullable=False),
    Column("reason", Text, nullable=False),
    Column("target_case_id", String(36)),
    Column("target_seq", Integer),
    Column("at", UTCDateTime, nullable=False),
)
"""What each hand-off (domain/pathways/reactions.json) did for one source event. The key makes it happen
once: a second worker's insert for the same event fails, and it replays the first one's link."""
Index("ix_case_links_source", case_links.c.source_case_id)
Index("ix_case_links_target", case_links.c.target_case_id)

advice_requests = Table(
    "advice_requests", metadata,
    Column("case_id", String(36), ForeignKey("cases.id"), primary_key=True),
    Column("deskundige_id", String(36), ForeignKey("users.id"), primary_key=True),
    Column("requested_by", String(36), nullable=False),
    Column("requested_at", UTCDateTime, nullable=False),
    Index("ix_advice_requests_deskundige_id", "deskundige_id"),
)
"""Which deskundige is asked to advise on which TLV request: all a deskundige may see."""

mail_outbox = Table(
    "mail_outbox", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("alert_id", String(36), ForeignKey("alerts.id"), nullable=False),
    Column("user_id", String(36), ForeignKey("users.id"), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("digest", Boolean, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("due_at", UTCDateTime, nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_error", String(300)),
    Column("status", String(10), nullable=False, server_default="pending"),
    Column("sent_at", UTCDateTime),
    UniqueConstraint("alert_id", "user_id", name="uq_mail_outbox_alert_user"),
    Index("ix_mail_outbox_status_due", "status", "due_at"),
)
"""One mail per alert per recipient (``digest``: sent with the recipient's other alerts once a day), ``pending``
until the SMTP server accepted it (``sent``), or ``dropped`` when the account lost its address or was revoked;
``due_at`` is when to try next (backoff after a failure, recorded in ``attempts`` and ``last_error``)."""
