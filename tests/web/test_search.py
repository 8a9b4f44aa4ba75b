"""The search box on every page in a real browser (issue 16, "Find and recognise"): a zorgcoördinator finds
a child of their school by name and opens the dossier, which shows the name and the school's name; a
zorgcoördinator of another school does not find it; a dossier number's first characters find the case;
leerplicht finds its thuiszitter by name but not a resident without a thuiszitter case; every search is in
the audit log without the query text.
"""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import Page, expect

from domain.access import Principal
from tests.web.conftest import Site, shot
from tests.web.test_work_pages import REFERENCE

pytestmark = pytest.mark.browser


def _family_name() -> str:
    """A family name no other test uses (letters only)."""
    return "Vos" + "".join(chr(ord("a") + int(c, 16)) for c in uuid.uuid4().hex[:8])


def _registered_pupil(site: Site, given: str, family: str) -> str:
    """A pupil of 14PS03 (School A) living in 0957, with a name; the pupil id."""
    admin = Principal(site.people["beheerder"].user_id, "admin", ())
    for kind, content in REFERENCE:
        site.service.import_csv(admin, kind, content, site.clock())
    pupil = f"lln-{uuid.uuid4().hex[:8]}"
    site.service.import_csv(admin, "leerlingen", "leerling_id,school,woongemeente,geboortedatum,voornaam,achternaam\n"
                            f"{pupil},14PS03,0957,2013-02-02,{given},{family}\n", site.clock())
    return pupil


def _search(page: Page, text: str) -> None:
    box = page.get_by_role("search", name="Zoeken", exact=True)
    box.get_by_label("Zoek een leerling of dossier").fill(text)
    box.get_by_role("button", name="Zoeken").click()


def _find_entries(site: Site, key: str) -> list[str]:
    admin = Principal(site.people["beheerder"].user_id, "admin", ())
    entries = site.service.audit_entries(admin, None, site.people[key].user_id, 500, 0)
    return [f"{e.action} {e.resource} {e.purpose}" for e in entries if e.action == "case.find"]


def test_a_zorgcoordinator_finds_a_child_of_their_school_by_name_and_opens_the_dossier(page: Page, site: Site) -> None:
    """The header's search box finds the OPP by family name; the result shows route, stage, school name and
    the child's name; the dossier's header shows the name and 'School A (14PS03)'. The search is audited
    with the number found, never the name.
    """
    family = _family_name()
    pupil = _registered_pupil(site, "Noor", family)
    case_id = site.open_opp(pupil=pupil)
    site.sign_in(page, "zc")
    before = len(_find_entries(site, "zc"))
    _search(page, family)
    expect(page.get_by_role("heading", level=1)).to_have_text("Zoeken")
    results = page.locator("table.zoekresultaten")
    expect(results.locator("tbody tr")).to_have_count(1)
    expect(results).to_contain_text("Ontwikkelingsperspectiefplan (OPP)")
    expect(results).to_contain_text("Concept")
    expect(results).to_contain_text("School A (14PS03)")
    expect(results).to_contain_text(f"Noor {family}")
    shot(page, "zoeken")
    results.get_by_role("link", name="Ontwikkelingsperspectiefplan (OPP)").click()
    expect(page).to_have_url(site.url(f"/dossiers/{case_id}"))
    expect(page.locator(".leerling-naam")).to_have_text(f"Noor {family}")
    expect(page.locator(".gegevens")).to_contain_text("School A (14PS03)")
    entries = _find_entries(site, "zc")
    assert len(entries) == before + 1
    assert entries[0].startswith("case.find zoeken:1 ")
    assert not [e for e in entries if family.lower() in e.lower()]


def test_a_zorgcoordinator_of_another_school_does_not_find_the_child(page: Page, site: Site) -> None:
    """The same family name, searched by the zorgcoördinator of 20XY00: nothing found (and audited as 0)."""
    family = _family_name()
    site.open_opp(pupil=_registered_pupil(site, "Noor", family))
    site.sign_in(page, "elders")
    _search(page, family)
    expect(page.get_by_role("status")).to_contain_text("Niets gevonden")
    expect(page.locator("main")).not_to_contain_text(family)
    assert _find_entries(site, "elders")[0].startswith("case.find zoeken:0 ")


def test_the_first_characters_of_a_dossier_number_find_the_case_and_the_full_number_opens_it(
        page: Page, site: Site) -> None:
    """Eight characters of the number list the case (pseudonym shown for a pupil without a registered name);
    the full number goes straight to the dossier, as the old dossier-number box did.
    """
    case_id = site.open_opp()
    site.sign_in(page, "zc")
    _search(page, case_id[:8])
    expect(page.locator(f'table.zoekresultaten a[href="/dossiers/{case_id}"]')).to_have_count(1)
    expect(page.locator("table.zoekresultaten")).to_contain_text("(pseudoniem)")
    _search(page, case_id)
    expect(page).to_have_url(site.url(f"/dossiers/{case_id}"))


def test_leerplicht_finds_its_thuiszitter_by_name_but_not_a_resident_without_a_thuiszitter_case(
        page: Page, site: Site) -> None:
    """Both pupils live in 0957; only the one with a thuiszitter case is found, by name, with the name."""
    family = _family_name()
    at_home = _registered_pupil(site, "Sam", family)
    site.open_case("thuiszitter", "meld_thuiszitter", {"soort": "relatief", "sinds": "2026-08-24"}, at_home)
    other_family = _family_name()
    site.open_opp(pupil=_registered_pupil(site, "Sam", other_family))
    site.sign_in(page, "leerplicht")
    _search(page, f"Sam {family}")
    results = page.locator("table.zoekresultaten")
    expect(results.locator("tbody tr")).to_have_count(1)
    expect(results).to_contain_text(f"Sam {family}")
    _search(page, other_family)
    expect(page.get_by_role("status")).to_contain_text("Niets gevonden")


def test_a_query_with_characters_no_name_or_number_has_is_refused_in_dutch(page: Page, site: Site) -> None:
    """'<script>' and a single letter are explained, not searched (and not audited: nothing was read)."""
    site.sign_in(page, "zc")
    before = len(_find_entries(site, "zc"))
    _search(page, "<script>")
    expect(page.locator("#zoekterm-fout")).to_contain_text("alleen letters, cijfers, spaties")
    expect(page.get_by_label("Naam, leerling-id, dossiernummer of school")).to_have_attribute("aria-invalid", "true")
    _search(page, "a")
    expect(page.locator("#zoekterm-fout")).to_have_text(
        "Vul minstens 2 tekens in om te zoeken: een naam, leerling-id, dossiernummer of schoolnaam.")
    assert len(_find_entries(site, "zc")) == before
