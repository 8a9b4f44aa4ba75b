"""The case page in a real browser: the pupil's timeline, open deadlines and the pathway with the
current stage; forms for exactly the steps the role may take now; a refused step shows the engine's
Dutch reason and changes nothing; another school's case is the same 404 page as an unknown one.
"""

from __future__ import annotations

import io
import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from domain.access import Principal
from tests.web.conftest import TABLET, Site, shot

pytestmark = pytest.mark.browser
SIGNAL = {"gesignaleerd_door": "mentor", "zorgdomein": "gedrag", "datum_signaal": "2026-09-01"}


def _current_stage(page: Page) -> str:
    return page.locator('.route [aria-current="step"] .fase-naam').inner_text()


def test_the_case_page_shows_the_timeline_deadlines_and_the_pathway(page: Page, site: Site) -> None:
    """Both trajectories of the pupil with their events and dates, the OPP deadline with its last day, the law
    it rests on and how it was counted, and every stage of the OPP pathway with 'Concept' as the current one.
    """
    pupil = f"lln-{uuid.uuid4().hex[:8]}"
    signal = site.open_case("signalering", "registreer_signaal", SIGNAL, pupil)
    site.clock.set(site.clock() + timedelta(minutes=1))
    case_id = site.open_opp(pupil=pupil)
    site.sign_in(page, "zc")
    page.goto(site.url(f"/dossiers/{case_id}"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Ontwikkelingsperspectiefplan (OPP)")
    assert _current_stage(page) == "Concept"
    expect(page.locator(".route .fase")).to_have_count(7)
    deadlines = page.get_by_role("table")
    expect(deadlines).to_contain_text("OPP binnen 6 weken na start extra ondersteuning in werking")
    expect(deadlines).to_contain_text("13 oktober 2026")
    expect(deadlines).to_contain_text("Grondslag: WPO art. 40a, WVO 2020 art. 2.43 (wettelijke termijn)")
    expect(deadlines).to_contain_text("Berekening: 6 weken na de start van de extra ondersteuning op 1 september "
                                      "2026 (WPO art. 40a, WVO 2020 art. 2.43) → 13 oktober 2026")
    timeline = page.locator(".traject")
    expect(timeline).to_have_count(2)
    expect(timeline.nth(0)).to_contain_text("Signaal vastleggen")
    expect(timeline.nth(0)).to_contain_text("Gesignaleerd door (rol)")
    expect(timeline.nth(0).get_by_role("link")).to_have_attribute("href", f"/dossiers/{signal}")
    expect(timeline.nth(1)).to_contain_text("OPP starten")
    expect(timeline.nth(1)).to_contain_text("3 september 2026")
    shot(page, "dossier")



def test_a_case_opened_by_a_hand_off_links_to_the_case_that_opened_it_and_back(page: Page, site: Site) -> None:
    """An impasse in the zorgplicht starts a thuiszitterwacht: both dossiers show the hand-off with a link."""
    pupil = f"lln-{uuid.uuid4().hex[:8]}"
    zorgplicht = site.open_case("zorgplicht", "registreer_aanmelding", {"aangemeld_op": "2026-09-01",
                                                                        "schriftelijk": True}, pupil)
    site.step(zorgplicht, "meld_impasse", {"toelichting": "geen passende plek"})
    site.service.react(site.clock())
    [wacht] = [t.case_id for t in site.service.timeline(pupil, site.clock()) if t.pathway == "thuiszitterwacht"]
    site.sign_in(page, "zc")
    page.goto(site.url(f"/dossiers/{wacht}"))
    links = page.locator(".vak-samenhang")
    expect(links).to_contain_text("Geopend door")
    expect(links).to_contain_text("Thuiszitterwacht gestart: de zorgplicht ligt bij het samenwerkingsverband")
    links.get_by_role("link", name="Zorgplicht na schriftelijke aanmelding").click()
    expect(page).to_have_url(site.url(f"/dossiers/{zorgplicht}"))
    expect(page.locator(".vak-samenhang")).to_contain_text("Overdracht")
    expect(page.locator(".vak-samenhang").get_by_role("link")).to_have_attribute("href", f"/dossiers/{wacht}")


def test_a_case_without_hand_offs_shows_no_links(page: Page, site: Site) -> None:
    """Nothing handed off: no empty section."""
    case_id = site.open_opp()
    site.sign_in(page, "zc")
    page.goto(site.url(f"/dossiers/{case_id}"))
    expect(page.locator(".vak-samenhang")).to_have_count(0)


def test_an_overdue_deadline_is_marked_with_how_late_it_is(page: Page, site: Site) -> None:
    """Extra support since 1 July: the six weeks ended on 12 August, three weeks before today."""
    case_id = site.open_case("opp", "start_opp", {"extra_ondersteuning_sinds": "2026-07-01"})
    site.sign_in(page, "zc")
    page.goto(site.url(f"/dossiers/{case_id}"))
    row = page.locator("tr.te-laat")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("12 augustus 2026")
    expect(row).to_contain_text("Verlopen 22 dagen te laat")

def test_a_zorgcoordinator_advances_a_case_through_its_forms(page: Page, site: Site) -> None:
    """Present the handelingsdeel, record the parents' instemming (a choice and a number), put the OPP in
    force: each form posts, the page comes back with the new stage and the step on the timeline.
    """
    case_id = site.open_opp()
    site.sign_in(page, "zc")
    page.goto(site.url(f"/dossiers/{case_id}"))
    forms = page.locator("form.stap")
    expect(forms.locator("h3")).to_have_text(["Handelingsdeel aan ouders voorleggen", "Uitstroomprofiel vastleggen",
                                              "OPP afsluiten"])
    expect(page.locator("#stap-leg_uitstroomprofiel_vast").get_by_label("Uitstroomprofiel")).to_be_visible()
    page.get_by_role("button", name="Handelingsdeel aan ouders voorleggen").click()
    expect(page.get_by_role("status")).to_have_text("Vastgelegd: Handelingsdeel aan ouders voorleggen.")
    assert _current_stage(page) == "Handelingsdeel wacht op instemming van ouders"
    consent = page.locator("#stap-registreer_instemming")
    consent.get_by_label("Instemming gegeven door").select_option("ouders")
    consent.get_by_label("Versie van het handelingsdeel").fill("1")
    consent.get_by_role("button", name="Instemming van ouders vastleggen").click()
    expect(page.get_by_role("status")).to_have_text("Vastgelegd: Instemming van ouders vastleggen.")
    shot(page, "dossier-instemming")
    page.get_by_role("button", name="OPP in werking stellen").click()
    assert _current_stage(page) == "In werking"
    expect(page.locator(".traject-huidig")).to_contain_text("Instemming gegeven door")
    assert site.version(case_id) == 4


def test_a_refused_step_shows_its_dutch_reason_and_changes_nothing(page: Page, site: Site) -> None:
    """'OPP in werking stellen' without the parents' instemming: the page says what is missing, in Dutch,
    the stage stays, and nothing is written.
    """
    case_id = site.open_opp()
    site.step(case_id, "leg_handelingsdeel_voor")
    site.sign_in(page, "zc")
    page.goto(site.url(f"/dossiers/{case_id}"))
    page.get_by_role("button", name="OPP in werking stellen").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Deze stap is niet vastgelegd")
    expect(alert).to_contain_text("De instemming van ouders met het handelingsdeel ontbreekt "
                                  "(wie die gaf, wanneer, en voor welke versie).")
    expect(page.locator("#stap-stel_in_werking .veldfout")).to_contain_text("ontbreekt")
    assert _current_stage(page) == "Handelingsdeel wacht op instemming van ouders"
    shot(page, "dossier-stap-geweigerd")
    assert site.version(case_id) == 2


def test_a_form_with_missing_fields_names_them_and_keeps_what_was_filled_in(page: Page, site: Site) -> None:
    """The instemming without who gave it: the engine's message names the field; the version stays filled."""
    case_id = site.open_opp()
    site.step(case_id, "leg_handelingsdeel_voor")
    site.sign_in(page, "zc")
    page.goto(site.url(f"/dossiers/{case_id}"))
    consent = page.locator("#stap-registreer_instemming")
    consent.get_by_label("Versie van het handelingsdeel").fill("1")
    consent.get_by_role("button", name="Instemming van ouders vastleggen").click()
    expect(page.get_by_role("alert")).to_contain_text("Veld 'gegeven_door' (instemming gegeven door) ontbreekt.")
    expect(page.locator("#stap-registreer_instemming").get_by_label("Versie van het handelingsdeel")).to_have_value("1")
    assert site.version(case_id) == 2


def test_an_swv_coordinator_gets_only_the_forms_of_their_role(page: Page, site: Site) -> None:
    """On an OPP in 'concept' the SWV coordinator may only record the uitstroomprofiel or close it; the
    zorgcoördinator's steps are absent.
    """
    case_id = site.open_opp()
    site.sign_in(page, "swv")
    page.goto(site.url(f"/dossiers/{case_id}"))
    expect(page.locator("form.stap h3")).to_have_text(["Uitstroomprofiel vastleggen", "OPP afsluiten"])
    expect(page.locator("#stap-sluit_af").get_by_label("Reden")).to_be_visible()


def test_a_zorgcoordinator_cannot_reach_another_schools_case_by_url(page: Page, site: Site) -> None:
    """A 14PS03 case, asked for by a 20XY00 zorgcoördinator: the same Dutch 404 page as an unknown case,
    and posting a step to it changes nothing.
    """
    case_id = site.open_opp()
    site.sign_in(page, "elders")
    hidden = page.goto(site.url(f"/dossiers/{case_id}"))
    assert hidden is not None
    assert hidden.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Niet gevonden")
    hidden_text = page.locator("main").inner_text()
    shot(page, "dossier-niet-gevonden")
    unknown = page.goto(site.url(f"/dossiers/{uuid.uuid4()}"))
    assert unknown is not None
    assert unknown.status == 404
    assert page.locator("main").inner_text() == hidden_text
    page.goto(site.url("/"))
    token = page.locator('input[name="csrf"]').first.get_attribute("value")
    posted = page.request.post(site.url(f"/dossiers/{case_id}/stappen/leg_handelingsdeel_voor"),
                               form={"csrf": token or ""})
    assert posted.status == 404
    assert site.version(case_id) == 1


def test_the_case_page_fits_a_tablet_without_sideways_scrolling(page: Page, site: Site) -> None:
    """At 768 px wide the columns stack and nothing sticks out to the right."""
    case_id = site.open_opp()
    site.step(case_id, "leg_handelingsdeel_voor")
    site.sign_in(page, "zc")
    page.set_viewport_size(TABLET)
    page.goto(site.url(f"/dossiers/{case_id}"))
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= TABLET["width"]
    shot(page, "dossier-tablet")


def test_the_skip_link_is_the_first_thing_the_keyboard_reaches(page: Page, site: Site) -> None:
    """Tab once on a case page: the visible 'Direct naar de inhoud' link has the focus; Enter goes there."""
    case_id = site.open_opp()
    site.sign_in(page, "zc")
    page.goto(site.url(f"/dossiers/{case_id}"))
    page.keyboard.press("Tab")
    focused = page.locator(":focus")
    expect(focused).to_have_text("Direct naar de inhoud")
    expect(focused).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()


def test_the_home_page_goes_to_a_case_by_its_number(page: Page, site: Site) -> None:
    """Type the case number in the home page's search; a query no number or name can be is explained in Dutch."""
    case_id = site.open_opp()
    site.sign_in(page, "zc")
    page.get_by_label("Dossiernummer").fill("geen-nummer?")
    page.get_by_role("button", name="Openen").click()
    expect(page.locator(".veldfout")).to_contain_text("Gebruik bij het zoeken alleen letters")
    page.goto(site.url("/"))
    page.get_by_label("Dossiernummer").fill(case_id)
    page.get_by_role("button", name="Openen").click()
    expect(page).to_have_url(site.url(f"/dossiers/{case_id}"))


def test_the_dossier_prints_for_the_parent_meeting_without_menus_and_forms(page: Page, site: Site) -> None:
    """Chromium prints the dossier to PDF: the pathway, its stages, the deadlines and the timeline are on paper;
    the menu, the sign-out button, the forms of the next steps and the professionals' notes are not.
    """
    case_id = site.open_opp()
    school = Principal(site.people["zc"].user_id, "zorgcoordinator", ("14PS03",))
    site.service.add_case_note(school, case_id, "Intern: moeder belt terug na de vakantie", site.clock())
    site.sign_in(page, "zc")
    page.goto(site.url(f"/dossiers/{case_id}"))
    expect(page.get_by_role("heading", name="Volgende stap")).to_be_visible()
    text = " ".join((p.extract_text() or "") for p in PdfReader(io.BytesIO(page.pdf(format="A4"))).pages)
    text = " ".join(text.split())
    for shown in ("Ontwikkelingsperspectiefplan (OPP)", "Open termijnen", "Tijdlijn van de leerling", "Concept"):
        assert shown in text, shown
    for hidden in ("Uitloggen", "Werklijst", "Handelingsdeel aan ouders voorleggen", "Direct naar de inhoud",
                   "Notities", "moeder belt terug"):
        assert hidden not in text, hidden


def test_closing_a_case_asks_for_a_confirmation_and_without_it_changes_nothing(page: Page, site: Site) -> None:
    """'OPP afsluiten' leads to a final stage: sent without 'Ik weet het zeker' it is refused in Dutch and the
    case stays in 'Concept'; with it the case is closed.
    """
    case_id = site.open_opp()
    site.sign_in(page, "zc")
    page.goto(site.url(f"/dossiers/{case_id}"))
    closing = page.locator("#stap-sluit_af")
    closing.get_by_label("Reden").select_option("verhuisd")
    closing.get_by_role("button", name="OPP afsluiten").click()
    expect(page.locator("#stap-sluit_af .veldfout")).to_contain_text("Vink 'Ik weet het zeker' aan")
    assert _current_stage(page) == "Concept"
    closing = page.locator("#stap-sluit_af")
    closing.get_by_label("Ik weet het zeker").check()
    closing.get_by_role("button", name="OPP afsluiten").click()
    assert _current_stage(page) == "Afgesloten"
    expect(page.locator("#stap-leg_handelingsdeel_voor")).to_have_count(0)
