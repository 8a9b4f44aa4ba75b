"""Notes on the case page in a real browser: the SWV coordinator asks the school a question ('vraag de
school'), the school's zorgcoördinator gets an alert and answers with a note; another school neither sees the
notes nor writes one; an empty note is refused in Dutch; a form sent twice stores its note once; every note
is in the audit log as ``case.note``.
"""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import func, select

from domain.access import Principal
from domain.case import Actor, Command
from domain.handlers import NewCase
from infra.store.tables import alerts, case_notes
from tests.web.conftest import DESKTOP, Site, shot

pytestmark = pytest.mark.browser
QUESTION = "Is het OPP van Sanne al met de ouders besproken? Graag een stand van zaken."
ANSWER = "Gesprek met ouders staat op 14 december; daarna leggen we het handelingsdeel voor."


def _notes(site: Site, case_id: str) -> list[str]:
    with site.service.engine.connect() as conn:
        return list(conn.execute(select(case_notes.c.text).where(case_notes.c.case_id == case_id)
                                 .order_by(case_notes.c.id)).scalars())


def _alerts(site: Site, case_id: str) -> int:
    with site.service.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(alerts)
                                .where(alerts.c.case_id == case_id, alerts.c.kind == "vraag_school")).scalar_one())


def _note_audits(site: Site, case_id: str, key: str) -> list[str]:
    """The outcomes of the person's ``case.note`` rows on the case, oldest first."""
    admin = Principal("test-admin", "admin", ())
    rows = site.service.audit_entries(admin, f"case:{case_id}", site.people[key].user_id, 500, 0)
    return [r.outcome for r in reversed(rows) if r.action == "case.note"]


def _second_page(browser: Browser) -> Page:
    return browser.new_context(viewport=DESKTOP, locale="nl-NL").new_page()


def _write(page: Page, text: str, *, ask: bool = False) -> None:
    page.get_by_label("Notitie", exact=True).fill(text)
    if ask:
        page.get_by_label("Vraag de school", exact=False).check()
    page.get_by_role("button", name="Notitie opslaan").click()


def test_a_coordinator_asks_the_school_and_its_zorgcoordinator_gets_the_alert_and_reads_the_question(
    page: Page, site: Site, browser: Browser,
) -> None:
    """The SWV coordinator writes a question with 'vraag de school': it is on the case page as a question, the
    school's zorgcoördinator finds a 'Vraag van het SWV' alert (its title names the pupil's pseudonym and the
    school, not the question) that leads to the case page with the question, and the audit log has the note.
    """
    pupil = f"lln-{uuid.uuid4().hex[:8]}"
    case_id = site.open_opp(pupil)
    site.sign_in(page, "swv")
    page.goto(site.url(f"/dossiers/{case_id}#notitie-nieuw"))
    _write(page, QUESTION, ask=True)
    expect(page.get_by_role("status").filter(has_text="De notitie is opgeslagen")).to_contain_text(
        re.compile(r"als vraag naar de zorgcoördinator van school (School A \()?14PS03\)? gestuurd"))
    note = page.locator("#notities li").first
    expect(note).to_contain_text(QUESTION)
    expect(note).to_contain_text("Vraag aan de school")
    expect(note).to_contain_text("Coördinator samenwerkingsverband (u)")
    shot(page, "dossier-notities-vraag")
    assert _notes(site, case_id) == [QUESTION]
    assert _alerts(site, case_id) == 1
    assert _note_audits(site, case_id, "swv") == ["ok"]

    school = _second_page(browser)
    site.sign_in(school, "zc")
    school.goto(site.url("/meldingen?soort=vraag_school"))
    title = f"Vraag van het SWV over het dossier van leerling {pupil}, school 14PS03"
    expect(school.locator("#meldingen")).to_contain_text(title)
    expect(school.locator("main")).not_to_contain_text("Sanne")
    school.get_by_role("link", name=title).click()
    expect(school.get_by_role("heading", level=1)).to_have_text("Vraag van het SWV")
    expect(school.locator("main")).not_to_contain_text("Sanne")
    school.get_by_role("link", name="Dossier openen").click()
    expect(school).to_have_url(site.url(f"/dossiers/{case_id}"))
    expect(school.locator("#notities")).to_contain_text(QUESTION)
    expect(school.get_by_label("Vraag de school", exact=False)).to_have_count(0)
    school.context.close()


def test_the_schools_zorgcoordinator_answers_with_a_note_and_cannot_ask_a_school(page: Page, site: Site) -> None:
    """The zorgcoördinator has no 'vraag de school' choice; their note is stored, shown newest first with their
    role, and audited. Posting 'vraag de school' anyway is refused (403) and stores nothing.
    """
    case_id = site.open_opp()
    site.service.add_case_note(Principal(site.people["swv"].user_id, "swv_coordinator", ("standaard",)), case_id,
                               QUESTION, site.clock(), ask_school=True)
    site.sign_in(page, "zc")
    page.goto(site.url(f"/dossiers/{case_id}"))
    expect(page.get_by_label("Vraag de school", exact=False)).to_have_count(0)
    _write(page, ANSWER)
    expect(page.get_by_role("status").filter(has_text="De notitie is opgeslagen.")).to_be_visible()
    items = page.locator("#notities li")
    expect(items).to_have_count(2)
    expect(items.first).to_contain_text(ANSWER)
    expect(items.first).to_contain_text("Zorgcoördinator (u)")
    expect(items.nth(1)).to_contain_text(QUESTION)
    expect(items.nth(1)).to_contain_text("Coördinator samenwerkingsverband")
    assert _notes(site, case_id) == [QUESTION, ANSWER]
    assert _note_audits(site, case_id, "zc") == ["ok"]

    token = page.locator('input[name="csrf"]').first.get_attribute("value")
    posted = page.request.post(site.url(f"/dossiers/{case_id}/notities"),
                               form={"csrf": token or "", "tekst": "Wij vragen het onszelf", "vraag_school": "ja"})
    assert posted.status == 403
    assert "kunt u de school geen vraag sturen" in posted.text()
    assert _notes(site, case_id) == [QUESTION, ANSWER]
    assert _alerts(site, case_id) == 1


def test_another_school_neither_sees_the_notes_nor_writes_one(page: Page, site: Site) -> None:
    """A 14PS03 case with a note, asked for by the 20XY00 zorgcoördinator: the 404 page without the note, and
    posting a note to it is the same 404 with nothing stored.
    """
    case_id = site.open_opp()
    site.service.add_case_note(Principal(site.people["zc"].user_id, "zorgcoordinator", ("14PS03",)), case_id,
                               ANSWER, site.clock())
    site.sign_in(page, "elders")
    hidden = page.goto(site.url(f"/dossiers/{case_id}"))
    assert hidden is not None
    assert hidden.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Niet gevonden")
    expect(page.locator("main")).not_to_contain_text("Gesprek met ouders")
    page.goto(site.url("/"))
    token = page.locator('input[name="csrf"]').first.get_attribute("value")
    posted = page.request.post(site.url(f"/dossiers/{case_id}/notities"),
                               form={"csrf": token or "", "tekst": "Ook wij hebben een notitie"})
    assert posted.status == 404
    assert "Niet gevonden" in posted.text()
    assert _notes(site, case_id) == [ANSWER]
    assert _note_audits(site, case_id, "elders") == ["not-found"]


def test_an_empty_note_is_refused_in_dutch_and_nothing_is_stored(page: Page, site: Site) -> None:
    """Only blanks, with 'vraag de school' ticked: the case page again (422) with the Dutch reason at the field,
    no note and no alert; a note without the form's CSRF token is refused too.
    """
    case_id = site.open_opp()
    site.sign_in(page, "swv")
    page.goto(site.url(f"/dossiers/{case_id}"))
    with page.expect_response(lambda r: r.url.endswith("/notities")) as answer:
        _write(page, "   \n  ", ask=True)
    assert answer.value.status == 422
    error = page.locator("#notitie-fout")
    expect(error).to_have_text("De notitie is leeg: schrijf eerst wat u wilt vastleggen of vragen. "
                               "Er is niets opgeslagen.")
    expect(page.get_by_label("Vraag de school", exact=False)).to_be_checked()
    expect(page.locator("#notities")).to_contain_text("Bij dit dossier zijn nog geen notities.")
    shot(page, "dossier-notitie-leeg")
    assert _notes(site, case_id) == []
    assert _alerts(site, case_id) == 0
    assert _note_audits(site, case_id, "swv") == ["invalid-command"]

    forged = page.request.post(site.url(f"/dossiers/{case_id}/notities"), form={"tekst": "Zonder kenmerk"})
    assert forged.status == 403
    assert _notes(site, case_id) == []


def test_a_question_sent_twice_from_one_form_is_stored_and_asked_once(page: Page, site: Site) -> None:
    """A double click: the form posted twice with its one-time key is one note and one alert."""
    case_id = site.open_opp()
    site.sign_in(page, "swv")
    page.goto(site.url(f"/dossiers/{case_id}"))
    form: dict[str, str | float | bool] = {
        "csrf": page.locator('input[name="csrf"]').first.get_attribute("value") or "",
        "sleutel": page.locator('#notitie-nieuw input[name="sleutel"]').get_attribute("value") or "",
        "tekst": QUESTION, "vraag_school": "ja"}
    for _ in range(2):
        answer = page.request.post(site.url(f"/dossiers/{case_id}/notities"), form=form)
        assert answer.ok
    assert _notes(site, case_id) == [QUESTION]
    assert _alerts(site, case_id) == 1
    page.goto(site.url(f"/dossiers/{case_id}"))
    expect(page.locator("#notities li")).to_have_count(1)


def test_a_too_long_note_is_refused_and_keeps_what_was_typed(page: Page, site: Site) -> None:
    """2,001 characters (posted past the field's own limit): refused with the count and the limit, the text
    kept in the field, nothing stored.
    """
    case_id = site.open_opp()
    site.sign_in(page, "zc")
    page.goto(site.url(f"/dossiers/{case_id}"))
    token = page.locator('input[name="csrf"]').first.get_attribute("value")
    posted = page.request.post(site.url(f"/dossiers/{case_id}/notities"),
                               form={"csrf": token or "", "tekst": "x" * 2001})
    assert posted.status == 422
    assert "De notitie is te lang: 2001 tekens, hoogstens 2000." in posted.text()
    assert _notes(site, case_id) == []


def test_the_monitors_stalled_list_links_a_coordinator_to_the_question_form(page: Page, site: Site) -> None:
    """An OPP stalled in 'concept' for 60 days: the coordinator's stalled list has 'Vraag de school', which opens
    the case page at the note form with the choice to ask the school.
    """
    actor = Actor("zorgcoordinator", site.people["zc"].user_id)
    new = NewCase("opp", "14PS03", f"lln-{uuid.uuid4().hex[:8]}", "vo-31-02")
    command = Command("start_opp", actor, {"extra_ondersteuning_sinds": "2026-09-01"})
    case_id = site.service.open_case(new, command, site.clock() - timedelta(days=60)).case_id
    site.sign_in(page, "vo-coordinator")
    page.goto(site.url("/monitor?school=14PS03&route=opp&fase=concept&dagen_over=1"))
    row = page.locator("#vastgelopen tbody tr").filter(has=page.locator(f'a[href="/dossiers/{case_id}"]'))
    row.get_by_role("link", name="Vraag de school").click()
    expect(page).to_have_url(site.url(f"/dossiers/{case_id}#notitie-nieuw"))
    expect(page.get_by_label("Vraag de school", exact=False)).to_be_visible()
