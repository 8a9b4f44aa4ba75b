"""The step forms on the dossier page in a real browser: each step says under its heading what it means and
which rule applies; the instemming starts with the version of the handelingsdeel now presented, and sent as
it is, it is recorded; a date is a date input bounded by the engine's window, and a step refused for a missing
date names the field in Dutch and records nothing.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from domain.window import EARLIEST, LATEST
from tests.web.conftest import Site, shot

pytestmark = pytest.mark.browser


def test_each_step_explains_under_its_heading_what_it_means_and_which_rule_applies(page: Page, site: Site) -> None:
    """On an OPP waiting for instemming, the instemming step and the step that puts the OPP in force each show
    their help text, naming the law; the form is described by it for a screen reader.
    """
    case_id = site.open_opp()
    site.step(case_id, "leg_handelingsdeel_voor")
    site.sign_in(page, "zc")
    page.goto(site.url(f"/dossiers/{case_id}"))
    consent = page.locator("#stap-registreer_instemming")
    expect(consent.locator(".stap-uitleg")).to_have_text(
        "Legt vast wie instemde, wanneer, en met welke versie van het handelingsdeel: de voorgelegde versie, die al "
        "is ingevuld. Een instemming geldt voor één versie (WPO art. 40a, WVO 2020 art. 2.43; instemmingsrecht "
        "sinds 2017).")
    expect(consent).to_have_accessible_description(consent.locator(".stap-uitleg").inner_text())
    expect(page.locator("#stap-stel_in_werking .stap-uitleg")).to_contain_text(
        "alleen met instemming van de ouders met de huidige versie van het handelingsdeel")
    shot(page, "stap-uitleg")


def test_the_instemming_starts_with_the_version_presented_and_sent_as_it_is_it_is_recorded(
    page: Page, site: Site,
) -> None:
    """After the handelingsdeel was presented twice (version 2), the version field holds 2 without anyone
    looking it up; choosing who consented and sending the form records the instemming for version 2.
    """
    case_id = site.open_opp()
    site.step(case_id, "leg_handelingsdeel_voor")
    site.step(case_id, "leg_handelingsdeel_voor")
    site.sign_in(page, "zc")
    page.goto(site.url(f"/dossiers/{case_id}"))
    consent = page.locator("#stap-registreer_instemming")
    expect(consent.get_by_label("Versie van het handelingsdeel")).to_have_value("2")
    consent.get_by_label("Instemming gegeven door").select_option("ouders")
    consent.get_by_role("button", name="Instemming van ouders vastleggen").click()
    expect(page.get_by_role("status")).to_have_text("Vastgelegd: Instemming van ouders vastleggen.")
    assert site.version(case_id) == 4
    recorded = site.service.history(case_id)[-1]
    assert (recorded.command, recorded.payload) == ("registreer_instemming",
                                                    {"gegeven_door": "ouders", "handelingsdeel_versie": 2})


def test_a_changed_version_is_still_checked_and_refused_with_nothing_recorded(page: Page, site: Site) -> None:
    """The prefill is a suggestion: a version changed to one that was not presented is refused in Dutch."""
    case_id = site.open_opp()
    site.step(case_id, "leg_handelingsdeel_voor")
    site.sign_in(page, "zc")
    page.goto(site.url(f"/dossiers/{case_id}"))
    consent = page.locator("#stap-registreer_instemming")
    consent.get_by_label("Instemming gegeven door").select_option("ouders")
    consent.get_by_label("Versie van het handelingsdeel").fill("3")
    consent.get_by_role("button", name="Instemming van ouders vastleggen").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "De instemming noemt versie 3 van het handelingsdeel, maar de voorgelegde versie is 1.")
    assert site.version(case_id) == 2


def test_a_date_is_a_date_input_within_the_engines_window_and_one_left_out_is_named_in_dutch(
    page: Page, site: Site,
) -> None:
    """The day of the instemming is a date input bounded by the dates the engine accepts. The message to the
    Inspectie about a verwijdering, sent without its date: the page names the date field in Dutch, and the
    case has nothing new.
    """
    opp = site.open_opp()
    site.step(opp, "leg_handelingsdeel_voor")
    case_id = site.open_case("verwijdering", "maak_voornemen_bekend",
                             {"reden": "ernstig incident", "ouders_geinformeerd": True})
    site.sign_in(page, "zc")
    page.goto(site.url(f"/dossiers/{opp}"))
    day = page.locator("#stap-registreer_instemming").get_by_label("Datum waarop de ouders instemden")
    expect(day).to_have_attribute("type", "date")
    expect(day).to_have_attribute("min", EARLIEST.isoformat())
    expect(day).to_have_attribute("max", LATEST.isoformat())

    page.goto(site.url(f"/dossiers/{case_id}"))
    report = page.locator("#stap-informeer_inspectie")
    expect(report.get_by_label("Datum van het bericht aan de Inspectie")).to_have_attribute("type", "date")
    report.get_by_role("button", name="Bericht aan de Inspectie vastleggen").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Deze stap is niet vastgelegd")
    expect(alert).to_contain_text("Veld 'gemeld_op' (datum van het bericht aan de Inspectie) ontbreekt.")
    expect(page.locator("#stap-informeer_inspectie .veldfout")).to_contain_text("ontbreekt")
    shot(page, "stap-datum-ontbreekt")
    assert site.version(case_id) == 1
