"""Verzuim and thuiszitters through HTTP, under instants the tests pass in (issue 6).

- a pupil absent from a Monday is a thuiszitter only after 4 school weeks, and an autumn holiday in
  between moves that a week (a school with its own herfstvakantie elsewhere does not move);
- the thuiszitter alert goes only to the leerplicht of the municipality where the pupil lives, once however
  often detection runs, and not a second time from the case the detection opened;
- returning to school ends the episode in the register; 16 + 16 hours give two meldplicht alerts;
- a CSV file with one bad row imports nothing; recording respects the user's schools;
- the quarterly export has no names, BSN, birth dates or ids; the register refuses DELETE in the database.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, delete, text, update
from sqlalchemy.exc import DatabaseError
from typer.testing import CliRunner

from domain.durations import NL
from infra.settings import Settings
from infra.store.verzuim_tables import thuiszitter_episodes
from run.cli import app as cli
from service import Service
from tests.api.conftest import ControllableClock, RunningApi, bearer
from tests.api.test_cases_api import problem

ADMIN = bearer("admin")
CSV = {"Content-Type": "text/csv"}
SCHOOL = "14PS03"
"""A VO school in Roermond (0957), region zuid: herfstvakantie 17-25 October 2026."""
OWN_HOLIDAY_SCHOOL = "31VZ01"
"""A VO school in region zuid that holds its herfstvakantie in November (its own holidays)."""
ENROLLED_FROM = date(2026, 8, 24)


@pytest.fixture
def service(running_api: RunningApi) -> Iterator[Service]:
    """A second service on the API's database: it runs the alert feed the relay flow runs."""
    made = Service.from_settings(Settings(database_url=running_api.database.url))
    yield made
    made.engine.dispose()


def at(day: date, hour: int = 8) -> datetime:
    """``hour`` o'clock Dutch time on ``day``."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=NL)


def weekdays(first: date, last: date) -> list[date]:
    days = (first + timedelta(days=n) for n in range((last - first).days + 1))
    return [day for day in days if day.weekday() < 5]


def _import(api: httpx.Client, path: str, rows: list[str], who: str = "admin") -> httpx.Response:
    return api.post(path, content="\n".join(rows) + "\n", headers={**bearer(who), **CSV})


def _reference(api: httpx.Client) -> None:
    for kind, rows in (("gemeenten", ["cbs_code,naam", "0957,Roermond", "0935,Maastricht"]),
                       ("swvs", ["code,naam,sector", "VO3102,SWV VO,vo"]),
                       ("scholen", ["brin,naam,swv,soort,gemeente,vakantieregio",
                                    f"{SCHOOL},School A,VO3102,vo,0957,zuid",
                                    f"{OWN_HOLIDAY_SCHOOL},School V,VO3102,vo,0957,zuid"])):
        assert _import(api, f"/imports/{kind}", rows).status_code == 200


def pupil(api: httpx.Client, school: str = SCHOOL, residence: str = "0957", birth: str = "2013-03-01") -> str:
    """A new registered pupil (Sam Jansen, BSN 111222333), enrolled at ``school`` since 24 August 2026."""
    _reference(api)
    pupil_id = f"lln-{uuid.uuid4().hex[:10]}"
    rows = ["leerling_id,school,woongemeente,geboortedatum,voornaam,achternaam,bsn",
            f"{pupil_id},{school},{residence},{birth},Sam,Jansen,111222333"]
    assert _import(api, "/imports/leerlingen", rows).status_code == 200
    enrolled = api.post("/enrollments", json={"pupil_id": pupil_id, "school_brin": school,
                                              "first_day": ENROLLED_FROM.isoformat()}, headers=ADMIN)
    assert enrolled.status_code == 201, enrolled.text
    return pupil_id


def absent(api: httpx.Client, clock: ControllableClock, pupil_id: str, first: date, last: date,
           hours: float = 6) -> dict[str, Any]:
    """Record unauthorised absence on every weekday from ``first`` to ``last`` (CSV, that evening)."""
    clock.set(at(last, 19))
    rows = ["leerling_id,datum,uren,geoorloofd,reden", *(f"{pupil_id},{d},{hours:g},nee,spijbelen"
                                                         for d in weekdays(first, last))]
    response = _import(api, "/verzuim/imports/verzuim", rows)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def detect(api: httpx.Client, clock: ControllableClock, as_of: date, *pupil_ids: str) -> dict[str, Any]:
    """Run detection as of ``as_of`` (at 06:00 that day, as the flow does) for these pupils."""
    clock.set(at(as_of, 6))
    response = api.post("/verzuim/detect", json={"as_of": as_of.isoformat(), "pupil_ids": list(pupil_ids)},
                        headers=ADMIN)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def alerts_of(api: httpx.Client, who: str, pupil_id: str, kind: str | None = None) -> list[dict[str, Any]]:
    """The alerts about ``pupil_id`` in ``who``'s inbox (of ``kind``)."""
    response = api.get("/alerts", params={"state": "all", "limit": 500}, headers=bearer(who))
    assert response.status_code == 200, response.text
    return [a for a in response.json()["items"] if a["pupil_id"] == pupil_id and kind in (None, a["kind"])]


def register_of(api: httpx.Client, who: str, pupil_id: str) -> list[dict[str, Any]]:
    response = api.get("/thuiszitters/register", params={"from": "2026-08-01", "to": "2027-07-31"},
                       headers=bearer(who))
    assert response.status_code == 200, response.text
    return [row for row in response.json()["items"] if row["pupil_id"] == pupil_id]


def test_a_pupil_absent_from_a_monday_is_a_thuiszitter_only_after_four_school_weeks(
        api: httpx.Client, clock: ControllableClock) -> None:
    """Absent from Monday 7 September: dreigend after 2 weeks (zorgcoördinator and SWV); after 4 complete
    weeks still nothing for leerplicht; the alert comes once Monday 5 October, the first day of week 5, is over.
    """
    lln = pupil(api)
    absent(api, clock, lln, date(2026, 9, 7), date(2026, 10, 2))
    assert detect(api, clock, date(2026, 10, 5), lln)["raised"] == []
    assert alerts_of(api, "leerplicht", lln) == []
    assert [a["kind"] for a in alerts_of(api, "zorgcoordinator", lln, "dreigend_thuiszitter")] == [
        "dreigend_thuiszitter"]
    assert len(alerts_of(api, "swv_coordinator", lln, "dreigend_thuiszitter")) == 1

    clock.set(at(date(2026, 10, 5), 18))
    recorded = api.post("/absences", json={"pupil_id": lln, "day": "2026-10-05", "hours": 6, "authorized": False},
                        headers=ADMIN)
    assert recorded.status_code == 201, recorded.text
    assert "thuiszitter" not in [r["kind"] for r in recorded.json()["raised"]]
    ran = detect(api, clock, date(2026, 10, 6), lln)
    assert [(r["kind"], r["audience_role"]) for r in ran["raised"]] == [("thuiszitter", "leerplicht")]
    [alert] = alerts_of(api, "leerplicht", lln)
    assert alert["audience_scope"] == "0957"
    assert alert["title"] == (f"Thuiszitter (relatief verzuim): leerling {lln}, ingeschreven op school 14PS03, is "
                              "sinds 7 september 2026 ongeoorloofd afwezig zonder vrijstelling: meer dan 4 schoolweken "
                              "op 5 oktober 2026.")
    assert alert["case_id"] is not None
    assert "Jansen" not in str(alert)


def test_an_autumn_holiday_moves_the_thuiszitter_alert_a_week_later(api: httpx.Client,
                                                                     clock: ControllableClock) -> None:
    """Both absent from Monday 28 September. At the school with the herfstvakantie of 17-25 October the
    thuiszitter is reached on 2 November; at a school that moved its herfstvakantie to November (its own
    holidays) on 26 October, a week earlier.
    """
    _reference(api)
    moved = api.put(f"/schools/{OWN_HOLIDAY_SCHOOL}/holidays", headers=ADMIN, json=[
        {"name": "herfstvakantie", "first_day": "2026-11-07", "last_day": "2026-11-15"}])
    assert moved.status_code == 200, moved.text
    assert moved.json()["holidays"] == [{"name": "herfstvakantie", "first_day": "2026-11-07",
                                         "last_day": "2026-11-15"}]
    holiday, own = pupil(api), pupil(api, OWN_HOLIDAY_SCHOOL)
    for lln in (holiday, own):
        absent(api, clock, lln, date(2026, 9, 28), date(2026, 10, 26))
    detect(api, clock, date(2026, 10, 27), holiday, own)
    assert alerts_of(api, "leerplicht", holiday) == []
    assert alerts_of(api, "leerplicht", own)[0]["title"].endswith("meer dan 4 schoolweken op 26 oktober 2026.")

    for lln in (holiday, own):
        absent(api, clock, lln, date(2026, 10, 27), date(2026, 11, 2))
    detect(api, clock, date(2026, 11, 3), holiday, own)
    assert alerts_of(api, "leerplicht", holiday)[0]["title"].endswith("meer dan 4 schoolweken op 2 november 2026.")
    assert len(alerts_of(api, "leerplicht", own, "thuiszitter")) == 1


def test_the_alert_goes_only_to_the_leerplicht_of_the_municipality_where_the_pupil_lives(
        api: httpx.Client, clock: ControllableClock) -> None:
    """The pupil goes to school in Roermond (0957) but lives in Maastricht (0935): Maastricht's leerplicht
    is alerted and sees the register row; Roermond's sees nothing.
    """
    lln = pupil(api, residence="0935")
    absent(api, clock, lln, date(2026, 9, 7), date(2026, 10, 5))
    detect(api, clock, date(2026, 10, 6), lln)
    assert [(a["kind"], a["audience_scope"]) for a in alerts_of(api, "leerplicht_elsewhere", lln)] == [
        ("thuiszitter", "0935")]
    assert alerts_of(api, "leerplicht", lln) == []
    assert [row["kind"] for row in register_of(api, "leerplicht_elsewhere", lln)] == ["relatief"]
    assert register_of(api, "leerplicht", lln) == []


def test_running_detection_ten_times_gives_one_alert_and_one_case(
        api: httpx.Client, clock: ControllableClock, service: Service) -> None:
    """Ten runs, then the alert feed over the case detection opened: leerplicht has one thuiszitter alert,
    the pupil one thuiszitter case; the SWV coordinators hear of the case once.
    """
    lln = pupil(api)
    absent(api, clock, lln, date(2026, 9, 7), date(2026, 10, 9))
    for _ in range(10):
        detect(api, clock, date(2026, 10, 10), lln)
    service.raise_alerts(at(date(2026, 10, 10), 7))
    assert len(alerts_of(api, "leerplicht", lln)) == 1
    cases = api.get("/cases", params={"pupil": lln, "pathway": "thuiszitter"}, headers=bearer("swv_coordinator"))
    assert [c["stage"] for c in cases.json()["items"]] == ["gemeld"]
    assert len(alerts_of(api, "swv_coordinator", lln, "thuiszitter")) == 1


def test_returning_to_school_ends_the_episode_in_the_register(api: httpx.Client, clock: ControllableClock) -> None:
    """Absent 7 September to Friday 9 October, back on Monday 12 October: the register row closes on
    9 October and says what was done.
    """
    lln = pupil(api)
    absent(api, clock, lln, date(2026, 9, 7), date(2026, 10, 9))
    [row] = register_of(api, "swv_coordinator", lln)
    assert (row["first_day"], row["last_day"]) == ("2026-09-07", None)

    detect(api, clock, date(2026, 10, 13), lln)
    [row] = register_of(api, "swv_coordinator", lln)
    assert (row["first_day"], row["last_day"], row["category"]) == ("2026-09-07", "2026-10-09",
                                                                    "relatief 4 weken–3 maanden")
    assert [a["actie"] for a in row["actions"]] == ["dossier_geopend", "gemeld", "beeindigd"]
    assert row["school_weeks"] == 5


def test_sixteen_and_sixteen_hours_give_two_meldplicht_alerts_to_the_zorgcoordinator(
        api: httpx.Client, clock: ControllableClock) -> None:
    """The zorgcoördinator records 8 + 8 lesuren in one week and 8 + 8 the next: each 16 is a meldplicht
    signal, in their inbox as soon as the second absence of each pair is recorded.
    """
    lln = pupil(api)
    clock.set(at(date(2026, 9, 21), 17))
    raised = []
    for day in ("2026-09-07", "2026-09-08", "2026-09-14", "2026-09-15"):
        response = api.post("/absences", json={"pupil_id": lln, "day": day, "hours": 8, "authorized": False,
                                               "reason": "spijbelen"})
        assert response.status_code == 201, response.text
        raised.append([r["kind"] for r in response.json()["raised"]])
    assert raised == [[], ["meldplicht"], [], ["meldplicht"]]
    found = alerts_of(api, "zorgcoordinator", lln, "meldplicht")
    assert sorted(a["facts"]["reached_on"] for a in found) == ["2026-09-08", "2026-09-15"]
    assert {a["audience_scope"] for a in found} == {SCHOOL}
    assert alerts_of(api, "zc_elsewhere", lln) == []


def test_a_csv_file_with_one_bad_row_imports_nothing(api: httpx.Client, clock: ControllableClock) -> None:
    """Two good rows (16 hours) and three bad ones: 422 names line and column of each, no meldplicht is raised,
    and importing the good rows afterwards adds them (so none was written before).
    """
    lln = pupil(api)
    clock.set(at(date(2026, 9, 21), 17))
    good = [f"{lln},2026-09-07,8,nee,spijbelen", f"{lln},2026-09-08,8,nee,spijbelen"]
    rows = ["leerling_id,datum,uren,geoorloofd,reden", *good, f"{lln},2026-09-09,25,nee,",
            "lln-onbekend,2026-09-09,2,nee,", f"{lln},2026-09-30,2,misschien,"]
    body = problem(_import(api, "/verzuim/imports/verzuim", rows), 422, "import-rejected")
    assert [(e["line"], e["column"]) for e in body["errors"]] == [(4, "uren"), (5, "leerling_id"), (6, "geoorloofd")]
    assert "er is niets geïmporteerd" in body["detail"]
    assert alerts_of(api, "zorgcoordinator", lln) == []
    imported = _import(api, "/verzuim/imports/verzuim", ["leerling_id,datum,uren,geoorloofd,reden", *good])
    assert imported.json() == {"kind": "verzuim", "added": 2, "updated": 0, "pupils": 1, "alerts": 1}


def test_recording_is_limited_to_the_users_schools_and_says_what_is_wrong_in_dutch(
        api: httpx.Client, clock: ControllableClock) -> None:
    """Another school's zorgcoördinator does not see the pupil (404); enrolling at a school not yours is 403;
    leerplicht does not record absence (403); absence in the future or while not enrolled is 422.
    """
    lln = pupil(api)
    clock.set(at(date(2026, 9, 21), 17))
    absence = {"pupil_id": lln, "day": "2026-09-14", "hours": 3, "authorized": False}
    assert problem(api.post("/absences", json=absence, headers=bearer("zc_elsewhere")), 404,
                   "pupil-not-registered")
    refused = api.post("/enrollments", json={"pupil_id": lln, "school_brin": "20XY00", "first_day": "2026-09-01"})
    assert "20XY00" in problem(refused, 403, "out-of-scope")["detail"]
    problem(api.post("/absences", json=absence, headers=bearer("leerplicht")), 403, "role-not-allowed")
    future = problem(api.post("/absences", json={**absence, "day": "2026-09-22"}), 422, "record-rejected")
    assert "ligt in de toekomst" in future["detail"]
    before = problem(api.post("/absences", json={**absence, "day": "2026-08-21"}), 422, "record-rejected")
    assert "nergens ingeschreven" in before["detail"]


def test_the_register_is_for_coordinators_leerplicht_and_admins_within_their_scope(
        api: httpx.Client, clock: ControllableClock) -> None:
    """The zorgcoördinator has no register (403); a coordinator of another SWV sees none of VO3102's rows."""
    lln = pupil(api)
    absent(api, clock, lln, date(2026, 9, 7), date(2026, 10, 9))
    problem(api.get("/thuiszitters/register", headers=bearer("zorgcoordinator")), 403, "role-not-allowed")
    assert register_of(api, "swv_elsewhere", lln) == []
    assert len(register_of(api, "admin", lln)) == 1


def test_the_quarterly_export_has_no_names_bsn_birth_dates_or_ids(
        api: httpx.Client, clock: ControllableClock, running_api: RunningApi, monkeypatch: pytest.MonkeyPatch,
        tmp_path: Any) -> None:
    """`leerlingroute thuiszitters export --quarter 2026Q4` writes the documented columns, the episode with
    the birth year only, and nothing that identifies the pupil; the HTTP export says the same.
    """
    lln = pupil(api)
    absent(api, clock, lln, date(2026, 9, 7), date(2026, 10, 9))
    monkeypatch.setenv("LEERLINGROUTE_DATABASE_URL", running_api.database.url)
    monkeypatch.setenv("LEERLINGROUTE_DATA_DIR", str(tmp_path))
    target = tmp_path / "register.csv"
    result = CliRunner().invoke(cli, ["thuiszitters", "export", "--quarter", "2026Q4", "--swv", "VO3102",
                                      "--output", str(target)])
    assert result.exit_code == 0, result.output
    content = target.read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(content)))
    assert list(rows[0]) == ["volgnummer", "leerling", "soort", "plicht", "begin", "einde", "schoolweken", "brin",
                             "swv", "gemeente_cbs", "geboortejaar", "ondernomen_acties"]
    assert {"begin": "2026-09-07", "brin": SCHOOL, "geboortejaar": "2013", "gemeente_cbs": "0957"}.items() <= (
        next(r for r in rows if r["begin"] == "2026-09-07" and r["geboortejaar"] == "2013").items())
    for secret in ("Jansen", "Sam", "111222333", "2013-03-01", lln, "lln-"):
        assert secret not in content
    http = api.get("/thuiszitters/export", params={"quarter": "2026Q4", "swv": "VO3102"}, headers=ADMIN)
    assert http.status_code == 200
    assert http.headers["content-type"].startswith("text/csv")
    assert lln not in http.text
    assert "Jansen" not in http.text


def test_the_register_refuses_delete_and_changes_to_what_an_episode_is(
        api: httpx.Client, clock: ControllableClock, running_api: RunningApi) -> None:
    """In the database itself: DELETE is refused, and so is changing an episode's kind; recording what was
    done (actions) is allowed.
    """
    lln = pupil(api)
    absent(api, clock, lln, date(2026, 9, 7), date(2026, 10, 9))
    engine = create_engine(running_api.database.url)
    mine = thuiszitter_episodes.c.pupil_id == lln
    try:
        with pytest.raises(DatabaseError, match="never deleted"), engine.begin() as conn:
            conn.execute(delete(thuiszitter_episodes).where(mine))
        with pytest.raises(DatabaseError, match="only last_day"), engine.begin() as conn:
            conn.execute(update(thuiszitter_episodes).where(mine).values(kind="absoluut"))
        with engine.begin() as conn:
            assert conn.execute(update(thuiszitter_episodes).where(mine).values(school_weeks=9)).rowcount == 1
        with engine.connect() as conn:
            assert conn.execute(text("SELECT COUNT(*) FROM thuiszitter_episodes WHERE pupil_id = :p"),
                                {"p": lln}).scalar_one() == 1
    finally:
        engine.dispose()
