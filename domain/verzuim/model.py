"""The plain values detection reads and writes: records per pupil in, signals and episodes out.

All frozen dataclasses; they validate themselves on construction and hold no behaviour beyond
small derived properties. Dates are Dutch calendar dates; nothing here reads a clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date
from typing import Any, Final, Literal, get_args

SchoolKind = Literal["po", "sbo", "so", "vo", "vso"]
VrijstellingKind = Literal["5a", "5b", "5c", "15", "11"]
Soort = Literal["relatief", "absoluut"]
"""The two kinds of thuiszitter: enrolled but absent, or enrolled nowhere."""
EpisodeKind = Literal["relatief", "absoluut", "verborgen", "vrijstelling"]
"""``verborgen``: a hidden thuiszitter, at home with permission yet without education (seed 002)."""
Duty = Literal["leerplicht", "kwalificatieplicht"]
SignalKind = Literal["meldplicht", "dreigend_thuiszitter", "thuiszitter", "escalatie", "vrijstelling_herinnering",
                     "verborgen_thuiszitter"]
ReasonKind = Literal["ziek", "medisch", "verlof", "spijbelen", "te_laat", "thuis_in_overleg", "thuis_knooppunt",
                     "wacht_op_plek", "schorsing", "overig"]
"""The closed list of absence reasons (the free-text reason is kept beside it)."""
REASON_KINDS: Final = frozenset(get_args(ReasonKind))
HIDDEN_REASONS: Final = frozenset({"thuis_in_overleg", "thuis_knooppunt", "wacht_op_plek", "schorsing"})
"""Authorised absence that is in fact 'at home without education' (seed 002; a schorsing longer than the
legal week): such days count towards a hidden thuiszitter."""

SCHOOL_KINDS: Final = frozenset(get_args(SchoolKind))
PO_KINDS: Final = frozenset({"po", "sbo", "so"})
"""Kinds whose absence hours are clock hours; the others (vo, vso) record lesson hours."""
VRIJSTELLING_KINDS: Final = frozenset(get_args(VrijstellingKind))
MAX_KEY_LENGTH: Final = 200
MAX_ID_LENGTH: Final = 64


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


def _check_id(label: str, value: str) -> None:
    _require(bool(value) and len(value) <= MAX_ID_LENGTH and ":" not in value,
             f"{label} must be 1-{MAX_ID_LENGTH} characters without ':', got {value!r}")


def _check_period(label: str, first_day: date, last_day: date | None) -> None:
    _require(last_day is None or last_day >= first_day, f"{label} ends ({last_day}) before it starts ({first_day})")


@dataclass(frozen=True)
class Pupil:
    """A pupil by pseudonymous id; ``startkwalificatie_on`` ends kwalificatieplicht early."""

    pupil_id: str
    birth_date: date
    residence_cbs: str
    """The CBS code of the municipality of residence: whose leerplicht receives the alert."""
    startkwalificatie_on: date | None = None

    def __post_init__(self) -> None:
        _check_id("pupil_id", self.pupil_id)


@dataclass(frozen=True)
class Enrollment:
    """An inschrijving at a school (BRIN), first and last day inclusive; ``last_day`` None = current."""

    pupil_id: str
    school_brin: str
    school_kind: SchoolKind
    first_day: date
    last_day: date | None = None

    def __post_init__(self) -> None:
        _check_id("school_brin", self.school_brin)
        _require(self.school_kind in SCHOOL_KINDS, f"school_kind must be one of {sorted(SCHOOL_KINDS)}")
        _check_period("enrollment", self.first_day, self.last_day)

    @property
    def hour_unit(self) -> str:
        """``klokuren`` for PO kinds (po, sbo, so), ``lesuren`` for vo and vso."""
        return "klokuren" if self.school_kind in PO_KINDS else "lesuren"


@dataclass(frozen=True)
class Absence:
    """Absence on one day: ``hours`` in the unit of the school kind (see ``Enrollment.hour_unit``)."""

    pupil_id: str
    day: date
    hours: float
    authorized: bool
    reason: str = ""
    """Free text, as the school wrote it."""
    reason_kind: str = ""
    """One of ``REASON_KINDS``, or empty when the school did not classify the absence."""
    scheduled_hours: float | None = None
    """The hours on the pupil's timetable that day (same unit), when known: whole days out of school."""

    def __post_init__(self) -> None:
        _require(self.hours >= 0, f"absence hours cannot be negative, got {self.hours}")
        _require(self.reason_kind == "" or self.reason_kind in REASON_KINDS,
                 f"reason_kind must be one of {sorted(REASON_KINDS)} or empty, got {self.reason_kind!r}")
        _require(self.scheduled_hours is None or self.scheduled_hours > 0,
                 f"scheduled_hours must be more than 0, got {self.scheduled_hours}")

    @property
    def hidden(self) -> bool:
        """Authorised absence with a reason that means 'at home without education'."""
        return self.authorized and self.reason_kind in HIDDEN_REASONS


@dataclass(frozen=True)
class Vrijstelling:
    """An exemption (Leerplichtwet art. 5 onder a/b/c, 15, 11); ``last_day`` None = open-ended."""

    pupil_id: str
    kind: VrijstellingKind
    first_day: date
    last_day: date | None = None

    def __post_init__(self) -> None:
        _require(self.kind in VRIJSTELLING_KINDS, f"vrijstelling kind must be one of {sorted(VRIJSTELLING_KINDS)}")
        _check_period("vrijstelling", self.first_day, self.last_day)

    def covers(self, day: date) -> bool:
        """Whether the vrijstelling runs on ``day``."""
        return self.first_day <= day and (self.last_day is None or day <= self.last_day)


@dataclass(frozen=True)
class PupilRecords:
    """Everything detection reads about one pupil, as the caller groups it."""

    pupil: Pupil
    enrollments: tuple[Enrollment, ...] = ()
    absences: tuple[Absence, ...] = ()
    vrijstellingen: tuple[Vrijstelling, ...] = ()


@dataclass(frozen=True)
class VerzuimSettings:
    """The profile settings of detection, with the legal defaults."""

    dreigend_weken: int = 2
    thuiszitter_weken: int = 4
    meldplicht_uren: int = 16
    meldplicht_weken: int = 4
    escalatie_maanden: int = 3
    absoluut_dagen: int = 7
    kwalificatieplicht_telt: bool = True
    """Whether thuiszitter rules also apply to kwalificatieplichtigen (16-18 without a startkwalificatie):
    yes by law (Leerplichtwet art. 4a; they are in the VO thuiszitter figures)."""
    hele_dag_vanaf_procent: int = 100
    """A school day counts as out of school (thuiszitter, dreigend, hidden) when the absent hours reach this
    share of the day's hours; 100: only a day on which the pupil attended nothing."""
    schooldag_klokuren: int = 3
    schooldag_lesuren: int = 4
    """The day's hours when a record does not give the timetable's (PO in klokuren, VO in lesuren): the
    shortest usual school day, so a pupil absent all of a short day still counts."""
    herinnering_maand: int = 6
    herinnering_dag: int = 1
    """The vrijstelling reminder is due from this day (default 1 June) in the school year it ends."""
    meldplicht_termijn_werkdagen: int = 5
    """Working days the school has to report a meldplicht signal to DUO (art. 21a 'onverwijld'; the
    Inspectie: within 5 working days); a signal not reported by then escalates (``domain.verzuim.melding``)."""
    vrijstelling_raadpleging_swv: bool = False
    """Whether a vrijstelling 5 onder a needs the SWV coordinator consulted first (seed 001 §4.7: VO 31-02)."""
    vrijstelling_raadpleging_dagen: int = 14
    """Calendar days the SWV coordinator is asked to respond in (a profile choice; the seed names no term)."""

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if field.type == "int":
                _require(isinstance(value, int) and not isinstance(value, bool) and value >= 1,
                         f"setting {field.name} must be a whole number >= 1, got {value!r}")
        _require(self.hele_dag_vanaf_procent <= 100,  # noqa: PLR2004
                 f"setting hele_dag_vanaf_procent must be 1-100, got {self.hele_dag_vanaf_procent}")
        date(2000, self.herinnering_maand, self.herinnering_dag)

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> VerzuimSettings:
        """Read settings from a profile mapping; unknown names are a ValueError."""
        known = {field.name for field in fields(cls)}
        unknown = sorted(set(data) - known)
        _require(not unknown, f"unknown verzuim setting(s) {unknown}; use {sorted(known)}")
        return cls(**dict(data))


@dataclass(frozen=True)
class Signal:
    """Something a person must act on, with a deterministic ``key`` to store it exactly once."""

    key: str
    kind: SignalKind
    pupil_id: str
    reached_on: date
    """The day the threshold was crossed (the signal exists once that day is over)."""
    since: date
    school_brin: str | None
    residence_cbs: str
    recipients: tuple[str, ...]
    summary: str
    """One line in Dutch for the recipient: ids, school, dates, weeks and hours, never names."""
    soort: Soort | None = None
    school_weeks: int = 0
    hours: float | None = None
    hour_unit: str | None = None

    def __post_init__(self) -> None:
        _require(len(self.key) <= MAX_KEY_LENGTH, f"signal key longer than {MAX_KEY_LENGTH}: {self.key!r}")


@dataclass(frozen=True)
class Episode:
    """A row of the thuiszitter register: one continuous period out of school (or a 5a vrijstelling)."""

    pupil_id: str
    kind: EpisodeKind
    first_day: date
    last_day: date | None
    """The last day out of school; None while the episode is still open."""
    school_brin: str | None
    residence_cbs: str
    school_weeks: int
    duty: Duty = "leerplicht"
    """The duty the pupil was under when the episode became a thuiszitter (kwalificatieplicht: art. 4a)."""

    @property
    def key(self) -> str:
        """Stable register key: the thuiszitter or hidden-thuiszitter signal key, or
        ``<pupil>:vrijstelling:<first day>``.
        """
        label = self.kind if self.kind in ("vrijstelling", "verborgen") else "thuiszitter"
        return f"{self.pupil_id}:{label}:{self.first_day.isoformat()}"


@dataclass(frozen=True)
class Detection:
    """What one detection run found for one pupil."""

    pupil_id: str
    signals: tuple[Signal, ...] = ()
    episodes: tuple[Episode, ...] = ()
