"""Verzuim and thuiszitters: enrollments, absences, vrijstellingen, schools' own holidays, and the
thuiszitter register (rows never deleted; an update may only close an episode or record what was done).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from infra.store.tables import BigId, UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

FIXED = ("id", "key", "pupil_id", "kind", "first_day", "school_brin", "residence_cbs", "created_at")
"""Columns of a register row that never change once written."""
_SQLITE_NO_DELETE = """
CREATE TRIGGER thuiszitter_episodes_no_delete BEFORE DELETE ON thuiszitter_episodes
BEGIN SELECT RAISE(ABORT, 'thuiszitter register rows are never deleted'); END
"""
_SQLITE_FIXED = """
CREATE TRIGGER thuiszitter_episodes_fixed BEFORE UPDATE ON thuiszitter_episodes
WHEN {changed}
BEGIN SELECT RAISE(ABORT, 'thuiszitter register: only last_day, school_weeks, case_id and actions change'); END
"""
_PG_GUARD = """
CREATE FUNCTION thuiszitter_episodes_guard() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN
  IF TG_OP <> 'UPDATE' THEN RAISE EXCEPTION 'thuiszitter register rows are never deleted'; END IF;
  IF {changed} THEN
    RAISE EXCEPTION 'thuiszitter register: only last_day, school_weeks, case_id and actions change';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER thuiszitter_episodes_guard BEFORE UPDATE OR DELETE ON thuiszitter_episodes
FOR EACH ROW EXECUTE FUNCTION thuiszitter_episodes_guard();
"""


def upgrade() -> None:
    """Create the verzuim tables and guard the register."""
    _inputs()
    op.create_table(
        "school_holidays",
        sa.Column("id", BigId, nullable=False, autoincrement=True),
        sa.Column("scope", sa.String(6), nullable=False),
        sa.Column("code", sa.String(8), nullable=False),
        sa.Column("name", sa.String(60), nullable=False),
        sa.Column("first_day", sa.Date, nullable=False),
        sa.Column("last_day", sa.Date, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_school_holidays"),
    )
    op.create_index("ix_school_holidays_scope_code", "school_holidays", ["scope", "code"])
    _register()


def _inputs() -> None:
    op.create_table(
        "enrollments",
        sa.Column("id", BigId, nullable=False, autoincrement=True),
        sa.Column("pupil_id", sa.String(64), nullable=False),
        sa.Column("school_brin", sa.String(8), nullable=False),
        sa.Column("first_day", sa.Date, nullable=False),
        sa.Column("last_day", sa.Date),
        sa.Column("recorded_at", UTCDateTime, nullable=False),
        sa.ForeignKeyConstraint(["pupil_id"], ["pupils.id"], name="fk_enrollments_pupil_id_pupils"),
        sa.ForeignKeyConstraint(["school_brin"], ["schools.brin"], name="fk_enrollments_school_brin_schools"),
        sa.PrimaryKeyConstraint("id", name="pk_enrollments"),
    )
    op.create_index("ix_enrollments_pupil_school_first", "enrollments", ["pupil_id", "school_brin", "first_day"],
                    unique=True)
    op.create_index("ix_enrollments_last_day", "enrollments", ["last_day"])
    op.create_table(
        "absences",
        sa.Column("id", BigId, nullable=False, autoincrement=True),
        sa.Column("pupil_id", sa.String(64), nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("hours", sa.Float, nullable=False),
        sa.Column("authorized", sa.Boolean, nullable=False),
        sa.Column("reason", sa.String(60), nullable=False, server_default=""),
        sa.Column("recorded_at", UTCDateTime, nullable=False),
        sa.ForeignKeyConstraint(["pupil_id"], ["pupils.id"], name="fk_absences_pupil_id_pupils"),
        sa.PrimaryKeyConstraint("id", name="pk_absences"),
    )
    op.create_index("ix_absences_pupil_day", "absences", ["pupil_id", "day", "authorized"], unique=True)
    op.create_index("ix_absences_day", "absences", ["day"])
    op.create_table(
        "vrijstellingen",
        sa.Column("id", BigId, nullable=False, autoincrement=True),
        sa.Column("pupil_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(4), nullable=False),
        sa.Column("first_day", sa.Date, nullable=False),
        sa.Column("last_day", sa.Date),
        sa.Column("recorded_at", UTCDateTime, nullable=False),
        sa.ForeignKeyConstraint(["pupil_id"], ["pupils.id"], name="fk_vrijstellingen_pupil_id_pupils"),
        sa.PrimaryKeyConstraint("id", name="pk_vrijstellingen"),
    )
    op.create_index("ix_vrijstellingen_pupil_kind_first", "vrijstellingen", ["pupil_id", "kind", "first_day"],
                    unique=True)


def _register() -> None:
    op.create_table(
        "thuiszitter_episodes",
        sa.Column("id", BigId, nullable=False, autoincrement=True),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("pupil_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("first_day", sa.Date, nullable=False),
        sa.Column("last_day", sa.Date),
        sa.Column("school_brin", sa.String(8)),
        sa.Column("residence_cbs", sa.String(4), nullable=False),
        sa.Column("school_weeks", sa.Integer, nullable=False),
        sa.Column("case_id", sa.String(36)),
        sa.Column("actions", sa.JSON, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_thuiszitter_episodes"),
        sa.UniqueConstraint("key", name="uq_thuiszitter_episodes_key"),
    )
    for column in ("pupil_id", "first_day", "last_day"):
        op.create_index(f"ix_thuiszitter_episodes_{column}", "thuiszitter_episodes", [column])
    if op.get_bind().dialect.name == "sqlite":
        op.execute(_SQLITE_NO_DELETE)
        op.execute(_SQLITE_FIXED.format(changed=" OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in FIXED)))
    else:
        op.execute(_PG_GUARD.format(changed=" OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in FIXED)))


def downgrade() -> None:
    """Drop the verzuim tables (the register's triggers go with it)."""
    for table in ("thuiszitter_episodes", "school_holidays", "vrijstellingen", "absences", "enrollments"):
        op.drop_table(table)
    if op.get_bind().dialect.name != "sqlite":
        op.execute("DROP FUNCTION IF EXISTS thuiszitter_episodes_guard()")
