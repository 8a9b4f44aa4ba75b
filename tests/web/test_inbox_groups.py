"""The inbox groups alerts in a real browser: twelve meldplicht signals about one pupil are one row with its
updates, acknowledged at once; a new signal opens the group again; two pupils are two rows; another school's
zorgcoördinator or another role never sees them.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from playwright.sync_api import Locator, Page, expect

from domain.roles import ZORGCOORDINATOR
from domain.verzuim import Signal, texts
from infra.delivery.alerts import raise_alerts
from infra.verzuim.plan import alerts_for
from tests.web.conftest import Site, shot

pytestmark = pytest.mark.browser
BRIN = "14PS03"
SINCE = date(2026, 9, 7)


def signals(site: Site, pupil: str, first: int, count: int) -> None:
    """Meldplicht signals ``first`` .. ``first + count - 1`` about ``pupil`` (16 hours and 4 more each week),
    each with a new key, raised to the school's zorgcoördinator as verzuim detection raises them.
    """
    for n in range(first, first + count):
        reached = SINCE + timedelta(weeks=n)
        hours = 16 + 4 * n
        found = Signal(f"{pupil}:meldplicht:{reached.isoformat()}", "meldplicht", pupil, reached, SINCE, BRIN, "0957",
                       (ZORGCOORDINATOR,), texts.meldplicht(pupil, BRIN, hours, "uur", n + 1, SINCE, reached),
                       "relatief", n + 1, hours, "uur")
        with site.service.engine.begin() as conn:
            raise_alerts(conn, alerts_for(found, lambda _: None, None), site.clock() + timedelta(seconds=n))


def rows_about(page: Page, pupil: str) -> Locator:
    """The inbox rows that name ``pupil``."""
    return page.locator("#meldingen tbody tr").filter(has_text=pupil)


def test_twelve_meldplicht_signals_of_one_pupil_are_one_row_whose_detail_lists_every_update(
        page: Page, site: Site) -> None:
    pupil = f"lln-{uuid.uuid4().hex[:8]}"
    signals(site, pupil, 0, 12)
    site.sign_in(page, "zc")
    page.goto(site.url("/meldingen?soort=meldplicht"))
    row = rows_about(page, pupil)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("12 meldingen")
    expect(row).to_contain_text("heeft 60 uur")
    row.get_by_role("link").click()
    expect(page.get_by_role("heading", name="12 meldingen over deze leerling")).to_be_visible()
    updates = page.locator("#updates > ol > li")
    expect(updates).to_have_count(12)
    expect(updates.first).to_contain_text("Uren verzuim: 56 uur → 60 uur")
    expect(updates.last).to_contain_text("eerste melding")
    shot(page, "melding-groep")


def test_acknowledging_the_group_clears_all_its_alerts_and_a_new_signal_opens_it_again(
        page: Page, site: Site) -> None:
    pupil = f"lln-{uuid.uuid4().hex[:8]}"
    signals(site, pupil, 0, 12)
    site.sign_in(page, "zc")
    page.goto(site.url("/meldingen?soort=meldplicht"))
    rows_about(page, pupil).get_by_role("link").click()
    page.get_by_label("Notitie").fill("Verzuimmelding gedaan, ouders gebeld")
    page.get_by_role("button", name="Alle 12 meldingen afhandelen").click()
    expect(page.get_by_role("status").first).to_have_text("De melding is afgehandeld.")
    expect(page.locator("#updates > ol > li").filter(has_text="(nieuw)")).to_have_count(0)
    page.goto(site.url("/meldingen"))
    expect(rows_about(page, pupil)).to_have_count(0)
    page.goto(site.url("/meldingen?tab=afgehandeld"))
    handled = rows_about(page, pupil)
    expect(handled).to_have_count(1)
    expect(handled).to_contain_text("12 meldingen")
    expect(handled).to_contain_text("Verzuimmelding gedaan, ouders gebeld")

    signals(site, pupil, 12, 1)
    page.goto(site.url("/meldingen"))
    again = rows_about(page, pupil)
    expect(again).to_have_count(1)
    expect(again).to_contain_text("13 meldingen, 1 nieuw")
    expect(again).to_contain_text("heeft 64 uur")
    again.get_by_role("link").click()
    updates = page.locator("#updates > ol > li")
    expect(updates).to_have_count(13)
    expect(updates.filter(has_text="(nieuw)")).to_have_count(1)
    expect(updates.filter(has_text="afgehandeld op")).to_have_count(12)
    expect(page.get_by_role("button", name="Melding afhandelen")).to_be_visible()
    page.goto(site.url("/meldingen?tab=afgehandeld"))
    expect(rows_about(page, pupil)).to_have_count(0)


def test_two_pupils_are_two_rows_and_ticking_both_acknowledges_every_alert_of_both(page: Page, site: Site) -> None:
    first, second = f"lln-{uuid.uuid4().hex[:8]}", f"lln-{uuid.uuid4().hex[:8]}"
    signals(site, first, 0, 3)
    signals(site, second, 0, 2)
    site.sign_in(page, "zc")
    page.goto(site.url("/meldingen?soort=meldplicht"))
    expect(rows_about(page, first)).to_have_count(1)
    expect(rows_about(page, second)).to_have_count(1)
    expect(rows_about(page, first)).to_contain_text("3 meldingen")
    expect(rows_about(page, second)).to_contain_text("2 meldingen")
    for pupil in (first, second):
        rows_about(page, pupil).get_by_role("checkbox").check()
    page.get_by_role("button", name="Gekozen meldingen afhandelen").click()
    expect(page.get_by_role("status").first).to_have_text("5 meldingen afgehandeld.")
    expect(rows_about(page, first)).to_have_count(0)
    expect(rows_about(page, second)).to_have_count(0)


def test_the_tabs_and_the_kind_filter_count_groups_not_alerts(page: Page, site: Site) -> None:
    site.sign_in(page, "zc")
    page.goto(site.url("/meldingen"))
    before = int(page.get_by_role("link", name="Nieuw (").inner_text().split("(")[1].rstrip(")"))
    signals(site, f"lln-{uuid.uuid4().hex[:8]}", 0, 4)
    page.goto(site.url("/meldingen"))
    expect(page.get_by_role("link", name=f"Nieuw ({before + 1})")).to_be_visible()


@pytest.mark.parametrize("who", ["elders", "leerplicht"])
def test_another_school_or_another_role_never_sees_the_group(page: Page, site: Site, who: str) -> None:
    pupil = f"lln-{uuid.uuid4().hex[:8]}"
    signals(site, pupil, 0, 2)
    site.sign_in(page, "zc")
    page.goto(site.url("/meldingen?soort=meldplicht"))
    href = rows_about(page, pupil).get_by_role("link").get_attribute("href")
    page.context.clear_cookies()
    site.sign_in(page, who)
    for tab in ("nieuw", "afgehandeld"):
        page.goto(site.url(f"/meldingen?tab={tab}"))
        expect(page.locator("main")).not_to_contain_text(pupil)
    response = page.goto(site.url(str(href)))
    assert response is not None
    assert response.status == 404
    expect(page.locator("main")).not_to_contain_text(pupil)
