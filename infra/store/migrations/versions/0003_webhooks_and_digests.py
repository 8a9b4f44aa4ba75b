"""Webhook subscriptions (each with its own outbox cursor) and weekly digests of stalled pathways.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from infra.store.tables import BigId, UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create webhook_subscriptions and digests."""
    op.create_table(
        "webhook_subscriptions",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("secret", sa.String(64), nullable=False),
        sa.Column("description", sa.String(200), nullable=False, server_default=""),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("cursor", BigId, nullable=False, server_default="0"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", UTCDateTime),
        sa.Column("failing_since", UTCDateTime),
        sa.Column("last_error", sa.Text),
        sa.Column("delivered", BigId, nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_subscriptions"),
    )
    op.create_table(
        "digests",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("profile", sa.String(40), nullable=False),
        sa.Column("week", sa.String(8), nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("as_of", UTCDateTime, nullable=False),
        sa.Column("content", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_digests"),
    )
    op.create_index("ix_digests_profile_week", "digests", ["profile", "week"], unique=True)


def downgrade() -> None:
    """Drop both tables."""
    op.drop_table("digests")
    op.drop_table("webhook_subscriptions")
