"""In a real browser (issue 15 items 4-5): the zorgcoördinator records the school's verzuimmelding to DUO on
a meldplicht alert (the alert says by when, a date in the future is refused in Dutch and changes nothing, a
valid report is shown as made in time); the SWV coordinator records the consultation on an intended
vrijstelling 5 onder a.
"""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from playwright.sync_api import Page, expect

from domain.access import Principal
from infra.verzuim.inputs import EnrollmentRecord
from service.verzuim import Verzuim
from tests.web.conftest import Site
from tests.web.test_work_pages import REFERENCE

pytestmark = pytest.mark.browser


def meldplicht_alert_for_the_school(site: Site) -> str:
    """A pupil at 14PS03 with 8 + 8 lesuren unauthorised on 31 August and 1 September: a meldplicht signal
    reached on 1 September, due at DUO by 8 September; the pupil id.
    """
    admin = Principal(site.people["beheerder"].user_id, "admin", ())
    at = site.clock()
    for kind, content in REFERENCE:
        site.service.import_csv(admin, kind, content, at)
    pupil = f"lln-{uuid.uuid4().hex[:8]}"
    site.service.import_csv(admin, "leerlingen", "leerling_id,school,woongemeente,geboortedatum,voornaam,achternaam\n"
                            f"{pupil},14PS03,0957,2013-02-02,Sam,Jansen\n", at)
    verzuim = Verzuim(site.service)
    verzuim.record(admin, EnrollmentRecord(pupil, "14PS03", date(2026, 8, 24)), at)
    verzuim.import_csv(admin, "verzuim", "leerling_id,datum,uren,geoorloofd,reden\n"
                       f"{pupil},2026-08-31,8,nee,spijbelen\n{pupil},2026-09-01,8,nee,spijbelen\n", at)
    return pupil


def test_the_zorgcoordinator_records_the_duo_report_on_a_meldplicht_alert(page: Page, site: Site) -> None:
    pupil = meldplicht_alert_for_the_school(site)
    site.sign_in(page, "zc")
    page.goto(site.url("/meldingen"))
    page.get_by_role("link", name=pupil).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Meldplicht verzuim")
    expect(page.locator("#duo-stand")).to_contain_text("uiterlijk 8 september 2026: nog te melden")
    page.get_by_label("Gemeld bij DUO op").fill("2026-09-30")
    page.get_by_role("button", name="Melding aan DUO vastleggen").click()
    expect(page.locator("#duo-fout")).to_contain_text("ligt in de toekomst")
    expect(page.locator("#duo-stand")).to_contain_text("nog te melden")
    page.get_by_label("Gemeld bij DUO op").fill("2026-09-02")
    page.get_by_label("Soort melding").select_option("zestien_uur")
    page.get_by_role("button", name="Melding aan DUO vastleggen").click()
    expect(page.get_by_role("status")).to_have_text("De verzuimmelding is vastgelegd.")
    expect(page.locator("#duo-stand")).to_have_text(
        "Gemeld op 2 september 2026 als 16 uur ongeoorloofd verzuim binnen 4 lesweken: op tijd gemeld "
        "(uiterlijk 8 september 2026).")
    expect(page.locator("main")).not_to_contain_text("Jansen")


def test_the_swv_coordinator_records_the_consultation_on_an_intended_vrijstelling(page: Page, site: Site) -> None:
    """Leerplicht intends a 5a for a VO 31-02 pupil: the SWV coordinator's alert says by when to respond, and
    one click records the consultation, after which leerplicht may record the vrijstelling.
    """
    pupil = meldplicht_alert_for_the_school(site)
    leerplicht = Principal(site.people["leerplicht"].user_id, "leerplicht", ("0957",))
    Verzuim(site.service).propose_vrijstelling(leerplicht, pupil, date(2026, 9, 7), date(2027, 7, 31), site.clock())
    site.sign_in(page, "vo-coordinator")
    page.goto(site.url("/meldingen"))
    page.get_by_role("link", name=pupil).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Raadpleging vrijstelling 5 onder a")
    expect(page.locator("#raadpleging-stand")).to_contain_text("Reageer uiterlijk 17 september 2026")
    page.get_by_role("button", name="Raadpleging vastleggen").click()
    expect(page.get_by_role("status")).to_contain_text("De raadpleging is vastgelegd")
    expect(page.locator("#raadpleging-stand")).to_have_text(
        "U bent op 3 september 2026 geraadpleegd over de voorgenomen vrijstelling per 7 september 2026.")
    expect(page.locator("main")).not_to_contain_text("Jansen")
