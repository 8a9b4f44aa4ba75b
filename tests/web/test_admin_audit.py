"""The audit log on the admin page, in a real browser: in Dutch words, searched by part of an id, by pupil (with
the reads of that pupil's cases), by date range, paged with its filters, and downloaded as a spreadsheet that is
itself on record; any other role gets the 403 page.
"""

from __future__ import annotations

import csv
import io
import uuid
from datetime import datetime

import pytest
from playwright.sync_api import Page, expect

from domain.access import Principal
from infra.identity import audit
from tests.web.conftest import Site, shot

pytestmark = pytest.mark.browser
ID_FIELD = "Dossiernummer of leerling-id (of een deel)"


def _search(page: Page, kind: str = "case", ident: str = "", since: str = "", until: str = "") -> None:
    page.get_by_label("Zoeken op").select_option(kind)
    page.get_by_label(ID_FIELD).fill(ident)
    page.get_by_label("Van", exact=True).fill(since)
    page.get_by_label("Tot en met").fill(until)
    page.get_by_role("button", name="Zoeken").click()


def _found(page: Page) -> list[str]:
    """The 'Betreft' column of the rows found."""
    return page.get_by_role("table", name="Gevonden regels").locator("tbody tr td:nth-child(6)").all_inner_texts()


def _append(site: Site, resource: str, at: datetime) -> None:
    audit.append(site.service.engine, at=at, user_id=site.people["zc"].user_id, role="zorgcoordinator",
                 action="case.read", resource=resource, purpose="Voor de test", outcome="ok")


def test_a_pupil_search_finds_who_read_that_pupils_case_in_dutch_words(page: Page, site: Site) -> None:
    """Searching the pupil finds the zorgcoördinator's read of the pupil's case (not another pupil's case), as
    'Dossier ingezien' on 'Dossier <id>', 'gelukt', and the read of the pupil's timeline, with no raw code on the
    page.
    """
    pupil, other = f"lln-{uuid.uuid4().hex[:8]}", f"lln-{uuid.uuid4().hex[:8]}"
    mine, theirs = site.open_opp(pupil), site.open_opp(other)
    reader = Principal(site.people["zc"].user_id, "zorgcoordinator", ("14PS03",))
    site.service.read_status(reader, mine, site.clock(), "Zorgoverleg")
    site.service.read_status(reader, theirs, site.clock(), "Zorgoverleg")
    site.service.read_timeline(reader, pupil, site.clock(), None)
    site.sign_in(page, "beheerder")
    page.goto(site.url("/beheer"))

    _search(page, "pupil", pupil)

    table = page.get_by_role("table", name="Gevonden regels")
    read = table.locator("tbody tr", has_text="Dossier ingezien")
    expect(read).to_have_count(1)
    expect(read).to_contain_text("web-zc")
    expect(read).to_contain_text("zorgcoördinator")
    expect(read).to_contain_text(f"Dossier {mine}")
    expect(read).to_contain_text("Zorgoverleg")
    expect(read).to_contain_text("gelukt")
    timeline = table.locator("tbody tr", has_text="Tijdlijn van de leerling ingezien")
    expect(timeline).to_contain_text(f"Leerling {pupil}")
    expect(table).not_to_contain_text(theirs)
    for raw in ("case:", "pupil:", "case.read", "pupil.read", "zorgcoordinator"):
        expect(page.locator("main section", has=page.get_by_role("heading", name="Auditlog"))).not_to_contain_text(raw)
    shot(page, "beheer-auditlog-leerling")


def test_part_of_a_case_id_finds_its_rows_and_a_piece_of_no_id_finds_none(page: Page, site: Site) -> None:
    """The first eight characters of the case id find its read; 'zzzz' finds nothing ('Geen regels gevonden')."""
    case_id = site.open_opp()
    site.service.read_status(Principal(site.people["zc"].user_id, "zorgcoordinator", ("14PS03",)), case_id,
                             site.clock(), None)
    site.sign_in(page, "beheerder")
    page.goto(site.url("/beheer"))
    _search(page, "case", case_id[:8])
    assert set(_found(page)) == {f"Dossier {case_id}"}
    _search(page, "case", "zzzz-zzzz")
    expect(page.get_by_role("status").filter(has_text="Geen regels gevonden")).to_be_visible()


def test_a_date_range_leaves_out_the_rows_outside_it(page: Page, site: Site) -> None:
    """Rows on 1 and 20 October 2026: 'van 2026-10-01 tot en met 2026-10-10' finds only the first."""
    tag = uuid.uuid4().hex[:8]
    _append(site, f"case:periode-{tag}-vroeg", datetime.fromisoformat("2026-10-01T10:00:00+02:00"))
    _append(site, f"case:periode-{tag}-laat", datetime.fromisoformat("2026-10-20T10:00:00+02:00"))
    site.sign_in(page, "beheerder")
    page.goto(site.url("/beheer"))
    _search(page, "case", f"periode-{tag}")
    assert sorted(_found(page)) == [f"Dossier periode-{tag}-laat", f"Dossier periode-{tag}-vroeg"]
    _search(page, "case", f"periode-{tag}", "2026-10-01", "2026-10-10")
    assert _found(page) == [f"Dossier periode-{tag}-vroeg"]
    _search(page, "case", f"periode-{tag}", "2026-10-02", "2026-10-20")
    assert _found(page) == [f"Dossier periode-{tag}-laat"]


def test_dates_outside_the_window_or_in_the_wrong_order_are_refused_in_dutch(page: Page, site: Site) -> None:
    """Before 2000, more than a year ahead, 'van' after 'tot en met': a Dutch error, no rows and no download."""
    site.sign_in(page, "beheerder")
    for since, until, message in (("1999-12-31", "", "tussen 1 januari 2000 en een jaar na vandaag"),
                                  ("", "2031-01-01", "tussen 1 januari 2000 en een jaar na vandaag"),
                                  ("2026-10-10", "2026-10-01", "De datum bij 'van' ligt na de datum bij 'tot en met'")):
        response = page.goto(site.url(f"/beheer?van={since}&tot={until}"))
        assert response is not None
        assert response.status == 422
        expect(page.get_by_role("alert")).to_contain_text(message)
        expect(page.get_by_role("table", name="Gevonden regels")).to_have_count(0)
        expect(page.get_by_role("link", name="Download deze regels")).to_have_count(0)
    refused = page.request.get(site.url("/beheer/auditlog.csv?van=1999-01-01"))
    assert refused.status == 422
    assert "text/html" in refused.headers["content-type"]


def test_paging_keeps_the_filters(page: Page, site: Site) -> None:
    """55 matching rows: the first page holds 50, 'Oudere regels' the other 5, all of the search."""
    tag = uuid.uuid4().hex[:8]
    at = site.clock()
    for n in range(55):
        _append(site, f"case:blad-{tag}-{n:02d}", at)
    site.sign_in(page, "beheerder")
    page.goto(site.url("/beheer"))
    _search(page, "case", f"blad-{tag}")
    assert len(_found(page)) == 50
    page.get_by_role("link", name="Oudere regels").click()
    rest = _found(page)
    assert sorted(rest) == [f"Dossier blad-{tag}-{n:02d}" for n in range(5)]
    expect(page.get_by_label(ID_FIELD)).to_have_value(f"blad-{tag}")


def test_the_found_rows_download_as_a_spreadsheet_with_dutch_headers_and_the_export_is_on_record(
    page: Page, site: Site,
) -> None:
    """The CSV (BOM, ';') holds the search's rows in Dutch words and nothing else; a formula-like purpose is
    neutralised; afterwards the log shows 'Auditlog geëxporteerd' by the admin.
    """
    tag = uuid.uuid4().hex[:8]
    audit.append(site.service.engine, at=site.clock(), user_id=site.people["zc"].user_id, role="zorgcoordinator",
                 action="case.read", resource=f"case:csv-{tag}", purpose='=HYPERLINK("x")', outcome="ok")
    _append(site, f"case:anders-{tag}", site.clock())
    site.sign_in(page, "beheerder")
    page.goto(site.url("/beheer"))
    _search(page, "case", f"csv-{tag}")
    with page.expect_download() as started:
        page.get_by_role("link", name="Download deze regels").click()
    download = started.value
    assert download.suggested_filename.startswith("auditlog-")
    raw = download.path().read_bytes()
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Nr.", "Tijdstip", "Gebruiker", "Gebruiker-id", "Rol", "Handeling", "Betreft", "Doel",
                       "Uitkomst"]
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert (row["Gebruiker"], row["Rol"], row["Handeling"], row["Betreft"], row["Uitkomst"]) == (
        "web-zc", "zorgcoördinator", "Dossier ingezien", f"Dossier csv-{tag}", "gelukt")
    assert row["Doel"] == "'=HYPERLINK(\"x\")"

    page.get_by_label(ID_FIELD).fill("")
    page.get_by_label("Gebruiker", exact=True).select_option(label="web-beheerder")
    page.get_by_role("button", name="Zoeken").click()
    export = page.get_by_role("table", name="Gevonden regels").locator("tbody tr").first
    expect(export).to_contain_text("Auditlog geëxporteerd")
    expect(export).to_contain_text(f"Zoekopdracht in het auditlog (dossier: csv-{tag})")


def test_a_non_admin_gets_the_403_page_for_the_audit_export(page: Page, site: Site) -> None:
    """A coordinator asking for the export directly: 403, and no file."""
    site.sign_in(page, "swv")
    response = page.request.get(site.url("/beheer/auditlog.csv"))
    assert response.status == 403
    assert "text/html" in response.headers["content-type"]
    assert "Geen toegang" in response.text()


def test_signed_out_the_audit_export_sends_to_the_sign_in_page(page: Page, site: Site) -> None:
    """No session: to the sign-in page, no file."""
    page.goto(site.url("/beheer/auditlog.csv"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Inloggen")
