"""Accounts managed on the admin page, in a real browser: make one (its token, first password and TOTP secret
shown once, and they work), revoke one after 'Ik weet het zeker' (its token and sign-in stop working), give one a
new second factor (the old codes stop working); each is in the audit log. Bad input gets a Dutch error and
changes nothing; any other role gets the 403 page.
"""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, Page, expect

from infra.identity import accounts, web_accounts
from infra.identity.accounts import User
from tests.web.conftest import DESKTOP, Site, shot

pytestmark = pytest.mark.browser


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def _create(page: Page, site: Site, name: str, role: str, scopes: str = "") -> None:
    page.goto(site.url("/beheer"))
    form = page.get_by_role("form", name="Nieuw account")
    form.get_by_label("Gebruikersnaam").fill(name)
    form.get_by_label("Rol").select_option(role)
    form.get_by_label("Werkgebied").fill(scopes)
    form.get_by_role("button", name="Account aanmaken").click()


def _made(page: Page) -> tuple[str, str, str]:
    """The token, first password and TOTP secret the page shows once."""
    return (page.locator("#nieuw-token").inner_text(), page.locator("#nieuw-wachtwoord").inner_text(),
            page.locator("#nieuw-totp").inner_text())


def _user(site: Site, name: str) -> User:
    return next(u for u in accounts.list_users(site.service.engine) if u.name == name and u.revoked_at is None)


def _sign_in_as(browser: Browser, site: Site, name: str, password: str, secret: str) -> Page:
    """A fresh window signing in with these credentials (the clock moved to the next TOTP step)."""
    at = site.clock.set(site.clock() + timedelta(seconds=web_accounts.TOTP_STEP_S))
    other = browser.new_context(viewport=DESKTOP, locale="nl-NL").new_page()
    other.goto(site.url("/inloggen"))
    other.get_by_label("Gebruikersnaam").fill(name)
    other.get_by_label("Wachtwoord").fill(password)
    other.get_by_label("Code uit de authenticator-app").fill(web_accounts.totp(secret, at))
    other.get_by_role("button", name="Inloggen").click()
    return other


def _audit_rows_of_admin(page: Page, site: Site) -> None:
    page.goto(site.url(f"/beheer?gebruiker={site.people['beheerder'].user_id}"))


def test_an_admin_makes_an_account_whose_token_password_and_code_work_and_it_is_in_the_audit_log(
    page: Page, site: Site, browser: Browser,
) -> None:
    """The page shows the token, first password and TOTP secret once; with them the new person signs in and the
    API answers the token; the users table lists the account and the audit log says 'Account aangemaakt'.
    """
    name = _name("ib-nieuw")
    site.sign_in(page, "beheerder")
    _create(page, site, name, "zorgcoordinator", "14PS03, 20XY00")

    made_note = page.get_by_role("status").filter(has_text=f"Account {name} (zorgcoördinator) is aangemaakt")
    expect(made_note).to_be_visible()
    token, password, secret = _made(page)
    shot(page, "beheer-account-gemaakt")
    row = page.get_by_role("table").first.get_by_role("row", name=name)
    expect(row).to_contain_text(re.compile(r"14PS03\)?, 20XY00"))  # a school the reference data knows: by name
    expect(row).to_contain_text("kan inloggen")
    answer = page.request.get(site.url("/alerts"), headers={"Authorization": f"Bearer {token}"})
    assert answer.status == 200

    newcomer = _sign_in_as(browser, site, name, password, secret)
    expect(newcomer.get_by_role("heading", level=1)).not_to_have_text("Inloggen")
    expect(newcomer.locator("body")).to_contain_text(name)
    newcomer.context.close()

    page.reload()
    _audit_rows_of_admin(page, site)
    made = page.get_by_role("table", name="Gevonden regels").locator("tbody tr", has_text="Account aangemaakt")
    expect(made.first).to_contain_text(f"Account {name}")
    page.goto(site.url("/beheer"))
    expect(page.locator("#nieuw-token")).to_have_count(0)


@pytest.mark.parametrize(("role", "scopes", "message"), [
    ("zorgcoordinator", "", "De rol zorgcoördinator heeft minstens één werkgebied nodig (BRIN-code van een school)."),
    ("admin", "14PS03", "De rol beheerder heeft geen werkgebied; laat het veld Werkgebied leeg."),
    ("leerplicht", "Amsterdam", "Geen geldige CBS-gemeentecode: Amsterdam."),
])
def test_a_new_account_without_a_fitting_scope_is_refused_in_dutch_and_nothing_is_made(
    page: Page, site: Site, role: str, scopes: str, message: str,
) -> None:
    """Scope missing, scope for a role that has none, a wrong code: the Dutch error, the typed values kept, no
    account.
    """
    name = _name("fout")
    site.sign_in(page, "beheerder")
    _create(page, site, name, role, scopes)
    expect(page.get_by_role("alert")).to_contain_text(message)
    expect(page.get_by_role("alert")).to_contain_text("Er is geen account aangemaakt.")
    expect(page.get_by_role("form", name="Nieuw account").get_by_label("Gebruikersnaam")).to_have_value(name)
    assert all(u.name != name for u in accounts.list_users(site.service.engine))


def test_a_taken_name_or_an_unknown_role_is_refused_and_changes_nothing(page: Page, site: Site) -> None:
    """'web-zc' exists: refused in Dutch. A role the form does not offer (posted by hand): refused in Dutch."""
    site.sign_in(page, "beheerder")
    before = len(accounts.list_users(site.service.engine))
    _create(page, site, "web-zc", "zorgcoordinator", "14PS03")
    expect(page.get_by_role("alert")).to_contain_text("Er is al een account met de gebruikersnaam 'web-zc'")
    csrf = page.locator("input[name=csrf]").first.get_attribute("value")
    answer = page.request.post(site.url("/beheer/accounts"), form={
        "csrf": csrf or "", "naam": _name("directeur"), "rol": "directeur", "scopes": ""})
    assert answer.status == 422
    assert "Onbekende rol" in answer.text()
    assert len(accounts.list_users(site.service.engine)) == before


def test_a_form_without_the_csrf_token_is_refused_and_makes_nothing(page: Page, site: Site) -> None:
    """The admin's session, but no CSRF token: 'Formulier geweigerd', no account."""
    site.sign_in(page, "beheerder")
    name = _name("zonder-csrf")
    answer = page.request.post(site.url("/beheer/accounts"), form={"naam": name, "rol": "deskundige", "scopes": ""})
    assert answer.status == 403
    assert "Formulier geweigerd" in answer.text()
    assert all(u.name != name for u in accounts.list_users(site.service.engine))


def test_revoking_needs_ik_weet_het_zeker_and_then_the_token_and_sign_in_stop_working(
    page: Page, site: Site, browser: Browser,
) -> None:
    """Without the tick: a Dutch error and the account still works. With it: revoked, the API refuses the token,
    signing in is refused, and the audit log says 'Account ingetrokken'.
    """
    name = _name("vertrekt")
    site.sign_in(page, "beheerder")
    _create(page, site, name, "deskundige")
    token, password, secret = _made(page)

    form = page.get_by_role("form", name="Account intrekken")
    form.get_by_label("Account om in te trekken").select_option(label=name)
    form.get_by_role("button", name="Account intrekken").click()
    expect(page.get_by_role("alert")).to_contain_text("Vink 'Ik weet het zeker' aan")
    assert _user(site, name).revoked_at is None
    assert page.request.get(site.url("/alerts"), headers={"Authorization": f"Bearer {token}"}).status == 200

    form = page.get_by_role("form", name="Account intrekken")
    form.get_by_label("Account om in te trekken").select_option(label=name)
    form.get_by_label("Ik weet het zeker").check()
    form.get_by_role("button", name="Account intrekken").click()
    expect(page.get_by_role("status").filter(has_text=f"Het account {name} is ingetrokken")).to_be_visible()
    expect(page.get_by_role("table").first.get_by_role("row", name=name)).to_contain_text("ingetrokken")
    assert page.request.get(site.url("/alerts"), headers={"Authorization": f"Bearer {token}"}).status == 401

    refused = _sign_in_as(browser, site, name, password, secret)
    expect(refused.get_by_role("alert")).to_contain_text("Inloggen is niet gelukt")
    refused.context.close()
    _audit_rows_of_admin(page, site)
    expect(page.get_by_role("table", name="Gevonden regels").locator("tbody tr", has_text="Account ingetrokken")
           .first).to_contain_text(f"Account {name}")


def test_the_admin_cannot_revoke_their_own_account(page: Page, site: Site) -> None:
    """The form does not offer it; posted by hand it is refused in Dutch and nothing changes."""
    site.sign_in(page, "beheerder")
    page.goto(site.url("/beheer"))
    own = site.people["beheerder"].user_id
    expect(page.locator(f"#intrekken-gebruiker option[value='{own}']")).to_have_count(0)
    csrf = page.locator("input[name=csrf]").first.get_attribute("value")
    answer = page.request.post(site.url("/beheer/accounts/intrekken"), form={
        "csrf": csrf or "", "gebruiker": own, "bevestigd": "ja"})
    assert answer.status == 422
    assert "Uw eigen account kunt u niet intrekken" in answer.text()
    assert _user(site, "web-beheerder").revoked_at is None


def test_a_new_second_factor_makes_the_old_codes_fail_and_the_new_secret_work(
    page: Page, site: Site, browser: Browser,
) -> None:
    """The new TOTP secret is shown once; a code of the old one is refused, one of the new one signs in with the
    same password; the audit log says 'Tweede factor vervangen'.
    """
    name = _name("telefoon-kwijt")
    site.sign_in(page, "beheerder")
    _create(page, site, name, "deskundige")
    _, password, old_secret = _made(page)

    form = page.get_by_role("form", name="Nieuwe tweede factor")
    form.get_by_label("Account voor de nieuwe tweede factor").select_option(label=name)
    form.get_by_role("button", name="Nieuwe tweede factor maken").click()
    expect(page.get_by_role("status").filter(has_text=f"Account {name} heeft een nieuwe tweede factor")).to_be_visible()
    new_secret = page.locator("#vervangen-totp").inner_text()
    assert new_secret != old_secret

    old = _sign_in_as(browser, site, name, password, old_secret)
    expect(old.get_by_role("alert")).to_contain_text("Inloggen is niet gelukt")
    old.context.close()
    new = _sign_in_as(browser, site, name, password, new_secret)
    expect(new.get_by_role("heading", level=1)).not_to_have_text("Inloggen")
    new.context.close()
    _audit_rows_of_admin(page, site)
    expect(page.get_by_role("table", name="Gevonden regels").locator("tbody tr", has_text="Tweede factor vervangen")
           .first).to_contain_text(f"Account {name}")


def test_a_new_second_factor_for_an_account_without_a_password_is_refused_in_dutch(page: Page, site: Site) -> None:
    """An account made with the CLI and never given a password: the Dutch error, nothing changed."""
    name = _name("alleen-api")
    accounts.create_user(site.service.engine, "deskundige", [], site.clock(), site.service.swv_codes(), name=name)
    site.sign_in(page, "beheerder")
    page.goto(site.url("/beheer"))
    form = page.get_by_role("form", name="Nieuwe tweede factor")
    form.get_by_label("Account voor de nieuwe tweede factor").select_option(label=name)
    form.get_by_role("button", name="Nieuwe tweede factor maken").click()
    expect(page.get_by_role("alert")).to_contain_text("heeft nog geen wachtwoord voor de webpagina's")
    expect(page.get_by_role("alert")).to_contain_text("Er is niets gewijzigd.")
    assert _user(site, name).id not in web_accounts.credential_states(site.service.engine)


@pytest.mark.parametrize("path", ["/beheer/accounts", "/beheer/accounts/intrekken", "/beheer/accounts/tweede-factor"])
def test_a_non_admin_gets_the_403_page_for_each_account_form(page: Page, site: Site, path: str) -> None:
    """A zorgcoördinator posting (with their own CSRF token) to an account form: 403, nothing done."""
    site.sign_in(page, "zc")
    page.goto(site.url("/werklijst"))
    csrf = page.locator("input[name=csrf]").first.get_attribute("value") or ""
    target = site.people["vertrekker"].user_id
    before = accounts.list_users(site.service.engine)
    answer = page.request.post(site.url(path), form={
        "csrf": csrf, "naam": _name("stiekem"), "rol": "admin", "scopes": "", "gebruiker": target, "bevestigd": "ja"})
    assert answer.status == 403
    assert "Geen toegang" in answer.text()
    assert accounts.list_users(site.service.engine) == before
