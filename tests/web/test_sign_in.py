"""Signing in and out in a real browser: password plus TOTP code, one message for every refusal,
lock-out after five failures, sign-out that ends the session, and forms refused without their
CSRF token.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from infra.identity import web_accounts
from tests.web.conftest import PASSWORD, Site, shot

pytestmark = pytest.mark.browser
REFUSED = "Inloggen is niet gelukt: de gebruikersnaam, het wachtwoord of de code klopt niet."


def test_a_person_signs_in_with_password_and_totp_code_and_sees_who_they_are(page: Page, site: Site) -> None:
    """The home page names the account, its role and scope; the session cookie is HttpOnly and Lax."""
    page.goto(site.url("/"))
    expect(page).to_have_url(site.url("/inloggen"))
    expect(page.get_by_role("heading", name="Inloggen")).to_be_visible()
    shot(page, "inloggen")
    site.sign_in(page, "zc")
    expect(page).to_have_url(site.url("/"))
    expect(page.get_by_role("heading", name="Welkom, web-zc")).to_be_visible()
    expect(page.locator(".gegevens")).to_contain_text("zorgcoördinator")
    expect(page.locator(".gegevens")).to_contain_text("14PS03")
    shot(page, "start")
    cookie = next(c for c in page.context.cookies() if c["name"] == "leerlingroute_sessie")
    assert (cookie["httpOnly"], cookie["sameSite"], cookie["secure"]) == (True, "Lax", False)


def test_a_wrong_totp_code_is_refused_with_a_dutch_message(page: Page, site: Site) -> None:
    """The right password with a wrong code: the same message as for any failure; no session."""
    right = site.next_code("zc")
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    site.sign_in(page, "zc", code=wrong)
    expect(page.get_by_role("alert")).to_contain_text(REFUSED)
    expect(page.get_by_label("Gebruikersnaam")).to_have_value("web-zc")
    shot(page, "inloggen-geweigerd")
    assert "leerlingroute_sessie" not in {c["name"] for c in page.context.cookies()}


def test_an_unknown_username_gets_the_same_message_as_a_wrong_code(page: Page, site: Site) -> None:
    """Nothing tells whether a username exists."""
    page.goto(site.url("/inloggen"))
    page.get_by_label("Gebruikersnaam").fill("bestaat-niet")
    page.get_by_label("Wachtwoord").fill("wat dan ook, lang genoeg")
    page.get_by_label("Code uit de authenticator-app").fill("123456")
    page.get_by_role("button", name="Inloggen").click()
    expect(page.get_by_role("alert")).to_contain_text(REFUSED)


def test_five_failed_attempts_lock_the_account_for_fifteen_minutes(page: Page, site: Site) -> None:
    """After five wrong passwords even the right password and code are refused, with the same message,
    until fifteen minutes have passed.
    """
    for _ in range(web_accounts.MAX_ATTEMPTS):
        site.sign_in(page, "pechvogel", password="niet het goede wachtwoord")  # noqa: S106
        expect(page.get_by_role("alert")).to_contain_text(REFUSED)
    site.sign_in(page, "pechvogel")
    expect(page.get_by_role("alert")).to_contain_text(REFUSED)
    expect(page).to_have_url(site.url("/inloggen"))
    site.clock.set(site.clock() + timedelta(minutes=15))
    site.sign_in(page, "pechvogel")
    expect(page.get_by_role("heading", name="Welkom, web-pechvogel")).to_be_visible()


def test_signing_out_ends_the_session_for_good(page: Page, site: Site) -> None:
    """After 'Uitloggen' the pages ask to sign in again, and the old session cookie no longer works."""
    site.sign_in(page, "vertrekker")
    old = next(c for c in page.context.cookies() if c["name"] == "leerlingroute_sessie")
    page.get_by_role("button", name="Uitloggen").click()
    expect(page).to_have_url(site.url("/inloggen?uitgelogd=1"))
    expect(page.get_by_role("status")).to_have_text("U bent uitgelogd.")
    shot(page, "uitgelogd")
    page.context.add_cookies([{"name": old["name"], "value": old["value"], "url": site.url("/")}])
    page.goto(site.url("/"))
    expect(page).to_have_url(site.url("/inloggen"))


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(page: Page, site: Site) -> None:
    """A step posted with the session cookie but without the form's token (as another site could) is a
    403 page in Dutch, and the case stays as it was; sign-out without the token does not sign out.
    """
    case_id = site.open_opp()
    site.sign_in(page, "zc")
    response = page.request.post(site.url(f"/dossiers/{case_id}/stappen/leg_handelingsdeel_voor"),
                                 form={"versie": "1"}, max_redirects=0)
    assert response.status == 403
    assert "Het formulier mist een geldig beveiligingskenmerk" in response.text()
    assert site.version(case_id) == 1
    forged = page.request.post(site.url("/uitloggen"), form={"csrf": "geraden"}, max_redirects=0)
    assert forged.status == 403
    page.goto(site.url("/"))
    expect(page.get_by_role("heading", name="Welkom, web-zc")).to_be_visible()


def test_the_sign_in_form_is_refused_without_its_own_token(page: Page, site: Site) -> None:
    """A sign-in posted from elsewhere (no token cookie) starts no session, even with the right code."""
    response = page.request.post(site.url("/inloggen"), form={
        "gebruikersnaam": "web-zc", "wachtwoord": "correct paard batterij nietje", "code": site.next_code("zc"),
        "csrf": "geraden"}, max_redirects=0)
    assert response.status == 403
    assert "Het inlogformulier was verlopen" in response.text()
    assert "leerlingroute_sessie" not in {c["name"] for c in page.context.cookies()}



def test_after_signing_in_a_person_lands_on_the_page_they_asked_for(page: Page, site: Site) -> None:
    """A case link opened while signed out: the sign-in form, then that case page."""
    case_id = site.open_opp()
    page.goto(site.url(f"/dossiers/{case_id}"))
    expect(page).to_have_url(site.url(f"/inloggen?volgende=%2Fdossiers%2F{case_id}"))
    page.get_by_label("Gebruikersnaam").fill("web-zc")
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_label("Code uit de authenticator-app").fill(site.next_code("zc"))
    page.get_by_role("button", name="Inloggen").click()
    expect(page).to_have_url(site.url(f"/dossiers/{case_id}"))
