"""Pydantic schemas at the edge: what the API takes and gives, with examples for OpenAPI."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, HttpUrl

from domain.window import EARLIEST, LATEST, check_in_window

BRIN = r"^[0-9]{2}[A-Z]{2}([0-9]{2})?$"
PSEUDONYM = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"


def _day_in_window(day: date) -> date:
    check_in_window(day, f"de datum {day.isoformat()}")
    return day


def _instant_in_window(instant: datetime) -> datetime:
    check_in_window(instant, f"het tijdstip {instant.isoformat()}")
    return instant


WINDOW = f"{EARLIEST.isoformat()} .. {LATEST.isoformat()}"
"""The window of accepted dates, for descriptions."""
Day = Annotated[date, AfterValidator(_day_in_window)]
"""A date as input (body or query): ISO 8601, inside the window of ``domain.window`` (else 422)."""
Instant = Annotated[AwareDatetime, AfterValidator(_instant_in_window)]
"""An instant as input: ISO 8601 with a UTC offset, its date inside the window of ``domain.window``."""


class Problem(BaseModel):
    """RFC 9457 problem details; ``detail`` is Dutch."""

    model_config = ConfigDict(extra="allow")
    type: str
    title: str
    status: int
    detail: str


def problem_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of a route for its problem+json error ``codes``, with the Problem schema
    under ``application/problem+json`` (the media type the errors are sent with).
    """
    content = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    return {code: {"model": Problem, "content": content} for code in codes}


class OpenCase(BaseModel):
    """Open a case on a pathway with the pathway's start command."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "pathway": "opp", "school_brin": "14PS03", "pupil_id": "lln-7f3a9c",
        "payload": {"extra_ondersteuning_sinds": "2026-09-01"}}]})
    pathway: str = Field(min_length=1, max_length=40)
    school_brin: str = Field(pattern=BRIN, description="BRIN code of the pupil's school")
    pupil_id: str = Field(pattern=PSEUDONYM, description="Pseudonymous pupil id (never a name or BSN)")
    profile: str | None = Field(default=None, max_length=40, description=(
        "SWV profile whose rules and deadlines the case runs under: the profile of the school's SWV (the "
        "default; 'standaard' for a school not in the reference data); another one is refused"))
    payload: dict[str, Any] = Field(default_factory=dict)
    occurred_at: Instant | None = Field(default=None, description="When it happened; default now")


class CommandIn(BaseModel):
    """A command for a case; ``occurred_at`` may lie in the past (a meeting recorded the next day)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "command": "registreer_instemming",
        "payload": {"gegeven_door": "ouders", "handelingsdeel_versie": 1},
        "occurred_at": "2026-10-01T10:00:00+02:00"}]})
    command: str = Field(min_length=1, max_length=60)
    payload: dict[str, Any] = Field(default_factory=dict)
    occurred_at: Instant | None = None


class TransferIn(BaseModel):
    """The pupil changes school; all trajectories go along with what is on record."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"school_brin": "14PS00"}]})
    school_brin: str = Field(pattern=BRIN)


class OutcomeOut(BaseModel):
    """What a command did. ``replayed``: an earlier request with the same idempotency key did it."""

    case_id: str
    pathway: str
    seq: int
    event: str
    stage: str
    replayed: bool


class FieldOut(BaseModel):
    """A field a command takes."""

    name: str
    type: str
    label: str
    required: bool
    choices: list[str]


class CommandOut(BaseModel):
    """A command the case accepts now."""

    command: str
    label: str
    roles: list[str]
    fields: list[FieldOut]
    target: str


class TimerOut(BaseModel):
    """An open deadline."""

    name: str
    label: str
    due_at: AwareDatetime = Field(description="the instant the term has passed: the start of the Dutch day "
                                              "after its last day")
    overdue: bool
    last_day: date | None = Field(default=None, description="the last day on which a step is in time")
    basis: BasisOut | None = None
    reckoning: str | None = Field(default=None, description=(
        "how the last day was counted, in Dutch (e.g. '6 weken na bekendmaking op 20 november 2026 "
        "(Awb art. 6:7, 6:8) → 1 januari 2027, Nieuwjaarsdag → maandag 4 januari 2027 "
        "(Algemene termijnenwet art. 1)')"))
    suspended_since: date | None = Field(default=None, description=(
        "for a suspended term (Awb art. 4:15): the day the aanvulling was asked; it runs again when it "
        "arrives or its own term passes"))


class LinkOut(BaseModel):
    """A hand-off between pathways, made by the system (reactions.json): the other case and what it did."""

    case_id: str | None = Field(description="The other case; none when nothing was opened (skipped or refused).")
    pathway: str | None
    reaction: str
    label: str
    outcome: Literal["geopend", "opdracht", "overgeslagen", "geweigerd"]
    reason: str
    at: AwareDatetime


class CaseStatusOut(BaseModel):
    """A case's stage, open deadlines and the commands allowed next."""

    case_id: str
    pathway: str
    definition_version: int
    profile: str
    school_brin: str
    pupil_id: str
    stage: str
    stage_label: str
    final: bool
    stage_entered_at: AwareDatetime
    opened_at: AwareDatetime
    version: int
    open_timers: list[TimerOut]
    next_commands: list[CommandOut]
    on_record: list[str]
    opened_by: list[LinkOut] = Field(default_factory=list, description="The hand-offs that opened this case.")
    opened: list[LinkOut] = Field(default_factory=list, description="The hand-offs this case made.")


class HistoryEntryOut(BaseModel):
    """One event of a case."""

    seq: int
    type: str
    command: str
    stage_from: str | None
    stage_to: str
    actor_role: str
    occurred_at: AwareDatetime
    recorded_at: AwareDatetime
    definition_version: int
    payload: dict[str, Any]


class StageOut(BaseModel):
    """A stage of a pathway."""

    name: str
    label: str
    final: bool
    requires: list[str]


class BasisOut(BaseModel):
    """What a term rests on: a law (with its article), a regional agreement (with its seed), a profile
    setting or a date set in a decision; whether the Algemene termijnenwet can move its last day.
    """

    soort: Literal["wet", "regionaal", "profiel", "besluit", "verzoek"]
    soort_tekst: str
    bron: str


class TimerSpecOut(BaseModel):
    """A timer of a pathway."""

    name: str
    label: str
    starts_on: str
    cancelled_on: list[str]
    after: dict[str, int] | None = Field(description=(
        "the term's length (months, weeks, days or school_weeks), counted as 'direction' says; "
        "None for a term that ends on a date on record"))
    direction: Literal["na", "voor", "op"] = Field(description=(
        "na: the length after the anchor day (from the day after it); voor: the length before it; "
        "op: the anchor day itself is the last day"))
    anchor: list[str] = Field(description="what the term counts from (artifact or artifact.date field)")
    basis: BasisOut
    fires: str


class TransitionOut(BaseModel):
    """A transition of a pathway."""

    command: str
    label: str
    sources: list[str]
    target: str | None
    event: str
    roles: list[str]
    guards: list[str]


class PathwayOut(BaseModel):
    """A pathway definition at one version."""

    pathway: str
    version: int
    title: str
    source: str
    initial: str
    stages: list[StageOut]
    transitions: list[TransitionOut]
    timers: list[TimerSpecOut]


class TimelineOut(BaseModel):
    """One pupil, one timeline: every trajectory, the active ones first."""

    pupil_id: str
    school_brin: str
    active: list[CaseStatusOut]
    closed: list[CaseStatusOut]


class WebhookIn(BaseModel):
    """Register a receiver of case events (ids, types, stages and instants only; no personal data)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "url": "https://dashboard.swv-voorbeeld.nl/leerlingroute/events", "description": "Dashboard SWV"}]})
    url: HttpUrl = Field(description=(
        "https address of a public server the events are POSTed to (no user name, no internal or private "
        "address; plain http only for test receivers in the LEERLINGROUTE_WEBHOOK_ALLOW_HOSTS setting)"))
    description: str = Field(default="", max_length=200)


class WebhookOut(BaseModel):
    """A webhook subscriber and where its delivery stands: ``cursor`` is the last outbox id it
    received; while it fails, ``attempts``, ``failing_since``, ``last_error`` (one of "geen
    verbinding", "time-out", "geen antwoord", "adres geweigerd", "HTTP <status>") and
    ``next_attempt_at`` say so. ``owner_id``: the account that registered it (it delivers while that
    account is valid); ``previous_secret_until``: after a rotation, until when the old secret signs too.
    """

    id: str
    url: str
    description: str
    active: bool
    created_at: AwareDatetime
    delivered: int
    cursor: int
    attempts: int
    failing_since: AwareDatetime | None
    last_error: str | None
    next_attempt_at: AwareDatetime | None
    owner_id: str | None
    previous_secret_until: AwareDatetime | None


class WebhookCreatedOut(WebhookOut):
    """A subscriber with its new secret (on registration or rotation), shown this once: a Standard
    Webhooks secret ``whsec_<base64>`` that signs every delivery's ``webhook-signature``.
    """

    secret: str
