"""The verzuim and thuiszitter tables (issue 6): enrollments, absences, vrijstellingen and their intentions,
meldplicht signals, schools' and SWVs' own holidays, and the thuiszitter register.

Defined on the one schema's ``metadata`` (:mod:`infra.store.tables`, where the pupils and schools are):
whoever uses that metadata as the whole schema (Alembic's env, the schema tests) imports this module too.
"""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, Date, Float, ForeignKey, Index, Integer, String, Table

from infra.store.tables import BigId, UTCDateTime, metadata

enrollments = Table(
    "enrollments", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("pupil_id", String(64), ForeignKey("pupils.id"), nullable=False),
    Column("school_brin", String(8), ForeignKey("schools.brin"), nullable=False),
    Column("first_day", Date, nullable=False),
    Column("last_day", Date),
    Column("recorded_at", UTCDateTime, nullable=False),
    Index("ix_enrollments_pupil_school_first", "pupil_id", "school_brin", "first_day", unique=True),
    Index("ix_enrollments_last_day", "last_day"),
)
"""An inschrijving: the pupil at a school (BRIN) from ``first_day`` up to ``last_day`` inclusive (None:
still enrolled). Recording the same (pupil, school, first day) again sets its last day: the uitschrijving."""

absences = Table(
    "absences", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("pupil_id", String(64), ForeignKey("pupils.id"), nullable=False),
    Column("day", Date, nullable=False),
    Column("hours", Float, nullable=False),
    Column("authorized", Boolean, nullable=False),
    Column("reason", String(60), nullable=False, server_default=""),
    Column("reason_kind", String(20), nullable=False, server_default=""),
    Column("scheduled_hours", Float),
    Column("recorded_at", UTCDateTime, nullable=False),
    Index("ix_absences_pupil_day", "pupil_id", "day", "authorized", unique=True),
    Index("ix_absences_day", "day"),
)
"""Absence on one day, geoorloofd (``authorized``) or not: clock hours in PO, lesson hours in VO. One row
per pupil, day and kind; recording it again replaces the hours and the reason."""

vrijstellingen = Table(
    "vrijstellingen", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("pupil_id", String(64), ForeignKey("pupils.id"), nullable=False),
    Column("kind", String(4), nullable=False),
    Column("first_day", Date, nullable=False),
    Column("last_day", Date),
    Column("recorded_at", UTCDateTime, nullable=False),
    Column("swv_geraadpleegd_on", Date),
    Index("ix_vrijstellingen_pupil_kind_first", "pupil_id", "kind", "first_day", unique=True),
)
"""A vrijstelling (Leerplichtwet art. 5 onder a/b/c, 15, 11) from ``first_day`` to ``last_day`` (None: open);
``swv_geraadpleegd_on``: the day the SWV coordinator was consulted before a 5a was granted (seed 001 §4.7)."""

vrijstelling_voornemens = Table(
    "vrijstelling_voornemens", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("pupil_id", String(64), ForeignKey("pupils.id"), nullable=False),
    Column("kind", String(4), nullable=False),
    Column("first_day", Date, nullable=False),
    Column("last_day", Date),
    Column("swv_code", String(8)),
    Column("voorgenomen_on", Date, nullable=False),
    Column("raadplegen_uiterlijk", Date, nullable=False),
    Column("voorgenomen_by", String(36), nullable=False),
    Column("geraadpleegd_on", Date),
    Column("geraadpleegd_by", String(36)),
    Column("status", String(12), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_vrijstelling_voornemens_pupil_kind_first", "pupil_id", "kind", "first_day", unique=True),
)
"""An intended vrijstelling (``status`` voorgenomen, then verleend) and the SWV coordinator's consultation:
asked by ``raadplegen_uiterlijk``, done on ``geraadpleegd_on`` (issue 15 item 5; seed 001 §4.7)."""

meldplicht_meldingen = Table(
    "meldplicht_meldingen", metadata,
    Column("signal_key", String(200), primary_key=True),
    Column("pupil_id", String(64), nullable=False),
    Column("school_brin", String(8), nullable=False),
    Column("swv_code", String(8)),
    Column("residence_cbs", String(4), nullable=False),
    Column("reached_on", Date, nullable=False),
    Column("due_on", Date, nullable=False),
    Column("reported_on", Date),
    Column("kind", String(20)),
    Column("recorded_by", String(36)),
    Column("escalated_on", Date),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_meldplicht_meldingen_school_brin", "school_brin"),
    Index("ix_meldplicht_meldingen_swv_code", "swv_code"),
    Index("ix_meldplicht_meldingen_reached_on", "reached_on"),
)
"""A meldplicht signal followed through (issue 15 item 4): the school's verzuimmelding to DUO (the day, the
kind) and the last day it was due (``due_on``), or the day it escalated unreported (``escalated_on``)."""

school_holidays = Table(
    "school_holidays", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("scope", String(6), nullable=False),
    Column("code", String(8), nullable=False),
    Column("name", String(60), nullable=False),
    Column("first_day", Date, nullable=False),
    Column("last_day", Date, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_school_holidays_scope_code", "scope", "code"),
)
"""A school's (``scope`` 'school', code = BRIN) or an SWV's ('swv', code = SWV code) own holidays: each
replaces the region's default holiday of the same school year and name, or is added."""

thuiszitter_episodes = Table(
    "thuiszitter_episodes", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("key", String(200), nullable=False, unique=True),
    Column("pupil_id", String(64), nullable=False),
    Column("kind", String(12), nullable=False),
    Column("first_day", Date, nullable=False),
    Column("last_day", Date),
    Column("school_brin", String(8)),
    Column("residence_cbs", String(4), nullable=False),
    Column("school_weeks", Integer, nullable=False),
    Column("duty", String(20), nullable=False, server_default="leerplicht"),
    Column("case_id", String(36)),
    Column("actions", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_thuiszitter_episodes_pupil_id", "pupil_id"),
    Index("ix_thuiszitter_episodes_first_day", "first_day"),
    Index("ix_thuiszitter_episodes_last_day", "last_day"),
)
"""The thuiszitter register: one row per episode (relatief, absoluut, vrijstelling 5 onder a), with what was
done (``actions``). Rows are never deleted, and an update may only close the episode or record what was done
(database triggers)."""
