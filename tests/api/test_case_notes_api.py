"""Notes on a case through HTTP, on SQLite and on PostgreSQL.

- the school's zorgcoördinator and the SWV's coordinator write notes on a case they see, read newest first;
- 'ask_school' (SWV coordinators only) alerts the zorgcoördinatoren of the case's school once, with ids only:
  the question is neither in the alert's title nor in its facts;
- another school, leerplicht, an admin get 404 (the case is not theirs) and store nothing; a zorgcoördinator
  asking a school, or BTO asking one, is 403 and stores nothing; a deskundige reads the notes of a TLV they
  advise on but writes none (403);
- an empty, blank or too long note is 422 in Dutch and stores nothing; sent again with its idempotency key a
  note is stored and the school asked once;
- writing (``case.note``) and reading (``case.notes``) are in the audit log.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.api.conftest import RunningApi, bearer
from tests.api.test_cases_api import problem

QUESTION = "Is het OPP van Daan al met de ouders besproken?"


def _open(api: httpx.Client) -> str:
    response = api.post("/cases", json={"pathway": "opp", "school_brin": "14PS03",
                                        "pupil_id": f"lln-{uuid.uuid4().hex[:8]}",
                                        "payload": {"extra_ondersteuning_sinds": "2026-09-01"}})
    assert response.status_code == httpx.codes.CREATED, response.text
    case_id: str = response.json()["case_id"]
    return case_id


def _post(api: httpx.Client, case_id: str, who: str, body: dict[str, Any]) -> httpx.Response:
    return api.post(f"/cases/{case_id}/notes", json=body, headers=bearer(who))


def _texts(api: httpx.Client, case_id: str) -> list[str]:
    response = api.get(f"/cases/{case_id}/notes")
    assert response.status_code == httpx.codes.OK, response.text
    return [n["text"] for n in response.json()["items"]]


def _questions(api: httpx.Client, who: str, case_id: str) -> list[dict[str, Any]]:
    response = api.get("/alerts", params={"state": "all", "limit": 500}, headers=bearer(who))
    assert response.status_code == httpx.codes.OK, response.text
    return [a for a in response.json()["items"] if a["kind"] == "vraag_school" and a["case_id"] == case_id]


def test_the_school_and_the_coordinator_write_notes_read_newest_first(api: httpx.Client) -> None:
    """Two notes, the newest first, each with its author's role; what each reader may add."""
    case_id = _open(api)
    first = _post(api, case_id, "swv_coordinator", {"text": QUESTION})
    assert first.status_code == httpx.codes.CREATED, first.text
    assert first.json()["author_role"] == "swv_coordinator"
    assert first.json()["asks_school"] is False
    answer = _post(api, case_id, "zorgcoordinator", {"text": "  Gesprek staat gepland.\r\nVolgt.  "})
    assert answer.status_code == httpx.codes.CREATED, answer.text

    read = api.get(f"/cases/{case_id}/notes")
    assert read.status_code == httpx.codes.OK
    body = read.json()
    assert [(n["author_role"], n["text"]) for n in body["items"]] == [
        ("zorgcoordinator", "Gesprek staat gepland.\nVolgt."), ("swv_coordinator", QUESTION)]
    assert (body["may_write"], body["may_ask_school"]) == (True, False)
    assert "author_id" not in body["items"][0]
    as_coordinator = api.get(f"/cases/{case_id}/notes", headers=bearer("swv_coordinator")).json()
    assert (as_coordinator["may_write"], as_coordinator["may_ask_school"]) == (True, True)


def test_a_coordinators_question_alerts_the_schools_zorgcoordinator_once_with_ids_only(api: httpx.Client) -> None:
    """'ask_school': one 'vraag_school' alert for the zorgcoördinatoren of 14PS03, naming the pupil's pseudonym
    and the school and the note's id, without the question; nobody else's inbox has it.
    """
    case_id = _open(api)
    pupil = api.get(f"/cases/{case_id}").json()["pupil_id"]
    posted = _post(api, case_id, "swv_coordinator", {"text": QUESTION, "ask_school": True})
    assert posted.status_code == httpx.codes.CREATED, posted.text
    assert posted.json()["asks_school"] is True

    found = _questions(api, "zorgcoordinator", case_id)
    assert len(found) == 1
    alert = found[0]
    assert (alert["audience_role"], alert["audience_scope"]) == ("zorgcoordinator", "14PS03")
    assert alert["title"] == f"Vraag van het SWV over het dossier van leerling {pupil}, school 14PS03"
    assert alert["facts"]["note_id"] == posted.json()["id"]
    assert "Daan" not in str(alert)
    assert _questions(api, "zc_elsewhere", case_id) == []
    assert _questions(api, "swv_coordinator", case_id) == []


def test_a_case_out_of_sight_is_404_for_notes_and_nothing_is_stored(api: httpx.Client) -> None:
    """Another school, another SWV, leerplicht (an OPP is not theirs), a deskundige and an admin: 404 to read and
    to write, as for an unknown case; an unknown case is 404 too.
    """
    case_id = _open(api)
    assert _post(api, case_id, "zorgcoordinator", {"text": "Eerste notitie"}).status_code == httpx.codes.CREATED
    for who in ("zc_elsewhere", "swv_elsewhere", "leerplicht", "deskundige", "admin"):
        problem(_post(api, case_id, who, {"text": "Niet de mijne"}), 404, "case-not-found")
        problem(api.get(f"/cases/{case_id}/notes", headers=bearer(who)), 404, "case-not-found")
    problem(_post(api, str(uuid.uuid4()), "zorgcoordinator", {"text": "Nergens"}), 404, "case-not-found")
    assert _texts(api, case_id) == ["Eerste notitie"]


def test_only_an_swv_coordinator_asks_the_school(api: httpx.Client) -> None:
    """The zorgcoördinator and BTO may write a note but not ask the school: 403 in Dutch, no note, no alert."""
    case_id = _open(api)
    for who in ("zorgcoordinator", "bto"):
        body = problem(_post(api, case_id, who, {"text": QUESTION, "ask_school": True}), 403, "role-not-allowed")
        assert "vraag_school" in body["detail"]
    assert _texts(api, case_id) == []
    assert _questions(api, "zorgcoordinator", case_id) == []
    assert _post(api, case_id, "bto", {"text": "Besproken in de commissie"}).status_code == httpx.codes.CREATED


def test_an_empty_blank_or_too_long_note_is_refused_in_dutch_and_nothing_is_stored(api: httpx.Client) -> None:
    """'' and blanks: 422 saying the note is empty; 2,001 characters or an unknown field: 422; nothing stored,
    no alert; without a token: 401.
    """
    case_id = _open(api)
    for text in ("", "  \n\t "):
        body = problem(_post(api, case_id, "swv_coordinator", {"text": text, "ask_school": True}), 422,
                       "invalid-command")
        assert body["detail"] == "De notitie is leeg: schrijf eerst wat u wilt vastleggen of vragen."
    problem(_post(api, case_id, "zorgcoordinator", {"text": "x" * 2001}), 422, "invalid-request")
    problem(_post(api, case_id, "zorgcoordinator", {"text": "Goed", "name": "Daan"}), 422, "invalid-request")
    body = problem(_post(api, case_id, "zorgcoordinator", {"text": "Met een \x07bel"}), 422, "invalid-command")
    assert "stuurteken" in body["detail"]
    problem(httpx.post(f"{api.base_url}/cases/{case_id}/notes", json={"text": "Anoniem"}), 401, "not-authenticated")
    assert _texts(api, case_id) == []
    assert _questions(api, "zorgcoordinator", case_id) == []
    assert _post(api, case_id, "zorgcoordinator", {"text": "x" * 2000}).status_code == httpx.codes.CREATED


def test_writing_and_reading_notes_are_in_the_audit_log(api: httpx.Client, running_api: RunningApi) -> None:
    """A note written (``case.note``, ok), one refused (its outcome) and a read (``case.notes``), by whom."""
    case_id = _open(api)
    assert _post(api, case_id, "swv_coordinator", {"text": QUESTION, "ask_school": True}).status_code == 201
    assert _post(api, case_id, "swv_coordinator", {"text": " "}).status_code == 422
    assert _post(api, case_id, "zc_elsewhere", {"text": "Niet de mijne"}).status_code == 404
    _texts(api, case_id)

    rows = api.get("/audit", params={"resource": f"case:{case_id}"}, headers=bearer("admin")).json()
    ids = running_api.user_ids
    found = [(r["action"], r["user_id"], r["outcome"]) for r in reversed(rows) if r["action"].startswith("case.note")]
    assert found == [("case.note", ids["swv_coordinator"], "ok"),
                     ("case.note", ids["swv_coordinator"], "invalid-command"),
                     ("case.note", ids["zc_elsewhere"], "not-found"),
                     ("case.notes", ids["zorgcoordinator"], "ok")]
    assert all(QUESTION not in str(r) for r in rows)


def test_a_deskundige_reads_the_notes_of_a_tlv_they_advise_on_but_writes_none(
    api: httpx.Client, running_api: RunningApi,
) -> None:
    """Asked to advise on a TLV request, the deskundige reads its notes (and may not write: said so), and a note
    of theirs is 403 in Dutch with nothing stored.
    """
    opened = api.post("/cases", json={"pathway": "tlv", "school_brin": "14PS03",
                                      "pupil_id": f"lln-{uuid.uuid4().hex[:8]}", "payload": {"soort": "vso"}})
    assert opened.status_code == httpx.codes.CREATED, opened.text
    case_id = opened.json()["case_id"]
    asked = api.post(f"/cases/{case_id}/advice-requests", json={"deskundige_id": running_api.user_ids["deskundige"]},
                     headers=bearer("swv_coordinator"))
    assert asked.status_code == httpx.codes.NO_CONTENT, asked.text
    assert _post(api, case_id, "swv_coordinator", {"text": "Advies graag voor 1 oktober."}).status_code == 201

    read = api.get(f"/cases/{case_id}/notes", headers=bearer("deskundige"))
    assert read.status_code == httpx.codes.OK, read.text
    assert [n["text"] for n in read.json()["items"]] == ["Advies graag voor 1 oktober."]
    assert (read.json()["may_write"], read.json()["may_ask_school"]) == (False, False)
    body = problem(_post(api, case_id, "deskundige", {"text": "Mijn advies volgt."}), 403, "role-not-allowed")
    assert "schrijf_notitie" in body["detail"]
    assert _texts(api, case_id) == ["Advies graag voor 1 oktober."]


def test_a_note_sent_again_with_its_idempotency_key_is_stored_and_asked_once(api: httpx.Client) -> None:
    """The same key twice: the same note back, one note, one alert; the key with another text: 422, no note."""
    case_id = _open(api)
    key = {"Idempotency-Key": f"vraag-{uuid.uuid4()}", **bearer("swv_coordinator")}
    body = {"text": QUESTION, "ask_school": True}
    first = api.post(f"/cases/{case_id}/notes", json=body, headers=key)
    again = api.post(f"/cases/{case_id}/notes", json=body, headers=key)
    assert first.status_code == again.status_code == httpx.codes.CREATED, again.text
    assert again.json() == first.json()
    problem(api.post(f"/cases/{case_id}/notes", json={"text": "Iets anders"}, headers=key), 422,
            "idempotency-key-reused")
    assert _texts(api, case_id) == [QUESTION]
    assert len(_questions(api, "zorgcoordinator", case_id)) == 1
    other = api.post(f"/cases/{case_id}/notes", json=body, headers=bearer("swv_coordinator"))
    assert other.status_code == httpx.codes.CREATED
    assert other.json()["id"] != first.json()["id"]
