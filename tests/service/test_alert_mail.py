"""Alert mail through a real SMTP server (aiosmtpd on a free port of 127.0.0.1): a new alert reaches each
account of its audience that has an address, at once or in one daily digest, naming no pupil, school or person;
a server that is down loses nothing (the row stays pending with its attempts and error, and is delivered once,
later). SQLite always; PostgreSQL when ``LEERLINGROUTE_TEST_PG_URL`` names a server.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from infra.delivery import mail_queue, mail_send
from infra.delivery.alerts import NewAlert, raise_alerts
from infra.identity import accounts
from infra.identity.accounts import AccountError
from infra.settings import Settings
from infra.store.tables import mail_outbox
from service import Service
from tests.databases import fresh_service
from tests.smtp import Inbox, free_port, smtp_server

T0 = datetime(2026, 9, 3, 9, 0, tzinfo=UTC)
"""11:00 Dutch time: the next digest (07:00) is tomorrow 05:00 UTC."""
BRIN, OTHER_BRIN, PUPIL = "14PS03", "20AB00", "P-4711-geheim"
BASE = "https://leerlingroute.example.nl"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def service(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """The service on a freshly migrated database of each kind."""
    with fresh_service(request.param, tmp_path_factory) as built:
        yield built


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    """A running SMTP server and its port."""
    with smtp_server() as inbox:
        yield inbox, inbox.port


def settings(port: int) -> Settings:
    return Settings(mail_host="127.0.0.1", mail_port=port, mail_from="meldingen@leerlingroute.example.nl",
                    base_url=BASE, mail_timeout_s=5)


def account(service: Service, name: str, email: str = "", mode: str = mail_queue.DIRECT,
            brin: str = BRIN) -> str:
    user, _ = accounts.create_user(service.engine, "zorgcoordinator", [brin], T0 - timedelta(days=1),
                                   service.swv_codes(), name=name)
    if email:
        mail_queue.set_preference(service.engine, user.id, email, mode)
    return user.id


def alert(service: Service, n: int = 1, brin: str = BRIN) -> None:
    new = [NewAlert("thuiszitter", "zorgcoordinator", brin, f"test:{brin}:{i}",
                    f"Thuiszitter gemeld: leerling {PUPIL} van school {brin}", {"pupil_id": PUPIL}, None, PUPIL)
           for i in range(n)]
    with service.engine.begin() as conn:
        raise_alerts(conn, new, T0)


def run(service: Service, port: int, at: datetime = T0) -> dict[str, int]:
    mail_queue.enqueue(service.engine, at, 7)
    return mail_send.deliver(service.engine, settings(port), at)


def test_an_alert_reaches_the_zorgcoordinator_with_its_link_and_without_pupil_or_name(
        service: Service, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    account(service, "zc-direct", "zc@school.example.nl")
    alert(service)
    assert run(service, port)["sent"] == 1
    [mail] = inbox.to("zc@school.example.nl")
    alert_id = service.engine.connect().execute(select(mail_outbox.c.alert_id)).scalar_one()
    body = mail.get_content()
    assert mail["Subject"] == "Nieuwe melding in Leerlingroute"
    assert f"{BASE}/meldingen/{alert_id}" in body
    assert "Soort: Thuiszitter" in body
    assert "Aantal: 1" in body
    assert PUPIL not in mail.as_string()
    assert BRIN not in mail.as_string()
    assert "zc-direct" not in mail.as_string()


def test_an_account_without_an_address_or_outside_the_audience_gets_no_mail(
        service: Service, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    account(service, "zc-zonder-adres")
    account(service, "zc-andere-school", "ander@school.example.nl", brin=OTHER_BRIN)
    alert(service)
    assert run(service, port) == {"sent": 0, "failed": 0, "dropped": 0}
    assert inbox.mails == []


def test_a_digest_account_gets_one_mail_with_the_count_at_the_digest_hour_and_none_before(
        service: Service, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    account(service, "zc-dag", "dag@school.example.nl", mail_queue.DIGEST)
    alert(service, 3)
    assert run(service, port)["sent"] == 0
    assert run(service, port, datetime(2026, 9, 4, 5, 0, tzinfo=UTC))["sent"] == 1
    [mail] = inbox.to("dag@school.example.nl")
    assert mail["Subject"] == "Dagelijks overzicht: 3 nieuwe meldingen in Leerlingroute"
    assert "- Thuiszitter: 3" in mail.get_content()
    assert f"{BASE}/meldingen" in mail.get_content()


def test_a_server_that_is_down_keeps_the_mail_pending_and_a_later_run_delivers_it_exactly_once(
        service: Service, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    account(service, "zc-direct", "zc@school.example.nl")
    alert(service)
    assert run(service, free_port())["failed"] == 1
    counts = mail_queue.counts(service.engine)
    assert (counts.pending, counts.failing, counts.sent) == (0, 1, 0)
    assert counts.last_error is not None
    assert counts.last_error.startswith("Mailserver niet bereikbaar")
    assert run(service, port, T0 + timedelta(seconds=30))["sent"] == 0  # its backoff has not ended
    assert run(service, port, T0 + timedelta(minutes=1))["sent"] == 1
    assert run(service, port, T0 + timedelta(hours=2))["sent"] == 0
    assert len(inbox.to("zc@school.example.nl")) == 1
    assert mail_queue.counts(service.engine).sent == 1


def test_queuing_again_makes_no_second_mail_and_mail_off_queues_none(service: Service) -> None:
    account(service, "zc-direct", "zc@school.example.nl")
    alert(service)
    assert mail_queue.enqueue(service.engine, T0, 7, mail_on=False) == 0
    alert(service, 2)
    assert mail_queue.enqueue(service.engine, T0, 7) == 1  # test:14PS03:1; :0 was raised (and passed) before
    assert mail_queue.enqueue(service.engine, T0, 7) == 0


def test_a_revoked_account_gets_nothing_its_queued_mail_is_dropped(
        service: Service, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    user = account(service, "zc-weg", "weg@school.example.nl")
    alert(service)
    mail_queue.enqueue(service.engine, T0, 7)
    accounts.revoke_user(service.engine, user, T0)
    assert mail_send.deliver(service.engine, settings(port), T0) == {"sent": 0, "failed": 0, "dropped": 1}
    assert inbox.mails == []


@pytest.mark.parametrize(("email", "mode", "says"), [
    ("geen-adres", mail_queue.DIRECT, "Geen geldig e-mailadres: 'geen-adres'"),
    ("a@school.nl", "wekelijks", "Onbekende keuze 'wekelijks'; kies uit: direct, dagelijks."),
])
def test_a_wrong_address_or_preference_is_refused_in_dutch(service: Service, email: str, mode: str,
                                                           says: str) -> None:
    user = account(service, "zc-fout")
    with pytest.raises(AccountError, match=says):
        mail_queue.set_preference(service.engine, user, email, mode)
    mail_queue.set_preference(service.engine, user, "a@school.nl", mail_queue.DIGEST)
    assert mail_queue.preferences(service.engine)[user] == ("a@school.nl", mail_queue.DIGEST)
