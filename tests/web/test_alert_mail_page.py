"""Alert mail in a real browser: the admin gives an account an address on the admin page, a new alert for that
account's school arrives at a real SMTP server (aiosmtpd) with only a link, and the link opens the alert after
signing in; a wrong address is refused with a Dutch sentence.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from domain.access import Principal
from infra.delivery import mail_queue, mail_send
from infra.delivery.alerts import NewAlert, raise_alerts
from infra.settings import Settings
from tests.smtp import smtp_server
from tests.web.conftest import Site, shot

pytestmark = pytest.mark.browser
ADDRESS = "elders@school.example.nl"
PUPIL = "P-mail-4711"


def test_the_admin_sets_an_address_and_the_alert_mail_arrives_with_a_link_to_the_alert(page: Page,
                                                                                       site: Site) -> None:
    """Saved on the admin page; the mail names neither pupil nor school; its link shows the alert."""
    site.sign_in(page, "beheerder")
    page.goto(site.url("/beheer"))
    page.get_by_label("Account", exact=True).select_option(label="web-elders")
    page.get_by_label("E-mailadres (leeg: geen e-mail)").fill(ADDRESS)
    page.get_by_label("Wanneer").select_option(mail_queue.DIRECT)
    page.get_by_role("button", name="Opslaan").click()
    expect(page.locator("#mail-kop ~ p.melding-ok")).to_have_text("De e-mailinstelling is opgeslagen.")
    expect(page.get_by_role("table").first.get_by_role("row", name="web-elders")).to_contain_text(ADDRESS)
    shot(page, "beheer-e-mail")
    assert _mail_changes(site, "elders") == ["ok"]
    with site.service.engine.begin() as conn:
        raise_alerts(conn, [NewAlert("thuiszitter", "zorgcoordinator", "20XY00", "mail-browser-test",
                                     f"Thuiszitter gemeld: leerling {PUPIL}", {"pupil_id": PUPIL}, None, PUPIL)],
                     site.clock())
    with smtp_server() as inbox:
        mail_queue.enqueue(site.service.engine, site.clock(), 7)
        settings = Settings(mail_host="127.0.0.1", mail_port=inbox.port, base_url=site.base_url)
        assert mail_send.deliver(site.service.engine, settings, site.clock())["sent"] == 1
    [mail] = inbox.to(ADDRESS)
    assert PUPIL not in mail.as_string()
    assert "20XY00" not in mail.as_string()
    link = re.search(r"(http://\S+/meldingen/[0-9a-f-]{36})", mail.get_content())
    assert link is not None
    page.get_by_role("button", name="Uitloggen").click()
    site.sign_in(page, "elders")
    page.goto(link.group(1))
    expect(page.get_by_role("heading", level=1)).to_have_text("Thuiszitter")


def test_a_wrong_address_is_refused_on_the_admin_page_in_dutch(page: Page, site: Site) -> None:
    """The server checks the address too (a browser that skips the field's own check gets the sentence)."""
    site.sign_in(page, "beheerder")
    page.goto(site.url("/beheer"))
    page.get_by_label("Account", exact=True).select_option(label="web-leerplicht")
    page.locator("#mail-adres").evaluate("field => { field.type = 'text'; }")
    page.get_by_label("E-mailadres (leeg: geen e-mail)").fill("geen-adres")
    page.get_by_role("button", name="Opslaan").click()
    expect(page.get_by_role("alert")).to_have_text(
        "Geen geldig e-mailadres: 'geen-adres'. Bijvoorbeeld: naam@school.nl.")
    expect(page.get_by_role("table").first.get_by_role("row", name="web-leerplicht")).not_to_contain_text("@")
    assert "ok" not in _mail_changes(site, "leerplicht")


def _mail_changes(site: Site, key: str) -> list[str]:
    """The outcomes of the audit rows of alert-mail changes to the person's account (the address in none)."""
    admin = Principal(site.people["beheerder"].user_id, "admin", ())
    rows = [e for e in site.service.audit_entries(admin, f"user:{site.people[key].user_id}", None, 50, 0)
            if e.action == "account.mail"]
    assert all("@" not in f"{e.resource} {e.purpose} {e.outcome}" for e in rows)
    return [e.outcome for e in rows]
