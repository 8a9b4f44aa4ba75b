"""A write and its audit row are one transaction: a process SIGKILLed at random moments while it opens
cases and applies commands leaves every opened case and every case event with its audit row, and no
audit row claims an 'ok' write that is not there; a commit that fails leaves neither, for a command and
for every other audited write (an import, an alert acknowledgement, an advice request, a verzuim record,
a verzuim import, own holidays).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Table, select
from sqlalchemy.exc import OperationalError

from domain.access import Principal
from domain.case import Command
from domain.errors import CaseNotFound
from domain.handlers import NewCase
from domain.verzuim import Holiday
from infra.delivery import alerts as alert_store
from infra.delivery.alerts import AlertNotFound, NewAlert
from infra.delivery.webhooks import WebhookNotFound
from infra.identity import accounts, audit
from infra.store import event_chain
from infra.store.tables import advice_requests, alerts, audit_log, case_events, municipalities, webhook_subscriptions
from infra.store.verzuim_tables import enrollments, school_holidays
from infra.verzuim.inputs import EnrollmentRecord
from service import Service
from service.verzuim import SCHOOL, Verzuim

NOW = datetime(2026, 9, 3, 9, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]
KILLS = {"sqlite": 30, "postgres": 12}
STARTUP_TIMEOUT_S = 60



def _token(service: Service) -> str:
    _, token = accounts.create_user(service.engine, "zorgcoordinator", ["14PS03"], NOW, service.swv_codes())
    return token


def _kill_at_random(service: Service, token: str, rng: random.Random) -> None:
    """Start the worker, let it run for a random moment after it is ready, SIGKILL it."""
    url = service.engine.url.render_as_string(hide_password=False)
    worker = subprocess.Popen(  # noqa: S603 - our own module, with the test's interpreter
        [sys.executable, "-m", "tests.security.audit_worker", url, token, str(service.settings.data_dir)],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE, text=True)
    assert worker.stdout is not None
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while worker.stdout.readline().strip() != "ready":
        assert worker.poll() is None, "the worker stopped before it was ready"
        assert time.monotonic() < deadline, "the worker did not start"
    time.sleep(rng.uniform(0.0, 0.25))  # a random moment of real work, not a move of the domain's time
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    worker.stdout.close()


def _written(service: Service) -> Counter[tuple[str, str]]:
    """(action, resource) the case events say happened: an open per first event, a command per later one."""
    with service.engine.connect() as conn:
        events = conn.execute(select(case_events.c.case_id, case_events.c.seq, case_events.c.command)).all()
    return Counter(("case.open" if e.seq == 1 else f"case.command:{e.command}", f"case:{e.case_id}") for e in events)


def _audited_ok(service: Service) -> Counter[tuple[str, str]]:
    with service.engine.connect() as conn:
        rows = conn.execute(select(audit_log.c.action, audit_log.c.resource).where(audit_log.c.outcome == "ok"))
        return Counter((r.action, r.resource) for r in rows)


@pytest.mark.faults
def test_a_worker_killed_at_random_moments_leaves_no_write_without_its_audit_row(service: Service) -> None:
    """Killed 12-30 times mid-stream: the 'ok' audit rows are exactly the case events (an open per case,
    a row per command), and both chains still verify.
    """
    token, rng = _token(service), random.Random(12)
    for _ in range(KILLS["sqlite" if service.engine.dialect.name == "sqlite" else "postgres"]):
        _kill_at_random(service, token, rng)
    written = _written(service)
    assert sum(written.values()) > KILLS["postgres"]
    assert _audited_ok(service) == written
    assert audit.verify(service.engine).broken_seq is None
    assert event_chain.verify(service.engine).broken_seq is None


@contextmanager
def _commit_breaks_after_its_audit_row(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Within the block, the connection breaks right after an audit row was appended (the write's commit
    fails there); the block must raise that failure.
    """
    real = audit.append_in

    def append_then_fail(*args: object, **kwargs: object) -> audit.AuditEntry:
        real(*args, **kwargs)  # type: ignore[arg-type] # the real signature, passed through
        raise OperationalError("COMMIT", {}, Exception("server closed the connection unexpectedly"))
    monkeypatch.setattr(audit, "append_in", append_then_fail)
    try:
        with pytest.raises(OperationalError):
            yield
    finally:
        monkeypatch.setattr(audit, "append_in", real)


def _principal(service: Service) -> Principal:
    return accounts.authenticate(service.engine, _token(service), NOW)


def _open(service: Service, zc: Principal, key: str | None = None) -> str:
    command = Command("start_opp", zc.actor, {"extra_ondersteuning_sinds": "2026-09-01"})
    return service.open_case_as(zc, NewCase("opp", "14PS03", "lln-atomic", "standaard"), command, NOW, key,
                                None).case_id


def test_a_commit_that_fails_leaves_neither_the_write_nor_its_audit_row(
    service: Service, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The audit row is written in the command's transaction; when that transaction fails after it (here:
    the connection breaks right after the append), the command's event is gone with the row.
    """
    zc = _principal(service)
    case_id = _open(service, zc)
    before = (_written(service), _audited_ok(service))
    with _commit_breaks_after_its_audit_row(monkeypatch):
        service.handle_as(zc, case_id, Command("leg_handelingsdeel_voor", zc.actor, {}), NOW, None, None, None)
    assert (_written(service), _audited_ok(service)) == before
    assert service.status(case_id, NOW).version == 1


def test_a_refusal_and_a_replay_each_get_their_own_row(service: Service) -> None:
    """A refused command (nothing written) is on record with its outcome; a request replayed under its
    idempotency key is on record as 'replayed', pointing at the case it opened.
    """
    zc = _principal(service)
    stranger = accounts.authenticate(service.engine, accounts.create_user(
        service.engine, "zorgcoordinator", ["20XY00"], NOW, service.swv_codes())[1], NOW)
    case_id = _open(service, zc, key="open-1")
    assert _open(service, zc, key="open-1") == case_id
    with pytest.raises(CaseNotFound):
        service.handle_as(stranger, case_id, Command("leg_handelingsdeel_voor", stranger.actor, {}), NOW, None,
                          None, None)
    rows = [(e.action, e.resource, e.outcome) for e in reversed(audit.entries(service.engine))]
    assert rows == [("case.open", f"case:{case_id}", "ok"), ("case.open", f"case:{case_id}", "replayed"),
                    ("case.command:leg_handelingsdeel_voor", f"case:{case_id}", "not-found")]
    assert audit.verify(service.engine).broken_seq is None


# --- the other audited writes: each commits with its 'ok' row or not at all ------------------------------------------

REFERENCE = (("gemeenten", "cbs_code,naam\n0957,Roermond\n"), ("swvs", "code,naam,sector\nVO3102,SWV VO,vo\n"),
             ("scholen", "brin,naam,swv,soort,gemeente,vakantieregio\n14PS03,School A,VO3102,vo,0957,zuid\n"),
             ("leerlingen", ("leerling_id,school,woongemeente,geboortedatum,voornaam,achternaam\n"
                             "lln-atomic,14PS03,0957,2013-03-01,Sam,Jansen\n")))


def _admin(service: Service) -> Principal:
    _, token = accounts.create_user(service.engine, "admin", [], NOW, service.swv_codes())
    return accounts.authenticate(service.engine, token, NOW)


def _registered(service: Service) -> Principal:
    """An admin, after importing a school and its pupil lln-atomic."""
    admin = _admin(service)
    for kind, content in REFERENCE:
        service.import_csv(admin, kind, content, NOW)
    return admin


def _contents(service: Service, *tables: Table) -> list[list[tuple[object, ...]]]:
    """Every row of each table, in primary-key order."""
    with service.engine.connect() as conn:
        return [[tuple(r) for r in conn.execute(select(t).order_by(*t.primary_key.columns))] for t in tables]


def _last_row(service: Service) -> tuple[str, str, str]:
    last = audit.entries(service.engine, limit=1)[0]
    return last.action, last.resource, last.outcome


def _commit_fails_then_succeeds(service: Service, monkeypatch: pytest.MonkeyPatch, write: Callable[[], object],
                                written: Table, row: tuple[str, str]) -> None:
    """Run ``write`` with a commit that fails right after its audit row was appended (the connection breaks):
    neither the write nor any audit row is there. Then run it for real: it writes, and its 'ok' row is
    the newest.
    """
    before = _contents(service, audit_log, written)
    with _commit_breaks_after_its_audit_row(monkeypatch):
        write()
    assert _contents(service, audit_log, written) == before
    write()
    assert _contents(service, written) != before[1:]
    assert _last_row(service) == (*row, "ok")
    assert audit.verify(service.engine).broken_seq is None


def test_an_import_that_fails_to_commit_leaves_neither_rows_nor_audit_row(
    service: Service, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A reference-data import and its audit row commit together or not at all."""
    admin = _admin(service)
    _commit_fails_then_succeeds(
        service, monkeypatch, lambda: service.import_csv(admin, "gemeenten", "cbs_code,naam\n0957,Roermond\n", NOW),
        municipalities, ("import:gemeenten", "import:gemeenten"))


def _alert_for(service: Service, zc: Principal) -> str:
    with service.engine.begin() as conn:
        alert_store.raise_alerts(conn, [NewAlert("escalatie", "zorgcoordinator", "14PS03", "atomic:1",
                                                 "Termijn verstreken", {})], NOW)
    found, _ = alert_store.inbox(service.engine, zc, "all", 10, 0)
    return found[0].id


def test_an_acknowledgement_that_fails_to_commit_leaves_the_alert_new_and_no_audit_row(
    service: Service, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An acknowledged alert and the acknowledgement's audit row commit together or not at all."""
    zc = _principal(service)
    alert_id = _alert_for(service, zc)
    _commit_fails_then_succeeds(
        service, monkeypatch, lambda: service.acknowledge_alert(zc, alert_id, "School gebeld", NOW), alerts,
        ("alert.acknowledge", f"alert:{alert_id}"))
    assert alert_store.find(service.engine, zc, alert_id).note == "School gebeld"


def test_acknowledging_another_inbox_alert_changes_nothing_and_is_on_record_as_not_found(
    service: Service,
) -> None:
    """The refusal is raised within the acknowledgement's transaction: it rolls back and only the refusal's
    row is written, no 'ok' row beside it.
    """
    zc = _principal(service)
    alert_id = _alert_for(service, zc)
    stranger = accounts.authenticate(service.engine, accounts.create_user(
        service.engine, "zorgcoordinator", ["20XY00"], NOW, service.swv_codes())[1], NOW)
    before = _contents(service, audit_log, alerts)
    with pytest.raises(AlertNotFound):
        service.acknowledge_alert(stranger, alert_id, "niet van mij", NOW)
    after = _contents(service, audit_log, alerts)
    assert after[1] == before[1]
    assert len(after[0]) == len(before[0]) + 1
    assert _last_row(service) == ("alert.acknowledge", f"alert:{alert_id}", "not-found")


def test_an_advice_request_that_fails_to_commit_leaves_neither_request_nor_audit_row(
    service: Service, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The deskundige is asked (and from then on sees the case) exactly if the request's row is there."""
    zc = _principal(service)
    deskundige, _ = accounts.create_user(service.engine, "deskundige", [], NOW, service.swv_codes())
    case_id = service.open_case_as(zc, NewCase("tlv", "14PS03", "lln-atomic", "standaard"),
                                   Command(service.registry.get("tlv").start.command, zc.actor, {"soort": "vso"}),
                                   NOW, None, None).case_id
    _commit_fails_then_succeeds(
        service, monkeypatch, lambda: service.request_advice(zc, case_id, deskundige.id, NOW), advice_requests,
        ("case.request_advice", f"case:{case_id}"))


def test_a_verzuim_record_that_fails_to_commit_leaves_neither_record_nor_audit_row(
    service: Service, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An enrollment recorded through the API's path and its audit row commit together or not at all."""
    admin, verzuim = _registered(service), Verzuim(service)
    record = EnrollmentRecord("lln-atomic", "14PS03", date(2026, 8, 24))
    _commit_fails_then_succeeds(service, monkeypatch, lambda: verzuim.record(admin, record, NOW), enrollments,
                                ("verzuim.inschrijvingen", "pupil:lln-atomic"))


def test_a_verzuim_import_that_fails_to_commit_leaves_neither_rows_nor_audit_row(
    service: Service, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An enrollment file and its audit row commit together or not at all."""
    admin, verzuim = _registered(service), Verzuim(service)
    content = "leerling_id,school,eerste_dag\nlln-atomic,14PS03,2026-08-24\n"
    _commit_fails_then_succeeds(service, monkeypatch, lambda: verzuim.import_csv(admin, "inschrijvingen", content, NOW),
                                enrollments, ("import:inschrijvingen", "import:inschrijvingen"))


def test_own_holidays_that_fail_to_commit_leave_neither_holidays_nor_audit_row(
    service: Service, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A school's own holidays and their audit row commit together or not at all."""
    admin, verzuim = _registered(service), Verzuim(service)
    holidays = [Holiday("herfstvakantie", date(2026, 10, 19), date(2026, 10, 23))]
    _commit_fails_then_succeeds(service, monkeypatch,
                                lambda: verzuim.set_holidays(admin, SCHOOL, "14PS03", holidays, NOW),
                                school_holidays, ("verzuim.holidays", "school:14PS03"))


def _coordinator(service: Service) -> Principal:
    _, token = accounts.create_user(service.engine, "swv_coordinator", ["standaard"], NOW, service.swv_codes())
    return accounts.authenticate(service.engine, token, NOW)


def test_webhook_changes_are_on_record_and_commit_with_their_audit_row(
    service: Service, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Registering, rotating and deactivating a receiver of case events are accesses of their own: each
    commits together with its audit row or not at all; a colleague's attempt on it is on record as refused.
    """
    monkeypatch.setattr(service.settings, "webhook_allow_hosts", "127.0.0.1:9")
    owner = _coordinator(service)
    made: list[str] = []

    def register() -> None:
        made.append(service.register_webhook(owner, "http://127.0.0.1:9/hook", "", NOW).subscription.id)
    before = _contents(service, audit_log, webhook_subscriptions)
    with _commit_breaks_after_its_audit_row(monkeypatch):
        register()
    assert _contents(service, audit_log, webhook_subscriptions) == before
    register()
    [hook] = made
    assert _last_row(service) == ("webhook.register", f"webhook:{hook}", "ok")
    _commit_fails_then_succeeds(service, monkeypatch, lambda: service.rotate_webhook_secret(owner, hook, NOW),
                                webhook_subscriptions, ("webhook.rotate_secret", f"webhook:{hook}"))
    with pytest.raises(WebhookNotFound):
        service.deactivate_webhook(_coordinator(service), hook, NOW)
    assert _last_row(service) == ("webhook.deactivate", f"webhook:{hook}", "not-found")
    service.deactivate_webhook(owner, hook, NOW)
    assert _last_row(service) == ("webhook.deactivate", f"webhook:{hook}", "ok")
