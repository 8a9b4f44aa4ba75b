"""Searching the audit log as the admin page does: part of a case or pupil id (LIKE, its wildcards escaped), a
pupil search that also finds the rows of that pupil's cases, a date range and a user; only an admin may search,
and an export of the found rows is itself on record. On SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from domain.access import Principal
from domain.case import Command
from domain.errors import RoleNotAllowed
from domain.handlers import NewCase
from infra.identity import accounts, audit
from infra.identity.audit import AuditSearch
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


def _opened(service: Service, zc: Principal, pupil: str, at: datetime = NOW) -> str:
    new = NewCase("opp", "14PS03", pupil, "standaard")
    command = Command("start_opp", zc.actor, {"extra_ondersteuning_sinds": "2026-09-01"})
    return service.open_case_as(zc, new, command, at, None, None).case_id


def _found(service: Service, admin: Principal, wanted: AuditSearch) -> list[tuple[str, str]]:
    return [(e.action, e.resource) for e in reversed(service.audit_search(admin, wanted, 100, 0))]


def test_a_pupil_search_finds_the_reads_of_that_pupils_cases_and_not_another_pupils(service: Service) -> None:
    """'Who looked at this child': the pupil's timeline read and every read or step on the pupil's cases, in one
    search; the other pupil's case is not among them.
    """
    admin, zc = _principal(service, "admin", []), _principal(service, "zorgcoordinator", ["14PS03"])
    mine, theirs = _opened(service, zc, "lln-anna-1"), _opened(service, zc, "lln-bram-2")
    service.read_status(zc, mine, NOW, None)
    service.read_status(zc, theirs, NOW, None)
    service.read_timeline(zc, "lln-anna-1", NOW, None)

    assert _found(service, admin, AuditSearch("pupil", "lln-anna-1")) == [
        ("case.open", f"case:{mine}"), ("case.read", f"case:{mine}"), ("pupil.read", "pupil:lln-anna-1")]
    assert _found(service, admin, AuditSearch("case", "lln-anna-1")) == []


def test_part_of_an_id_finds_its_rows_and_a_part_that_is_in_no_id_finds_none(service: Service) -> None:
    """A prefix and a middle piece of the case id both find the case's rows; a piece of no id finds nothing."""
    admin, zc = _principal(service, "admin", []), _principal(service, "zorgcoordinator", ["14PS03"])
    case_id = _opened(service, zc, "lln-deel-1")
    service.read_status(zc, case_id, NOW, None)

    expected = [("case.open", f"case:{case_id}"), ("case.read", f"case:{case_id}")]
    assert _found(service, admin, AuditSearch("case", case_id[:8])) == expected
    assert _found(service, admin, AuditSearch("case", case_id[9:18])) == expected
    assert _found(service, admin, AuditSearch("case", "zzzz")) == []
    assert _found(service, admin, AuditSearch("pupil", "deel-1")) == expected


def test_percent_and_underscore_in_the_typed_id_match_only_themselves(service: Service) -> None:
    """The LIKE wildcards are escaped: '%' finds only a resource with a '%' in it, '_' only one with a '_'."""
    admin = _principal(service, "admin", [])
    for resource in ("case:a%b", "case:a_b", "case:axb", "case:a/b"):
        audit.append(service.engine, at=NOW, user_id=admin.user_id, role="admin", action="case.read",
                     resource=resource, purpose="test", outcome="ok")

    assert _found(service, admin, AuditSearch("case", "%")) == [("case.read", "case:a%b")]
    assert _found(service, admin, AuditSearch("case", "a_b")) == [("case.read", "case:a_b")]
    assert _found(service, admin, AuditSearch("case", "/")) == [("case.read", "case:a/b")]
    assert len(_found(service, admin, AuditSearch("case", "a"))) == 4


def test_a_date_range_keeps_the_rows_within_it_and_leaves_out_the_others(service: Service) -> None:
    """[since, until): a row at the start is in, one at the end is out."""
    admin = _principal(service, "admin", [])
    for days in (0, 1, 2, 3):
        audit.append(service.engine, at=NOW + timedelta(days=days), user_id=admin.user_id, role="admin",
                     action="case.read", resource=f"case:dag-{days}", purpose="test", outcome="ok")

    wanted = AuditSearch("case", "dag", since=NOW + timedelta(days=1), until=NOW + timedelta(days=3))
    assert _found(service, admin, wanted) == [("case.read", "case:dag-1"), ("case.read", "case:dag-2")]
    assert _found(service, admin, AuditSearch(since=NOW + timedelta(days=4))) == []


def test_the_user_filter_combines_with_the_id(service: Service) -> None:
    """Only the rows of that user on that case."""
    admin = _principal(service, "admin", [])
    zc, other = _principal(service, "zorgcoordinator", ["14PS03"]), _principal(service, "zorgcoordinator", ["14PS03"])
    case_id = _opened(service, zc, "lln-twee-1")
    service.read_status(other, case_id, NOW, None)

    assert _found(service, admin, AuditSearch("case", case_id[:6], other.user_id)) == [("case.read", f"case:{case_id}")]


def test_only_an_admin_searches_the_audit_log_and_a_refused_export_is_on_record(service: Service) -> None:
    """A zorgcoördinator searching or exporting: RoleNotAllowed; the export attempt is a row ('forbidden')."""
    zc = _principal(service, "zorgcoordinator", ["14PS03"])
    with pytest.raises(RoleNotAllowed):
        service.audit_search(zc, AuditSearch(), 10, 0)
    with pytest.raises(RoleNotAllowed):
        service.export_audit(zc, AuditSearch(), 10, NOW)
    [row] = audit.entries(service.engine)
    assert (row.action, row.outcome, row.user_id) == ("audit.export", "forbidden", zc.user_id)


def test_an_export_returns_the_found_rows_and_is_itself_audited_with_its_filters(service: Service) -> None:
    """The export holds the rows before it (not its own) and is on record with the search it made."""
    admin, zc = _principal(service, "admin", []), _principal(service, "zorgcoordinator", ["14PS03"])
    case_id = _opened(service, zc, "lln-export-1")
    wanted = AuditSearch("pupil", "lln-export-1", since=NOW - timedelta(days=1))

    rows = service.export_audit(admin, wanted, 50_000, NOW)

    assert [(r.action, r.resource) for r in rows] == [("case.open", f"case:{case_id}")]
    last = audit.entries(service.engine, limit=1)[0]
    assert (last.action, last.user_id, last.outcome) == ("audit.export", admin.user_id, "ok")
    assert last.resource.startswith("auditlog?pupil=lln-export-1&van=")
    assert audit.verify(service.engine).broken_seq is None


def test_an_export_is_bounded_by_its_limit(service: Service) -> None:
    """At most ``limit`` rows, the newest."""
    admin = _principal(service, "admin", [])
    for n in range(5):
        audit.append(service.engine, at=NOW, user_id=admin.user_id, role="admin", action="case.read",
                     resource=f"case:grens-{n}", purpose="test", outcome="ok")
    rows = service.export_audit(admin, AuditSearch("case", "grens"), 3, NOW)
    assert [r.resource for r in rows] == ["case:grens-4", "case:grens-3", "case:grens-2"]


def test_a_search_refuses_an_unknown_kind_and_an_overlong_id() -> None:
    """The search knows case and pupil only, and an id of at most 80 characters."""
    with pytest.raises(ValueError, match="kind"):
        AuditSearch("user", "x")
    with pytest.raises(ValueError, match="80"):
        AuditSearch("case", "x" * 81)
    assert AuditSearch("case", "x" * 80).ident == "x" * 80
