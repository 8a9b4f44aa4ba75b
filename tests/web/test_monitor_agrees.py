"""The monitor and the inbox agree in a real browser: a passed deadline is listed under 'Verlopen termijnen'
before its timer fires, and after it fired while its 'Termijn verstreken' alert is in the inbox; acknowledging the
alert does not make it go silent, the case moving on does (and the alert's page says which of the two it is); a case
whose deadline never passed is not listed.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.web.conftest import Site, shot

pytestmark = pytest.mark.browser
LATE = {"extra_ondersteuning_sinds": "2026-05-04"}
"""Six weeks passed long ago: the longest overdue OPP of the site, first in the monitor's list."""


def passed_deadline(page: Page, case_id: str) -> Locator:
    """The row of the monitor's 'Verlopen termijnen' that opens ``case_id``."""
    return page.locator("#verlopen tbody tr").filter(has=page.locator(f'a[href="/dossiers/{case_id}"]'))


def monitor(page: Page, site: Site) -> None:
    page.goto(site.url("/monitor?route=opp"))


def test_a_passed_deadline_stays_in_the_monitor_after_its_alert_and_until_the_case_moves_on(
        page: Page, site: Site) -> None:
    pupil = f"lln-{uuid.uuid4().hex[:8]}"
    case_id = site.open_case("opp", "start_opp", LATE, pupil)
    site.sign_in(page, "zc")
    monitor(page, site)
    expect(passed_deadline(page, case_id)).to_have_count(1)

    site.service.fire_due_timers(site.clock() + timedelta(minutes=1))
    site.service.raise_alerts(site.clock())
    page.goto(site.url("/meldingen?soort=escalatie"))
    alert = page.locator("#meldingen tbody tr").filter(has_text=pupil)
    expect(alert).to_contain_text("Termijn verstreken")
    monitor(page, site)
    row = passed_deadline(page, case_id)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("15 juni 2026")
    expect(page.get_by_text("Geen verlopen termijnen")).to_have_count(0)
    shot(page, "monitor-verlopen-termijn")

    page.goto(site.url("/meldingen?soort=escalatie"))
    alert.get_by_role("link").click()
    expect(page.locator("#termijn-stand")).to_contain_text("Deze termijn staat nog open")
    alert_page = page.url
    page.goto(site.url("/meldingen?soort=escalatie"))
    alert.get_by_role("checkbox").check()
    page.get_by_role("button", name="Gekozen meldingen afhandelen").click()
    expect(page.get_by_role("status").first).to_have_text("1 melding afgehandeld.")
    monitor(page, site)
    expect(passed_deadline(page, case_id)).to_have_count(1)

    site.step(case_id, "leg_handelingsdeel_voor")
    monitor(page, site)
    expect(passed_deadline(page, case_id)).to_have_count(1)  # waiting for consent: the OPP is still not in werking
    site.step(case_id, "registreer_instemming", {"gegeven_door": "ouders", "handelingsdeel_versie": 1})
    site.step(case_id, "stel_in_werking")
    monitor(page, site)
    expect(passed_deadline(page, case_id)).to_have_count(0)
    page.goto(alert_page)
    expect(page.locator("#termijn-stand")).to_have_text(
        "Het dossier is sindsdien verder gegaan: deze termijn geldt niet meer en staat niet meer in de monitor.")


def test_a_case_whose_deadline_has_not_passed_is_not_among_the_passed_deadlines(page: Page, site: Site) -> None:
    case_id = site.open_opp()
    site.service.fire_due_timers(site.clock() + timedelta(minutes=1))
    site.service.raise_alerts(site.clock())
    site.sign_in(page, "zc")
    monitor(page, site)
    expect(page.get_by_role("heading", name="Verlopen termijnen")).to_be_visible()
    expect(passed_deadline(page, case_id)).to_have_count(0)
