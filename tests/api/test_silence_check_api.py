"""The silence check through HTTP (issue 14 §3), on SQLite and PostgreSQL: each kind of violation is made, seen
in ``GET /monitor/silence`` with the command that fixes it, then fixed with that command and gone.

- a TLV that became definitief with its einddatum ahead, and no herbeoordeling: listed, fixed by
  ``plan_herbeoordeling`` with the TLV's einddatum;
- a pupil at a cascade level that needs an OPP (VO 31-02: extra_in_school) whose OPP term passed while the OPP
  is still a concept: listed, fixed by putting the OPP in force;
- an open thuiszitter episode whose case was closed: listed, fixed by ``meld_thuiszitter``;
- an OPP under the standard profile whose term fired while it stays a concept (no timer, no norm): listed with
  the stage's next steps, gone once the handelingsdeel is presented.

The list is for monitoring readers in their scope (another SWV does not see it; leerplicht and admins get 403),
and every read is audited like the stalled list.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from domain.durations import NL
from infra.settings import Settings
from infra.store.tables import audit_log
from service import Service
from tests.api.conftest import ControllableClock, RunningApi, bearer
from tests.api.test_access import import_reference_data
from tests.api.test_scenario import BTO, COMPLETE_TLV_DOSSIER, Pupil
from tests.api.test_verzuim_api import absent, detect, pupil

SWV = bearer("swv_coordinator")


@pytest.fixture
def sweeper(running_api: RunningApi) -> Iterator[Service]:
    """A second service on the API's database: it fires the timers the flow fires."""
    made = Service.from_settings(Settings(database_url=running_api.database.url))
    yield made
    made.engine.dispose()


def violations(api: httpx.Client, who: str = "swv_coordinator", **params: Any) -> list[dict[str, Any]]:
    response = api.get("/monitor/silence", params={"limit": 1000, **params}, headers=bearer(who))
    assert response.status_code == httpx.codes.OK, response.text
    found: list[dict[str, Any]] = response.json()["violations"]
    return found


def of_pupil(api: httpx.Client, pupil_id: str, who: str = "swv_coordinator") -> list[tuple[str, str | None]]:
    return [(v["kind"], v["case_id"]) for v in violations(api, who) if v["pupil_id"] == pupil_id]


def test_an_active_tlv_without_herbeoordeling_is_listed_until_one_is_planned_with_its_einddatum(
        api: httpx.Client, clock: ControllableClock, sweeper: Service) -> None:
    """Granted to 31 July 2028 and definitief after the bezwaartermijn: no herbeoordeling runs, so the TLV would
    lapse silently. Planning the herbeoordeling the fix names (its einddatum, its dossier) ends it; so does, once
    it ran, its outcome.
    """
    import_reference_data(api)  # 14PS00 runs on the standard profile
    lln = Pupil(api, clock, sweeper)
    lln.at("2026-09-22")
    lln.start("cascade", {"niveau": "3", "reden": "Duiden & Doen gestart"})
    lln.do("cascade", "wijzig_niveau", {"niveau": "4", "reden": "externe expertise"})
    lln.start("opp", {"extra_ondersteuning_sinds": "2026-09-22"})
    lln.do("opp", "leg_handelingsdeel_voor")
    lln.do("opp", "registreer_instemming", {"gegeven_door": "ouders", "handelingsdeel_versie": 1})
    lln.do("opp", "stel_in_werking")
    lln.at("2026-10-01")
    tlv = lln.start("tlv", {"soort": "vso"})
    for command, payload in COMPLETE_TLV_DOSSIER:
        lln.do("tlv", command, payload)
    lln.do("tlv", "controleer_volledigheid", headers=BTO)
    lln.do("tlv", "registreer_beoordeling", {"beoordelaar": "b-1"}, headers=BTO)
    lln.do("tlv", "registreer_beoordeling", {"beoordelaar": "b-2"}, headers=BTO)
    lln.do("tlv", "ken_toe", {"categorie": "laag", "startdatum": "2026-11-01", "einddatum": "2028-07-31"}, headers=BTO)
    assert of_pupil(api, lln.id) == []  # toegekend: the bezwaartermijn runs, the TLV is not final yet

    lln.at("2026-11-13")
    assert lln.active()["tlv"] == "definitief"
    [found] = [v for v in violations(api, kind="tlv_zonder_herbeoordeling") if v["pupil_id"] == lln.id]
    assert (found["case_id"], found["school_brin"], found["profile"]) == (tlv, "14PS00", "standaard")
    assert found["kind_label"] == "TLV zonder lopende herbeoordeling"
    assert "31 juli 2028" in found["description"]
    [fix] = found["fixes"]
    assert (fix["command"], fix["pathway"], fix["case_id"], fix["values"]) == (
        "plan_herbeoordeling", "herbeoordeling", None, {"einddatum": "2028-07-31", "tlv_dossier": tlv})
    assert [v["pupil_id"] for v in violations(api, "zorgcoordinator") if v["case_id"] == tlv] == [lln.id]

    lln.start("herbeoordeling", fix["values"])
    assert of_pupil(api, lln.id) == []
    lln.at("2028-02-01")  # six months before the einddatum the herbeoordeling runs; its outcome decides the TLV
    assert lln.active()["herbeoordeling"] == "loopt"
    assert lln.do("herbeoordeling", "overstap_lichter", {"toelichting": "lichtere ondersteuning volstaat"},
                  headers=BTO) == "afgerond"
    assert of_pupil(api, lln.id) == []


def test_a_cascade_level_that_needs_an_opp_is_listed_when_the_opp_term_passed_and_gone_when_it_is_in_force(
        api: httpx.Client, clock: ControllableClock, sweeper: Service) -> None:
    """VO 31-02: extra_in_school needs an OPP. While the 6-week term runs all is well; once it passed with the
    OPP still a concept the pupil has no OPP in force and no running term. Putting it in force ends it.
    """
    import_reference_data(api)  # 14PS03 is a school of VO 31-02
    lln = Pupil(api, clock, sweeper)
    lln.at("2026-09-07")
    opp = lln.start("opp", {"extra_ondersteuning_sinds": "2026-09-07"}, school="14PS03")
    cascade = lln.start("cascade", {"niveau": "extra_in_school"}, school="14PS03")
    assert of_pupil(api, lln.id) == []

    lln.at("2026-10-20")  # the term's last day, 19 October, is over: meld_opp_te_laat, the OPP stays a concept
    assert of_pupil(api, lln.id) == [("opp_ontbreekt", cascade)]
    [found] = [v for v in violations(api, kind="opp_ontbreekt") if v["pupil_id"] == lln.id]
    assert (found["profile"], [f["command"] for f in found["fixes"]]) == ("vo-31-02", ["start_opp"])
    assert "extra_in_school" in found["description"]
    assert of_pupil(api, lln.id, "swv_elsewhere") == []

    lln.do("opp", "leg_handelingsdeel_voor")
    lln.do("opp", "registreer_instemming", {"gegeven_door": "ouders", "handelingsdeel_versie": 1})
    assert lln.do("opp", "stel_in_werking") == "in_werking"
    assert of_pupil(api, lln.id) == []
    del opp


def test_an_open_thuiszitter_episode_whose_case_was_closed_is_listed_until_the_thuiszitter_is_reported_again(
        api: httpx.Client, clock: ControllableClock) -> None:
    """Detection opened the case with the episode; closing the case while the pupil is still at home leaves the
    register's episode without a case. Reporting the thuiszitter (the fix's soort and sinds) ends it.
    """
    lln = pupil(api)
    absent(api, clock, lln, date(2026, 9, 7), date(2026, 10, 5))
    detect(api, clock, date(2026, 10, 6), lln)
    timeline = api.get(f"/pupils/{lln}", headers=SWV).json()
    [case] = [c for c in timeline["active"] if c["pathway"] == "thuiszitter"]
    assert of_pupil(api, lln) == []

    closed = api.post(f"/cases/{case['case_id']}/commands", json={
        "command": "sluit_af", "payload": {"reden": "onterecht_gemeld"}}, headers=SWV)
    assert closed.status_code == httpx.codes.OK, closed.text
    [found] = [v for v in violations(api) if v["pupil_id"] == lln]
    assert (found["kind"], found["case_id"], found["school_brin"], found["profile"]) == (
        "thuiszitter_zonder_dossier", None, "14PS03", "vo-31-02")
    [fix] = found["fixes"]
    assert (fix["command"], fix["values"]) == ("meld_thuiszitter", {"soort": "relatief", "sinds": "2026-09-07"})
    assert [v["pupil_id"] for v in violations(api, "zorgcoordinator") if v["pupil_id"] == lln] == [lln]

    reported = api.post("/cases", json={"pathway": "thuiszitter", "school_brin": "14PS03", "pupil_id": lln,
                                         "payload": fix["values"]}, headers=SWV)
    assert reported.status_code == httpx.codes.CREATED, reported.text
    assert of_pupil(api, lln) == []


def test_a_case_that_no_timer_and_no_norm_watches_is_listed_with_the_stages_next_steps(
        api: httpx.Client, clock: ControllableClock, sweeper: Service) -> None:
    """Under the standard profile an OPP concept is watched by its term only: once the term fired (the OPP is too
    late, the case stays a concept) nothing watches it. Presenting the handelingsdeel moves it to a stage with a
    norm.
    """
    import_reference_data(api)  # 00KX00 runs on the standard profile
    lln = f"lln-{uuid.uuid4().hex[:8]}"
    started = datetime(2026, 9, 3, 9, tzinfo=NL)
    clock.set(started)
    opened = api.post("/cases", json={"pathway": "opp", "school_brin": "00KX00", "pupil_id": lln,
                                      "payload": {"extra_ondersteuning_sinds": "2026-09-03"}})
    assert opened.status_code == httpx.codes.CREATED, opened.text
    case_id = opened.json()["case_id"]
    assert of_pupil(api, lln) == []

    later = clock.set(started + timedelta(weeks=7))
    sweeper.fire_due_timers(later)
    [found] = [v for v in violations(api, kind="stil_dossier") if v["case_id"] == case_id]
    assert (found["pupil_id"], found["school_brin"], found["profile"]) == (lln, "00KX00", "standaard")
    commands = [f["command"] for f in found["fixes"]]
    assert "leg_handelingsdeel_voor" in commands
    assert "meld_opp_te_laat" not in commands
    assert "Concept" in found["description"] or "concept" in found["description"]

    moved = api.post(f"/cases/{case_id}/commands", json={"command": "leg_handelingsdeel_voor", "payload": {}})
    assert moved.status_code == httpx.codes.OK, moved.text
    assert of_pupil(api, lln) == []


def test_the_list_is_for_monitoring_readers_in_their_scope_and_every_read_is_audited(
        api: httpx.Client, running_api: RunningApi) -> None:
    """Leerplicht and admins get 403 in Dutch; a coordinator's read leaves an audit row; a wrong kind is a 422."""
    for who in ("leerplicht", "admin"):
        refused = api.get("/monitor/silence", headers=bearer(who))
        assert refused.status_code == httpx.codes.FORBIDDEN, refused.text
        assert "monitoring" in refused.json()["detail"] or "lees_monitoring" in refused.json()["detail"]
    answered = api.get("/monitor/silence", params={"kind": "stil_dossier", "limit": 1}, headers=SWV)
    assert answered.status_code == httpx.codes.OK
    assert set(answered.json()["totals"]) == {"stil_dossier"}
    assert api.get("/monitor/silence", params={"kind": "iets"}, headers=SWV).status_code == 422
    full = api.get("/monitor/silence", headers=SWV).json()
    assert set(full["totals"]) == {"tlv_zonder_herbeoordeling", "opp_ontbreekt", "thuiszitter_zonder_dossier",
                                   "stil_dossier"}
    service = Service.from_settings(Settings(database_url=running_api.database.url))
    with service.engine.connect() as conn:
        actions = conn.execute(select(audit_log.c.action).where(
            audit_log.c.user_id == running_api.user_ids["swv_coordinator"],
            audit_log.c.resource == "cases:silence")).scalars().all()
    service.engine.dispose()
    assert "monitor.silence" in actions
