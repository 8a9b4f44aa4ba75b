"""CSV imports cannot take over or reveal another school's pupils, and every malformed file is a Dutch 422.

- a zorgcoördinator's pupil file naming a pupil id registered at another school is refused as a whole;
  the pupil keeps their school, residence and identity;
- that refusal reads exactly as the one for an id that only another school's trajectory names (no
  registered pupil at all), so it does not say that a pupil with that id is registered, let alone where;
- the counts of an accepted file only concern pupils the importer may read; an admin keeps the full import;
- two schools importing the same fresh id at once: one registers it, the other is refused, and the pupil is
  the winner's (no interleaving moves it);
- a zorgcoördinator cannot enroll another school's pupil at their own school to record absence for them;
- a row with more cells than the header, a birth date that is not ``JJJJ-MM-DD`` in a sane window, a
  cell too long (also one over Python's csv field limit) are each a 422 naming the line, and nothing is
  written; a file with CR-only line endings (Excel for Mac) imports as any other.
"""

from __future__ import annotations

import threading
import uuid
from typing import Any

import httpx
import pytest

from tests.api.conftest import RunningApi, bearer
from tests.api.test_cases_api import problem

CSV = {"Content-Type": "text/csv"}
PUPIL_HEADER = "leerling_id,school,woongemeente,geboortedatum,voornaam,achternaam,bsn"
OWN = "14PS03"
"""A school of the ``zorgcoordinator`` account."""
ELSEWHERE = "20XY00"
"""The school of the ``zc_elsewhere`` account."""


def _post(api: httpx.Client, path: str, content: str, who: str) -> httpx.Response:
    return api.post(path, content=content, headers={**bearer(who), **CSV})


def _import(api: httpx.Client, kind: str, *rows: str, who: str = "admin") -> httpx.Response:
    return _post(api, f"/imports/{kind}", "\n".join(rows) + "\n", who)


def _verzuim(api: httpx.Client, kind: str, *rows: str, who: str = "admin") -> httpx.Response:
    return _post(api, f"/verzuim/imports/{kind}", "\n".join(rows) + "\n", who)


def _reference(api: httpx.Client) -> None:
    assert _import(api, "gemeenten", "cbs_code,naam", "0957,Roermond", "0935,Maastricht").status_code == 200
    assert _import(api, "swvs", "code,naam,sector", "VO3102,SWV VO,vo").status_code == 200
    assert _import(api, "scholen", "brin,naam,swv,soort,gemeente,vakantieregio",
                   f"{OWN},School A,VO3102,vo,0957,zuid", f"{ELSEWHERE},School Elders,VO3102,vo,0935,zuid",
                   ).status_code == 200


def _fresh() -> str:
    return f"lln-{uuid.uuid4().hex[:10]}"


def _registered_elsewhere(api: httpx.Client) -> str:
    """A pupil registered at 20XY00 by an admin: Eva Visser, living in Maastricht."""
    _reference(api)
    pupil_id = _fresh()
    assert _import(api, "leerlingen", PUPIL_HEADER,
                   f"{pupil_id},{ELSEWHERE},0935,2012-05-06,Eva,Visser,111222333").status_code == 200
    return pupil_id


def _record(api: httpx.Client, pupil_id: str, who: str) -> httpx.Response:
    return api.get(f"/pupils/{pupil_id}/record", headers=bearer(who))


def _open_case(api: httpx.Client, pupil_id: str, school: str, who: str) -> None:
    opened = api.post("/cases", json={"pathway": "opp", "school_brin": school, "pupil_id": pupil_id,
                                      "payload": {"extra_ondersteuning_sinds": "2026-09-01"}}, headers=bearer(who))
    assert opened.status_code == httpx.codes.CREATED, opened.text


def _takeover(pupil_id: str) -> str:
    return f"{pupil_id},{OWN},0957,2013-01-01,Mallory,Kaper,"


def test_a_zorgcoordinator_cannot_take_over_another_schools_pupil(api: httpx.Client) -> None:
    """A 14PS03 file naming a 20XY00 pupil is refused as a whole (its fresh row is not imported either); the
    pupil keeps school, residence and identity, and stays out of the importer's sight.
    """
    pupil_id = _registered_elsewhere(api)
    fresh = _fresh()
    response = _import(api, "leerlingen", PUPIL_HEADER, f"{fresh},{OWN},0957,2013-01-01,Sam,Jansen,",
                       _takeover(pupil_id), who="zorgcoordinator")
    body = problem(response, 422, "import-rejected")
    assert [(e["line"], e["column"]) for e in body["errors"]] == [(3, "leerling_id")]
    assert f"regel 3, kolom leerling_id: leerling-id {pupil_id} kan niet door deze school worden geïmporteerd" in (
        body["detail"])
    assert _record(api, fresh, "zorgcoordinator").status_code == 404
    assert _record(api, pupil_id, "zorgcoordinator").status_code == 404
    kept = _record(api, pupil_id, "zc_elsewhere").json()
    assert (kept["school_brin"], kept["residence_cbs"], kept["birth_year"]) == (ELSEWHERE, "0935", 2012)
    assert kept["identity"] == {"given_name": "Eva", "family_name": "Visser", "bsn": "111222333",
                                "birth_date": "2012-05-06"}


def test_the_refusal_does_not_tell_a_registered_pupil_from_an_id_another_schools_trajectory_uses(
        api: httpx.Client) -> None:
    """An id registered at 20XY00 and an id only a 20XY00 trajectory names (no pupil registered) get the same
    response, word for word but the id; neither id becomes registered.
    """
    registered = _registered_elsewhere(api)
    named = _fresh()
    _open_case(api, named, ELSEWHERE, "zc_elsewhere")
    first = _import(api, "leerlingen", PUPIL_HEADER, _takeover(registered), who="zorgcoordinator")
    second = _import(api, "leerlingen", PUPIL_HEADER, _takeover(named), who="zorgcoordinator")
    assert first.status_code == second.status_code == 422
    assert first.headers["content-type"] == second.headers["content-type"]
    assert first.text.replace(registered, "ID") == second.text.replace(named, "ID")
    assert _record(api, named, "zc_elsewhere").status_code == 404
    assert _record(api, registered, "zc_elsewhere").json()["school_brin"] == ELSEWHERE


def test_counts_only_concern_own_pupils_and_an_admin_keeps_the_full_import(api: httpx.Client) -> None:
    """A zorgcoördinator adds a new id and an id their own trajectory names, then updates both (pupils they
    read anyway); an admin may still move a pupil between schools by import.
    """
    _reference(api)
    new, own_case = _fresh(), _fresh()
    _open_case(api, own_case, OWN, "zorgcoordinator")
    rows = (PUPIL_HEADER, f"{new},{OWN},0957,2013-01-01,Sam,Jansen,", f"{own_case},{OWN},0957,2013-02-02,Kim,Bos,")
    assert _import(api, "leerlingen", *rows, who="zorgcoordinator").json() == {
        "kind": "leerlingen", "added": 2, "updated": 0}
    assert _import(api, "leerlingen", *rows, who="zorgcoordinator").json() == {
        "kind": "leerlingen", "added": 0, "updated": 2}
    moved = _import(api, "leerlingen", PUPIL_HEADER, f"{new},{ELSEWHERE},0935,2013-01-01,Sam,Jansen,")
    assert moved.json() == {"kind": "leerlingen", "added": 0, "updated": 1}
    assert _record(api, new, "zc_elsewhere").json()["school_brin"] == ELSEWHERE


def test_two_schools_importing_one_fresh_id_at_once_cannot_both_have_it(running_api: RunningApi,
                                                                         api: httpx.Client) -> None:
    """For each of eight fresh ids, both schools import it at the same moment: exactly one is answered 200,
    the other 422, and the pupil is registered as the winner sent it.
    """
    _reference(api)
    ids = [_fresh() for _ in range(8)]
    rows = {"zorgcoordinator": (OWN, "0957", "Sam"), "zc_elsewhere": (ELSEWHERE, "0935", "Eva")}
    results: dict[tuple[str, str], int] = {}
    barrier = threading.Barrier(2)

    def run(who: str) -> None:
        school, residence, name = rows[who]
        with httpx.Client(base_url=running_api.base_url, timeout=30.0) as client:
            for pupil_id in ids:
                barrier.wait()
                response = _import(client, "leerlingen", PUPIL_HEADER,
                                   f"{pupil_id},{school},{residence},2013-01-01,{name},Jansen,", who=who)
                results[who, pupil_id] = response.status_code

    threads = [threading.Thread(target=run, args=(who,)) for who in rows]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for pupil_id in ids:
        answers = {who: results[who, pupil_id] for who in rows}
        assert sorted(answers.values()) == [200, 422], answers
        winner = next(who for who, code in answers.items() if code == 200)
        record = _record(api, pupil_id, winner).json()
        assert (record["school_brin"], record["residence_cbs"], record["identity"]["given_name"]) == (
            rows[winner][0], rows[winner][1], rows[winner][2])


def _unknown_text(response: httpx.Response, pupil_id: str) -> list[dict[str, Any]]:
    body = problem(response, 422, "import-rejected")
    return [{**e, "detail": e["detail"].replace(pupil_id, "ID")} for e in body["errors"]]


def test_a_zorgcoordinator_cannot_enroll_another_schools_pupil_to_record_their_absence(
        api: httpx.Client) -> None:
    """A 20XY00 pupil who was at 14PS03 in August: 14PS03 cannot enroll them again (refused as an unknown id
    is, by file and by API) nor record absence on a 20XY00 day (without naming that school), but may still
    record the uitschrijving of its own enrollment.
    """
    pupil_id = _registered_elsewhere(api)
    assert _verzuim(api, "inschrijvingen", "leerling_id,school,eerste_dag,laatste_dag",
                    f"{pupil_id},{OWN},2026-08-24,", f"{pupil_id},{ELSEWHERE},2026-08-31,").status_code == 200
    header = "leerling_id,school,eerste_dag,laatste_dag"
    unknown = _fresh()
    enrolled = _verzuim(api, "inschrijvingen", header, f"{pupil_id},{OWN},2026-09-01,", who="zorgcoordinator")
    missing = _verzuim(api, "inschrijvingen", header, f"{unknown},{OWN},2026-09-01,", who="zorgcoordinator")
    assert _unknown_text(enrolled, pupil_id) == _unknown_text(missing, unknown)
    by_api = api.post("/enrollments", json={"pupil_id": pupil_id, "school_brin": OWN, "first_day": "2026-09-01"})
    missing_by_api = api.post("/enrollments", json={"pupil_id": unknown, "school_brin": OWN,
                                                    "first_day": "2026-09-01"})
    assert problem(by_api, 404, "pupil-not-registered")["detail"].replace(pupil_id, "ID") == (
        problem(missing_by_api, 404, "pupil-not-registered")["detail"].replace(unknown, "ID"))
    absence = _verzuim(api, "verzuim", "leerling_id,datum,uren,geoorloofd,reden", f"{pupil_id},2026-09-01,6,nee,",
                       who="zorgcoordinator")
    assert ELSEWHERE not in problem(absence, 422, "import-rejected")["detail"]
    left = _verzuim(api, "inschrijvingen", header, f"{pupil_id},{OWN},2026-08-24,2026-08-28", who="zorgcoordinator")
    assert left.json()["updated"] == 1


def test_a_zorgcoordinator_grants_no_vrijstelling_beyond_the_days_the_pupil_was_theirs(api: httpx.Client) -> None:
    """The same 20XY00 pupil, at 14PS03 from 24 to 28 August: a vrijstelling within those days may be
    recorded; one without a last day, or running into the 20XY00 days, would exempt the pupil at 20XY00 and
    is refused (403 by API, a row error by file) without naming that school.
    """
    pupil_id = _registered_elsewhere(api)
    assert _verzuim(api, "inschrijvingen", "leerling_id,school,eerste_dag,laatste_dag",
                    f"{pupil_id},{OWN},2026-08-24,2026-08-28", f"{pupil_id},{ELSEWHERE},2026-08-31,").status_code == 200
    header = "leerling_id,soort,eerste_dag,laatste_dag"
    for last in ("", "2026-09-30"):
        refused = _verzuim(api, "vrijstellingen", header, f"{pupil_id},5b,2026-08-25,{last}", who="zorgcoordinator")
        assert ELSEWHERE not in problem(refused, 422, "import-rejected")["detail"]
        by_api = api.post("/vrijstellingen", json={"pupil_id": pupil_id, "kind": "5b", "first_day": "2026-08-25",
                                                   "last_day": last or None})
        assert ELSEWHERE not in problem(by_api, 403, "out-of-scope")["detail"]
    within = _verzuim(api, "vrijstellingen", header, f"{pupil_id},5b,2026-08-25,2026-08-27", who="zorgcoordinator")
    assert within.status_code == 200, within.text


@pytest.mark.parametrize("cells", ["lln-{id},14PS03,0957,2012-01-31,Sam,Jansen,,extra",
                                   "lln-{id},14PS03,0957,2012-01-31,Sam,Jansen,,"])
def test_a_row_with_more_cells_than_the_header_is_refused(api: httpx.Client, cells: str) -> None:
    """An extra cell (even an empty one) is not dropped silently: 422 naming line 3, nothing imported."""
    _reference(api)
    good, bad = _fresh(), uuid.uuid4().hex[:10]
    response = _import(api, "leerlingen", PUPIL_HEADER, f"{good},{OWN},0957,2012-01-31,Sam,Jansen,",
                       cells.format(id=bad), who="zorgcoordinator")
    body = problem(response, 422, "import-rejected")
    assert [e["line"] for e in body["errors"]] == [3]
    assert "regel 3" in body["detail"]
    assert "meer velden dan de kopregel" in body["detail"]
    assert _record(api, good, "zorgcoordinator").status_code == 404


def test_a_verzuim_row_with_more_cells_than_the_header_is_refused(api: httpx.Client) -> None:
    """The verzuim files read the same way: an extra cell is a 422 naming the line."""
    body = problem(_verzuim(api, "verzuim", "leerling_id,datum,uren,geoorloofd,reden",
                            "lln-1,2026-09-01,2,nee,ziek,toch"), 422, "import-rejected")
    assert "regel 2" in body["detail"]
    assert "meer velden dan de kopregel" in body["detail"]


@pytest.mark.parametrize(("birth", "says"), [
    ("2012-W10-1", "geen datum in de vorm JJJJ-MM-DD"),
    ("2012-063", "geen datum in de vorm JJJJ-MM-DD"),
    ("20120131", "geen datum in de vorm JJJJ-MM-DD"),
    ("2012-02-30", "geen datum in de vorm JJJJ-MM-DD"),
    ("1989-12-31", "ligt vóór 1990"),
    ("2026-09-04", "ligt in de toekomst"),
])
def test_a_birth_date_must_be_a_real_past_day_written_jjjj_mm_dd(api: httpx.Client, birth: str, says: str) -> None:
    """ISO week and ordinal dates, the basic format, impossible days, before 1990 or after today (3 September
    2026): 422 naming line 2 and the column; nothing imported.
    """
    _reference(api)
    pupil_id = _fresh()
    body = problem(_import(api, "leerlingen", PUPIL_HEADER, f"{pupil_id},{OWN},0957,{birth},Sam,Jansen,",
                           who="zorgcoordinator"), 422, "import-rejected")
    assert [(e["line"], e["column"]) for e in body["errors"]] == [(2, "geboortedatum")]
    assert says in body["errors"][0]["detail"]
    assert "regel 2, kolom geboortedatum" in body["detail"]
    assert _record(api, pupil_id, "zorgcoordinator").status_code == 404


def test_a_week_date_is_no_verzuim_day_either(api: httpx.Client) -> None:
    """``2026-W36-1`` is refused in an absence file with the line and column."""
    body = problem(_verzuim(api, "verzuim", "leerling_id,datum,uren,geoorloofd,reden", "lln-1,2026-W36-1,2,nee,"),
                   422, "import-rejected")
    assert [(e["line"], e["column"]) for e in body["errors"]] == [(2, "datum")]


@pytest.mark.parametrize("length", [1_001, 131_073, 300_000])
@pytest.mark.parametrize("quoted", [False, True])
def test_an_overlong_cell_is_a_422_naming_its_line(api: httpx.Client, length: int, quoted: bool) -> None:
    """A cell of more than 1,000 characters, also beyond Python's csv field limit (131,072), quoted or not:
    422 naming line 3; nothing imported.
    """
    _reference(api)
    good, other = _fresh(), _fresh()
    name = f'"{"x" * length}"' if quoted else "x" * length
    response = _import(api, "leerlingen", PUPIL_HEADER, f"{good},{OWN},0957,2012-01-31,Sam,Jansen,",
                       f"{other},{OWN},0957,2012-01-31,{name},Jansen,", who="zorgcoordinator")
    body = problem(response, 422, "import-rejected")
    assert [e["line"] for e in body["errors"]] == [3]
    assert "regel 3" in body["detail"]
    assert len(body["detail"]) < 1_000
    assert _record(api, good, "zorgcoordinator").status_code == 404


def test_an_overlong_header_cell_is_a_422_on_line_1(api: httpx.Client) -> None:
    """The header line is read under the same cap."""
    body = problem(_import(api, "gemeenten", "cbs_code,naam," + "k" * 200_000, "0957,Roermond,x"), 422,
                   "import-rejected")
    assert "regel 1" in body["detail"]
    assert len(body["detail"]) < 1_000


@pytest.mark.parametrize("ending", ["\r", "\r\n", "\n"])
def test_cr_only_line_endings_import_as_any_other(api: httpx.Client, ending: str) -> None:
    """A file written with CR line endings (Excel for Mac's 'CSV (Macintosh)'), CRLF or LF imports the same
    rows with the same values, quoted cells included.
    """
    _reference(api)
    first, second = _fresh(), _fresh()
    content = ending.join([PUPIL_HEADER, f"{first},{OWN},0957,2012-01-31,Sam,Jansen,",
                           f'{second},{OWN},0957,2012-02-01,"Kim","de Bos",', ""])
    response = _post(api, "/imports/leerlingen", content, "zorgcoordinator")
    assert response.json() == {"kind": "leerlingen", "added": 2, "updated": 0}, response.text
    assert _record(api, first, "zorgcoordinator").json()["identity"]["family_name"] == "Jansen"
    assert _record(api, second, "zorgcoordinator").json()["identity"] == {
        "given_name": "Kim", "family_name": "de Bos", "bsn": None, "birth_date": "2012-02-01"}


def test_a_cr_only_verzuim_file_imports_too(api: httpx.Client) -> None:
    """Semicolons and CR line endings in an enrollment file: read as any other."""
    pupil_id = _registered_elsewhere(api)
    content = "\r".join(["leerling_id;school;eerste_dag;laatste_dag", f"{pupil_id};{ELSEWHERE};2026-08-31;", ""])
    response = _post(api, "/verzuim/imports/inschrijvingen", content, "zc_elsewhere")
    assert response.status_code == 200, response.text
    assert response.json()["added"] == 1
