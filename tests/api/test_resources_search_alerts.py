"""Resources, search, monitoring, alerts and the event stream through HTTP.

- a CSV import with any defect writes nothing and names every defect by line and column;
- case search pages in a stable order without repeats or gaps, and filters combine;
- the indicators count what happened in the period, in scope;
- a passed deadline raises one alert per audience however often the feed runs; acknowledging keeps the
  first acknowledgement; a thuiszitter report reaches the leerplicht of the pupil's municipality only;
- the event stream resumes after ``Last-Event-ID``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from infra.settings import Settings
from service import Service
from tests.api.conftest import DEFAULT_NOW, RunningApi, bearer
from tests.api.test_cases_api import problem

ADMIN = bearer("admin")
CSV = {"Content-Type": "text/csv"}


@pytest.fixture
def service(running_api: RunningApi) -> Iterator[Service]:
    """A second service on the API's database: it runs what the flows run (the alert feed, timers)."""
    made = Service.from_settings(Settings(database_url=running_api.database.url))
    yield made
    made.engine.dispose()


def _import(api: httpx.Client, kind: str, *rows: str, who: str = "admin") -> httpx.Response:
    return api.post(f"/imports/{kind}", content="\n".join(rows) + "\n", headers={**bearer(who), **CSV})


def _open(api: httpx.Client, pathway: str, payload: dict[str, Any], pupil: str | None = None,
          who: str = "zorgcoordinator", school: str = "14PS03") -> str:
    response = api.post("/cases", json={"pathway": pathway, "school_brin": school,
                                        "pupil_id": pupil or f"lln-{uuid.uuid4().hex[:8]}", "payload": payload},
                        headers=bearer(who))
    assert response.status_code == httpx.codes.CREATED, response.text
    case_id: str = response.json()["case_id"]
    return case_id


def _reference(api: httpx.Client) -> None:
    assert _import(api, "gemeenten", "cbs_code,naam", "0957,Roermond", "0935,Maastricht").status_code == 200
    assert _import(api, "swvs", "code,naam,sector", "VO3102,SWV VO,vo").status_code == 200
    assert _import(api, "scholen", "brin,naam,swv,soort,gemeente,vakantieregio",
                   "14PS03,School A,VO3102,vo,0957,zuid").status_code == 200


def test_an_import_with_any_defect_writes_nothing_and_names_each_defect(api: httpx.Client) -> None:
    """Two good rows and three defects: 422 lists line and column of each; neither good row was imported."""
    _reference(api)
    good = f"lln-{uuid.uuid4().hex[:8]}"
    response = _import(api, "leerlingen", "leerling_id,school,woongemeente,geboortedatum,voornaam,achternaam,bsn",
                       f"{good},14PS03,0957,2012-01-31,Sam,Jansen,",
                       "lln-x1,14PS03,957,2012-01-31,Sam,Jansen,",
                       "lln-x2,99ZZ00,0957,31-01-2012,Sam,Jansen,123456789",
                       f"{good},14PS03,0957,2012-01-31,Sam,Jansen,")
    body = problem(response, 422, "import-rejected")
    assert [(e["line"], e["column"]) for e in body["errors"]] == [
        (3, "woongemeente"), (4, "bsn"), (4, "geboortedatum"), (4, "school"), (5, "leerling_id")]
    assert "regel 3, kolom woongemeente" in body["detail"]
    assert "er is niets geïmporteerd" in body["detail"]
    assert api.get(f"/pupils/{good}/record", headers=bearer("zorgcoordinator")).status_code == 404


def test_a_clean_import_adds_and_then_updates_and_accepts_semicolons(api: httpx.Client) -> None:
    """The same file twice: first added, then updated; a semicolon-separated export from a spreadsheet works."""
    _reference(api)
    pupil = f"lln-{uuid.uuid4().hex[:8]}"
    rows = ("leerling_id;school;woongemeente;geboortedatum;voornaam;achternaam",
            f"{pupil};14PS03;0957;2012-01-31;Sam;Jansen")
    assert _import(api, "leerlingen", *rows).json() == {"kind": "leerlingen", "added": 1, "updated": 0}
    assert _import(api, "leerlingen", *rows).json() == {"kind": "leerlingen", "added": 0, "updated": 1}
    record = api.get(f"/pupils/{pupil}/record", headers=bearer("zorgcoordinator")).json()
    assert record["identity"]["family_name"] == "Jansen"
    assert record["birth_year"] == 2012


def test_a_missing_or_unknown_column_is_rejected_before_any_row(api: httpx.Client) -> None:
    """The header is line 1; each missing and each unknown column is named."""
    body = problem(_import(api, "gemeenten", "cbs,naam", "0957,Roermond"), 422, "import-rejected")
    assert {(e["line"], e["column"], e["detail"]) for e in body["errors"]} == {
        (1, "cbs_code", "deze kolom ontbreekt"), (1, "cbs", "onbekende kolom")}


def test_search_pages_in_a_stable_order_without_repeats_or_gaps(api: httpx.Client) -> None:
    """Seven cases of one pupil, pages of three: every case exactly once, in (stage_entered_at, id) order,
    also when a new case is opened between two pages.
    """
    pupil = f"lln-{uuid.uuid4().hex[:8]}"
    opened = [_open(api, "opp", {"extra_ondersteuning_sinds": "2026-09-01"}, pupil) for _ in range(7)]
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"pupil": pupil, "limit": 3, **({"cursor": cursor} if cursor else {})}
        page = api.get("/cases", params=params).json()
        seen += [row["case_id"] for row in page["items"]]
        if len(seen) == 3:
            _open(api, "opp", {"extra_ondersteuning_sinds": "2026-09-01"})
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(opened)
    assert len(seen) == len(set(seen))


def test_search_filters_combine_and_a_bad_cursor_is_a_dutch_422(api: httpx.Client) -> None:
    """Stage + pathway + active + overdue + time in stage narrow the list; a forged cursor is refused."""
    pupil = f"lln-{uuid.uuid4().hex[:8]}"
    late = _open(api, "opp", {"extra_ondersteuning_sinds": "2026-06-01"}, pupil)
    fresh = _open(api, "opp", {"extra_ondersteuning_sinds": "2026-09-01"}, pupil)
    base = {"pupil": pupil, "pathway": "opp", "stage": "concept", "active": "true"}
    listed = {r["case_id"] for r in api.get("/cases", params=base).json()["items"]}
    assert listed == {late, fresh}
    overdue = {r["case_id"] for r in api.get("/cases", params={**base, "overdue": "true"}).json()["items"]}
    assert overdue == {late}
    assert api.get("/cases", params={**base, "min_days_in_stage": 1}).json()["items"] == []
    assert api.get("/cases", params={**base, "active": "false"}).json()["items"] == []
    refused = problem(api.get("/cases", params={"cursor": "bm90LWEtY3Vyc29y"}), 422, "invalid-command")
    assert refused["detail"] == "De cursor is ongeldig; vraag de eerste pagina opnieuw op."


def test_a_tlv_that_lapsed_without_herbeoordeling_reaches_the_school_and_the_swv(
    api: httpx.Client, service: Service,
) -> None:
    """The TLV ended on 31 August without an outcome: the timer moves the herbeoordeling to 'verlopen', and
    that passed deadline is told like any other (DOMAIN.md §3, seed 003: a TLV never lapses silently).
    """
    case_id = _open(api, "herbeoordeling", {"einddatum": "2026-08-31"})
    service.fire_due_timers(DEFAULT_NOW)
    service.raise_alerts(DEFAULT_NOW)
    assert api.get(f"/cases/{case_id}").json()["stage"] == "verlopen"
    for who in ("zorgcoordinator", "swv_coordinator"):
        items = api.get("/alerts", params={"state": "all", "limit": 500}, headers=bearer(who)).json()["items"]
        found = [a for a in items if a["case_id"] == case_id]
        assert [a["title"].split(".")[0] for a in found] == ["Termijn verstreken: TLV verlopen zonder herbeoordeling"]


def test_a_passed_deadline_raises_one_alert_per_audience_however_often_the_feed_runs(
    api: httpx.Client, service: Service,
) -> None:
    """An OPP six weeks late: the timer fires, the feed raises an escalation for the school's
    zorgcoördinator and the SWV coordinators; running the feed again raises nothing new. Another school's
    zorgcoördinator never sees it. Acknowledging twice keeps the first note.
    """
    case_id = _open(api, "opp", {"extra_ondersteuning_sinds": "2026-06-01"})
    service.fire_due_timers(DEFAULT_NOW)
    service.raise_alerts(DEFAULT_NOW)
    service.raise_alerts(DEFAULT_NOW + timedelta(hours=1))

    def alerts_for(who: str) -> list[dict[str, Any]]:
        items = api.get("/alerts", params={"state": "all", "limit": 500}, headers=bearer(who)).json()["items"]
        return [a for a in items if a["case_id"] == case_id]
    mine = alerts_for("zorgcoordinator")
    assert [a["kind"] for a in mine] == ["escalatie"]
    assert mine[0]["title"].startswith("Termijn verstreken")
    assert len(alerts_for("swv_coordinator")) == 1
    assert alerts_for("zc_elsewhere") == []
    first = api.post(f"/alerts/{mine[0]['id']}/acknowledge", json={"note": "School gebeld"})
    again = api.post(f"/alerts/{mine[0]['id']}/acknowledge", json={"note": "nogmaals"})
    assert first.json()["note"] == again.json()["note"] == "School gebeld"
    assert api.post(f"/alerts/{mine[0]['id']}/acknowledge", json={}, headers=bearer("zc_elsewhere")).status_code == 404
    new = api.get("/alerts", params={"state": "new", "limit": 500}).json()["items"]
    assert mine[0]["id"] not in {a["id"] for a in new}
    one = api.get(f"/alerts/{mine[0]['id']}")
    assert (one.status_code, one.json()["note"]) == (200, "School gebeld")
    assert api.get(f"/alerts/{mine[0]['id']}", headers=bearer("zc_elsewhere")).status_code == 404


def test_a_thuiszitter_report_reaches_the_leerplicht_of_the_pupils_municipality_only(
    api: httpx.Client, service: Service,
) -> None:
    """The pupil lives in 0957: leerplicht of 0957 gets the alert, with no name in it."""
    _reference(api)
    pupil = f"lln-{uuid.uuid4().hex[:8]}"
    assert _import(api, "leerlingen", "leerling_id,school,woongemeente,geboortedatum,voornaam,achternaam",
                   f"{pupil},14PS03,0957,2013-02-02,Sam,Jansen").status_code == 200
    case_id = _open(api, "thuiszitter", {"soort": "relatief", "sinds": "2026-08-24"}, pupil)
    service.raise_alerts(DEFAULT_NOW)
    items = api.get("/alerts", params={"limit": 500}, headers=bearer("leerplicht")).json()["items"]
    found = [a for a in items if a["case_id"] == case_id]
    assert len(found) == 1
    assert found[0]["audience_scope"] == "0957"
    assert pupil in found[0]["title"]
    assert "Jansen" not in json.dumps(found[0])
    status = api.get(f"/cases/{case_id}", headers=bearer("leerplicht"))
    assert status.status_code == 200
    assert {c["command"] for c in status.json()["next_commands"]} >= {"bespreek"}


def test_the_event_stream_resumes_after_the_last_event_id(api: httpx.Client) -> None:
    """Open a case, read the stream from 0, then resume after its last id: only newer events arrive."""
    def read(headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
        response = api.get("/events/stream", params={"wait_s": 0.5, **params}, headers=headers)
        assert response.headers["content-type"].startswith("text/event-stream")
        return [json.loads(line[6:]) for line in response.text.splitlines() if line.startswith("data: ")]
    first = _open(api, "opp", {"extra_ondersteuning_sinds": "2026-09-01"})
    everything = read({}, after=0)
    assert first in {e["case_id"] for e in everything}
    last = everything[-1]["id"]
    second = _open(api, "opp", {"extra_ondersteuning_sinds": "2026-09-01"})
    resumed = read({"Last-Event-ID": str(last)})
    assert {e["case_id"] for e in resumed} == {second}
    assert all("payload" not in e for e in resumed)


def test_indicators_count_what_happened_in_the_period(api: httpx.Client) -> None:
    """A thuiszitter reported in the period raises 'gemeld' and 'nu' by one; a period before it does not."""
    period = {"start": "2026-09-01T00:00:00Z", "end": "2026-10-01T00:00:00Z"}
    before = api.get("/monitor/indicators", params=period).json()
    _open(api, "thuiszitter", {"soort": "absoluut", "sinds": "2026-08-20"})
    after = api.get("/monitor/indicators", params=period).json()
    assert after["thuiszitters_gemeld"] == before["thuiszitters_gemeld"] + 1
    assert after["thuiszitters_nu"] == before["thuiszitters_nu"] + 1
    earlier = {"start": "2026-01-01T00:00:00Z", "end": "2026-02-01T00:00:00Z"}
    assert api.get("/monitor/indicators", params=earlier).json()["thuiszitters_gemeld"] == 0
    refused = problem(api.get("/monitor/indicators", params={"start": period["end"], "end": period["start"]}),
                      422, "invalid-command")
    assert refused["detail"] == "Het einde van de periode moet na het begin liggen."


def test_the_stalled_monitor_lists_a_deadline_that_passed(api: httpx.Client) -> None:
    """An OPP whose six weeks ran out before the timer sweep: its deadline is in the overdue list."""
    case_id = _open(api, "opp", {"extra_ondersteuning_sinds": "2026-06-01"})
    found = api.get("/monitor/stalled", params={"pathway": "opp", "limit": 1000}).json()
    mine = [t for t in found["overdue"] if t["case_id"] == case_id]
    assert [(t["timer"], t["days_overdue"]) for t in mine] == [("opp_termijn", 52)]
    assert found["overdue_total"] >= 1
