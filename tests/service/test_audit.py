"""The audit log: every read and write of a case (also a refused one) is a row, chained by hash; the
database refuses UPDATE and DELETE; `leerlingroute audit verify` walks the chain and names the first
broken row.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import DatabaseError
from typer.testing import CliRunner

from domain.access import Principal
from domain.case import Command
from domain.errors import CaseNotFound
from domain.handlers import NewCase
from infra.identity import accounts, audit
from infra.store.tables import audit_log
from run.cli import app
from service import Service
from tests.databases import fresh_service

NOW = datetime(2026, 9, 3, 9, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgres"])
def service(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """The service on a freshly migrated database of each kind."""
    with fresh_service(request.param, tmp_path_factory) as built:
        yield built


def _principal(service: Service, role: str, scopes: list[str]) -> Principal:
    _, token = accounts.create_user(service.engine, role, scopes, NOW, service.swv_codes())
    return accounts.authenticate(service.engine, token, NOW)


def _opened(service: Service, zc: Principal) -> str:
    new = NewCase("opp", "14PS03", "lln-audit-1", "standaard")
    command = Command("start_opp", zc.actor, {"extra_ondersteuning_sinds": "2026-09-01"})
    return service.open_case_as(zc, new, command, NOW, None, None).case_id


def test_reads_and_writes_are_chained_rows(service: Service) -> None:
    """Open, command, status, history and timeline each append a row; an out-of-scope read is on record
    as not-found; every row links to the one before and the chain verifies.
    """
    zc = _principal(service, "zorgcoordinator", ["14PS03"])
    stranger = _principal(service, "zorgcoordinator", ["20XY00"])
    case_id = _opened(service, zc)
    service.handle_as(zc, case_id, Command("leg_handelingsdeel_voor", zc.actor, {}), NOW, None, None,
                      "Handelingsdeel met ouders besproken")
    service.read_status(zc, case_id, NOW, None)
    service.read_history(zc, case_id, NOW, None)
    service.read_timeline(zc, "lln-audit-1", NOW + timedelta(minutes=1), None)
    with pytest.raises(CaseNotFound):
        service.read_status(stranger, case_id, NOW, None)

    rows = list(reversed(audit.entries(service.engine)))
    assert [(r.seq, r.action, r.resource, r.outcome, r.user_id) for r in rows] == [
        (1, "case.open", f"case:{case_id}", "ok", zc.user_id),
        (2, "case.command:leg_handelingsdeel_voor", f"case:{case_id}", "ok", zc.user_id),
        (3, "case.read", f"case:{case_id}", "ok", zc.user_id),
        (4, "case.history", f"case:{case_id}", "ok", zc.user_id),
        (5, "pupil.read", "pupil:lln-audit-1", "ok", zc.user_id),
        (6, "case.read", f"case:{case_id}", "not-found", stranger.user_id),
    ]
    assert rows[1].purpose == "Handelingsdeel met ouders besproken"
    assert rows[2].purpose == "Dossier inzien"
    assert rows[0].prev_hash == audit.GENESIS
    for before, after in itertools.pairwise(rows):
        assert after.prev_hash == before.hash
    for row in rows:
        content = audit.canonical(row.seq, row.at, row.user_id, row.role, row.action, row.resource, row.purpose,
                                  row.outcome)
        assert row.hash == audit.chain_hash(row.prev_hash, content)
    assert audit.verify(service.engine) == audit.Verification(6)


def test_the_database_refuses_to_change_or_delete_audit_rows(service: Service) -> None:
    """UPDATE and DELETE are refused by the triggers, on both databases."""
    zc = _principal(service, "zorgcoordinator", ["14PS03"])
    _opened(service, zc)
    with pytest.raises(DatabaseError, match="append-only"), service.engine.begin() as conn:
        conn.execute(update(audit_log).values(outcome="ok", purpose="iets anders"))
    with pytest.raises(DatabaseError, match="append-only"), service.engine.begin() as conn:
        conn.execute(delete(audit_log))
    assert audit.verify(service.engine).rows == 1


def test_audit_verify_names_the_first_broken_row(
    service: Service, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A row slipped in with a wrong prev_hash (UPDATE being refused) breaks the chain there: the
    command exits non-zero naming its seq; before that it reports the chain intact (verified at NOW, so
    that the rows are not yet old enough to need a checkpoint).
    """
    monkeypatch.setenv("LEERLINGROUTE_DATABASE_URL", service.engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("LEERLINGROUTE_DATA_DIR", str(tmp_path))
    zc = _principal(service, "zorgcoordinator", ["14PS03"])
    case_id = _opened(service, zc)
    service.read_status(zc, case_id, NOW, None)
    runner = CliRunner()
    intact = runner.invoke(app, ["audit", "verify", "--as-of", NOW.isoformat()])
    assert intact.exit_code == 0, intact.output
    assert "Auditlog intact: 2 regels" in intact.output

    forged = {"seq": 3, "at": NOW, "user_id": zc.user_id, "role": "zorgcoordinator", "action": "case.read",
              "resource": f"case:{case_id}", "purpose": "Dossier inzien", "outcome": "ok", "prev_hash": "f" * 64}
    forged["hash"] = audit.chain_hash("f" * 64, audit.canonical(3, NOW, zc.user_id, "zorgcoordinator", "case.read",
                                                                 f"case:{case_id}", "Dossier inzien", "ok"))
    with service.engine.begin() as conn:
        conn.execute(insert(audit_log), forged)
    service.read_status(zc, case_id, NOW, None)  # later rows chain on, but the break stays

    broken = runner.invoke(app, ["audit", "verify", "--as-of", NOW.isoformat()])
    assert broken.exit_code == 1
    assert "Auditlog verbroken bij regel 3" in broken.output
    assert audit.verify(service.engine) == audit.Verification(2, 3, "de verwijzing naar de vorige regel klopt niet")
    with service.engine.connect() as conn:
        assert conn.execute(select(audit_log.c.seq).order_by(audit_log.c.seq)).scalars().all() == [1, 2, 3, 4]


def test_a_tampered_hash_is_found_too(service: Service) -> None:
    """A row whose content does not match its stored hash (made behind the chain's back)."""
    zc = _principal(service, "zorgcoordinator", ["14PS03"])
    _opened(service, zc)
    first = audit.entries(service.engine)[0]
    with service.engine.begin() as conn:
        conn.execute(insert(audit_log), {"seq": 2, "at": NOW, "user_id": "x", "role": "admin", "action": "case.read",
                                         "resource": "case:y", "purpose": "-", "outcome": "ok",
                                         "prev_hash": first.hash, "hash": "0" * 64})
    assert audit.verify(service.engine) == audit.Verification(1, 2, "de inhoud past niet bij de opgeslagen hash")
