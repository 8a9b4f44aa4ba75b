"""The admin page in a real browser: every account with its role and scope, the audit log searched by
case and by user, in Dutch words; any other role gets the Dutch 403 page.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from domain.access import Principal
from tests.web.conftest import Site, shot

pytestmark = pytest.mark.browser


def test_the_admin_page_lists_users_and_finds_audit_entries(page: Page, site: Site) -> None:
    """The users table names each account with role and scope; searching by case finds the zorgcoördinator's
    read of it, and searching by user finds only that user's rows.
    """
    case_id = site.open_opp()
    reader = Principal(site.people["zc"].user_id, "zorgcoordinator", ("14PS03",))
    site.service.read_status(reader, case_id, site.clock(), "Voor de test")
    site.sign_in(page, "beheerder")
    page.get_by_role("link", name="Beheer", exact=True).first.click()
    users = page.get_by_role("table").first
    expect(users.get_by_role("row", name="web-zc")).to_contain_text("zorgcoördinator")
    expect(users.get_by_role("row", name="web-zc")).to_contain_text("14PS03")
    expect(users.get_by_role("row", name="web-swv")).to_contain_text("standaard")
    expect(users.get_by_role("row", name="web-beheerder")).to_contain_text("kan inloggen")
    page.get_by_label("Zoeken op").select_option("case")
    page.get_by_label("Dossiernummer of leerling-id (of een deel)").fill(case_id)
    page.get_by_role("button", name="Zoeken").click()
    found = page.get_by_role("table").nth(1)
    expect(found.locator("tbody tr")).to_have_count(1)
    expect(found).to_contain_text("web-zc")
    expect(found).to_contain_text("Voor de test")
    expect(found).to_contain_text(f"Dossier {case_id}")
    expect(found).to_contain_text("Dossier ingezien")
    expect(found).not_to_contain_text("case:")
    shot(page, "beheer")
    page.get_by_label("Dossiernummer of leerling-id (of een deel)").fill("")
    page.get_by_label("Gebruiker", exact=True).select_option(label="web-zc")
    page.get_by_role("button", name="Zoeken").click()
    rows = page.get_by_role("table").nth(1).locator("tbody tr")
    expect(rows.first).to_be_visible()
    assert set(rows.locator("td:nth-child(3)").all_inner_texts()) == {"web-zc"}


def test_a_non_admin_gets_the_403_page_on_the_admin_page(page: Page, site: Site) -> None:
    """A zorgcoördinator typing /beheer: 403 with a Dutch sentence; the menu never offered it."""
    site.sign_in(page, "zc")
    expect(page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Beheer")).to_have_count(0)
    response = page.goto(site.url("/beheer"))
    assert response is not None
    assert response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("Geen toegang")
    expect(page.locator("main")).to_contain_text("Met de rol zorgcoördinator hebt u geen toegang tot deze pagina.")
    shot(page, "geen-toegang")
