"""Meldplicht followed through and the SWV consulted, through HTTP (issue 15 items 4-5).

- a meldplicht signal not reported within 5 working days escalates to the school's zorgcoördinator and the
  SWV coordinator, once however often detection runs; a reported one does not; the register counts reports
  in time, late and not made;
- recording the report is the zorgcoördinator's of the pupil's school only, audited, and bad input gets a
  Dutch 422 and changes nothing;
- a thuiszitter alert reaches the zorgcoördinator of the pupil's school;
- in VO 31-02 a vrijstelling 5 onder a without the SWV consulted is refused (alone and in a file); an
  intended one asks the SWV coordinator, whose consultation lets it through and is recorded with it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from infra.settings import Settings
from infra.store.tables import audit_log
from infra.store.verzuim_tables import meldplicht_meldingen, vrijstelling_voornemens, vrijstellingen
from service import Service
from tests.api.conftest import ControllableClock, RunningApi, bearer
from tests.api.test_cases_api import problem
from tests.api.test_verzuim_api import ADMIN, SCHOOL, _import, absent, alerts_of, at, detect, pupil

ESCALATION = "meldplicht_niet_gemeld"
LEERPLICHT = bearer("leerplicht")


@pytest.fixture
def service(running_api: RunningApi) -> Iterator[Service]:
    """A second service on the API's database: it runs the alert feed and reads the tables."""
    made = Service.from_settings(Settings(database_url=running_api.database.url))
    yield made
    made.engine.dispose()


def signal_of(api: httpx.Client, clock: ControllableClock, reached: date, recorded: date | None = None,
              ) -> tuple[str, str]:
    """A new pupil with 8 + 8 lesuren unauthorised on the day before ``reached`` and on it: one meldplicht
    signal, reached on ``reached`` (recorded the day after: the signal exists once its day is over). Its pupil
    and key.
    """
    lln = pupil(api)
    clock.set(at(recorded or date.fromordinal(reached.toordinal() + 1), 8))
    for day in (date.fromordinal(reached.toordinal() - 1), reached):
        response = api.post("/absences", json={"pupil_id": lln, "day": day.isoformat(), "hours": 8,
                                               "authorized": False, "reason": "spijbelen"})
        assert response.status_code == 201, response.text
    [alert] = alerts_of(api, "zorgcoordinator", lln, "meldplicht")
    key: str = alert["facts"]["signal"]
    return lln, key


def report(api: httpx.Client, key: str, on: date, kind: str = "zestien_uur", who: str = "zorgcoordinator",
           ) -> httpx.Response:
    return api.post("/verzuim/meldingen", json={"signal": key, "kind": kind, "reported_on": on.isoformat()},
                    headers=bearer(who))


def counts(api: httpx.Client) -> dict[str, Any]:
    response = api.get("/thuiszitters/register", params={"from": "2026-08-01", "to": "2027-07-31"},
                       headers=bearer("swv_coordinator"))
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()["meldplicht"]
    return found


def indicators(api: httpx.Client) -> tuple[int, int, int]:
    """The monitor's verzuimmeldingen for September 2026 in the SWV coordinator's scope: on time, late, not made."""
    response = api.get("/monitor/indicators", params={"start": "2026-09-01T00:00:00+02:00",
                                                      "end": "2026-10-01T00:00:00+02:00"},
                       headers=bearer("swv_coordinator"))
    assert response.status_code == 200, response.text
    found = response.json()
    return (found["verzuimmeldingen_op_tijd"], found["verzuimmeldingen_te_laat"],
            found["verzuimmeldingen_niet_gedaan"])


def test_an_unreported_meldplicht_signal_escalates_once_after_five_working_days(
        api: httpx.Client, clock: ControllableClock) -> None:
    """Reached Tuesday 8 September: due by Tuesday 15 September. Detection as of the 15th escalates nothing;
    as of the 16th it alerts the zorgcoördinator of the school and the SWV coordinator, once, however often
    it runs (for the pupil or for every candidate); the register counts it as not reported.
    """
    before, shown = counts(api), indicators(api)
    lln, _ = signal_of(api, clock, date(2026, 9, 8))
    detect(api, clock, date(2026, 9, 15), lln)
    assert alerts_of(api, "zorgcoordinator", lln, ESCALATION) == []
    ran = detect(api, clock, date(2026, 9, 16), lln)
    assert sorted((r["kind"], r["audience_role"]) for r in ran["raised"]) == [
        (ESCALATION, "swv_coordinator"), (ESCALATION, "zorgcoordinator")]
    for _ in range(3):
        detect(api, clock, date(2026, 9, 17), lln)
    clock.set(at(date(2026, 9, 18), 6))
    assert api.post("/verzuim/detect", json={"as_of": "2026-09-18"}, headers=ADMIN).status_code == 200
    [school] = alerts_of(api, "zorgcoordinator", lln, ESCALATION)
    assert school["audience_scope"] == SCHOOL
    assert "uiterlijk 15 september 2026 (5 werkdagen) bij DUO moeten melden" in school["title"]
    assert [a["audience_scope"] for a in alerts_of(api, "swv_coordinator", lln, ESCALATION)] == ["VO3102"]
    assert alerts_of(api, "zc_elsewhere", lln) == []
    assert counts(api)["niet_gemeld"] == before["niet_gemeld"] + 1
    assert indicators(api)[2] == shown[2] + 1


def test_absence_recorded_late_gives_the_school_its_working_days_before_escalation_but_counts_late(
        api: httpx.Client, clock: ControllableClock) -> None:
    """Reached Tuesday 8 September, the absence recorded only on Monday 21 September: the alert of that day
    does not escalate at once but after 5 working days (as of Saturday 26 September, not Friday 25); by law the
    report was due on 15 September, so one made now is late.
    """
    lln, key = signal_of(api, clock, date(2026, 9, 8), recorded=date(2026, 9, 21))
    detect(api, clock, date(2026, 9, 25), lln)
    assert alerts_of(api, "zorgcoordinator", lln, ESCALATION) == []
    detect(api, clock, date(2026, 9, 26), lln)
    assert len(alerts_of(api, "zorgcoordinator", lln, ESCALATION)) == 1
    clock.set(at(date(2026, 9, 28), 9))
    assert report(api, key, date(2026, 9, 28)).json()["status"] == "te_laat"


def test_a_signal_reported_in_time_or_late_does_not_escalate_and_the_register_counts_it(
        api: httpx.Client, clock: ControllableClock) -> None:
    """One report on the last working day (in time), one the day after (late): neither escalates; the register
    and the monitor's indicators count one in time and one late.
    """
    before, shown = counts(api), indicators(api)
    in_time, key = signal_of(api, clock, date(2026, 9, 8))
    clock.set(at(date(2026, 9, 15), 16))
    recorded = report(api, key, date(2026, 9, 15))
    assert recorded.status_code == 201, recorded.text
    assert {k: recorded.json()[k] for k in ("due_on", "status", "kind_label")} == {
        "due_on": "2026-09-15", "status": "op_tijd", "kind_label": "16 uur ongeoorloofd verzuim binnen 4 lesweken"}
    late, late_key = signal_of(api, clock, date(2026, 9, 8))
    clock.set(at(date(2026, 9, 16), 5))
    assert report(api, late_key, date(2026, 9, 16)).json()["status"] == "te_laat"
    for _ in range(2):
        detect(api, clock, date(2026, 9, 16), in_time, late)
        detect(api, clock, date(2026, 9, 25), in_time, late)
    assert alerts_of(api, "zorgcoordinator", in_time, ESCALATION) == []
    assert alerts_of(api, "swv_coordinator", late, ESCALATION) == []
    after = counts(api)
    assert (after["op_tijd"] - before["op_tijd"], after["te_laat"] - before["te_laat"],
            after["gemeld"] - before["gemeld"]) == (1, 1, 2)
    now_shown = indicators(api)
    assert (now_shown[0] - shown[0], now_shown[1] - shown[1]) == (1, 1)


def test_recording_a_report_is_the_schools_zorgcoordinators_only_audited_and_bad_input_changes_nothing(
        api: httpx.Client, clock: ControllableClock, service: Service) -> None:
    lln, key = signal_of(api, clock, date(2026, 9, 8))
    clock.set(at(date(2026, 9, 10), 12))
    wrong = problem(report(api, key, date(2026, 9, 9), kind="zestien"), 422, "invalid-command")
    assert wrong["problems"] == [("Soort melding 'zestien' kan niet; kies uit zestien_uur, langdurig_relatief, "
                                 "luxe, achttien_plus, overig.")]
    assert "in de toekomst" in problem(report(api, key, date(2026, 9, 11)), 422, "invalid-command")["detail"]
    assert "vóór de dag" in problem(report(api, key, date(2026, 9, 7)), 422, "invalid-command")["detail"]
    problem(report(api, key, date(2026, 9, 9), who="zc_elsewhere"), 404, "signal-not-found")
    problem(report(api, key, date(2026, 9, 9), who="swv_coordinator"), 403, "role-not-allowed")
    problem(report(api, f"{lln}:meldplicht:{SCHOOL}:2026-09-01:1", date(2026, 9, 9)), 404, "signal-not-found")
    missing = api.post("/verzuim/meldingen", json={"kind": "zestien_uur", "reported_on": "2026-09-09"})
    assert "signal" in problem(missing, 422, "invalid-request")["detail"]
    with service.engine.connect() as conn:
        assert conn.execute(select(meldplicht_meldingen).where(meldplicht_meldingen.c.signal_key == key)).all() == []
    assert report(api, key, date(2026, 9, 9), kind="langdurig_relatief").status_code == 201
    with service.engine.connect() as conn:
        outcomes = conn.execute(select(audit_log.c.outcome).where(
            audit_log.c.action == "verzuim.melding", audit_log.c.resource == f"signal:{key}"[:120])).scalars().all()
    assert sorted(outcomes) == sorted(["invalid-command"] * 3 + ["not-found", "forbidden", "ok"])


def test_a_thuiszitter_alert_reaches_the_zorgcoordinator_of_the_pupils_school(
        api: httpx.Client, clock: ControllableClock, service: Service) -> None:
    """Absent 7 September to 9 October: detection opens the thuiszitter case and alerts leerplicht; the feed
    tells the SWV coordinator and the school that must act, once.
    """
    lln = pupil(api)
    absent(api, clock, lln, date(2026, 9, 7), date(2026, 10, 9))
    detect(api, clock, date(2026, 10, 10), lln)
    for _ in range(2):
        service.raise_alerts(at(date(2026, 10, 10), 7))
    [school] = alerts_of(api, "zorgcoordinator", lln, "thuiszitter")
    assert school["audience_scope"] == SCHOOL
    assert len(alerts_of(api, "leerplicht", lln, "thuiszitter")) == 1
    assert alerts_of(api, "zc_elsewhere", lln) == []


def test_in_vo_31_02_a_5a_is_refused_without_the_swv_consulted_and_accepted_with_it(
        api: httpx.Client, clock: ControllableClock, service: Service) -> None:
    """Leerplicht records a 5a for a pupil at a VO 31-02 school: refused (nothing written); the voornemen asks
    the SWV coordinator, who records the consultation; then the 5a is recorded, with the consultation's day.
    """
    lln = pupil(api)
    clock.set(at(date(2026, 9, 1), 10))
    body = {"pupil_id": lln, "kind": "5a", "first_day": "2026-09-07", "last_day": "2027-07-31"}
    refused = problem(api.post("/vrijstellingen", json=body, headers=LEERPLICHT), 422, "record-rejected")
    assert "SWV-coördinator is geraadpleegd" in refused["detail"]
    proposed = api.post("/vrijstellingen/voornemens", json={"pupil_id": lln, "first_day": "2026-09-07",
                                                            "last_day": "2027-07-31"}, headers=LEERPLICHT)
    assert proposed.status_code == 201, proposed.text
    voornemen = proposed.json()
    assert (voornemen["status"], voornemen["swv_code"], voornemen["raadplegen_uiterlijk"]) == (
        "voorgenomen", "VO3102", "2026-09-15")
    [asked] = alerts_of(api, "swv_coordinator", lln, "vrijstelling_raadpleging")
    assert "uiterlijk 15 september 2026" in asked["title"]
    problem(api.post("/vrijstellingen", json=body, headers=LEERPLICHT), 422, "record-rejected")
    with service.engine.connect() as conn:
        assert conn.execute(select(vrijstellingen).where(vrijstellingen.c.pupil_id == lln)).all() == []
    path = f"/vrijstellingen/voornemens/{voornemen['id']}/raadpleging"
    problem(api.post(path, headers=bearer("swv_elsewhere")), 404, "voornemen-not-found")
    problem(api.post(path, headers=LEERPLICHT), 403, "role-not-allowed")
    clock.set(at(date(2026, 9, 3), 10))
    consulted = api.post(path, headers=bearer("swv_coordinator"))
    assert consulted.json()["geraadpleegd_on"] == "2026-09-03"
    assert len(alerts_of(api, "leerplicht", lln, "vrijstelling_geraadpleegd")) == 1
    granted = api.post("/vrijstellingen", json=body, headers=LEERPLICHT)
    assert granted.status_code == 201, granted.text
    with service.engine.connect() as conn:
        assert conn.execute(select(vrijstellingen.c.swv_geraadpleegd_on).where(
            vrijstellingen.c.pupil_id == lln)).scalar_one() == date(2026, 9, 3)
        assert conn.execute(select(vrijstelling_voornemens.c.status).where(
            vrijstelling_voornemens.c.pupil_id == lln)).scalar_one() == "verleend"


def test_a_file_with_a_5a_without_the_swv_consulted_imports_nothing(
        api: httpx.Client, clock: ControllableClock, service: Service) -> None:
    lln, other = pupil(api), pupil(api)
    clock.set(at(date(2026, 9, 1), 10))
    rows = ["leerling_id,soort,eerste_dag,laatste_dag", f"{other},5b,2026-09-07,2026-09-30",
            f"{lln},5a,2026-09-07,2027-07-31"]
    body = problem(_import(api, "/verzuim/imports/vrijstellingen", rows, who="leerplicht"), 422, "import-rejected")
    assert [(e["line"], e["column"]) for e in body["errors"]] == [(3, "soort")]
    with service.engine.connect() as conn:
        assert conn.execute(select(vrijstellingen).where(vrijstellingen.c.pupil_id.in_([lln, other]))).all() == []
