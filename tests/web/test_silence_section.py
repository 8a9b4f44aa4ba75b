"""The monitor's "Stil gevallen" section in a real browser: a pupil at a cascade level that needs an OPP, whose OPP
term passed with the OPP still a concept, is listed with what is wrong and the step that fixes it.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from domain.case import Actor, Command
from domain.handlers import NewCase
from tests.web.conftest import Site, shot

pytestmark = pytest.mark.browser
PROFILE = "vo-31-02"
"""VO 31-02's cascade needs an OPP from extra_in_school on."""


def test_the_monitor_lists_a_silent_case_with_the_step_that_fixes_it(page: Page, site: Site) -> None:
    """The OPP opened 60 days ago is too late and still a concept: the cascade level is listed as needing an OPP,
    with 'OPP starten' as the fix; the section says so in Dutch.
    """
    pupil, actor = f"lln-{uuid.uuid4().hex[:8]}", Actor("zorgcoordinator", site.people["zc"].user_id)
    opened = site.clock() - timedelta(days=60)
    since = opened.date().isoformat()
    site.service.open_case(NewCase("opp", "14PS03", pupil, PROFILE),
                           Command("start_opp", actor, {"extra_ondersteuning_sinds": since}), opened)
    cascade = site.service.open_case(NewCase("cascade", "14PS03", pupil, PROFILE),
                                     Command("start_cascade", actor, {"niveau": "extra_in_school"}), opened).case_id
    site.service.fire_due_timers(site.clock())
    site.sign_in(page, "vo-coordinator")
    page.goto(site.url("/monitor"))
    expect(page.get_by_role("heading", name="Stil gevallen")).to_be_visible()
    row = page.locator("#stil tbody tr").filter(has_text=pupil)
    expect(row).to_have_count(1)
    expect(row.locator("th")).to_have_text("Ondersteuningsniveau met OPP, maar geen OPP")
    expect(row).to_contain_text("OPP starten")
    expect(row.locator(f'a[href="/dossiers/{cascade}"]')).to_be_attached()
    row.scroll_into_view_if_needed()
    shot(page, "monitor-stil-gevallen")
