"""Exports from the pages open cleanly in Excel: the monitor's stalled list downloads as a semicolon-separated
UTF-8 file with a byte-order mark, with the monitor's filters applied and every row, not only the page shown.
"""

from __future__ import annotations

import csv
import io

import pytest
from playwright.sync_api import Page, expect

from tests.web.conftest import Site
from tests.web.test_work_pages import _open_opp_days_ago

pytestmark = pytest.mark.browser


def test_the_stalled_list_downloads_as_a_spreadsheet_with_the_monitors_filters(page: Page, site: Site) -> None:
    """Filtered on school 14PS03: our stalled OPP is in the file with its days, another school's is not."""
    ours = _open_opp_days_ago(site, "14PS03", 61)
    theirs = _open_opp_days_ago(site, "20XY00", 81)
    site.sign_in(page, "vo-coordinator")
    page.goto(site.url("/monitor?school=14PS03"))
    with page.expect_download() as started:
        page.get_by_role("link", name="Exporteren naar Excel").click()
    download = started.value
    assert download.suggested_filename.startswith("vastgelopen-routes-")
    raw = download.path().read_bytes()
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:4] == ["dossier", "school", "route", "fase"]
    ids = [r[0] for r in rows[1:]]
    assert ours in ids
    assert theirs not in ids
    mine = next(r for r in rows[1:] if r[0] == ours)
    assert (mine[1], mine[3], mine[5], mine[7]) == ("14PS03", "Concept", "61", "19")
    expect(page.get_by_role("heading", level=1)).to_have_text("Monitor")


def test_the_swv_coordinator_downloads_the_quarterly_register_as_a_spreadsheet(page: Page, site: Site) -> None:
    """The anonymised register of the coordinator's SWV, with the Inspectie's columns, from the monitor page."""
    site.sign_in(page, "vo-coordinator")
    page.goto(site.url("/monitor"))
    with page.expect_download() as started:
        page.get_by_role("link", name="Thuiszitterregister VO3102").click()
    raw = started.value.path().read_bytes()
    assert raw.startswith("\ufeff".encode())
    header = next(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert header[:4] == ["volgnummer", "leerling", "soort", "plicht"]


def test_a_zorgcoordinator_gets_no_register(page: Page, site: Site) -> None:
    """The register is the SWV's: the zorgcoördinator sees no link and is refused the file."""
    site.sign_in(page, "zc")
    page.goto(site.url("/monitor"))
    expect(page.get_by_role("link", name="Thuiszitterregister")).to_have_count(0)
    response = page.request.get(site.url("/monitor/thuiszitterregister.csv?swv=VO3102&kwartaal=2026Q3"))
    assert response.status == 403


def test_the_worklist_downloads_most_urgent_first_with_its_filters(page: Page, site: Site) -> None:
    """The zorgcoördinator's worklist, filtered on passed deadlines, as a spreadsheet: an OPP whose six weeks
    passed is in it with its deadline by name and a negative number of days left.
    """
    late = site.open_case("opp", "start_opp", {"extra_ondersteuning_sinds": "2026-06-01"})
    site.sign_in(page, "zc")
    page.goto(site.url("/werklijst?te_laat=1"))
    with page.expect_download() as started:
        page.get_by_role("link", name="Exporteren naar Excel").click()
    raw = started.value.path().read_bytes()
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["dossier", "leerling", "school"]
    mine = next(r for r in rows[1:] if r[0] == late)
    assert mine[5].startswith("OPP binnen 6 weken")
    assert int(mine[7]) < 0
    assert all(int(r[7]) < 0 for r in rows[1:])
