"""The inbox's alert groups in SQL: the alerts of one recipient (role and scope) of one kind about one pupil (else
one case) are one group, counted and paged as groups; acknowledging a group acknowledges every alert of it that
arrived no later than the one the person saw, each with its audit row, in one transaction and never twice; a
later alert opens the group again. SQLite always; PostgreSQL when ``LEERLINGROUTE_TEST_PG_URL`` names a server.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from domain.access import Principal
from domain.errors import NotFound
from infra.delivery import alerts as store
from infra.delivery.alerts import NewAlert, raise_alerts
from infra.store.tables import alerts, audit_log
from service import Service
from tests.databases import fresh_service

T0 = datetime(2026, 9, 7, 8, 0, tzinfo=UTC)
BRIN, OTHER_BRIN = "14PS03", "20XY00"
ZC = Principal("zc-1", "zorgcoordinator", (BRIN,))
ELSEWHERE = Principal("zc-2", "zorgcoordinator", (OTHER_BRIN,))
LEERPLICHT = Principal("lp-1", "leerplicht", (BRIN,))
"""Another role with (by accident) the same scope code: still never the zorgcoördinator's alerts."""


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def service(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """The service on a freshly migrated database of each kind."""
    with fresh_service(request.param, tmp_path_factory) as built:
        yield built


def signal(service: Service, pupil: str, n: int, at: datetime, kind: str = "meldplicht", brin: str = BRIN,
           role: str = "zorgcoordinator") -> None:
    """Meldplicht signal ``n`` about ``pupil``: a new dedupe key, as verzuim detection raises each signal."""
    title = f"Meldplicht: leerling {pupil} verzuimde {16 + n} uur"
    new = NewAlert(kind, role, brin, f"{pupil}:{kind}:{n}:{role}:{brin}", title,
                   {"signal": f"{pupil}:{n}", "pupil_id": pupil, "school_brin": brin, "hours": 16 + n,
                    "hour_unit": "uur"}, None, pupil)
    with service.engine.begin() as conn:
        raise_alerts(conn, [new], at)


def twelve_signals(service: Service, pupil: str = "lln-12") -> None:
    for n in range(12):
        signal(service, pupil, n, T0 + timedelta(days=n))


def test_twelve_meldplicht_signals_of_one_pupil_are_one_group_with_the_newest_title(service: Service) -> None:
    twelve_signals(service)
    [group], total = store.groups(service.engine, ZC, "new", 50, 0)
    assert total == 1
    assert (group.updates, group.unacknowledged) == (12, 12)
    assert group.newest.title == "Meldplicht: leerling lln-12 verzuimde 27 uur"
    assert store.group_kinds(service.engine, ZC, "new") == {"meldplicht": 1}
    members, count = store.group_of(service.engine, ZC, group.id, 100)
    assert count == 12
    assert [a.facts["hours"] for a in members] == list(range(27, 15, -1))


def test_two_pupils_are_two_groups_and_two_kinds_of_one_pupil_are_two_groups(service: Service) -> None:
    twelve_signals(service, "lln-a")
    signal(service, "lln-b", 0, T0 + timedelta(days=20))
    signal(service, "lln-a", 99, T0 + timedelta(days=21), kind="dreigend_thuiszitter")
    found, total = store.groups(service.engine, ZC, "new", 50, 0)
    assert total == 3
    assert [(g.newest.pupil_id, g.newest.kind, g.updates) for g in found] == [
        ("lln-a", "dreigend_thuiszitter", 1), ("lln-b", "meldplicht", 1), ("lln-a", "meldplicht", 12)]
    assert store.group_kinds(service.engine, ZC, "new") == {"meldplicht": 2, "dreigend_thuiszitter": 1}
    page, total = store.groups(service.engine, ZC, "new", 1, 1)
    assert (total, [g.newest.pupil_id for g in page]) == (3, ["lln-b"])
    only, total = store.groups(service.engine, ZC, "new", 50, 0, "meldplicht")
    assert (total, {g.newest.pupil_id for g in only}) == (2, {"lln-a", "lln-b"})


def test_another_scope_or_another_role_never_sees_the_group_and_cannot_acknowledge_it(service: Service) -> None:
    twelve_signals(service)
    [group], _ = store.groups(service.engine, ZC, "new", 50, 0)
    for other in (ELSEWHERE, LEERPLICHT):
        assert store.groups(service.engine, other, "all", 50, 0) == ([], 0)
        assert store.group_kinds(service.engine, other, "new") == {}
        with pytest.raises(NotFound):
            store.group_of(service.engine, other, group.id, 100)
        with pytest.raises(NotFound):
            service.acknowledge_alert_group(other, group.id, None, T0 + timedelta(days=30))
    assert store.groups(service.engine, ZC, "new", 50, 0)[1] == 1


def test_acknowledging_the_group_acknowledges_all_its_alerts_each_with_an_audit_row(service: Service) -> None:
    twelve_signals(service)
    [group], _ = store.groups(service.engine, ZC, "new", 50, 0)
    done = service.acknowledge_alert_group(ZC, group.id, "Ouders gebeld", T0 + timedelta(days=30))
    assert len(done) == 12
    assert store.groups(service.engine, ZC, "new", 50, 0) == ([], 0)
    [handled], total = store.groups(service.engine, ZC, "acknowledged", 50, 0)
    assert (total, handled.updates, handled.unacknowledged, handled.newest.note) == (1, 12, 0, "Ouders gebeld")
    with service.engine.connect() as conn:
        rows = conn.execute(select(audit_log.c.resource).where(audit_log.c.action == "alert.acknowledge",
                                                               audit_log.c.outcome == "ok")).scalars().all()
    assert sorted(rows) == sorted(f"alert:{i}" for i in done)


def test_an_alert_acknowledged_meanwhile_keeps_its_acknowledgement_and_is_not_counted_twice(
        service: Service) -> None:
    twelve_signals(service)
    members, _ = store.group_of(service.engine, ZC, store.groups(service.engine, ZC, "new", 50, 0)[0][0].id, 100)
    first = service.acknowledge_alert(ZC, members[5].id, "al gedaan", T0 + timedelta(days=29))
    done = service.acknowledge_alert_group(ZC, members[0].id, None, T0 + timedelta(days=30))
    assert len(done) == 11
    assert members[5].id not in done
    assert store.find(service.engine, ZC, members[5].id).acknowledged_at == first.acknowledged_at
    assert service.acknowledge_alert_group(ZC, members[0].id, None, T0 + timedelta(days=31)) == []


def test_a_new_signal_opens_the_acknowledged_group_again_with_its_history(service: Service) -> None:
    twelve_signals(service)
    [group], _ = store.groups(service.engine, ZC, "new", 50, 0)
    service.acknowledge_alert_group(ZC, group.id, None, T0 + timedelta(days=30))
    signal(service, "lln-12", 12, T0 + timedelta(days=31))
    [again], total = store.groups(service.engine, ZC, "new", 50, 0)
    assert (total, again.updates, again.unacknowledged) == (1, 13, 1)
    assert again.newest.title == "Meldplicht: leerling lln-12 verzuimde 28 uur"
    assert store.groups(service.engine, ZC, "acknowledged", 50, 0) == ([], 0)


def test_acknowledging_up_to_the_alert_seen_leaves_a_later_one_new(service: Service) -> None:
    twelve_signals(service)
    [seen], _ = store.groups(service.engine, ZC, "new", 50, 0)
    signal(service, "lln-12", 12, T0 + timedelta(days=31))
    done = service.acknowledge_alert_group(ZC, seen.id, None, T0 + timedelta(days=32))
    assert len(done) == 12
    [group], _ = store.groups(service.engine, ZC, "new", 50, 0)
    assert (group.updates, group.unacknowledged) == (13, 1)


def test_alerts_about_a_case_without_a_pupil_group_per_case_and_others_stand_alone(service: Service) -> None:
    new = [NewAlert("escalatie", "zorgcoordinator", BRIN, f"case:{n}", f"Termijn {n}", {}, "case-1", None)
           for n in range(3)]
    new += [NewAlert("overig", "zorgcoordinator", BRIN, f"los:{n}", f"Los {n}", {}) for n in range(2)]
    with service.engine.begin() as conn:
        raise_alerts(conn, new, T0)
    found, total = store.groups(service.engine, ZC, "new", 50, 0)
    assert total == 3
    assert sorted(g.updates for g in found) == [1, 1, 3]


def test_the_groups_of_ten_thousand_alerts_are_read_in_well_under_a_second(service: Service) -> None:
    rows: list[dict[str, object]] = [{"id": f"a-{n:05d}", "kind": ("meldplicht", "escalatie", "thuiszitter")[n % 3],
             "audience_role": "zorgcoordinator", "audience_scope": BRIN, "dedupe_key": f"bulk:{n}",
             "case_id": None, "pupil_id": f"lln-{n % 1500}", "title": f"Melding {n}", "facts": {},
             "created_at": T0 + timedelta(minutes=n), "acknowledged_at": T0 if n % 4 == 0 else None}
            for n in range(10_000)]
    with service.engine.begin() as conn:
        conn.execute(alerts.insert(), rows)
        assert conn.execute(select(func.count()).select_from(alerts)).scalar_one() == 10_000
    started = time.perf_counter()
    page, total = store.groups(service.engine, ZC, "new", 50, 0)
    counts = store.group_kinds(service.engine, ZC, "new")
    elapsed = time.perf_counter() - started
    assert len(page) == 50
    assert total == sum(counts.values())
    assert elapsed < 1.0, f"{elapsed:.3f} s"
