"""Tamper evidence of the audit log and the case events: the database refuses every way to change or
remove a row (REPLACE and ON CONFLICT included, TRUNCATE too), the case events are hash-chained like the
audit log, and signed checkpoints kept outside the database make a truncated or re-chained log fail
`leerlingroute audit verify` (an attacker without the key can recompute SHA-256, not the signature).
The checkpoints are chained by number and previous signature, so a line removed from the middle of
their file or moved is found; a removed newest line is found by the age of the newest one left.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import sqlite3
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Executable, Table, delete, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DatabaseError
from typer.testing import CliRunner

from domain.access import Principal
from domain.case import Command
from domain.handlers import NewCase
from infra.identity import accounts, audit, checkpoints
from infra.settings import Settings
from infra.store import event_chain, migrate
from infra.store.db import make_engine
from infra.store.tables import audit_log, case_events, cases
from run import cli_identity
from run.cli import app
from service import Service
from tests.databases import migrated_sqlite

NOW = datetime(2026, 9, 3, 9, 0, tzinfo=UTC)



def _principal(service: Service) -> Principal:
    _, token = accounts.create_user(service.engine, "zorgcoordinator", ["14PS03"], NOW, service.swv_codes())
    return accounts.authenticate(service.engine, token, NOW)


def _activity(service: Service, zc: Principal, pupils: int = 2) -> list[str]:
    """Open a case per pupil, move each a step and read it: audit rows and case events on both chains."""
    opened = []
    for i in range(pupils):
        command = Command("start_opp", zc.actor, {"extra_ondersteuning_sinds": "2026-09-01"})
        new = NewCase("opp", "14PS03", f"lln-te-{i}-{uuid.uuid4().hex[:8]}", "standaard")
        case_id = service.open_case_as(zc, new, command, NOW, None, None).case_id
        service.handle_as(zc, case_id, Command("leg_handelingsdeel_voor", zc.actor, {}), NOW, None, None, None)
        service.read_status(zc, case_id, NOW, None)
        opened.append(case_id)
    return opened


def _verify(service: Service, monkeypatch: pytest.MonkeyPatch, as_of: datetime = NOW + timedelta(hours=1),
            ) -> tuple[int, str]:
    """``leerlingroute audit verify`` at ``as_of``: its exit code and everything it printed."""
    monkeypatch.setenv("LEERLINGROUTE_DATABASE_URL", service.engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("LEERLINGROUTE_DATA_DIR", str(service.settings.data_dir))
    result = CliRunner().invoke(app, ["audit", "verify", "--as-of", as_of.isoformat()])
    return result.exit_code, result.output


def _unguarded(conn: Connection, table: str) -> None:
    """What an attacker with the database's owner rights does first: switch the append-only triggers off."""
    if conn.dialect.name == "sqlite":
        names = conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :table"),
                             {"table": table})
        for name in names.scalars().all():
            conn.exec_driver_sql(f"DROP TRIGGER {name}")
    else:
        conn.exec_driver_sql(f"ALTER TABLE {table} DISABLE TRIGGER USER")


def _upsert(service: Service, table: Table, values: dict[str, Any], keys: list[str]) -> Executable:
    """INSERT ... ON CONFLICT (keys) DO UPDATE, in the database's own dialect."""
    statement = (sqlite.insert(table) if service.engine.dialect.name == "sqlite" else postgresql.insert(table))
    return statement.values(values).on_conflict_do_update(index_elements=keys, set_={"purpose" if "purpose" in values
                                                                                      else "type": "iets_anders"})


# --- the database refuses ------------------------------------------------------------------------------


def test_replace_and_upsert_of_an_audit_row_are_refused(service: Service) -> None:
    """INSERT OR REPLACE (SQLite) or INSERT ... ON CONFLICT DO UPDATE (both) over an existing audit row is
    refused, as are UPDATE and DELETE; the row is unchanged.
    """
    _activity(service, _principal(service), pupils=1)
    first = audit.entries(service.engine, limit=1000)[-1]
    forged = {**first.__dict__, "outcome": "forbidden", "purpose": "iets anders"}
    upsert = _upsert(service, audit_log, forged, ["seq"])
    statements = [update(audit_log).values(purpose="x"), delete(audit_log), upsert]
    if service.engine.dialect.name == "sqlite":
        statements.append(insert(audit_log).prefix_with("OR REPLACE").values(forged))
    for statement in statements:
        with pytest.raises(DatabaseError, match="append-only"), service.engine.begin() as conn:
            conn.execute(statement)
    assert audit.entries(service.engine, limit=1000)[-1] == first
    assert audit.verify(service.engine).broken_seq is None


def test_replace_and_upsert_of_a_case_event_are_refused(service: Service) -> None:
    """The same for case events: over the same (case, seq), or over the same place in the chain."""
    case_id = _activity(service, _principal(service), pupils=1)[0]
    with service.engine.connect() as conn:
        first = dict(conn.execute(select(case_events).where(case_events.c.case_id == case_id,
                                                            case_events.c.seq == 1)).one()._mapping)
    same_key = {**first, "type": "iets_anders"}
    same_place = {**first, "seq": 99}
    statements = [update(case_events).values(type="x"), delete(case_events),
                  _upsert(service, case_events, same_key, ["case_id", "seq"])]
    if service.engine.dialect.name == "sqlite":
        statements += [insert(case_events).prefix_with("OR REPLACE").values(same_key),
                       insert(case_events).prefix_with("OR REPLACE").values(same_place)]
    for statement in statements:
        with pytest.raises(DatabaseError, match="append-only"), service.engine.begin() as conn:
            conn.execute(statement)
    assert event_chain.verify(service.engine) == audit.Verification(2)


def test_another_sqlite_client_cannot_replace_rows_either(tmp_path: Path) -> None:
    """A plain sqlite3 connection, without the application's recursive_triggers pragma, still meets the
    BEFORE INSERT triggers: REPLACE would otherwise delete the row without firing the DELETE trigger.
    """
    url = migrated_sqlite(str(tmp_path))
    engine = make_engine(url)
    audit.append(engine, at=NOW, user_id="u", role="admin", action="case.read", resource="case:1", purpose="p",
                 outcome="ok")
    engine.dispose()
    raw = sqlite3.connect(url.removeprefix("sqlite:///"))
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        raw.execute("INSERT OR REPLACE INTO audit_log (seq, at, user_id, role, action, resource, purpose, outcome, "
                    "prev_hash, hash) VALUES (1, '2026-09-03 09:00:00.000000', 'u', 'admin', 'x', 'y', 'z', 'ok', "
                    "'0', '0')")
    raw.close()


def test_truncate_is_refused_on_postgresql(service: Service) -> None:
    """TRUNCATE fires no row trigger; the statement triggers refuse it on both tables."""
    if service.engine.dialect.name != "postgresql":
        assert service.engine.dialect.name == "sqlite"  # SQLite has no TRUNCATE (DELETE is refused above)
        return
    _activity(service, _principal(service), pupils=1)
    for table in ("audit_log", "case_events"):
        with pytest.raises(DatabaseError, match="append-only"), service.engine.begin() as conn:
            conn.exec_driver_sql(f"TRUNCATE {table} CASCADE")
    assert audit.verify(service.engine).rows == 3


# --- the case events' chain ----------------------------------------------------------------------------


def test_case_events_are_chained_in_commit_order(service: Service) -> None:
    """Every event links to the one committed before it (of any case) and verifies; a changed event
    (with the UPDATE trigger out of the way) breaks the chain exactly there.
    """
    _activity(service, _principal(service), pupils=3)
    with service.engine.connect() as conn:
        rows = conn.execute(select(case_events).order_by(case_events.c.chain_seq)).all()
    assert [r.chain_seq for r in rows] == [1, 2, 3, 4, 5, 6]
    assert rows[0].prev_hash == audit.GENESIS
    assert all(after.prev_hash == before.hash for before, after in itertools.pairwise(rows))
    assert event_chain.verify(service.engine) == audit.Verification(6)

    with service.engine.begin() as conn:
        _unguarded(conn, "case_events")
        conn.execute(update(case_events).where(case_events.c.chain_seq == 4).values(actor_id="iemand-anders"))
    assert event_chain.verify(service.engine) == audit.Verification(
        3, 4, "de inhoud past niet bij de opgeslagen hash")


def test_the_migration_chains_the_events_that_were_already_there(service: Service) -> None:
    """Events written before migration 0010 get their links in the order they were recorded."""
    url = service.engine.url.render_as_string(hide_password=False)
    service.engine.dispose()
    migrate.downgrade(url, "0009")
    with service.engine.begin() as conn:
        for i, at in enumerate([NOW, NOW - timedelta(days=1), NOW + timedelta(days=1)]):
            conn.execute(insert(cases), {"id": f"c{i}", "pathway": "opp", "definition_version": 1,
                                         "school_brin": "14PS03", "pupil_id": f"l{i}", "stage": "concept",
                                         "version": 1, "artifacts": {}, "opened_at": at, "stage_entered_at": at,
                                         "updated_at": at})
            conn.execute(insert(case_events), {
                "case_id": f"c{i}", "seq": 1, "type": "opp_gestart", "command": "start_opp", "stage_from": None,
                "stage_to": "concept", "payload": {"a": [1, 2.5, "é"]}, "actor_role": "zorgcoordinator",
                "actor_id": "zc", "pathway": "opp", "definition_version": 1, "occurred_at": at, "recorded_at": at})
    service.engine.dispose()
    migrate.upgrade(url)
    with service.engine.connect() as conn:
        order = conn.execute(select(case_events.c.case_id).order_by(case_events.c.chain_seq)).scalars().all()
    assert order == ["c1", "c0", "c2"]
    assert event_chain.verify(service.engine) == audit.Verification(3)


# --- signed checkpoints --------------------------------------------------------------------------------


def test_an_intact_log_passes_verify_with_its_checkpoints(service: Service, monkeypatch: pytest.MonkeyPatch) -> None:
    """Checkpoints taken between writes; the chains grow after them; verify says so and exits 0. The key
    file is made on first use, readable by its owner only.
    """
    zc = _principal(service)
    _activity(service, zc)
    checkpoints.take(service.engine, service.settings, NOW)
    _activity(service, zc, pupils=1)
    made = checkpoints.take(service.engine, service.settings, NOW + timedelta(hours=1))
    assert (made.audit.rows, made.events.rows) == (9, 6)
    assert (service.settings.data_dir / checkpoints.KEY_FILE).stat().st_mode & 0o777 == 0o600
    service.read_status(zc, _activity(service, zc, pupils=1)[0], NOW, None)

    code, output = _verify(service, monkeypatch)
    assert code == 0, output
    assert "Auditlog intact: 13 regels" in output
    assert "Gebeurtenissen van dossiers intact: 8 regels" in output
    assert "Klopt met 2 ondertekende checkpoints" in output


def test_a_rechained_audit_log_fails_verify(service: Service, monkeypatch: pytest.MonkeyPatch) -> None:
    """An attacker changes a row's outcome and recomputes every hash after it with plain SHA-256: the
    chain itself verifies, but the row at the checkpoint no longer has the signed hash.
    """
    _activity(service, _principal(service))
    checkpoints.take(service.engine, service.settings, NOW)
    with service.engine.begin() as conn:
        _unguarded(conn, "audit_log")
        rows = conn.execute(select(audit_log).order_by(audit_log.c.seq)).all()
        conn.execute(delete(audit_log))
        prev = audit.GENESIS
        for row in rows:
            values = {**row._mapping, "outcome": "forbidden" if row.seq == 2 else row.outcome}
            content = audit.canonical(values["seq"], values["at"], values["user_id"], values["role"],
                                      values["action"], values["resource"], values["purpose"], values["outcome"])
            values.update(prev_hash=prev, hash=audit.chain_hash(prev, content))
            conn.execute(insert(audit_log), values)
            prev = values["hash"]
    assert audit.verify(service.engine).broken_seq is None  # the plain chain cannot tell

    code, output = _verify(service, monkeypatch)
    assert code == 1
    assert "Auditlog: regel 6 wijkt af van het checkpoint van 2026-09-03 09:00 UTC: de keten is herschreven." in output


def test_deleting_the_newest_rows_after_a_checkpoint_fails_verify(
    service: Service, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The newest audit rows and case events are removed (triggers off): both chains still link, but
    they are shorter than the checkpoint counted.
    """
    _activity(service, _principal(service))
    checkpoints.take(service.engine, service.settings, NOW)
    with service.engine.begin() as conn:
        _unguarded(conn, "audit_log")
        _unguarded(conn, "case_events")
        conn.execute(delete(audit_log).where(audit_log.c.seq > 4))
        conn.execute(delete(case_events).where(case_events.c.chain_seq > 2))

    code, output = _verify(service, monkeypatch)
    assert code == 1
    assert "Auditlog telt 4 regels, minder dan de 6 van het checkpoint van 2026-09-03 09:00 UTC" in output
    assert "Gebeurtenissen van dossiers telt 2 regels, minder dan de 4" in output


def test_a_forged_checkpoint_or_a_missing_key_fails_verify(
    service: Service, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A checkpoint line signed with another key (or no key to check it with) is reported, not trusted;
    and no new checkpoint is written over it.
    """
    _activity(service, _principal(service), pupils=1)
    made = checkpoints.take(service.engine, service.settings, NOW)
    forged = checkpoints.sign(checkpoints.Checkpoint(NOW, checkpoints.Head(1, made.audit.head), made.events),
                              b"not-the-key")
    with (service.settings.data_dir / checkpoints.CHECKPOINT_FILE).open("a") as file:
        file.write(forged.line() + "\n")

    code, output = _verify(service, monkeypatch)
    assert code == 1
    assert "Het checkpoint van 2026-09-03 09:00 UTC heeft een ongeldige handtekening" in output
    with pytest.raises(checkpoints.CheckpointRefused, match="ongeldige handtekening"):
        checkpoints.take(service.engine, service.settings, NOW)
    (service.settings.data_dir / checkpoints.KEY_FILE).unlink()
    assert _verify(service, monkeypatch)[0] == 1


def test_a_checkpoint_is_refused_over_a_broken_chain(service: Service, monkeypatch: pytest.MonkeyPatch) -> None:
    """A case event changed since the last checkpoint (its hash left as it was) is found by the next
    checkpoint, which signs nothing and says where; the CLI exits non-zero with that reason.
    """
    zc = _principal(service)
    _activity(service, zc)
    checkpoints.take(service.engine, service.settings, NOW)
    _activity(service, zc, pupils=1)
    with service.engine.begin() as conn:
        _unguarded(conn, "case_events")
        conn.execute(update(case_events).where(case_events.c.chain_seq == 6).values(payload={"x": 1}))
    with pytest.raises(checkpoints.CheckpointRefused, match="Gebeurtenissen van dossiers verbroken bij regel 6"):
        checkpoints.take(service.engine, service.settings, NOW)
    lines = (service.settings.data_dir / checkpoints.CHECKPOINT_FILE).read_text().splitlines()
    assert len(lines) == 1
    assert json.loads(lines[0])["events"]["rows"] == 4

    monkeypatch.setenv("LEERLINGROUTE_DATABASE_URL", service.engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("LEERLINGROUTE_DATA_DIR", str(service.settings.data_dir))
    refused = CliRunner().invoke(app, ["audit", "checkpoint"])
    assert refused.exit_code == 1
    assert "Geen checkpoint vastgelegd" in refused.output
    code, output = _verify(service, monkeypatch)
    assert code == 1
    assert "Gebeurtenissen van dossiers verbroken bij regel 6: de inhoud past niet bij de opgeslagen hash" in output


# --- the checkpoints' own chain, their age, their folder ------------------------------------------------


def _checkpoint_file(service: Service) -> Path:
    return service.settings.data_dir / checkpoints.CHECKPOINT_FILE


def _write_lines(service: Service, lines: list[str]) -> None:
    """What anyone who can write the checkpoint folder can do without the key: keep, drop or move lines."""
    _checkpoint_file(service).write_text("".join(f"{line}\n" for line in lines))


def _hourly_checkpoints(service: Service, hours: int) -> list[str]:
    """A pupil's activity and a checkpoint on the hour, ``hours`` times; the checkpoint file's lines."""
    zc = _principal(service)
    for hour in range(hours):
        _activity(service, zc, pupils=1)
        checkpoints.take(service.engine, service.settings, NOW + timedelta(hours=hour))
    return _checkpoint_file(service).read_text().splitlines()


def _truncated(service: Service, audit_rows: int, event_rows: int) -> None:
    """The newest audit rows and case events removed, the append-only triggers switched off first."""
    with service.engine.begin() as conn:
        _unguarded(conn, "audit_log")
        _unguarded(conn, "case_events")
        conn.execute(delete(audit_log).where(audit_log.c.seq > audit_rows))
        conn.execute(delete(case_events).where(case_events.c.chain_seq > event_rows))


def test_each_checkpoint_signs_its_number_and_the_previous_signature(service: Service) -> None:
    """The checkpoints form a chain: numbers 1, 2, 3, each linked to the signature of the one before it
    (the first to nothing), and both are inside what the signature covers.
    """
    _hourly_checkpoints(service, 3)
    made = checkpoints.read(service.settings)
    assert [(c.number, c.previous) for c in made] == [(1, ""), (2, made[0].signature), (3, made[1].signature)]
    secret = checkpoints.key(service.settings, create=False)
    assert all(checkpoints.signed_by(c, secret) for c in made)
    relinked = checkpoints.Checkpoint(made[2].at, made[2].audit, made[2].events, 2, made[0].signature,
                                      made[2].signature)
    assert not checkpoints.signed_by(relinked, secret)


def test_removing_the_newest_checkpoint_with_the_rows_it_pinned_fails_verify_by_its_age(
    service: Service, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The review's attack: rows deleted back to what the first checkpoint counted (triggers off) and the
    newest checkpoint line removed, which needs no key. Every count and link still holds, so up to two
    hours after the remaining checkpoint nothing can tell; after that verify fails and says why.
    """
    lines = _hourly_checkpoints(service, 2)
    first = checkpoints.read(service.settings)[0]
    _truncated(service, first.audit.rows, first.events.rows)
    _write_lines(service, lines[:1])

    assert _verify(service, monkeypatch, NOW + timedelta(hours=2))[0] == 0
    code, output = _verify(service, monkeypatch, NOW + timedelta(hours=2, minutes=1))
    assert code == 1
    assert ("Het nieuwste checkpoint is van 2026-09-03 09:00 UTC, meer dan 2 uur voor 2026-09-03 11:01 UTC: de "
            "geplande flow audit-checkpoint draait niet, of de nieuwste checkpoints zijn verwijderd (en mogelijk "
            "de regels die ze vastlegden).") in output


def test_a_checkpoint_taken_over_such_a_removal_leaves_a_gap_that_verify_notes(
    service: Service, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """If the schedule signs the shortened log before anyone verifies, the age check has nothing left to
    find (the limit of checkpoints kept where the attacker can write); what remains is two hours without
    a checkpoint, which verify notes (a stopped server looks the same) while exiting 0.
    """
    lines = _hourly_checkpoints(service, 2)
    first = checkpoints.read(service.settings)[0]
    _truncated(service, first.audit.rows, first.events.rows)
    _write_lines(service, lines[:1])
    assert checkpoints.take(service.engine, service.settings, NOW + timedelta(hours=2)).number == 2

    code, output = _verify(service, monkeypatch, NOW + timedelta(hours=2))
    assert code == 0, output
    assert ("Let op: tussen het checkpoint van 2026-09-03 09:00 UTC en dat van 2026-09-03 11:00 UTC is 2.0 uur geen "
            "checkpoint vastgelegd. Stond de server of de planning stil, dan verklaart dat het; anders kunnen daar "
            "checkpoints zijn verwijderd.") in output
    assert output.count("Let op") == 1


def test_removing_a_middle_or_the_first_checkpoint_fails_verify_by_the_chain(
    service: Service, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With the rows untouched, a checkpoint line dropped from the middle or the start of the file is
    found by the numbers and links alone, and no new checkpoint is signed over such a file.
    """
    lines = _hourly_checkpoints(service, 3)
    assert _verify(service, monkeypatch, NOW + timedelta(hours=2))[0] == 0

    _write_lines(service, [lines[0], lines[2]])
    code, output = _verify(service, monkeypatch, NOW + timedelta(hours=2))
    assert code == 1
    assert ("Tussen het checkpoint van 2026-09-03 09:00 UTC en het checkpoint van 2026-09-03 11:00 UTC (nr. 3) "
            "ontbreekt 1 checkpoint: de checkpoints zijn verwijderd of verplaatst.") in output
    with pytest.raises(checkpoints.CheckpointRefused, match="het checkpointbestand is niet in orde: tussen het"):
        checkpoints.take(service.engine, service.settings, NOW + timedelta(hours=3))
    assert _checkpoint_file(service).read_text().splitlines() == [lines[0], lines[2]]

    _write_lines(service, lines[1:])
    code, output = _verify(service, monkeypatch, NOW + timedelta(hours=2))
    assert code == 1
    assert "Vóór het checkpoint van 2026-09-03 10:00 UTC (nr. 2) ontbreekt 1 checkpoint" in output


def test_reordered_or_repeated_checkpoints_fail_verify(service: Service, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two lines swapped, or the newest copied once more, no longer link to the line before them."""
    lines = _hourly_checkpoints(service, 3)
    _write_lines(service, [lines[0], lines[2], lines[1]])
    code, output = _verify(service, monkeypatch, NOW + timedelta(hours=2))
    assert code == 1
    assert ("Het checkpoint van 2026-09-03 10:00 UTC (nr. 2) sluit niet aan op het checkpoint ervoor (van "
            "2026-09-03 11:00 UTC): de checkpoints zijn verplaatst of vervangen.") in output

    _write_lines(service, [*lines, lines[2]])
    code, output = _verify(service, monkeypatch, NOW + timedelta(hours=2))
    assert code == 1
    assert "Het checkpoint van 2026-09-03 11:00 UTC (nr. 3) sluit niet aan op het checkpoint ervoor" in output


def test_a_fresh_log_passes_and_its_first_rows_get_two_hours_for_a_first_checkpoint(
    service: Service, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An empty log without a checkpoint passes at any instant. Once there are rows, verify passes while
    the oldest is at most two hours old and fails after that (the checkpoint file may have been emptied)
    until a checkpoint is taken.
    """
    code, output = _verify(service, monkeypatch, NOW + timedelta(days=365))
    assert code == 0, output
    assert "Auditlog intact: 0 regels" in output
    _activity(service, _principal(service), pupils=1)

    code, output = _verify(service, monkeypatch, NOW + timedelta(hours=2))
    assert code == 0, output
    assert "Nog geen ondertekend checkpoint" in output
    code, output = _verify(service, monkeypatch, NOW + timedelta(hours=2, minutes=1))
    assert code == 1
    assert ("Er is geen geldig ondertekend checkpoint, terwijl er al sinds 2026-09-03 09:00 UTC regels zijn (meer "
            "dan 2 uur voor 2026-09-03 11:01 UTC)") in output
    checkpoints.take(service.engine, service.settings, NOW + timedelta(hours=2, minutes=1))
    assert _verify(service, monkeypatch, NOW + timedelta(hours=2, minutes=1))[0] == 0


def test_the_age_check_counts_from_the_instant_given_with_the_age_from_the_settings(
    service: Service, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The newest checkpoint exactly two hours old passes, a minute more fails; with
    LEERLINGROUTE_AUDIT_CHECKPOINT_MAX_AGE_HOURS=6 five hours pass and six hours and a minute fail. An
    instant before the checkpoint (a clock behind) is not too old.
    """
    _hourly_checkpoints(service, 1)
    assert _verify(service, monkeypatch, NOW - timedelta(hours=1))[0] == 0
    assert _verify(service, monkeypatch, NOW + timedelta(hours=2))[0] == 0
    code, output = _verify(service, monkeypatch, NOW + timedelta(hours=2, minutes=1))
    assert code == 1
    assert "Het nieuwste checkpoint is van 2026-09-03 09:00 UTC, meer dan 2 uur voor 2026-09-03 11:01 UTC" in output

    monkeypatch.setenv("LEERLINGROUTE_AUDIT_CHECKPOINT_MAX_AGE_HOURS", "6")
    assert _verify(service, monkeypatch, NOW + timedelta(hours=5))[0] == 0
    code, output = _verify(service, monkeypatch, NOW + timedelta(hours=6, minutes=1))
    assert code == 1
    assert "meer dan 6 uur voor 2026-09-03 15:01 UTC" in output


def test_checkpoints_of_the_old_format_still_verify_and_the_next_one_pins_them(
    service: Service, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Lines written before the checkpoints were chained (no number, no link: HMAC over the instant and
    the heads only) keep verifying, with a note. The first chained checkpoint after them takes number 3
    and links to the last, so from then on a removed old line is found; an old-format line after a
    chained one is reported as slipped in.
    """
    _hourly_checkpoints(service, 2)
    secret = checkpoints.key(service.settings, create=False)
    assert secret is not None
    old_lines = []
    for made in checkpoints.read(service.settings):
        content = json.dumps({"at": made.at.isoformat(), "audit": {"head": made.audit.head, "rows": made.audit.rows},
                              "events": {"head": made.events.head, "rows": made.events.rows}},
                             sort_keys=True, separators=(",", ":"))
        signature = hmac.new(secret, content.encode(), hashlib.sha256).hexdigest()
        old_lines.append(json.dumps({**json.loads(content), "signature": signature}, sort_keys=True,
                                    separators=(",", ":")))
    _write_lines(service, old_lines)

    code, output = _verify(service, monkeypatch, NOW + timedelta(hours=1))
    assert code == 0, output
    assert "Klopt met 2 ondertekende checkpoints" in output
    assert ("2 checkpoint(s) in het oude formaat, zonder volgnummer en keten; het volgende checkpoint legt hun "
            "aantal en het laatste vast.") in output

    third = checkpoints.take(service.engine, service.settings, NOW + timedelta(hours=2))
    assert (third.number, third.previous) == (3, json.loads(old_lines[1])["signature"])
    code, output = _verify(service, monkeypatch, NOW + timedelta(hours=2))
    assert code == 0, output
    assert "het eerste geketende checkpoint erna legt hun aantal en het laatste vast" in output

    lines = _checkpoint_file(service).read_text().splitlines()
    _write_lines(service, lines[1:])
    code, output = _verify(service, monkeypatch, NOW + timedelta(hours=2))
    assert code == 1
    assert ("Tussen het checkpoint van 2026-09-03 10:00 UTC en het checkpoint van 2026-09-03 11:00 UTC (nr. 3) "
            "ontbreekt 1 checkpoint") in output

    _write_lines(service, [lines[0], lines[2], lines[1]])
    code, output = _verify(service, monkeypatch, NOW + timedelta(hours=2))
    assert code == 1
    assert ("Het checkpoint van 2026-09-03 10:00 UTC heeft geen volgnummer (oud formaat) maar staat na een "
            "geketend checkpoint: het is later ingevoegd of verplaatst.") in output


def test_the_hourly_flow_takes_chained_checkpoints_in_the_checkpoint_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The audit_checkpoint flow's body, run twice, appends checkpoints 1 and 2 (linked) to the folder
    LEERLINGROUTE_AUDIT_CHECKPOINT_DIR names, with the key file beside them, and nothing in the data folder.
    """
    from flows._service import service as flow_service  # noqa: PLC0415 - imports Prefect
    from flows.audit_checkpoint import audit_checkpoint  # noqa: PLC0415 - imports Prefect

    elsewhere = tmp_path / "elders"
    monkeypatch.setenv("LEERLINGROUTE_DATABASE_URL", migrated_sqlite(str(tmp_path)))
    monkeypatch.setenv("LEERLINGROUTE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LEERLINGROUTE_AUDIT_CHECKPOINT_DIR", str(elsewhere))
    flow_service.cache_clear()
    try:
        audit.append(flow_service().engine, at=NOW, user_id="u", role="admin", action="case.read",
                     resource="case:1", purpose="p", outcome="ok")
        assert audit_checkpoint.fn() == {"checkpoint": 1, "audit_rows": 1, "event_rows": 0}
        assert audit_checkpoint.fn() == {"checkpoint": 2, "audit_rows": 1, "event_rows": 0}
    finally:
        flow_service().engine.dispose()
        flow_service.cache_clear()
    assert {p.name for p in elsewhere.iterdir()} == {checkpoints.KEY_FILE, checkpoints.CHECKPOINT_FILE}
    assert not (tmp_path / "data").exists()
    second = json.loads((elsewhere / checkpoints.CHECKPOINT_FILE).read_text().splitlines()[1])
    assert second["n"] == 2


def test_verify_checkpoint_and_serve_warn_when_the_evidence_lies_beside_the_sqlite_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    """With the default folders the key file and the checkpoints sit beside the SQLite database: both
    audit commands (and serve, through the same helper) say loudly why that is weak and what to do. With
    LEERLINGROUTE_AUDIT_CHECKPOINT_DIR elsewhere the warning is gone; with the key as a setting it names
    the checkpoints only; a PostgreSQL database has no folder here to share.
    """
    data = tmp_path / "data"
    monkeypatch.setenv("LEERLINGROUTE_DATA_DIR", str(data))
    monkeypatch.delenv("LEERLINGROUTE_DATABASE_URL", raising=False)
    monkeypatch.delenv("LEERLINGROUTE_AUDIT_KEY", raising=False)
    monkeypatch.delenv("LEERLINGROUTE_AUDIT_CHECKPOINT_DIR", raising=False)
    warning = (f"LET OP: de sleutel (audit.key) en de checkpoints van het auditlog staan in dezelfde map als de "
               f"SQLite-database ({data.resolve()}). Wie in die map kan schrijven, kan ook het bewijs herschrijven: "
               "regels uit het auditlog verwijderen en de nieuwste checkpoints weghalen, zodat niemand het merkt. "
               "Zet ze op aparte opslag waar alleen bijgeschreven kan worden, of op een andere machine")
    runner = CliRunner()
    for command in (["audit", "checkpoint"], ["audit", "verify"]):
        result = runner.invoke(app, command)
        assert result.exit_code == 0, result.output
        assert warning in result.output
    assert {p.name for p in data.iterdir() if not p.name.startswith("leerlingroute.db")} == {
        checkpoints.KEY_FILE, checkpoints.CHECKPOINT_FILE}
    cli_identity.warn_about_checkpoint_folder(Settings())
    assert warning in capsys.readouterr().err

    monkeypatch.setenv("LEERLINGROUTE_AUDIT_CHECKPOINT_DIR", str(tmp_path / "elders"))
    made = runner.invoke(app, ["audit", "checkpoint"])
    assert made.exit_code == 0, made.output
    assert "LET OP" not in made.output
    assert f"Checkpoint 1 vastgelegd: auditlog 0 regels, gebeurtenissen 0 ({tmp_path / 'elders'}" in made.output

    monkeypatch.delenv("LEERLINGROUTE_AUDIT_CHECKPOINT_DIR")
    keyed = Settings(data_dir=data, audit_key="k" * 40)
    assert (checkpoints.colocation_warning(keyed) or "").startswith(
        "LET OP: de checkpoints van het auditlog staan in dezelfde map als de SQLite-database")
    assert checkpoints.colocation_warning(Settings(data_dir=data, database_url="postgresql+psycopg://db/x")) is None
