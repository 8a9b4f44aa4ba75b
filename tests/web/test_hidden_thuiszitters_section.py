"""The monitor's "Verborgen thuiszitters" section in a real browser (issue 15 item 3): a pupil at home in overleg
for more than 4 school weeks is listed apart, with the day they went home, the school weeks and the duty; a
hidden episode that ended is not.
"""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from playwright.sync_api import Page, expect

from domain.access import Principal
from infra.store.verzuim_tables import thuiszitter_episodes
from tests.web.conftest import Site, shot
from tests.web.test_work_pages import REFERENCE

pytestmark = pytest.mark.browser


def _episode(site: Site, pupil: str, first: date, last: date | None) -> None:
    at = site.clock()
    with site.service.engine.begin() as conn:
        conn.execute(thuiszitter_episodes.insert().values(
            key=f"{pupil}:verborgen:{first.isoformat()}", pupil_id=pupil, kind="verborgen", first_day=first,
            last_day=last, school_brin="14PS03", residence_cbs="0957", school_weeks=6, duty="kwalificatieplicht",
            case_id=None, actions=[], created_at=at, updated_at=at))


def test_the_monitor_lists_hidden_thuiszitters_still_at_home_in_their_own_section(page: Page, site: Site) -> None:
    admin = Principal(site.people["beheerder"].user_id, "admin", ())
    for kind, content in REFERENCE:
        site.service.import_csv(admin, kind, content, site.clock())
    home, back = f"lln-{uuid.uuid4().hex[:8]}", f"lln-{uuid.uuid4().hex[:8]}"
    _episode(site, home, date(2026, 6, 1), None)
    _episode(site, back, date(2026, 5, 4), date(2026, 6, 19))
    site.sign_in(page, "vo-coordinator")
    page.goto(site.url("/monitor"))
    expect(page.get_by_role("heading", name="Verborgen thuiszitters")).to_be_visible()
    row = page.locator("#verborgen tbody tr").filter(has_text=home)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("14PS03")
    expect(row).to_contain_text("1 juni 2026")
    expect(row).to_contain_text("kwalificatieplicht")
    expect(page.locator("#verborgen")).not_to_contain_text(back)
    row.scroll_into_view_if_needed()
    shot(page, "monitor-verborgen-thuiszitters")
