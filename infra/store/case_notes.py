"""Notes on a case: what the SWV coordinator and the school write on it, newest first, and the coordinator's
question to the school ('vraag de school'), which alerts the school's zorgcoördinatoren.

A note may hold names, so its text stays here: it is never put in events, logs, webhooks, mails or alert
titles and facts. The ``vraag_school`` alert carries ids only (the case, the pupil's pseudonym, the school's
BRIN and the note's id); the zorgcoördinator reads the question on the case page, which they may read anyway.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from domain.case import Case
from domain.errors import IdempotencyKeyReused, InvalidCommand
from domain.roles import ZORGCOORDINATOR
from infra.delivery.alerts import NewAlert, raise_alerts
from infra.store.db import dialect_insert
from infra.store.tables import case_notes

NOTE_MAX = 2000
"""The longest note, in characters."""
QUESTION_KIND = "vraag_school"
"""The kind of the alert an SWV coordinator's question raises for the school."""
ALLOWED_CONTROLS = frozenset("\n\t")


@dataclass(frozen=True)
class CaseNote:
    """A note on a case: who wrote it (their account's id and role), what, when, and whether it asked the school."""

    id: int
    case_id: str
    author_id: str
    author_role: str
    text: str
    asks_school: bool
    created_at: datetime


@dataclass(frozen=True)
class CaseNotes:
    """The notes of a case as the reader sees them, newest first, and what the reader may add."""

    items: tuple[CaseNote, ...]
    may_write: bool
    may_ask_school: bool
    max_length: int = NOTE_MAX
    form_key: str = field(default_factory=lambda: str(uuid.uuid4()))
    """A fresh one-time key for a form that writes a note (sent twice, it is stored once)."""


def cleaned(text: str) -> str:
    """The note's text as it is stored (one kind of line end, no surrounding blanks); InvalidCommand, in Dutch,
    for an empty note, one over :data:`NOTE_MAX` characters, or one with control characters.
    """
    found = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not found:
        raise InvalidCommand(["De notitie is leeg: schrijf eerst wat u wilt vastleggen of vragen."])
    if len(found) > NOTE_MAX:
        raise InvalidCommand([f"De notitie is te lang: {len(found)} tekens, hoogstens {NOTE_MAX}. Kort haar in."])
    if any(ord(c) < 32 or ord(c) == 127 for c in found if c not in ALLOWED_CONTROLS):  # noqa: PLR2004
        raise InvalidCommand(["De notitie bevat een onzichtbaar stuurteken; typ de tekst opnieuw zonder dat teken."])
    return found


def add(conn: Connection, case: Case, author_id: str, author_role: str, text: str, *, ask_school: bool,
        now: datetime, key: str | None = None) -> CaseNote:
    """Store a note (``text`` as :func:`cleaned` made it) in the transaction open on ``conn``; with
    ``ask_school`` also raise the ``vraag_school`` alert for the zorgcoördinatoren of the case's school, in
    the same transaction (once per note: its dedupe key is the note's id). A ``key`` the author used on this
    case before returns that note and stores nothing (a form sent twice, a retried request); for another text
    or choice it is IdempotencyKeyReused.
    """
    mine = (case_notes.c.case_id == case.id, case_notes.c.author_id == author_id, case_notes.c.request_key == key)
    note_id = conn.execute(dialect_insert(conn, case_notes).values(
        case_id=case.id, author_id=author_id, author_role=author_role, text=text, asks_school=ask_school,
        created_at=now, request_key=key).on_conflict_do_nothing(
            index_elements=[case_notes.c.case_id, case_notes.c.author_id, case_notes.c.request_key])
        .returning(case_notes.c.id)).scalar()
    if note_id is None:  # the key was used before (also by a request that committed just now)
        earlier = conn.execute(select(case_notes).where(*mine)).one()
        if (earlier.text, earlier.asks_school) != (text, ask_school):
            raise IdempotencyKeyReused(str(key))
        return _note(earlier)
    note = CaseNote(int(note_id), case.id, author_id, author_role, text, ask_school, now)
    if ask_school:
        raise_alerts(conn, [question(note, case)], now)
    return note


def question(note: CaseNote, case: Case) -> NewAlert:
    """The alert of a question to the school: to its zorgcoördinatoren, titled and described by ids only."""
    title = f"Vraag van het SWV over het dossier van leerling {case.pupil_id}, school {case.school_brin}"
    facts = {"case_id": case.id, "pupil_id": case.pupil_id, "pathway": case.pathway, "school_brin": case.school_brin,
             "note_id": note.id, "occurred_at": note.created_at.isoformat()}
    return NewAlert(QUESTION_KIND, ZORGCOORDINATOR, case.school_brin, f"{QUESTION_KIND}:{note.id}", title, facts,
                    case.id, case.pupil_id)


def of_case(conn: Connection, case_id: str) -> tuple[CaseNote, ...]:
    """The case's notes, newest first (in the order they were stored: ids only grow)."""
    rows = conn.execute(select(case_notes).where(case_notes.c.case_id == case_id)
                        .order_by(case_notes.c.id.desc())).all()
    return tuple(_note(r) for r in rows)


def _note(row: Any) -> CaseNote:
    return CaseNote(int(row.id), row.case_id, row.author_id, row.author_role, row.text, row.asks_school,
                    row.created_at)
