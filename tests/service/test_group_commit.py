"""Commands commit in groups (infra/store/group_commit.py), on SQLite and PostgreSQL: many callers share one
transaction, each in a savepoint of its own; a caller is answered only after the COMMIT; a refused command rolls
back alone and keeps its audit row; a COMMIT that fails runs each command again alone; an idempotency key sent
twice within one group is answered once.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Connection, event, func, select

from domain.access import Principal
from domain.case import Actor, Command
from domain.errors import DomainError, TransitionNotAllowed
from domain.handlers import NewCase
from infra.identity import audit
from infra.store.group_commit import GroupCommit
from infra.store.tables import audit_log, case_events, cases
from service import Service
from tests.databases import fresh_service

NOW = datetime(2026, 9, 7, 9, 0, tzinfo=UTC)
ZC = Actor("zorgcoordinator", "zc-1")
PRINCIPAL = Principal("zc-1", "zorgcoordinator", ("14PS03",))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def service(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    with fresh_service(request.param, tmp_path_factory) as built:
        yield built


def _open(service: Service, pupil: str) -> str:
    command = Command("start_opp", ZC, {"extra_ondersteuning_sinds": "2026-09-01"})
    return service.open_case(NewCase("opp", "14PS03", pupil, "standaard"), command, NOW).case_id


def _step(service: Service, case_id: str, key: str | None = None) -> Any:
    command = Command("leg_handelingsdeel_voor", ZC)
    return service.handle(case_id, command, NOW, key)


def _count(service: Service, table: Any, *where: Any) -> int:
    with service.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one())


class Held:
    """A transaction held open until released, so that what callers send meanwhile queues up."""

    def __init__(self, service: Service) -> None:
        self.writer = service.writer
        self.inside, self.go = threading.Event(), threading.Event()
        threading.Thread(target=self.writer.write, args=(self._hold,), daemon=True).start()
        assert self.inside.wait(10)

    def _hold(self, _conn: Connection) -> None:
        self.inside.set()
        self.go.wait(10)

    def release_when_queued(self, count: int) -> None:
        """Let the held transaction commit once ``count`` pieces wait for the next one."""
        deadline = time.monotonic() + 10
        while self.writer.queued() < count and time.monotonic() < deadline:
            time.sleep(0.001)
        assert self.writer.queued() == count
        self.go.set()


def test_commands_sent_together_share_transactions_and_every_one_is_written(service: Service) -> None:
    case_ids = [_open(service, f"lln-{i}") for i in range(24)]
    before = service.writer.batches
    held = Held(service)
    with ThreadPoolExecutor(24) as pool:
        answers = [pool.submit(_step, service, case_id) for case_id in case_ids]
        held.release_when_queued(24)
        outcomes = [a.result(10) for a in answers]
    assert {o.stage for o in outcomes} == {"wacht_op_instemming"}
    assert service.writer.batches - before == 2  # the held one, then all 24 together
    assert _count(service, cases, cases.c.stage == "wacht_op_instemming") == 24


def test_a_lone_command_is_a_transaction_of_its_own(service: Service) -> None:
    case_id = _open(service, "lln-1")
    before = service.writer.batches
    _step(service, case_id)
    assert service.writer.batches == before + 1


def test_a_lone_caller_writes_in_its_own_thread_and_one_arriving_meanwhile_in_the_writers(service: Service) -> None:
    assert service.writer.write(lambda _conn: threading.get_ident()) == threading.get_ident()
    held = Held(service)
    with ThreadPoolExecutor(1) as pool:
        queued = pool.submit(service.writer.write, lambda _conn: threading.current_thread().name)
        held.release_when_queued(1)
        assert queued.result(10) == "group-commit"


def test_a_caller_on_an_event_loop_leaves_the_write_to_the_writer_thread(service: Service) -> None:
    async def on_the_loop() -> str:
        return await asyncio.wrap_future(service.writer.submit(lambda _conn: threading.current_thread().name))

    assert asyncio.run(on_the_loop()) == "group-commit"


def test_a_caller_is_answered_only_after_the_commit(service: Service) -> None:
    case_id = _open(service, "lln-1")
    seen: list[int] = []

    def count_on_commit(_conn: Connection) -> None:
        seen.append(_count(service, case_events, case_events.c.case_id == case_id))

    event.listen(service.engine, "commit", count_on_commit)
    try:
        _step(service, case_id)
    finally:
        event.remove(service.engine, "commit", count_on_commit)
    assert seen == [1]  # at the COMMIT the step was not yet visible to another connection
    assert _count(service, case_events, case_events.c.case_id == case_id) == 2  # at the answer it was


def test_a_refused_command_rolls_back_alone_and_keeps_its_audit_row(service: Service) -> None:
    done, refused = _open(service, "lln-1"), _open(service, "lln-2")
    _step(service, refused)  # now in wacht_op_instemming, where there is nothing to continue yet
    held = Held(service)
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(service.handle_as, PRINCIPAL, done,
                            Command("leg_handelingsdeel_voor", ZC), NOW, None, None, None)
        second = pool.submit(service.handle_as, PRINCIPAL, refused,
                             Command("continueer", ZC), NOW, None, None, None)
        held.release_when_queued(2)
        assert first.result(10).stage == "wacht_op_instemming"
        with pytest.raises(TransitionNotAllowed):
            second.result(10)
    assert _count(service, case_events, case_events.c.case_id == refused) == 2
    with service.engine.connect() as conn:
        rows = conn.execute(select(audit_log.c.resource, audit_log.c.outcome)
                            .where(audit_log.c.action.like("case.command:%"))).all()
    outcomes = {str(resource): str(outcome) for resource, outcome in rows}
    assert outcomes == {f"case:{done}": "ok", f"case:{refused}": "transition-not-allowed"}
    assert audit.verify(service.engine).broken_seq is None


def test_when_the_commit_fails_each_command_runs_again_alone_and_none_is_lost(service: Service) -> None:
    case_ids = [_open(service, f"lln-{i}") for i in range(3)]
    commits: list[int] = []

    def fail_once(_conn: Connection) -> None:
        commits.append(1)
        if len(commits) == 2:  # the held transaction commits first, then the group of three
            msg = "the disk said no"
            raise OSError(msg)

    held = Held(service)
    event.listen(service.engine, "commit", fail_once)
    try:
        with ThreadPoolExecutor(3) as pool:
            answers = [pool.submit(_step, service, case_id) for case_id in case_ids]
            held.release_when_queued(3)
            assert [a.result(10).seq for a in answers] == [2, 2, 2]
    finally:
        event.remove(service.engine, "commit", fail_once)
    assert len(commits) == 5  # the held one, the group that failed, then each of the three alone
    assert _count(service, case_events) == 6


def test_a_failed_lone_commit_reaches_its_caller_and_writes_nothing(service: Service) -> None:
    case_id = _open(service, "lln-1")

    def fail(_conn: Connection) -> None:
        msg = "the disk said no"
        raise OSError(msg)

    event.listen(service.engine, "commit", fail)
    try:
        with pytest.raises(OSError, match="the disk said no"):
            _step(service, case_id)
    finally:
        event.remove(service.engine, "commit", fail)
    assert _count(service, case_events, case_events.c.case_id == case_id) == 1


def test_one_idempotency_key_sent_twice_in_one_group_is_applied_once(service: Service) -> None:
    case_id = _open(service, "lln-1")
    held = Held(service)
    with ThreadPoolExecutor(2) as pool:
        answers = [pool.submit(_step, service, case_id, "sleutel-1") for _ in range(2)]
        held.release_when_queued(2)
        outcomes = [a.result(10) for a in answers]
    assert sorted(o.replayed for o in outcomes) == [False, True]
    assert {o.seq for o in outcomes} == {2}
    assert _count(service, case_events, case_events.c.case_id == case_id) == 2


def test_a_piece_of_work_cannot_wait_for_another_group_commit(service: Service) -> None:
    writer: GroupCommit = service.writer

    def nested(_conn: Connection) -> object:
        return writer.write(lambda _c: None)

    with pytest.raises(RuntimeError, match="cannot wait"):
        writer.write(nested)


def test_a_domain_refusal_of_an_unaudited_command_reaches_its_caller(service: Service) -> None:
    with pytest.raises(DomainError):
        _step(service, "no-such-case")
