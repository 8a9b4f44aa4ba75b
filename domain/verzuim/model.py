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
EpisodeKind = Literal["relatief", "absoluut", "vrijstelling"]
SignalKind = Literal["meldplicht", "dreigend_thuiszitter", "thuiszitter", "escalatie", "vrijstelling_herinnering"]

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

    def __post_init__(self) -> None:
        _require(self.hours >= 0, f"absence hours cannot be negative, got {self.hours}")


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
    kwalificatieplicht_telt: bool = False
    """Whether thuiszitter rules also apply to kwalificatieplichtigen (16-18); the issue says leerplichtig."""
    herinnering_maand: int = 6
    herinnering_dag: int = 1
    """The vrijstelling reminder is due from this day (default 1 June) in the school year it ends."""

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if field.type == "int":
                _require(isinstance(value, int) and not isinstance(value, bool) and value >= 1,
                         f"setting {field.name} must be a whole number >= 1, got {value!r}")
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

    @property
    def key(self) -> str:
        """Stable register key: the thuiszitter signal key, or ``<pupil>:vrijstelling:<first day>``."""
        label = "vrijstelling" if self.kind == "vrijstelling" else "thuiszitter"
        return f"{self.pupil_id}:{label}:{self.first_day.isoformat()}"


@dataclass(frozen=True)
class Detection:
    """What one detection run found for one pupil."""

    pupil_id: str
    signals: tuple[Signal, ...] = ()
    episodes: tuple[Episode, ...] = ()
