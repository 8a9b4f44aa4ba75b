"""Leerplicht's caseload in a real browser: the open thuiszitter trajectories of pupils living in the officer's
municipality, with the school, how long and the last step, and the register's periods that still run.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.web.conftest import Site
from tests.web.test_work_pages import thuiszitter_alert_for_leerplicht

pytestmark = pytest.mark.browser


def test_leerplicht_sees_its_open_thuiszitter_trajectories_and_periods(page: Page, site: Site) -> None:
    """A pupil of 0957 reported as a thuiszitter is on leerplicht 0957's caseload with school and stage."""
    pupil = thuiszitter_alert_for_leerplicht(site)
    site.sign_in(page, "leerplicht")
    page.get_by_role("link", name="Werkvoorraad", exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Werkvoorraad")
    row = page.locator("#trajecten tbody tr").filter(has_text=pupil)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("14PS03")
    expect(row).to_contain_text("Gemeld als thuiszitter")
    row.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Thuiszitter")


def test_other_roles_have_no_caseload(page: Page, site: Site) -> None:
    """The caseload is leerplicht's: a zorgcoördinator sees no link and is refused the page."""
    site.sign_in(page, "zc")
    expect(page.get_by_role("link", name="Werkvoorraad")).to_have_count(0)
    assert page.request.get(site.url("/werkvoorraad")).status == 403
