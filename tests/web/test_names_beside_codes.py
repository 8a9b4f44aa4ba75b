"""Names beside codes in the pages (issue 16, "Find and recognise"): a school, a gemeente and a region's
profile are shown by name with their code; a code the reference data does not know is shown as it is; no page
shows a raw code of the software (a profile code, an audit action, the word 'Scope').
"""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from domain.access import Principal
from domain.case import Actor, Command
from domain.handlers import NewCase
from tests.web.conftest import Site
from tests.web.test_work_pages import REFERENCE

pytestmark = pytest.mark.browser
PROFILE = "vo-31-02"
RAW = re.compile(r"vo-31-02|zuid-limburg-po|case\.read|case\.command|\bScope\b|\bwrong\b")


def _reference(site: Site) -> None:
    admin = Principal(site.people["beheerder"].user_id, "admin", ())
    for kind, content in REFERENCE:
        site.service.import_csv(admin, kind, content, site.clock())


def _vo_opp(site: Site) -> str:
    actor = Actor("zorgcoordinator", site.people["zc"].user_id)
    new = NewCase("opp", "14PS03", f"lln-{uuid.uuid4().hex[:8]}", PROFILE)
    return site.service.open_case(new, Command("start_opp", actor, {"extra_ondersteuning_sinds": "2026-09-01"}),
                                  site.clock()).case_id


def test_the_start_page_names_the_schools_and_the_gemeente_one_works_for(page: Page, site: Site) -> None:
    """The zorgcoördinator's work area is 'School A (14PS03)'; leerplicht's is 'Roermond (0957)'."""
    _reference(site)
    site.sign_in(page, "zc")
    expect(page.locator("dl.gegevens")).to_contain_text("Werkgebied")
    expect(page.locator("dl.gegevens")).to_contain_text("School A (14PS03)")
    page.context.clear_cookies()
    site.sign_in(page, "leerplicht")
    expect(page.locator("dl.gegevens")).to_contain_text("Roermond (0957)")


def test_a_code_the_reference_data_does_not_know_is_shown_as_it_is(page: Page, site: Site) -> None:
    """The zorgcoördinator of 20XY00, a school not in the reference data, sees the code and no made-up name."""
    _reference(site)
    site.sign_in(page, "elders")
    expect(page.locator("dl.gegevens")).to_contain_text("20XY00")
    expect(page.locator("dl.gegevens")).not_to_contain_text("(20XY00)")


def test_the_dossier_shows_the_region_by_name_and_no_page_shows_a_raw_code(page: Page, site: Site) -> None:
    """The dossier's profile is 'Samenwerkingsverband VO 31-02', not 'vo-31-02'; the school by name; the start
    page, the worklist, the dossier and the inbox show none of the software's own codes.
    """
    _reference(site)
    case_id = _vo_opp(site)
    site.sign_in(page, "zc")
    page.goto(site.url(f"/dossiers/{case_id}"))
    expect(page.locator("main")).to_contain_text("Samenwerkingsverband VO 31-02")
    expect(page.locator("main")).to_contain_text("School A (14PS03)")
    _no_raw_codes(page, site, ("/", "/werklijst", f"/dossiers/{case_id}", "/meldingen", "/monitor"))


def test_the_coordinators_and_the_admins_pages_show_no_raw_code(page: Page, site: Site) -> None:
    """The SWV coordinator's monitor and worklist, the admin's page with its audit log: words, not codes."""
    _reference(site)
    _vo_opp(site)
    site.sign_in(page, "vo-coordinator")
    _no_raw_codes(page, site, ("/", "/monitor", "/werklijst", "/meldingen"))
    page.context.clear_cookies()
    site.sign_in(page, "beheerder")
    _no_raw_codes(page, site, ("/", "/beheer"))


def _no_raw_codes(page: Page, site: Site, paths: tuple[str, ...]) -> None:
    for path in paths:
        page.goto(site.url(path))
        text = page.locator("main").inner_text()
        assert not RAW.search(text), (path, RAW.search(text))
