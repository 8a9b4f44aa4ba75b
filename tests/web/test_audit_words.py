"""The audit log in Dutch: every action the code records has Dutch words, outcomes and resources read as Dutch,
and a code nobody listed still reads as words, never as a bare code.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from web.audit_words import ACTIONS, action_nl, outcome_nl, resource_nl

ROOT = Path(__file__).resolve().parents[2]
RECORDED = re.compile(r'(?:action="|@audited\w*\(\s*")([a-z_]+\.[a-z_]+)"')
"""An action recorded with a literal code: ``action="case.find"`` or a use case declared ``@audited("case.read", ...``
(:mod:`service.use_case`)."""


def _recorded_actions() -> set[str]:
    found: set[str] = set()
    for path in [*(ROOT / "infra").rglob("*.py"), *(ROOT / "service").rglob("*.py")]:
        found |= set(RECORDED.findall(path.read_text(encoding="utf-8")))
    return found


def test_every_action_the_code_records_has_dutch_words() -> None:
    """Scanning infra/ and service/ for the codes they record: each is in the mapping (no 'Overige handeling')."""
    recorded = _recorded_actions()
    assert {"case.read", "worklist.read", "case.find", "web.sign_in", "account.create"} <= recorded
    assert sorted(recorded - set(ACTIONS)) == []


@pytest.mark.parametrize(("code", "words"), [
    ("case.read", "Dossier ingezien"),
    ("case.command:start_opp", "Stap gezet: start opp"),
    ("worklist.read", "Werklijst ingezien"),
    ("import:verzuim", "Bestand geïmporteerd: verzuim"),
    ("verzuim.verzuim", "Verzuim vastgelegd"),
    ("account.revoke", "Account ingetrokken"),
])
def test_an_action_reads_as_what_happened(code: str, words: str) -> None:
    """Known codes, with a step's command name after 'Stap gezet'."""
    assert action_nl(code) == words


def test_an_unknown_action_or_outcome_still_reads_as_words() -> None:
    """Not listed: 'Overige handeling: ...' and 'anders: ...' with the code as words, no dots or underscores."""
    assert action_nl("case.note_pinned") == "Overige handeling: case note pinned"
    assert outcome_nl("rate_limited") == "anders: rate limited"


@pytest.mark.parametrize(("code", "words"), [
    ("ok", "gelukt"),
    ("forbidden", "geweigerd: geen toegang"),
    ("not-found", "niet gevonden"),
    ("limited:12", "geweigerd: te veel pogingen (12)"),
])
def test_an_outcome_reads_as_how_it_ended(code: str, words: str) -> None:
    """Outcomes in Dutch, a count after the words."""
    assert outcome_nl(code) == words


@pytest.mark.parametrize(("resource", "words"), [
    ("case:3f1c", "Dossier 3f1c"),
    ("pupil:lln-1", "Leerling lln-1"),
    ("user:u-1", "Account web-zc"),
    ("user:u-2", "Account u-2"),
    ("cases:worklist", "Werklijst"),
    ("klok", "Gesimuleerde klok"),
    ("zoeken:3", "Zoekopdracht, gevonden: 3"),
    ("auditlog?pupil=lln-1&user=u-1", "Zoekopdracht in het auditlog (leerling: lln-1, gebruiker: web-zc)"),
    ("iets-nieuws", "Overig: iets-nieuws"),
])
def test_a_resource_reads_as_what_it_is(resource: str, words: str) -> None:
    """'Dossier <id>', 'Leerling <id>', an account by its name where known, a search by its filters."""
    assert resource_nl(resource, {"u-1": "web-zc"}) == words
