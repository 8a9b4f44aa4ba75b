"""The alert inbox in a real browser: alerts filtered by kind, and several acknowledged at once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.web.conftest import Site

pytestmark = pytest.mark.browser


def _late_opps(site: Site, count: int) -> None:
    """``count`` OPPs whose six weeks have passed, swept and alerted to the school's zorgcoördinator."""
    for _ in range(count):
        site.open_case("opp", "start_opp", {"extra_ondersteuning_sinds": "2026-06-01"})
    site.service.fire_due_timers(site.clock() + timedelta(minutes=1))
    site.service.raise_alerts(site.clock())


def test_the_zorgcoordinator_filters_by_kind_and_acknowledges_several_alerts_at_once(page: Page, site: Site) -> None:
    """Three passed OPP deadlines: filtered on 'Termijn verstreken', two ticked and handled with one note; the
    third stays new, the two are under 'Afgehandeld' with the note.
    """
    _late_opps(site, 3)
    site.sign_in(page, "zc")
    page.goto(site.url("/meldingen"))
    page.get_by_label("Soort", exact=True).select_option("escalatie")
    page.get_by_role("button", name="Tonen").click()
    rows = page.locator("#meldingen tbody tr")
    expect(rows.first).to_contain_text("Termijn verstreken")
    titles = [page.locator("#meldingen tbody tr th a").filter(has_text="Termijn verstreken").nth(i).inner_text()
              for i in range(2)]
    for title in titles:
        page.get_by_label(f"Kies: {title}").check()
    page.get_by_label("Notitie bij de gekozen meldingen").fill("Besproken in het zorgoverleg")
    page.get_by_role("button", name="Gekozen meldingen afhandelen").click()
    expect(page.get_by_role("status").first).to_have_text("2 meldingen afgehandeld.")
    page.goto(site.url("/meldingen?tab=afgehandeld"))
    handled = page.locator("#meldingen tbody tr").filter(has_text="Besproken in het zorgoverleg")
    expect(handled).to_have_count(2)
    page.goto(site.url("/meldingen?soort=escalatie"))
    for title in titles:
        expect(page.get_by_label(f"Kies: {title}")).to_have_count(0)
