"""Every page for every kind of user, checked in the browser for what the issue asks of all of them:
every control has a label (or an accessible name), every chart has a title, nothing sticks out sideways
at 1280 px or at tablet width, and a person can sign in and reach their work with the keyboard alone,
seeing where the focus is.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from domain.access import Principal
from tests.web.conftest import DESKTOP, PASSWORD, PEOPLE, TABLET, Site
from tests.web.test_work_pages import thuiszitter_alert_for_leerplicht

pytestmark = pytest.mark.browser

UNNAMED_CONTROLS = """() => [...document.querySelectorAll(
    'input:not([type=hidden]), select, textarea, button')].filter(el => !(
        (el.labels && el.labels.length) || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby')
        || (el.tagName === 'BUTTON' && el.textContent.trim()))).map(el => el.outerHTML.slice(0, 160))"""
UNTITLED_CHARTS = """() => [...document.querySelectorAll('svg[role=img]')].filter(svg => {
    const title = document.getElementById(svg.getAttribute('aria-labelledby') || '');
    return !(title && title.textContent.trim()); }).length"""
FOCUSED = """() => { const el = document.activeElement; const style = getComputedStyle(el);
    return {name: el.getAttribute('name'), text: el.textContent.trim(), outline: style.outlineStyle}; }"""


def _pages(site: Site) -> list[tuple[str, str]]:
    """(person, path) for every page: each role's own pages, with a case and an alert to show."""
    case_id = site.open_opp()
    pupil = thuiszitter_alert_for_leerplicht(site)
    leerplicht = Principal(site.people["leerplicht"].user_id, *PEOPLE["leerplicht"])
    alerts, _ = site.service.alerts(leerplicht, "all", 500, 0, site.clock())
    alert_id = next(a.id for a in alerts if a.pupil_id == pupil)
    return [("zc", "/"), ("zc", "/werklijst"), ("zc", f"/dossiers/{case_id}"), ("zc", "/meldingen"),
            ("vo-coordinator", "/monitor"), ("leerplicht", "/meldingen"), ("leerplicht", "/werkvoorraad"),
            ("leerplicht", f"/meldingen/{alert_id}"),
            ("beheerder", "/beheer")]


def test_every_control_and_chart_on_every_page_is_named_and_nothing_sticks_out(page: Page, site: Site) -> None:
    """The sign-in page and each role's pages, at 1280 px and at 768 px."""
    page.goto(site.url("/inloggen"))
    assert page.evaluate(UNNAMED_CONTROLS) == []
    signed_in_as = None
    for person, path in _pages(site):
        if person != signed_in_as:
            page.context.clear_cookies()
            site.sign_in(page, person)
            signed_in_as = person
        for size in (DESKTOP, TABLET):
            page.set_viewport_size(size)
            response = page.goto(site.url(path))
            assert response is not None
            assert response.status == 200, path
            assert page.evaluate(UNNAMED_CONTROLS) == [], path
            assert page.evaluate(UNTITLED_CHARTS) == 0, path
            assert page.evaluate("document.documentElement.scrollWidth") <= size["width"], (path, size)


def _tab_to(page: Page, wanted: dict[str, str], limit: int = 40) -> None:
    """Press Tab until the focused element has the wanted name attribute or text; its focus is visible."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if all(focused.get(key) == value for key, value in wanted.items()):
            assert focused["outline"] != "none", focused
            return
    pytest.fail(f"Tab never reached {wanted}")


def test_a_person_signs_in_and_opens_the_worklist_with_the_keyboard_alone(page: Page, site: Site) -> None:
    """Tab to each field and type, Enter to sign in, Tab to 'Werklijst' and Enter: the worklist."""
    page.goto(site.url("/inloggen"))
    _tab_to(page, {"name": "gebruikersnaam"})
    page.keyboard.type(site.people["zc"].name)
    _tab_to(page, {"name": "wachtwoord"})
    page.keyboard.type(PASSWORD)
    _tab_to(page, {"name": "code"})
    page.keyboard.type(site.next_code("zc"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    _tab_to(page, {"text": "Werklijst"})
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Werklijst")
