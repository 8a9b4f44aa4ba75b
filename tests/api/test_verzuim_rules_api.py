"""Issue 15 items 1-3 through HTTP, on SQLite and PostgreSQL: a pupil who skips one lesson of six every day
for five school weeks raises meldplicht alerts but is no thuiszitter; a 17-year-old without startkwalificatie
absent five school weeks is a thuiszitter by default, registered under kwalificatieplicht; a pupil at home
'in overleg' for five school weeks is a hidden thuiszitter in the register and the SWV coordinator's inbox
(not leerplicht's); absence categories form a closed list.
"""

from __future__ import annotations

import uuid
from datetime import date

import httpx

from tests.api.conftest import ControllableClock, bearer
from tests.api.test_cases_api import problem
from tests.api.test_verzuim_api import (
    ADMIN,
    SCHOOL,
    _import,
    _reference,
    alerts_of,
    at,
    detect,
    pupil,
    register_of,
    weekdays,
)

FIRST_MONDAY = date(2026, 9, 7)
LAST_FRIDAY = date(2026, 10, 9)
"""Five school weeks at a zuid school (its herfstvakantie starts 17 October)."""
AFTER_WEEK_FIVE = date(2026, 10, 10)
"""The Saturday after: every episode still open."""


def absences(api: httpx.Client, clock: ControllableClock, pupil_id: str, *, hours: float, authorized: bool,
             kind: str, scheduled: float = 6) -> None:
    clock.set(at(LAST_FRIDAY, 19))
    rows = ["leerling_id,datum,uren,geoorloofd,reden,categorie,rooster_uren",
            *(f"{pupil_id},{d},{hours:g},{'ja' if authorized else 'nee'},vrije tekst,{kind},{scheduled:g}"
              for d in weekdays(FIRST_MONDAY, LAST_FRIDAY))]
    response = _import(api, "/verzuim/imports/verzuim", rows)
    assert response.status_code == 200, response.text


def test_one_lesson_of_six_every_day_for_five_weeks_raises_meldplicht_but_no_thuiszitter(
        api: httpx.Client, clock: ControllableClock) -> None:
    lln = pupil(api)
    absences(api, clock, lln, hours=1, authorized=False, kind="spijbelen")
    detect(api, clock, AFTER_WEEK_FIVE, lln)
    assert alerts_of(api, "zorgcoordinator", lln, "meldplicht") != []
    assert alerts_of(api, "leerplicht", lln, "thuiszitter") == []
    assert alerts_of(api, "swv_coordinator", lln, "dreigend_thuiszitter") == []
    assert register_of(api, "admin", lln) == []


def test_six_lessons_of_six_every_day_for_five_weeks_make_a_thuiszitter(
        api: httpx.Client, clock: ControllableClock) -> None:
    lln = pupil(api)
    absences(api, clock, lln, hours=6, authorized=False, kind="spijbelen")
    detect(api, clock, AFTER_WEEK_FIVE, lln)
    assert [a["kind"] for a in alerts_of(api, "leerplicht", lln, "thuiszitter")] == ["thuiszitter"]
    [row] = register_of(api, "admin", lln)
    assert (row["kind"], row["duty"]) == ("relatief", "leerplicht")


def test_a_17_year_old_without_startkwalificatie_absent_five_weeks_is_a_thuiszitter_by_default(
        api: httpx.Client, clock: ControllableClock) -> None:
    lln = pupil(api, birth="2009-05-01")
    absences(api, clock, lln, hours=6, authorized=False, kind="spijbelen")
    detect(api, clock, AFTER_WEEK_FIVE, lln)
    assert len(alerts_of(api, "leerplicht", lln, "thuiszitter")) == 1
    [row] = register_of(api, "admin", lln)
    assert (row["kind"], row["duty"]) == ("relatief", "kwalificatieplicht")


def test_a_17_year_old_with_a_startkwalificatie_in_the_pupil_import_is_no_thuiszitter(
        api: httpx.Client, clock: ControllableClock) -> None:
    _reference(api)
    lln = f"lln-{uuid.uuid4().hex[:10]}"
    rows = ["leerling_id,school,woongemeente,geboortedatum,voornaam,achternaam,startkwalificatie",
            f"{lln},{SCHOOL},0957,2009-05-01,Sam,Jansen,2026-07-10"]
    assert _import(api, "/imports/leerlingen", rows).status_code == 200
    enrolled = api.post("/enrollments", json={"pupil_id": lln, "school_brin": SCHOOL, "first_day": "2026-08-24"},
                        headers=ADMIN)
    assert enrolled.status_code == 201, enrolled.text
    absences(api, clock, lln, hours=6, authorized=False, kind="spijbelen")
    detect(api, clock, AFTER_WEEK_FIVE, lln)
    assert alerts_of(api, "leerplicht", lln) == []
    assert register_of(api, "admin", lln) == []


def test_a_startkwalificatie_in_the_future_is_refused_naming_the_column(api: httpx.Client) -> None:
    _reference(api)
    rows = ["leerling_id,school,woongemeente,geboortedatum,voornaam,achternaam,startkwalificatie",
            f"lln-{uuid.uuid4().hex[:10]},{SCHOOL},0957,2009-05-01,Sam,Jansen,2099-07-10"]
    response = _import(api, "/imports/leerlingen", rows)
    assert response.status_code == 422
    assert "startkwalificatie" in response.text


def test_a_pupil_thuis_in_overleg_for_five_weeks_is_a_hidden_thuiszitter_for_the_swv(
        api: httpx.Client, clock: ControllableClock) -> None:
    lln = pupil(api)
    absences(api, clock, lln, hours=6, authorized=True, kind="thuis_in_overleg")
    detect(api, clock, AFTER_WEEK_FIVE, lln)
    [alert] = alerts_of(api, "swv_coordinator", lln, "verborgen_thuiszitter")
    assert "Verborgen thuiszitter" in alert["title"]
    assert alerts_of(api, "leerplicht", lln) == []
    [row] = register_of(api, "swv_coordinator", lln)
    assert (row["kind"], row["category"]) == ("verborgen", "verborgen 4 weken–3 maanden")
    assert [a["actie"] for a in row["actions"]] == ["verborgen_gemeld"]


def test_the_monitor_shows_hidden_thuiszitters_to_the_swv_and_the_school_not_to_another_swv(
        api: httpx.Client, clock: ControllableClock) -> None:
    lln = pupil(api)
    absences(api, clock, lln, hours=6, authorized=True, kind="wacht_op_plek")
    detect(api, clock, AFTER_WEEK_FIVE, lln)
    for who in ("swv_coordinator", "zorgcoordinator"):
        response = api.get("/monitor/hidden-thuiszitters", params={"limit": 1000}, headers=bearer(who))
        assert response.status_code == 200, response.text
        [row] = [r for r in response.json()["items"] if r["pupil_id"] == lln]
        assert (row["first_day"], row["school_weeks"], row["duty"]) == ("2026-09-07", 5, "leerplicht")
    elsewhere = api.get("/monitor/hidden-thuiszitters", params={"limit": 1000}, headers=bearer("swv_elsewhere"))
    assert [r for r in elsewhere.json()["items"] if r["pupil_id"] == lln] == []
    problem(api.get("/monitor/hidden-thuiszitters", headers=bearer("leerplicht")), 403, "role-not-allowed")


def test_ill_for_five_weeks_is_no_hidden_thuiszitter(api: httpx.Client, clock: ControllableClock) -> None:
    lln = pupil(api)
    absences(api, clock, lln, hours=6, authorized=True, kind="ziek")
    detect(api, clock, AFTER_WEEK_FIVE, lln)
    assert alerts_of(api, "swv_coordinator", lln) == []
    assert register_of(api, "admin", lln) == []


def test_an_absence_category_outside_the_list_is_refused_naming_the_list(
        api: httpx.Client, clock: ControllableClock) -> None:
    lln = pupil(api)
    clock.set(at(LAST_FRIDAY, 19))
    body = {"pupil_id": lln, "day": "2026-09-07", "hours": 6, "authorized": True, "reason_kind": "vakantie"}
    problem(api.post("/absences", json=body, headers=ADMIN), 422, "invalid-request")
    rows = ["leerling_id,datum,uren,geoorloofd,categorie", f"{lln},2026-09-07,6,ja,vakantie"]
    response = _import(api, "/verzuim/imports/verzuim", rows)
    assert response.status_code == 422
    assert "thuis_in_overleg" in response.text


def test_an_absence_with_its_category_and_timetable_is_recorded_through_the_api(
        api: httpx.Client, clock: ControllableClock) -> None:
    lln = pupil(api)
    clock.set(at(LAST_FRIDAY, 19))
    body = {"pupil_id": lln, "day": "2026-09-07", "hours": 6, "authorized": True, "reason": "afspraak knooppunt",
            "reason_kind": "thuis_knooppunt", "scheduled_hours": 6}
    response = api.post("/absences", json=body, headers=bearer("admin"))
    assert response.status_code == 201, response.text
    too_few = {**body, "day": "2026-09-08", "scheduled_hours": 4}
    problem(api.post("/absences", json=too_few, headers=ADMIN), 422, "record-rejected")
