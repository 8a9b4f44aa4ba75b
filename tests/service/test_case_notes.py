"""Case notes in the database, on SQLite and on PostgreSQL: a note, its 'vraag de school' alert and its audit
row commit together or not at all; each question is its own alert, mailed like any other; who may write and
ask, per role.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import ColumnElement, Table, func, select

from domain.access import Principal, may_note
from domain.case import Actor, Command
from domain.handlers import NewCase
from domain.roles import ADMIN, BTO, DESKUNDIGE, LEERPLICHT, SWV_COORDINATOR, ZORGCOORDINATOR
from infra.delivery import mail_queue
from infra.identity import accounts, audit
from infra.store import case_notes as case_note_store
from infra.store.tables import alerts, case_notes, mail_outbox
from service import Service
from tests.databases import fresh_service

NOW = datetime(2026, 9, 3, 9, 0, tzinfo=UTC)
COORDINATOR = Principal("swv-1", SWV_COORDINATOR, ("standaard",))


@pytest.fixture(params=["sqlite", "postgres"])
def service(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """The service on a freshly migrated database of each kind."""
    with fresh_service(request.param, tmp_path_factory) as built:
        yield built


def _case(service: Service) -> str:
    command = Command("start_opp", Actor(ZORGCOORDINATOR, "zc-1"), {"extra_ondersteuning_sinds": "2026-09-01"})
    return service.open_case(NewCase("opp", "14PS03", "lln-notes"), command, NOW).case_id


def _count(service: Service, table: Table, condition: ColumnElement[bool]) -> int:
    with service.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table).where(condition)).scalar_one())


def _note_rows(service: Service, case_id: str) -> list[str]:
    return [e.outcome for e in audit.entries(service.engine, f"case:{case_id}") if e.action == "case.note"]


def test_a_question_whose_alert_cannot_be_stored_leaves_neither_note_nor_audit_row(
    service: Service, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The alert fails after the note was inserted: the transaction rolls back, no note, no alert, no row."""
    case_id = _case(service)

    def broken(*_: object) -> int:
        msg = "the alerts table is unreachable"
        raise RuntimeError(msg)

    monkeypatch.setattr(case_note_store, "raise_alerts", broken)
    with pytest.raises(RuntimeError):
        service.add_case_note(COORDINATOR, case_id, "Hoe staat het?", NOW, ask_school=True)
    assert _count(service, case_notes, case_notes.c.case_id == case_id) == 0
    assert _count(service, alerts, alerts.c.case_id == case_id) == 0
    assert _note_rows(service, case_id) == []
    assert audit.verify(service.engine).broken_seq is None


def test_each_question_is_one_alert_with_its_note_and_audit_row(service: Service) -> None:
    """Two questions: two notes, two 'vraag_school' alerts for 14PS03 keyed by note, two 'ok' rows; a plain note
    raises no alert.
    """
    case_id = _case(service)
    first = service.add_case_note(COORDINATOR, case_id, "Hoe staat het?", NOW, ask_school=True)
    second = service.add_case_note(COORDINATOR, case_id, "En nu?", NOW + timedelta(days=7), ask_school=True)
    service.add_case_note(COORDINATOR, case_id, "Gebeld met school.", NOW + timedelta(days=8))
    with service.engine.connect() as conn:
        raised = conn.execute(select(alerts.c.dedupe_key, alerts.c.audience_role, alerts.c.audience_scope,
                                     alerts.c.title, alerts.c.facts)
                              .where(alerts.c.case_id == case_id).order_by(alerts.c.created_at)).all()
    assert [(r.dedupe_key, r.audience_role, r.audience_scope) for r in raised] == [
        (f"vraag_school:{first.id}", ZORGCOORDINATOR, "14PS03"), (f"vraag_school:{second.id}", ZORGCOORDINATOR,
                                                                   "14PS03")]
    assert all("Hoe staat" not in r.title and "Hoe staat" not in str(r.facts) for r in raised)
    assert _note_rows(service, case_id) == ["ok", "ok", "ok"]
    read = service.read_case_notes(COORDINATOR, case_id, NOW, None)
    assert [n.text for n in read.items] == ["Gebeld met school.", "En nu?", "Hoe staat het?"]


@pytest.mark.parametrize(("role", "writes", "asks"), [
    (SWV_COORDINATOR, True, True), (BTO, True, False), (ZORGCOORDINATOR, True, False),
    (LEERPLICHT, False, False), (DESKUNDIGE, False, False), (ADMIN, False, False),
])
def test_who_writes_notes_and_who_asks_the_school(role: str, writes: bool, asks: bool) -> None:
    """Notes: the school's zorgcoördinator and the SWV's coordinator and BTO; asking the school: the coordinator."""
    assert may_note(role) is writes
    assert may_note(role, ask_school=True) is asks


def test_a_question_is_mailed_to_the_schools_zorgcoordinator_like_any_other_alert(service: Service) -> None:
    """The send-mail queue picks the 'vraag_school' alert up: one mail for the 14PS03 zorgcoördinator with an
    address, none for another school's; the mail row holds the kind, never the question.
    """
    case_id = _case(service)
    ours, _ = accounts.create_user(service.engine, ZORGCOORDINATOR, ["14PS03"], NOW - timedelta(days=1),
                                   service.swv_codes())
    theirs, _ = accounts.create_user(service.engine, ZORGCOORDINATOR, ["20XY00"], NOW - timedelta(days=1),
                                     service.swv_codes())
    for user in (ours, theirs):
        mail_queue.set_preference(service.engine, user.id, f"{user.id[:8]}@school.nl", mail_queue.DIRECT)
    mail_queue.enqueue(service.engine, NOW, 7)  # whatever was raised before
    service.add_case_note(COORDINATOR, case_id, "Hoe staat het met Daan?", NOW, ask_school=True)
    assert mail_queue.enqueue(service.engine, NOW, 7) == 1
    with service.engine.connect() as conn:
        queued = conn.execute(select(mail_outbox.c.user_id, mail_outbox.c.kind)
                              .join(alerts, alerts.c.id == mail_outbox.c.alert_id)
                              .where(alerts.c.case_id == case_id)).all()
    assert [(r.user_id, r.kind) for r in queued] == [(ours.id, "vraag_school")]
