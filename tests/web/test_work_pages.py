"""The worklist, the monitor and the alert inbox in a real browser.

- the monitor, filtered by school, pathway, stage and days over, lists the stalled case and opens it;
- the monitor's time-in-stage chart counts a case in the band of its days in the stage;
- the zorgcoördinator's worklist lists their school's active cases soonest deadline first, never another
  school's, whatever the query string says;
- leerplicht acknowledges a thuiszitter alert with a note, after seeing its facts and the absence per week.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect

from domain.access import Principal
from domain.case import Actor, Command
from domain.handlers import NewCase
from infra.verzuim.inputs import EnrollmentRecord
from service.verzuim import Verzuim
from tests.web.conftest import TABLET, Site, shot

pytestmark = pytest.mark.browser
PROFILE = "vo-31-02"
"""The VO SWV's profile: an OPP may stay six weeks in 'concept'."""
REFERENCE = (("gemeenten", "cbs_code,naam\n0957,Roermond\n"),
             ("swvs", "code,naam,sector\nVO3102,SWV VO,vo\n"),
             ("scholen", "brin,naam,swv,soort,gemeente,vakantieregio\n14PS03,School A,VO3102,vo,0957,zuid\n"))


def _open_opp_days_ago(site: Site, school: str, days: int, since: str = "2026-09-01") -> str:
    """An OPP under the VO profile, opened ``days`` days ago (so in 'concept' that long); its id."""
    actor = Actor("zorgcoordinator", site.people["zc"].user_id)
    new = NewCase("opp", school, f"lln-{uuid.uuid4().hex[:8]}", PROFILE)
    command = Command("start_opp", actor, {"extra_ondersteuning_sinds": since})
    return site.service.open_case(new, command, site.clock() - timedelta(days=days)).case_id


def _links(page: Page, table: str) -> list[str]:
    found: list[str] = page.locator(f"{table} tbody th a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    return found


def test_the_monitor_filters_stalled_cases_and_opens_one(page: Page, site: Site) -> None:
    """Two OPPs stalled in 'concept' at two schools: filtered on 14PS03, OPP, concept and at least one day
    over the norm, only ours is listed, with its days in stage, norm and days over; its link opens the case page.
    """
    ours = _open_opp_days_ago(site, "14PS03", 60)
    theirs = _open_opp_days_ago(site, "20XY00", 80)
    site.sign_in(page, "vo-coordinator")
    page.get_by_role("link", name="Monitor", exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Monitor")
    assert {f"/dossiers/{ours}", f"/dossiers/{theirs}"} <= set(_links(page, "#vastgelopen"))
    page.get_by_label("School", exact=True).select_option("14PS03")
    page.get_by_label("Route", exact=True).select_option("opp")
    page.get_by_label("Fase", exact=True).select_option("concept")
    page.get_by_label("Minimaal dagen over de norm").fill("1")
    page.get_by_label("Sorteren op").select_option("dagen_in_fase")
    page.get_by_role("button", name="Filteren").click()
    links = _links(page, "#vastgelopen")
    assert f"/dossiers/{ours}" in links
    assert f"/dossiers/{theirs}" not in links
    row = page.locator("#vastgelopen tbody tr").filter(has=page.locator(f'a[href="/dossiers/{ours}"]'))
    expect(row).to_contain_text("Concept")
    expect(row.locator("td").nth(3)).to_have_text("60")
    expect(row.locator("td").nth(4)).to_have_text("42 dagen")
    expect(row.locator("td").nth(5)).to_have_text("18")
    expect(page.locator(".tegels")).to_contain_text("thuiszitters nu")
    expect(page.locator(".grafiek svg rect").first).to_be_attached()
    shot(page, "monitor")
    row.get_by_role("link", name="Dossier openen").click()
    expect(page).to_have_url(site.url(f"/dossiers/{ours}"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Ontwikkelingsperspectiefplan (OPP)")


def _time_in_stage_row(page: Page, pathway: str, stage: str) -> list[int]:
    """The counts per band and the total of one stage, read from the time-in-stage table."""
    page.goto(page.url)
    row = page.locator("#tijd-in-fase-tabel tbody tr").filter(has_text=pathway).filter(has_text=stage)
    if not row.count():
        return [0] * 6
    cells: list[str] = row.first.locator("td.getal").all_text_contents()
    return [int(c) for c in cells]


def test_the_monitor_shows_how_long_cases_have_been_in_their_stage(page: Page, site: Site) -> None:
    """An OPP 100 days in 'concept' adds one to the band '13 tot 26 weken' and to the total of that stage,
    in the stacked chart and in its table.
    """
    site.sign_in(page, "vo-coordinator")
    page.goto(site.url("/monitor"))
    before = _time_in_stage_row(page, "Ontwikkelingsperspectiefplan", "Concept")
    _open_opp_days_ago(site, "14PS03", 100)
    after = _time_in_stage_row(page, "Ontwikkelingsperspectiefplan", "Concept")
    assert [a - b for a, b in zip(after, before, strict=True)] == [0, 0, 0, 1, 0, 1]
    expect(page.get_by_role("heading", name="Tijd in de fase")).to_be_visible()
    expect(page.locator("#tijd-in-fase rect.duur-3").first).to_be_attached()
    expect(page.locator(".legenda")).to_contain_text("13 tot 26 weken")
    page.get_by_text("Tijd in de fase als tabel").click()
    page.get_by_role("heading", name="Tijd in de fase").scroll_into_view_if_needed()
    shot(page, "monitor-tijd-in-fase")


def test_the_monitor_fits_a_tablet_and_is_not_for_leerplicht(page: Page, site: Site) -> None:
    """At 768 px nothing sticks out to the right; leerplicht gets the Dutch 403 page."""
    site.sign_in(page, "vo-coordinator")
    page.set_viewport_size(TABLET)
    page.goto(site.url("/monitor"))
    assert page.evaluate("document.documentElement.scrollWidth") <= TABLET["width"]
    page.context.clear_cookies()
    site.sign_in(page, "leerplicht")
    response = page.goto(site.url("/monitor"))
    assert response is not None
    assert response.status == 403


def test_the_worklist_lists_my_schools_cases_soonest_deadline_first(page: Page, site: Site) -> None:
    """Extra support since 1 August (OPP due 12 September, a Saturday: the statutory term runs to Monday
    14 September) before since 20 August (due 1 October); the 20XY00 case is not there, not even when the
    query string asks for that school.
    """
    late = site.open_case("opp", "start_opp", {"extra_ondersteuning_sinds": "2026-08-20"})
    soon = site.open_case("opp", "start_opp", {"extra_ondersteuning_sinds": "2026-08-01"})
    other = site.open_case("opp", "start_opp", {"extra_ondersteuning_sinds": "2026-07-01"}, school="20XY00")
    site.sign_in(page, "zc")
    page.get_by_role("link", name="Werklijst", exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Werklijst")
    links = _links(page, "table.werklijst")
    assert links.index(f"/dossiers/{soon}") < links.index(f"/dossiers/{late}")
    assert f"/dossiers/{other}" not in links
    row = page.locator("table.werklijst tbody tr").filter(has=page.locator(f'a[href="/dossiers/{soon}"]'))
    expect(row).to_contain_text("14 september 2026")
    expect(row).to_contain_text("Concept")
    expect(page.locator("table.werklijst")).not_to_contain_text("20XY00")
    shot(page, "werklijst")
    for query in ("?school=20XY00", "?vanaf=-1", "?vanaf=abc", f"?dossier={other}"):
        page.goto(site.url(f"/werklijst{query}"))
        assert f"/dossiers/{other}" not in _links(page, "table.werklijst")
    page.goto(site.url("/monitor?school=20XY00"))
    assert f"/dossiers/{other}" not in _links(page, "#verlopen")
    hidden = page.goto(site.url(f"/dossiers/{other}"))
    assert hidden is not None
    assert hidden.status == 404
    row_link = f"/dossiers/{soon}"
    page.goto(site.url("/werklijst"))
    page.locator(f'a[href="{row_link}"]').click()
    expect(page).to_have_url(site.url(row_link))


def thuiszitter_alert_for_leerplicht(site: Site) -> str:
    """A pupil living in 0957, absent since Monday 24 August, reported as a thuiszitter; the pupil id."""
    admin = Principal(site.people["beheerder"].user_id, "admin", ())
    at = site.clock()
    for kind, content in REFERENCE:
        site.service.import_csv(admin, kind, content, at)
    pupil = f"lln-{uuid.uuid4().hex[:8]}"
    site.service.import_csv(admin, "leerlingen", "leerling_id,school,woongemeente,geboortedatum,voornaam,achternaam\n"
                            f"{pupil},14PS03,0957,2013-02-02,Sam,Jansen\n", at)
    verzuim = Verzuim(site.service)
    verzuim.record(admin, EnrollmentRecord(pupil, "14PS03", date(2026, 8, 24)), at)
    days = [date(2026, 8, 24) + timedelta(days=n) for n in range(10)]
    rows = "".join(f"{pupil},{d.isoformat()},6,nee,onbekend\n" for d in days if d.weekday() < 5 and d < at.date())
    verzuim.import_csv(admin, "verzuim", "leerling_id,datum,uren,geoorloofd,reden\n" + rows, at)
    site.open_case("thuiszitter", "meld_thuiszitter", {"soort": "relatief", "sinds": "2026-08-24"}, pupil)
    site.service.raise_alerts(site.clock())
    return pupil


def test_leerplicht_acknowledges_a_thuiszitter_alert_with_a_note(page: Page, site: Site) -> None:
    """The new alert is in the inbox; its page shows pupil, school and date, and the absence per week from
    two weeks before the first day at home (24 August, the melding's 'sinds', not the day of the report):
    5 days in the week of 24 August, the two weeks before it (region zuid's summer holiday) marked as
    holiday weeks, and the current week counted only up to yesterday and not yet as a school week;
    acknowledged with a note it moves to 'Afgehandeld' with the note.
    """
    pupil = thuiszitter_alert_for_leerplicht(site)
    site.sign_in(page, "leerplicht")
    expect(page.get_by_role("link", name="Werklijst")).to_have_count(0)
    page.get_by_role("link", name="Meldingen", exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Meldingen")
    expect(page.locator('.tabs [aria-current="page"]')).to_contain_text("Nieuw")
    alert = page.get_by_role("link", name=pupil)
    expect(alert).to_have_count(1)
    shot(page, "meldingen")
    alert.click()
    facts = page.locator("#feiten")
    expect(facts).to_contain_text(pupil)
    expect(facts).to_contain_text("14PS03")
    expect(facts).to_contain_text("3 september 2026")
    week = page.locator("#verzuim tbody tr").filter(has_text="24 augustus 2026")
    expect(week.locator("td").nth(2)).to_have_text("5")
    expect(week.locator("td").nth(3)).to_have_text("5")
    summer = page.locator("#verzuim tbody tr").filter(has_text="17 augustus 2026")
    expect(summer.locator("td").nth(2)).to_have_text("0 (vakantie)")
    expect(page.locator("#schoolweken")).to_have_text(
        "Schoolweken in beeld: 1, waarvan 1 met ongeoorloofd verzuim op elke schooldag. Week 36 loopt nog "
        "(3 van 5 schooldagen voorbij) en telt nog niet mee.")
    current = page.locator("#verzuim tbody tr").filter(has_text="31 augustus 2026")
    expect(current.locator("td").nth(2)).to_have_text("3 van 5 (loopt nog)")
    expect(page.locator(".verzuim-grafiek rect.staaf")).not_to_have_count(0)
    expect(page.locator(".verzuim-grafiek rect.vakantieweek")).to_have_count(2)
    expect(page.locator("#verzuim tbody tr").first).to_contain_text("10 augustus 2026")
    expect(page.locator("main")).not_to_contain_text("Jansen")
    shot(page, "melding")
    page.get_by_label("Notitie").fill("Ouders gebeld, huisbezoek gepland op 8 september.")
    page.get_by_role("button", name="Melding afhandelen").click()
    expect(page.get_by_role("status")).to_have_text("De melding is afgehandeld.")
    expect(page.locator(".notitie")).to_have_text("Ouders gebeld, huisbezoek gepland op 8 september.")
    page.goto(site.url("/meldingen"))
    expect(page.get_by_role("link", name=pupil)).to_have_count(0)
    page.get_by_role("link", name="Afgehandeld").click()
    done = page.locator("#meldingen tbody tr").filter(has_text=pupil)
    expect(done).to_contain_text("Ouders gebeld")


def test_an_alert_is_acknowledged_only_with_the_form_token_and_only_by_its_addressee(page: Page,
                                                                                    site: Site) -> None:
    """Without the CSRF token: 403 and still new; another role's inbox: the Dutch 404 page."""
    pupil = thuiszitter_alert_for_leerplicht(site)
    site.sign_in(page, "leerplicht")
    page.goto(site.url("/meldingen"))
    href = page.get_by_role("link", name=pupil).get_attribute("href")
    assert href is not None
    refused = page.request.post(site.url(f"{href}/afhandelen"), form={"notitie": "zonder token"})
    assert refused.status == 403
    page.context.clear_cookies()
    site.sign_in(page, "zc")
    response = page.goto(site.url(href))
    assert response is not None
    assert response.status == 404
    page.context.clear_cookies()
    site.sign_in(page, "leerplicht")
    page.goto(site.url(href))
    expect(page.get_by_role("button", name="Melding afhandelen")).to_be_visible()
