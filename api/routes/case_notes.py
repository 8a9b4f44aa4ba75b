"""Notes on a case: read them with the case, write one, and as an SWV coordinator ask the school a question."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, status
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from api.deps import NowDep, PrincipalDep, PurposeDep, ServiceDep
from api.routes.cases import IdempotencyKey
from api.schemas import problem_responses
from infra.store.case_notes import NOTE_MAX, CaseNote

router = APIRouter(prefix="/cases", tags=["cases"])
CaseId = Annotated[str, Path(max_length=36)]


class NoteIn(BaseModel):
    """A note on the case; with ``ask_school`` (SWV coordinators only) a question that alerts the school's
    zorgcoördinatoren (the alert carries ids only; they read the question with the case).
    """

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"text": "Is het OPP al met ouders besproken? Graag een korte stand van zaken.", "ask_school": True}]})
    text: str = Field(max_length=NOTE_MAX, description=f"The note, at most {NOTE_MAX} characters; not empty")
    ask_school: bool = Field(default=False, description="Ask the case's school this as a question (SWV coordinator)")


class NoteOut(BaseModel):
    """A note: who wrote it (their role), what, when, and whether it asked the school."""

    id: int
    case_id: str
    author_role: str
    text: str
    asks_school: bool
    created_at: AwareDatetime


class NotesOut(BaseModel):
    """A case's notes, newest first, and whether you may write one and ask the school."""

    items: list[NoteOut]
    may_write: bool
    may_ask_school: bool


def note_out(note: CaseNote) -> NoteOut:
    """The schema of a note (without the author's account id)."""
    return NoteOut(id=note.id, case_id=note.case_id, author_role=note.author_role, text=note.text,
                   asks_school=note.asks_school, created_at=note.created_at)


@router.post("/{case_id}/notes", status_code=status.HTTP_201_CREATED, response_model=NoteOut,
             responses=problem_responses(401, 403, 404, 422))
def add_note(case_id: CaseId, body: NoteIn, principal: PrincipalDep, service: ServiceDep, now: NowDep,
             idempotency_key: IdempotencyKey = None) -> NoteOut:
    """Write a note on a case you see (the school's zorgcoördinator, the SWV's coordinator or BTO; others 403;
    a case you do not see 404). An empty note is 422 and nothing is stored. Audited with the write. Sent again
    with the same ``Idempotency-Key``, the note is stored (and the school asked) once and returned again.
    """
    return note_out(service.add_case_note(principal, case_id, body.text, now, ask_school=body.ask_school,
                                          key=idempotency_key))


@router.get("/{case_id}/notes", response_model=NotesOut, responses=problem_responses(401, 404, 422))
def notes(case_id: CaseId, principal: PrincipalDep, service: ServiceDep, now: NowDep,
          purpose: PurposeDep = None) -> NotesOut:
    """The case's notes, newest first, for whoever reads the case (404 otherwise); audited."""
    found = service.read_case_notes(principal, case_id, now, purpose)
    return NotesOut(items=[note_out(n) for n in found.items], may_write=found.may_write,
                    may_ask_school=found.may_ask_school)
