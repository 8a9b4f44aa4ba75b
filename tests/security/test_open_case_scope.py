"""Opening a case cannot reach into another school's pupil, and a case does not open another school's register.

- a zorgcoördinator who guesses the id of a pupil registered at another school cannot open a case for that
  id (422) and so cannot read the pupil's record through it; nothing is written;
- that refusal reads exactly as the one for an id that only another school's trajectory names, and
  says nothing of where the id is used;
- a registered pupil's case belongs to the school they are registered at, for every role (also an SWV
  coordinator and a zorgcoördinator of two schools); whoever reads the registration is told where;
- an id nobody uses, or only the opener's own trajectories use, opens as before; an admin opens no case;
- a case running at another school than its pupil's registration (opened before this check existed, or by an
  open racing the other school's registration) shows its reader the case, not that school's pupil.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from domain.case import Actor, Command
from domain.handlers import NewCase
from infra.settings import Settings
from service import Service
from tests.api.conftest import RunningApi, bearer
from tests.api.test_cases_api import problem

CSV = {"Content-Type": "text/csv"}
PUPIL_HEADER = "leerling_id,school,woongemeente,geboortedatum,voornaam,achternaam,bsn"
OWN, OTHER_OWN, ELSEWHERE = "14PS03", "14PS00", "20XY00"
"""Two schools of the ``zorgcoordinator`` account and the school of ``zc_elsewhere``. In this file's reference
data 14PS03 and 20XY00 are schools of VO3102 (the ``swv_coordinator``'s SWV), 14PS00 one of VO9901."""
OPP = {"extra_ondersteuning_sinds": "2026-09-01"}
NOW = datetime(2026, 9, 3, 9, 0, tzinfo=UTC)


def _import(api: httpx.Client, kind: str, *rows: str, who: str = "admin") -> None:
    response = api.post(f"/imports/{kind}", content="\n".join(rows) + "\n", headers={**bearer(who), **CSV})
    assert response.status_code == httpx.codes.OK, response.text


def _reference(api: httpx.Client) -> None:
    _import(api, "gemeenten", "cbs_code,naam", "0957,Roermond", "0935,Maastricht")
    _import(api, "swvs", "code,naam,sector", "VO3102,SWV VO,vo", "VO9901,SWV VO elders,vo")
    _import(api, "scholen", "brin,naam,swv,soort,gemeente,vakantieregio", f"{OWN},School A,VO3102,vo,0957,zuid",
            f"{ELSEWHERE},School Elders,VO3102,vo,0935,zuid", f"{OTHER_OWN},School C,VO9901,vo,0957,zuid")


def _fresh() -> str:
    return f"lln-{uuid.uuid4().hex[:10]}"


def _registered(api: httpx.Client, school: str, who: str, residence: str = "0935") -> str:
    """A fresh pupil registered at ``school`` by ``who``: Eva Visser, born 2012."""
    _reference(api)
    pupil_id = _fresh()
    _import(api, "leerlingen", PUPIL_HEADER, f"{pupil_id},{school},{residence},2012-05-06,Eva,Visser,111222333",
            who=who)
    return pupil_id


def _open(api: httpx.Client, pupil_id: str, school: str, who: str, pathway: str = "opp",
          payload: dict[str, Any] | None = None) -> httpx.Response:
    return api.post("/cases", json={"pathway": pathway, "school_brin": school, "pupil_id": pupil_id,
                                    "payload": OPP if payload is None else payload}, headers=bearer(who))


def _record(api: httpx.Client, pupil_id: str, who: str) -> httpx.Response:
    return api.get(f"/pupils/{pupil_id}/record", headers=bearer(who))


def _cases_of(api: httpx.Client, pupil_id: str, who: str) -> list[dict[str, Any]]:
    response = api.get("/cases", params={"pupil": pupil_id}, headers=bearer(who))
    assert response.status_code == httpx.codes.OK, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_a_zorgcoordinator_cannot_open_a_case_for_another_schools_pupil_to_read_their_record(
        api: httpx.Client) -> None:
    """The review's attack: 20XY00 registers a pupil; 14PS03 guesses the id and opens an OPP for it at its own
    school. The open is refused (422, without naming 20XY00 or the pupil), no case exists, and the record stays
    404 to 14PS03; 20XY00 itself opens its case as before.
    """
    victim = _registered(api, ELSEWHERE, "zc_elsewhere")
    assert _record(api, victim, "zorgcoordinator").status_code == httpx.codes.NOT_FOUND
    body = problem(_open(api, victim, OWN, "zorgcoordinator"), 422, "invalid-command")
    assert body["detail"] == (f"Voor leerling-id {victim} kunt u geen dossier openen: dit id is in gebruik buiten "
                              "de scholen die onder uw account vallen. Gebruik het leerling-id dat uw school aan "
                              "deze leerling gaf, of vraag de beheerder.")
    for secret in (ELSEWHERE, "Visser", "0935", "2012"):
        assert secret not in body["detail"]
    assert _record(api, victim, "zorgcoordinator").status_code == httpx.codes.NOT_FOUND
    assert _cases_of(api, victim, "zorgcoordinator") == []
    assert _cases_of(api, victim, "zc_elsewhere") == []
    assert _open(api, victim, ELSEWHERE, "zc_elsewhere").status_code == httpx.codes.CREATED
    assert _record(api, victim, "zorgcoordinator").status_code == httpx.codes.NOT_FOUND


def test_the_refusal_does_not_tell_a_registered_pupil_from_an_id_another_schools_trajectory_names(
        api: httpx.Client) -> None:
    """An id registered at 20XY00 and an id only a 20XY00 trajectory names (nobody registered it) get the same
    response, word for word but the id; neither gets a 14PS03 case.
    """
    registered = _registered(api, ELSEWHERE, "zc_elsewhere")
    named = _fresh()
    assert _open(api, named, ELSEWHERE, "zc_elsewhere").status_code == httpx.codes.CREATED
    first = _open(api, registered, OWN, "zorgcoordinator")
    second = _open(api, named, OWN, "zorgcoordinator")
    assert first.status_code == second.status_code == httpx.codes.UNPROCESSABLE_ENTITY
    assert first.headers["content-type"] == second.headers["content-type"]
    assert first.text.replace(registered, "ID") == second.text.replace(named, "ID")
    assert _cases_of(api, registered, "zorgcoordinator") == _cases_of(api, named, "zorgcoordinator") == []


def test_an_id_nobody_else_uses_opens_as_before(api: httpx.Client) -> None:
    """A fresh id opens; so does a second trajectory for an id only the opener's own schools' trajectories name,
    at either of their schools.
    """
    _reference(api)
    pupil_id = _fresh()
    assert _open(api, pupil_id, OWN, "zorgcoordinator").status_code == httpx.codes.CREATED
    tlv = _open(api, pupil_id, OTHER_OWN, "zorgcoordinator", "tlv", {"soort": "vso"})
    assert tlv.status_code == httpx.codes.CREATED, tlv.text
    assert len(_cases_of(api, pupil_id, "zorgcoordinator")) == 2


def test_a_registered_pupils_case_belongs_to_the_school_they_are_registered_at(api: httpx.Client) -> None:
    """A pupil of 14PS03 gets no case at 14PS00, although the same zorgcoördinator covers both: 422 naming the
    school of registration (which they read anyway); at 14PS03 the case opens.
    """
    pupil_id = _registered(api, OWN, "zorgcoordinator", residence="0957")
    body = problem(_open(api, pupil_id, OTHER_OWN, "zorgcoordinator"), 422, "invalid-command")
    assert body["detail"] == (f"Leerling {pupil_id} staat ingeschreven op school {OWN}, niet op school "
                              f"{OTHER_OWN}: open het dossier voor school {OWN}, of laat eerst de inschrijving "
                              "van de leerling wijzigen.")
    assert _open(api, pupil_id, OWN, "zorgcoordinator").status_code == httpx.codes.CREATED
    assert [c["school_brin"] for c in _cases_of(api, pupil_id, "zorgcoordinator")] == [OWN]


def test_an_swv_coordinator_opens_a_pupils_case_only_at_the_school_of_registration(api: httpx.Client) -> None:
    """The VO3102 coordinator, opening at 14PS03: a pupil of 20XY00 (VO3102, so the coordinator reads the
    registration) is refused naming 20XY00; a pupil of 14PS00 (VO9901, out of sight) gets the refusal that
    names nothing. At 20XY00 the first pupil's case opens.
    """
    in_swv = _registered(api, ELSEWHERE, "admin")
    outside = _registered(api, OTHER_OWN, "admin", residence="0957")
    body = problem(_open(api, in_swv, OWN, "swv_coordinator"), 422, "invalid-command")
    assert f"staat ingeschreven op school {ELSEWHERE}, niet op school {OWN}" in body["detail"]
    hidden = problem(_open(api, outside, OWN, "swv_coordinator"), 422, "invalid-command")
    assert hidden["detail"].startswith(f"Voor leerling-id {outside} kunt u geen dossier openen")
    assert OTHER_OWN not in hidden["detail"]
    assert _open(api, in_swv, ELSEWHERE, "swv_coordinator").status_code == httpx.codes.CREATED
    assert _cases_of(api, outside, "zorgcoordinator") == []


def test_leerplicht_opens_a_thuiszitter_trajectory_at_the_school_of_registration(api: httpx.Client) -> None:
    """Leerplicht of 0957 reads the registration of a resident of 14PS03: a trajectory at 20XY00 is refused
    naming 14PS03, at 14PS03 it opens.
    """
    pupil_id = _registered(api, OWN, "admin", residence="0957")
    payload = {"soort": "relatief", "sinds": "2026-08-20"}
    body = problem(_open(api, pupil_id, ELSEWHERE, "leerplicht", "thuiszitter", payload), 422, "invalid-command")
    assert f"staat ingeschreven op school {OWN}, niet op school {ELSEWHERE}" in body["detail"]
    opened = _open(api, pupil_id, OWN, "leerplicht", "thuiszitter", payload)
    assert opened.status_code == httpx.codes.CREATED, opened.text


def test_an_admin_opens_no_case(api: httpx.Client) -> None:
    """An admin imports pupils but opens no case, for no pupil: 403, nothing written."""
    pupil_id = _registered(api, OWN, "admin", residence="0957")
    problem(_open(api, pupil_id, OWN, "admin"), 403, "out-of-scope")
    assert _cases_of(api, pupil_id, "zorgcoordinator") == []


@pytest.fixture
def engine_service(running_api: RunningApi, tmp_path: Path) -> Iterator[Service]:
    """The service on the API's database, for what only the engine itself can still do."""
    service = Service.from_settings(Settings(database_url=running_api.database.url, data_dir=tmp_path))
    yield service
    service.engine.dispose()


def test_a_case_at_another_school_than_the_registration_does_not_open_the_record(
        running_api: RunningApi, api: httpx.Client, engine_service: Service) -> None:
    """A 14PS03 case of a 20XY00 pupil, as the API opened it before this check (here: by the engine, unchecked):
    14PS03 reads its case, but neither the pupil's record nor the pupil in 20XY00's list; 20XY00 still does.
    """
    victim = _registered(api, ELSEWHERE, "zc_elsewhere")
    actor = Actor("zorgcoordinator", running_api.user_ids["zorgcoordinator"])
    case_id = engine_service.open_case(NewCase("opp", OWN, victim, "vo-31-02"), Command("start_opp", actor, OPP),
                                       NOW).case_id
    assert api.get(f"/cases/{case_id}", headers=bearer("zorgcoordinator")).status_code == httpx.codes.OK
    refused = _record(api, victim, "zorgcoordinator")
    assert refused.status_code == httpx.codes.NOT_FOUND
    assert "Visser" not in refused.text
    listed = api.get("/pupils", params={"school": ELSEWHERE}, headers=bearer("zorgcoordinator"))
    assert victim not in listed.text
    assert _record(api, victim, "zc_elsewhere").json()["school_brin"] == ELSEWHERE


def test_an_open_racing_the_other_schools_registration_never_shows_their_pupil(running_api: RunningApi,
                                                                               api: httpx.Client) -> None:
    """For each of eight fresh ids, 20XY00 registers it while 14PS03 opens a case for it, at the same moment:
    whichever wins (both may, when the open's check ran before the registration committed), 14PS03 never
    reads the 20XY00 pupil's record, and 20XY00 does whenever its import was answered 200.
    """
    _reference(api)
    ids = [_fresh() for _ in range(8)]
    answers: dict[tuple[str, str], int] = {}
    barrier = threading.Barrier(2)

    def register() -> None:
        with httpx.Client(base_url=running_api.base_url, timeout=30.0) as client:
            for pupil_id in ids:
                barrier.wait()
                answers["import", pupil_id] = client.post(
                    "/imports/leerlingen", headers={**bearer("zc_elsewhere"), **CSV},
                    content=f"{PUPIL_HEADER}\n{pupil_id},{ELSEWHERE},0935,2012-05-06,Eva,Visser,\n").status_code

    def open_cases() -> None:
        with httpx.Client(base_url=running_api.base_url, timeout=30.0) as client:
            for pupil_id in ids:
                barrier.wait()
                answers["open", pupil_id] = _open(client, pupil_id, OWN, "zorgcoordinator").status_code

    threads = [threading.Thread(target=register), threading.Thread(target=open_cases)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for pupil_id in ids:
        assert {answers["import", pupil_id], answers["open", pupil_id]} <= {200, 201, 422}, answers
        assert _record(api, pupil_id, "zorgcoordinator").status_code == httpx.codes.NOT_FOUND
        if answers["import", pupil_id] == httpx.codes.OK:
            assert _record(api, pupil_id, "zc_elsewhere").json()["school_brin"] == ELSEWHERE
