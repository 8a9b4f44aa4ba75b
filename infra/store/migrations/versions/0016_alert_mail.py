"""E-mail for alerts (issue 16): an account's address and whether it wants each alert at once or a daily
digest (``users.email``, ``users.mail_mode``); ``alerts.mail_queued_at`` says the alert's mails are queued;
``mail_outbox`` holds one row per alert per recipient until the SMTP server accepted it. Alerts raised before
this migration are marked queued, so that upgrading mails nobody about old alerts.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from infra.store.tables import BigId, UTCDateTime

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the address and preference, the queued mark (old alerts: queued at their creation), the outbox."""
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("email", sa.String(254)))
        batch.add_column(sa.Column("mail_mode", sa.String(10), nullable=False, server_default="direct"))
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("mail_queued_at", UTCDateTime))
    op.execute("UPDATE alerts SET mail_queued_at = created_at")
    op.create_index("ix_alerts_mail_queued_at", "alerts", ["mail_queued_at"])
    op.create_table(
        "mail_outbox",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("alert_id", sa.String(36), sa.ForeignKey("alerts.id"), nullable=False),
        sa.Column("user_id", sa.String(36), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("digest", sa.Boolean, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("due_at", UTCDateTime, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.String(300)),
        sa.Column("status", sa.String(10), nullable=False, server_default="pending"),
        sa.Column("sent_at", UTCDateTime),
        sa.UniqueConstraint("alert_id", "user_id", name="uq_mail_outbox_alert_user"),
    )
    op.create_index("ix_mail_outbox_status_due", "mail_outbox", ["status", "due_at"])


def downgrade() -> None:
    """Drop the outbox, the queued mark and the address and preference."""
    op.drop_index("ix_mail_outbox_status_due", "mail_outbox")
    op.drop_table("mail_outbox")
    op.drop_index("ix_alerts_mail_queued_at", "alerts")
    with op.batch_alter_table("alerts") as batch:
        batch.drop_column("mail_queued_at")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("mail_mode")
        batch.drop_column("email")
