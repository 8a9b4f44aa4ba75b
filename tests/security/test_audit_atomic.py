"""A write and its audit row are one transaction: a process SIGKILLed at random moments while it opens
cases and applies commands leaves every opened case and every case event with its audit row, and no
audit row claims an 'ok' write that is not there; a commit that fails leaves neither.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from domain.access import Principal
from domain.case import Command
from domain.errors import CaseNotFound
from domain.handlers import NewCase
from infra import accounts, audit, event_chain
from infra.bootstrap import Service
from infra.tables import audit_log, case_events
from tests.databases import fresh_service

NOW = datetime(2026, 9, 3, 9, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]
KILLS = {"sqlite": 30, "postgres": 12}
STARTUP_TIMEOUT_S = 60


@pytest.fixture(params=["sqlite", "postgres"])
def service(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """The service on a freshly migrated database of each kind."""
    with fresh_service(request.param, tmp_path_factory) as built:
        yield built


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
    real = audit.append_in

    def append_then_fail(*args: object, **kwargs: object) -> audit.AuditEntry:
        real(*args, **kwargs)  # type: ignore[arg-type] # the real signature, passed through
        raise OperationalError("COMMIT", {}, Exception("server closed the connection unexpectedly"))
    monkeypatch.setattr(audit, "append_in", append_then_fail)
    with pytest.raises(OperationalError):
        service.handle_as(zc, case_id, Command("leg_handelingsdeel_voor", zc.actor, {}), NOW, None, None, None)
    monkeypatch.undo()
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
