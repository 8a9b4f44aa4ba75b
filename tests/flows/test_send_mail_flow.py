"""The send-mail flow: with an SMTP server set it queues and sends the mail of new alerts; without one it sends
nothing and marks the alerts queued, so that setting a server later mails no backlog.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from flows._service import service
from flows.send_mail import send_mail
from infra.delivery import mail_queue
from infra.delivery.alerts import NewAlert, raise_alerts
from infra.identity import accounts
from tests.smtp import smtp_server

ADDRESS = "zc@school.example.nl"


def _account_and_alert(key: str) -> None:
    run = service()
    user, _ = accounts.create_user(run.engine, "zorgcoordinator", ["14PS03"], run.now() - timedelta(days=1),
                                   run.swv_codes(), name="zc-flow")
    mail_queue.set_preference(run.engine, user.id, ADDRESS, mail_queue.DIRECT)
    with run.engine.begin() as conn:
        raise_alerts(conn, [NewAlert("escalatie", "zorgcoordinator", "14PS03", key, "Termijn verstreken", {})],
                     run.now())


@pytest.mark.usefixtures("flow_database")
def test_the_flow_mails_a_new_alert_to_the_account_with_an_address(monkeypatch: pytest.MonkeyPatch) -> None:
    with smtp_server() as inbox:
        monkeypatch.setenv("LEERLINGROUTE_MAIL_HOST", "127.0.0.1")
        monkeypatch.setenv("LEERLINGROUTE_MAIL_PORT", str(inbox.port))
        service.cache_clear()
        _account_and_alert("flow-1")
        assert send_mail.fn() == {"queued": 1, "sent": 1, "failed": 0, "dropped": 0}
        assert send_mail.fn() == {"queued": 0, "sent": 0, "failed": 0, "dropped": 0}
    assert len(inbox.to(ADDRESS)) == 1


@pytest.mark.usefixtures("flow_database")
def test_without_a_mail_server_the_flow_sends_nothing_and_leaves_no_backlog(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LEERLINGROUTE_MAIL_HOST", raising=False)
    _account_and_alert("flow-2")
    assert send_mail.fn() == {"queued": 0, "sent": 0, "failed": 0, "dropped": 0}
    assert mail_queue.enqueue(service().engine, service().now(), 7) == 0
