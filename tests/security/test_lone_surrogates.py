r"""A lone surrogate (U+D800-U+DFFF) is no text: wherever a request carries one it is a Dutch 422, never a 500.

JSON may escape a surrogate on its own (``"\ud800"``) or carry its bytes raw, and Python's json lets both
through as a str that cannot be stored or quoted as UTF-8. So:

- a CSV import sent as a JSON string holding one, on either import route, is refused naming the lines
  that hold it; nothing is imported (the same file without it then adds every row);
- any other JSON body holding one — in a case payload, a command's text, a key, a note, a description, a
  holiday's name, an id — is refused before the route runs, naming the field; nothing is written;
- a surrogate *pair* (an emoji written as two escapes) is one character and is stored as sent;
- an error text that quotes such a character still renders (it becomes U+FFFD).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest

from api.errors import problem as problem_response
from tests.api.conftest import bearer
from tests.api.test_cases_api import problem

PUPIL_HEADER = "leerling_id,school,woongemeente,geboortedatum,voornaam,achternaam,bsn"
LONE = "\ud800"
OPP = {"extra_ondersteuning_sinds": "2026-09-01"}
JSON = {"Content-Type": "application/json"}


def _escaped(value: Any) -> bytes:
    r"""``value`` as JSON with every non-ASCII character escaped: a lone surrogate as ``\udxxx``."""
    return json.dumps(value).encode()


def _raw(value: Any) -> bytes:
    """``value`` as JSON with the surrogate's own bytes in it (not UTF-8; Python's json decodes them anyway)."""
    return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")


ENCODINGS = {"escaped": _escaped, "raw": _raw}


def _fresh() -> str:
    return f"lln-{uuid.uuid4().hex[:10]}"


SCHOOL = "brin,naam,swv,soort,gemeente,vakantieregio\n14PS03,School A,VO3102,vo,0957,zuid\n"


def _reference(api: httpx.Client) -> None:
    for kind, rows in (("gemeenten", "cbs_code,naam\n0957,Roermond\n"),
                       ("swvs", "code,naam,sector\nVO3102,SWV VO,vo\n"), ("scholen", SCHOOL)):
        response = api.post(f"/imports/{kind}", content=rows, headers={**bearer("admin"), "Content-Type": "text/csv"})
        assert response.status_code == httpx.codes.OK, response.text


def _send(api: httpx.Client, method: str, path: str, body: bytes, who: str) -> httpx.Response:
    return api.request(method, path, content=body, headers={**bearer(who), **JSON})


def _open(api: httpx.Client) -> str:
    opened = api.post("/cases", json={"pathway": "opp", "school_brin": "14PS03", "pupil_id": _fresh(),
                                      "payload": OPP}, headers=bearer("zorgcoordinator"))
    assert opened.status_code == httpx.codes.CREATED, opened.text
    case_id: str = opened.json()["case_id"]
    sent = api.post(f"/cases/{case_id}/commands", json={"command": "leg_handelingsdeel_voor"},
                    headers=bearer("zorgcoordinator"))
    assert sent.status_code == httpx.codes.OK, sent.text
    return case_id


@pytest.mark.parametrize("encode", ENCODINGS.values(), ids=ENCODINGS.keys())
@pytest.mark.parametrize(("path", "who", "header", "row"), [
    ("/imports/leerlingen", "zorgcoordinator", PUPIL_HEADER, "{id},14PS03,0957,2013-01-01,Sam,Jansen,"),
    ("/verzuim/imports/inschrijvingen", "admin", "leerling_id,school,eerste_dag,laatste_dag",
     "{id},14PS03,2026-08-24,"),
])
def test_a_csv_file_sent_as_a_json_string_with_a_lone_surrogate_is_refused_naming_the_line(
        api: httpx.Client, path: str, who: str, header: str, row: str, encode: Any) -> None:
    """Line 3 of three holds the surrogate: 422 naming line 3 (without quoting it), nothing imported; the same
    file without it adds both rows.
    """
    _reference(api)
    first, second = _fresh(), _fresh()
    registered = api.post("/imports/leerlingen", headers={**bearer("admin"), "Content-Type": "text/csv"},
                          content=f"{PUPIL_HEADER}\n{first},14PS03,0957,2013-01-01,Sam,Jansen,\n"
                                  f"{second},14PS03,0957,2013-01-01,Kim,Bos,\n")
    assert registered.status_code == httpx.codes.OK, registered.text
    if path == "/imports/leerlingen":
        first, second = _fresh(), _fresh()
    lines = [header, row.format(id=first), row.format(id=second).replace("14PS03", f"14PS03{LONE}", 1)]
    body = problem(_send(api, "POST", path, encode("\n".join(lines) + "\n"), who), 422, "import-rejected")
    assert [(e["line"], e["column"]) for e in body["errors"]] == [(3, "-")]
    assert "regel 3, kolom -: deze regel bevat een ongeldig teken (een los surrogaatteken" in body["detail"]
    clean = "\n".join([*lines[:2], row.format(id=second)]) + "\n"
    imported = _send(api, "POST", path, encode(clean), who)
    assert imported.status_code == httpx.codes.OK, imported.text
    assert imported.json()["added"] == 2


def test_a_lone_surrogate_in_the_header_line_is_refused_on_line_1(api: httpx.Client) -> None:
    """The header is line 1, as for every other defect."""
    body = problem(_send(api, "POST", "/imports/gemeenten", _escaped(f"cbs_code,naam{LONE}\n0957,Roermond\n"),
                         "admin"), 422, "import-rejected")
    assert [e["line"] for e in body["errors"]] == [1]


REQUESTS: list[tuple[str, str, str, Any, str]] = [
    ("zorgcoordinator", "POST", "/cases", {"pathway": "opp", "school_brin": "14PS03", "pupil_id": "lln-sur",
                                           "payload": {**OPP, f"toelichting{LONE}": "x"}},
     "body.payload.toelichting\ufffd"),
    ("zorgcoordinator", "POST", "/cases/{case}/commands", {"command": "weiger_instemming",
                                                           "payload": {"toelichting": f"nee{LONE}"}},
     "body.payload.toelichting"),
    ("zorgcoordinator", "POST", "/cases/{case}/commands", {"command": "sluit_af", "payload": {"reden": LONE}},
     "body.payload.reden"),
    ("zorgcoordinator", "POST", "/cases/{case}/advice-requests", {"deskundige_id": f"d{LONE}"}, "body.deskundige_id"),
    ("zorgcoordinator", "POST", "/pupils/lln-sur/transfer", {"school_brin": f"14PS0{LONE}"}, "body.school_brin"),
    ("zorgcoordinator", "POST", "/alerts/1/acknowledge", {"note": f"gebeld{LONE}"}, "body.note"),
    ("swv_coordinator", "POST", "/webhooks", {"url": "https://ontvanger.example.nl/", "description": f"x{LONE}"},
     "body.description"),
    ("swv_coordinator", "POST", "/webhooks", {"url": f"https://ex{LONE}ample.nl/"}, "body.url"),
    ("admin", "POST", "/absences", {"pupil_id": "lln-sur", "day": "2026-09-01", "hours": 2, "authorized": False,
                                    "reason": f"ziek{LONE}"}, "body.reason"),
    ("admin", "PUT", "/schools/14PS03/holidays", [{"name": f"Herfst{LONE}", "first_day": "2026-10-19",
                                                   "last_day": "2026-10-23"}], "body.0.name"),
]


@pytest.mark.parametrize("encode", ENCODINGS.values(), ids=ENCODINGS.keys())
@pytest.mark.parametrize(("who", "method", "path", "sent", "field"), REQUESTS,
                         ids=[f"{r[1]} {r[2]} {r[4]}" for r in REQUESTS])
def test_a_json_body_with_a_lone_surrogate_is_a_422_naming_the_field(
        api: httpx.Client, who: str, method: str, path: str, sent: Any, field: str, encode: Any) -> None:
    """Every route with a JSON body: 422 ``invalid-request`` in Dutch, naming where the surrogate is."""
    _reference(api)
    target = path.format(case=_open(api)) if "{case}" in path else path
    body = problem(_send(api, method, target, encode(sent), who), 422, "invalid-request")
    assert body["detail"] == (f"De aanvraag is onvolledig of onjuist: {field}: de tekst bevat een los "
                              "surrogaatteken (U+D800 tot U+DFFF); dat is geen geldige Unicode. Stuur tekst in UTF-8.")
    assert body["problems"][0]["loc"] == [int(p) if p.isdigit() else p for p in field.split(".")]


def test_nothing_is_written_by_a_refused_body(api: httpx.Client) -> None:
    """The refused command leaves the case's version; the refused case, webhook and holidays do not exist."""
    _reference(api)
    case_id = _open(api)
    version = api.get(f"/cases/{case_id}", headers=bearer("zorgcoordinator")).headers["etag"]
    for who, method, path, sent, _ in REQUESTS:
        assert _send(api, method, path.format(case=case_id), _escaped(sent), who).status_code == 422
    assert api.get(f"/cases/{case_id}", headers=bearer("zorgcoordinator")).headers["etag"] == version
    assert api.get("/cases", params={"pupil": "lln-sur"}, headers=bearer("zorgcoordinator")).json()["items"] == []
    assert "ontvanger.example.nl" not in api.get("/webhooks", headers=bearer("admin")).text
    assert "Herfst" not in api.get("/schools/14PS03/holidays", headers=bearer("admin")).text


def test_a_surrogate_pair_is_one_character_and_is_stored_as_sent(api: httpx.Client) -> None:
    """An emoji escaped as two surrogates (as JavaScript's JSON.stringify writes non-BMP characters) is text."""
    _reference(api)
    case_id = _open(api)
    sent = _send(api, "POST", f"/cases/{case_id}/commands", b'{"command": "weiger_instemming", '
                 b'"payload": {"toelichting": "ouders zeggen nee \\ud83d\\ude00"}}', "zorgcoordinator")
    assert sent.status_code == httpx.codes.OK, sent.text
    history = api.get(f"/cases/{case_id}/history", headers=bearer("zorgcoordinator"))
    assert "ouders zeggen nee \U0001f600" in history.text


def test_an_error_text_quoting_a_lone_surrogate_still_renders() -> None:
    """The error mapper's own guarantee: the character becomes U+FFFD, the 4xx stays a 4xx."""
    response = problem_response(422, "import-rejected", "Rejected", f"regel 2: '{LONE}' kan niet",
                                errors=[{"line": 2, "column": "naam", "detail": f"'{LONE}'"}])
    assert json.loads(bytes(response.body)) == {
        "type": "https://leerlingroute.nl/problems/import-rejected", "title": "Rejected", "status": 422,
        "detail": "regel 2: '\ufffd' kan niet", "errors": [{"line": 2, "column": "naam", "detail": "'\ufffd'"}]}
