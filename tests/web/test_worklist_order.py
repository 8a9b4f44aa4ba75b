"""The worklist knows what to do next (issue 16), in a real browser, as the school's zorgcoördinator.

- most urgent first: a passed deadline, then a running one, then a case over its stage's norm without a
  deadline (never last), then the rest; each with its next deadline by name and its next step;
- the filters (only passed deadlines; a pathway) and the "deze week" view;
- paging: a count and previous/next links, never one long list.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from domain.case import Actor, Command
from domain.durations import NL
from domain.handlers import NewCase
from tests.web.conftest import Site

pytestmark = pytest.mark.browser
PROFILE = "vo-31-02"
"""The VO SWV's profile: a cascade may stay 12 months at a level (a norm, no deadline)."""
PAGE_SIZE = 50


def _open(site: Site, pathway: str, start: str, payload: dict[str, Any], at: datetime) -> str:
    """A case at 14PS03 under the VO profile opened by the zorgcoördinator at ``at``; its id."""
    actor = Actor("zorgcoordinator", site.people["zc"].user_id)
    new = NewCase(pathway, "14PS03", f"lln-{uuid.uuid4().hex[:8]}", PROFILE)
    return site.service.open_case(new, Command(start, actor, payload), at).case_id


def _opp(site: Site, since: date) -> str:
    """An OPP whose extra support started on ``since`` (its term ends six weeks later)."""
    return _open(site, "opp", "start_opp", {"extra_ondersteuning_sinds": since.isoformat()}, site.clock())


def _cascade(site: Site, days_ago: int) -> str:
    """A cascade at the basic level since ``days_ago`` days (no deadline; the norm is 12 months)."""
    return _open(site, "cascade", "start_cascade", {"niveau": "basis"}, site.clock() - timedelta(days=days_ago))


def _today(site: Site) -> date:
    return site.clock().astimezone(NL).date()


def _all_links(page: Page, site: Site, start: str) -> list[str]:
    """The case links of every page of the worklist from ``start``, following "Volgende"."""
    page.goto(site.url(start))
    found: list[str] = []
    while True:
        found += page.locator("table.werklijst tbody th a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
        following = page.locator("nav.bladeren a[rel=next]")
        if not following.count():
            return found
        following.click()


def _row(page: Page, case_id: str) -> Any:
    return page.locator("table.werklijst tbody tr").filter(has=page.locator(f'a[href="/dossiers/{case_id}"]'))


def test_the_worklist_puts_overdue_first_then_due_soon_then_over_the_norm_then_the_rest(page: Page,
                                                                                         site: Site) -> None:
    """An OPP whose term ended on 12 August, one whose term ends on 1 October, a cascade 400 days at its level
    (over the 12-month norm, no deadline) and one opened today: in that order, the norm-only case not last.
    Each row names its deadline and the next step the zorgcoördinator may take.
    """
    overdue = _opp(site, date(2026, 7, 1))
    soon = _opp(site, date(2026, 8, 20))
    norm_only = _cascade(site, 400)
    rest = _cascade(site, 0)
    site.sign_in(page, "zc")
    page.get_by_role("link", name="Werklijst", exact=True).first.click()
    links = _all_links(page, site, "/werklijst")
    order = [links.index(f"/dossiers/{c}") for c in (overdue, soon, norm_only, rest)]
    assert order == sorted(order)
    page.goto(site.url("/werklijst?route=opp"))
    late_row = _row(page, overdue)
    expect(late_row).to_contain_text("OPP binnen 6 weken na start extra ondersteuning in werking")
    expect(late_row).to_contain_text("12 augustus 2026")
    expect(late_row).to_contain_text("te laat")
    expect(late_row).to_contain_text("Handelingsdeel aan ouders voorleggen")
    expect(late_row).to_contain_text("Concept")
    expect(late_row).not_to_contain_text("opp_termijn")
    page.goto(site.url("/werklijst?route=cascade"))
    norm_row = _row(page, norm_only)
    expect(norm_row).to_contain_text("geen lopende termijn")
    expect(norm_row).to_contain_text("Langer dan de norm")
    expect(norm_row).to_contain_text("Cascade van ondersteuningsniveaus")
    expect(_row(page, rest)).not_to_contain_text("Langer dan de norm")


def test_the_worklist_filters_on_passed_deadlines_and_pathway(page: Page, site: Site) -> None:
    """Ticking "Alleen verlopen termijnen" lists the OPP whose term passed, not the one still running nor the
    cascade; choosing the pathway Cascade lists only cascades.
    """
    overdue = _opp(site, date(2026, 7, 2))
    running = _opp(site, date(2026, 8, 21))
    cascade = _cascade(site, 10)
    site.sign_in(page, "zc")
    page.goto(site.url("/werklijst"))
    page.get_by_label("Alleen verlopen termijnen").check()
    page.get_by_role("button", name="Filteren").click()
    links = _all_links(page, site, page.url.removeprefix(site.url("")))
    assert f"/dossiers/{overdue}" in links
    assert f"/dossiers/{running}" not in links
    assert f"/dossiers/{cascade}" not in links
    page.goto(site.url("/werklijst"))
    page.get_by_label("Route", exact=True).select_option("cascade")
    page.get_by_role("button", name="Filteren").click()
    links = _all_links(page, site, page.url.removeprefix(site.url("")))
    assert f"/dossiers/{cascade}" in links
    assert f"/dossiers/{overdue}" not in links
    expect(page.get_by_role("link", name="Filters wissen")).to_be_visible()


def test_deze_week_lists_the_deadlines_whose_last_day_is_this_week(page: Page, site: Site) -> None:
    """An OPP whose term's last day is this week's Wednesday is listed under "Deze week"; one whose term ended
    in August and one that ends in October are not.
    """
    today = _today(site)
    wednesday = today - timedelta(days=today.weekday()) + timedelta(days=2)
    this_week = _opp(site, wednesday - timedelta(weeks=6))
    earlier = _opp(site, date(2026, 7, 3))
    later = _opp(site, date(2026, 8, 22))
    site.sign_in(page, "zc")
    page.goto(site.url("/werklijst"))
    page.get_by_role("link", name="Alleen de termijnen van deze week").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Deze week")
    links = _all_links(page, site, page.url.removeprefix(site.url("")))
    assert f"/dossiers/{this_week}" in links
    assert f"/dossiers/{earlier}" not in links
    assert f"/dossiers/{later}" not in links
    page.goto(site.url("/werklijst?week=1"))
    expect(_row(page, this_week)).to_contain_text(f"{wednesday.day} ")


def test_the_worklist_pages_with_a_count_and_previous_and_next(page: Page, site: Site) -> None:
    """With more than 50 cases the first page shows 50 rows, the count and "Volgende 50"; the next page
    starts at number 51 and links back; no case is on both pages.
    """
    for days in range(PAGE_SIZE + 5):
        _cascade(site, days)
    site.sign_in(page, "zc")
    page.goto(site.url("/werklijst"))
    expect(page.locator("table.werklijst tbody tr")).to_have_count(PAGE_SIZE)
    caption = page.locator("table.werklijst caption")
    expect(caption).to_contain_text("lopende dossiers; nummer 1 tot en met 50")
    first = set(page.locator("table.werklijst tbody th a").evaluate_all("els => els.map(e => e.href)"))
    page.get_by_role("link", name="Volgende 50").click()
    expect(caption).to_contain_text("nummer 51 tot en met")
    second = set(page.locator("table.werklijst tbody th a").evaluate_all("els => els.map(e => e.href)"))
    assert second
    assert not first & second
    expect(page.locator("nav.bladeren")).to_contain_text("Pagina 2 van")
    page.get_by_role("link", name="Vorige 50").click()
    expect(caption).to_contain_text("nummer 1 tot en met 50")


def test_a_passed_deadline_stays_on_top_after_the_sweep_fired_it_until_the_case_moves_on(page: Page,
                                                                                         site: Site) -> None:
    """The OPP's six weeks ended on 12 August and the sweep fired its timer ('OPP te laat'): the worklist still
    ranks it overdue, with its deadline and 'te laat', above a case whose term still runs; put to the parents it
    is still late (the OPP is not in werking); once in werking it is no longer listed as overdue.
    """
    late = _opp(site, date(2026, 7, 1))
    running = _opp(site, date(2026, 8, 20))
    site.service.fire_due_timers(site.clock())
    site.sign_in(page, "zc")
    links = _all_links(page, site, "/werklijst?route=opp")
    assert links.index(f"/dossiers/{late}") < links.index(f"/dossiers/{running}")
    page.goto(site.url("/werklijst?route=opp&te_laat=1"))
    expect(_row(page, late)).to_contain_text("12 augustus 2026")
    expect(_row(page, late)).to_contain_text("te laat")
    site.step(late, "leg_handelingsdeel_voor")
    assert f"/dossiers/{late}" in _all_links(page, site, "/werklijst?route=opp&te_laat=1")
    site.step(late, "registreer_instemming", {"gegeven_door": "ouders", "handelingsdeel_versie": 1})
    site.step(late, "stel_in_werking")
    assert f"/dossiers/{late}" not in _all_links(page, site, "/werklijst?route=opp&te_laat=1")
