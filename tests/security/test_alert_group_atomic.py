"""Acknowledging an alert group is one transaction with an audit row per alert: a commit that fails leaves every
alert of the group new and no audit row; a refusal (someone else's group) changes nothing and is on record once.
"""

from __future__ import annotations

import pytest

from domain.access import Principal
from infra.delivery import alerts as alert_store
from infra.delivery.alerts import AlertNotFound, NewAlert
from infra.identity import accounts, audit
from infra.store.tables import alerts, audit_log
from service import Service
from tests.security.test_audit_atomic import NOW, _commit_breaks_after_its_audit_row, _contents, _last_row, _principal


def _group_of_three(service: Service, zc: Principal) -> str:
    """Three alerts of one kind about one pupil in the zorgcoördinator's inbox; the group's newest alert id."""
    with service.engine.begin() as conn:
        alert_store.raise_alerts(conn, [NewAlert("meldplicht", "zorgcoordinator", "14PS03", f"atomic-group:{n}",
                                                 "Meldplicht", {}, None, "lln-atomic") for n in range(3)], NOW)
    [group], _ = alert_store.groups(service.engine, zc, "new", 10, 0)
    return group.id


def test_a_group_acknowledgement_that_fails_to_commit_leaves_every_alert_new_and_no_audit_row(
    service: Service, monkeypatch: pytest.MonkeyPatch,
) -> None:
    zc = _principal(service)
    newest = _group_of_three(service, zc)
    before = _contents(service, audit_log, alerts)
    with _commit_breaks_after_its_audit_row(monkeypatch):
        service.acknowledge_alert_group(zc, newest, "School gebeld", NOW)
    assert _contents(service, audit_log, alerts) == before
    done = service.acknowledge_alert_group(zc, newest, "School gebeld", NOW)
    assert len(done) == 3
    entries = audit.entries(service.engine, limit=3)
    assert sorted((e.action, e.resource, e.outcome) for e in entries) == sorted(
        ("alert.acknowledge", f"alert:{i}", "ok") for i in done)
    assert audit.verify(service.engine).broken_seq is None


def test_acknowledging_another_inbox_group_changes_nothing_and_is_on_record_as_not_found(service: Service) -> None:
    zc = _principal(service)
    newest = _group_of_three(service, zc)
    stranger = accounts.authenticate(service.engine, accounts.create_user(
        service.engine, "zorgcoordinator", ["20XY00"], NOW, service.swv_codes())[1], NOW)
    before = _contents(service, audit_log, alerts)
    with pytest.raises(AlertNotFound):
        service.acknowledge_alert_group(stranger, newest, "niet van mij", NOW)
    after = _contents(service, audit_log, alerts)
    assert after[1] == before[1]
    assert len(after[0]) == len(before[0]) + 1
    assert _last_row(service) == ("alert.acknowledge", f"alert:{newest}", "not-found")
