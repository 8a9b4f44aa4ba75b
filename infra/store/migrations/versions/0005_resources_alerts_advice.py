"""Resources (municipalities, SWVs, schools, pupils and their identities kept apart), alerts,
deskundige advice requests, webhook scopes, and indexes for case search and monitoring.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from infra.store.tables import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the resource, alert and advice tables; scope webhooks; index cases for search."""
    _create_resources()
    op.create_table(
        "alerts",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("audience_role", sa.String(30), nullable=False),
        sa.Column("audience_scope", sa.String(16), nullable=False),
        sa.Column("dedupe_key", sa.String(200), nullable=False),
        sa.Column("case_id", sa.String(36)),
        sa.Column("pupil_id", sa.String(64)),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("facts", sa.JSON, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("acknowledged_at", UTCDateTime),
        sa.Column("acknowledged_by", sa.String(36)),
        sa.Column("note", sa.Text),
        sa.PrimaryKeyConstraint("id", name="pk_alerts"),
        sa.UniqueConstraint("dedupe_key", name="uq_alerts_dedupe_key"),
    )
    op.create_index("ix_alerts_audience", "alerts", ["audience_role", "audience_scope", "created_at"])
    op.create_table(
        "feed_cursors",
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("position", sa.BigInteger().with_variant(sa.Integer, "sqlite"), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_feed_cursors"),
    )
    op.create_table(
        "advice_requests",
        sa.Column("case_id", sa.String(36), nullable=False),
        sa.Column("deskundige_id", sa.String(36), nullable=False),
        sa.Column("requested_by", sa.String(36), nullable=False),
        sa.Column("requested_at", UTCDateTime, nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_advice_requests_case_id_cases"),
        sa.ForeignKeyConstraint(["deskundige_id"], ["users.id"], name="fk_advice_requests_deskundige_id_users"),
        sa.PrimaryKeyConstraint("case_id", "deskundige_id", name="pk_advice_requests"),
    )
    op.create_index("ix_advice_requests_deskundige_id", "advice_requests", ["deskundige_id"])
    with op.batch_alter_table("webhook_subscriptions") as batch:
        batch.add_column(sa.Column("owner_role", sa.String(30), nullable=False, server_default="admin"))
        batch.add_column(sa.Column("scopes", sa.JSON, nullable=False, server_default="[]"))
    op.drop_index("ix_cases_school", table_name="cases")
    op.create_index("ix_cases_school_stage_entered", "cases", ["school_brin", "stage_entered_at"])
    op.create_index("ix_cases_profile_stage_entered", "cases", ["profile", "stage_entered_at"])


def _create_resources() -> None:
    op.create_table(
        "municipalities",
        sa.Column("cbs_code", sa.String(4), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("cbs_code", name="pk_municipalities"),
    )
    op.create_table(
        "swvs",
        sa.Column("code", sa.String(8), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("sector", sa.String(2), nullable=False),
        sa.PrimaryKeyConstraint("code", name="pk_swvs"),
    )
    op.create_table(
        "schools",
        sa.Column("brin", sa.String(8), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("swv_code", sa.String(8), nullable=False),
        sa.Column("kind", sa.String(4), nullable=False),
        sa.Column("municipality_cbs", sa.String(4), nullable=False),
        sa.Column("calendar_region", sa.String(8), nullable=False),
        sa.ForeignKeyConstraint(["swv_code"], ["swvs.code"], name="fk_schools_swv_code_swvs"),
        sa.ForeignKeyConstraint(["municipality_cbs"], ["municipalities.cbs_code"],
                                name="fk_schools_municipality_cbs_municipalities"),
        sa.PrimaryKeyConstraint("brin", name="pk_schools"),
    )
    op.create_index("ix_schools_swv_code", "schools", ["swv_code"])
    op.create_table(
        "pupils",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("school_brin", sa.String(8)),
        sa.Column("residence_cbs", sa.String(4), nullable=False),
        sa.Column("birth_date", sa.String(10), nullable=False),
        sa.Column("updated_at", UTCDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_pupils"),
    )
    op.create_index("ix_pupils_residence_cbs", "pupils", ["residence_cbs"])
    op.create_index("ix_pupils_school_brin", "pupils", ["school_brin"])
    op.create_table(
        "pupil_identities",
        sa.Column("pupil_id", sa.String(64), nullable=False),
        sa.Column("given_name", sa.String(100), nullable=False),
        sa.Column("family_name", sa.String(100), nullable=False),
        sa.Column("bsn", sa.String(9)),
        sa.ForeignKeyConstraint(["pupil_id"], ["pupils.id"], name="fk_pupil_identities_pupil_id_pupils"),
        sa.PrimaryKeyConstraint("pupil_id", name="pk_pupil_identities"),
    )


def downgrade() -> None:
    """Drop what upgrade created; restore the school index."""
    op.drop_index("ix_cases_profile_stage_entered", table_name="cases")
    op.drop_index("ix_cases_school_stage_entered", table_name="cases")
    op.create_index("ix_cases_school", "cases", ["school_brin"])
    with op.batch_alter_table("webhook_subscriptions") as batch:
        batch.drop_column("scopes")
        batch.drop_column("owner_role")
    for table in ("advice_requests", "feed_cursors", "alerts", "pupil_identities", "pupils", "schools", "swvs",
                  "municipalities"):
        op.drop_table(table)
