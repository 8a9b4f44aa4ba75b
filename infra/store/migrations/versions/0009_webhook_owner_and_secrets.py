"""Webhook subscriptions: their owner, Standard Webhooks secrets and rotation.

Every subscription gets the account that owns it (``owner_id``): only that account and admins
manage it, and it delivers only while that account is neither revoked nor expired. The rows made
before this migration have no owner and cannot get one (who registered them was not recorded, only
the role and scopes), so they are deactivated here with ``last_error = 'geen eigenaar'``: admins still
see them, and a coordinator registers the receiver again (which also gives it a Standard Webhooks
secret in place of the old hex one).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from infra.store.tables import BigId, UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the owner, the previous secret and its end, and the pinned retry batch; deactivate ownerless rows."""
    with op.batch_alter_table("webhook_subscriptions") as batch:
        batch.add_column(sa.Column("owner_id", sa.String(36)))
        batch.add_column(sa.Column("previous_secret", sa.String(64)))
        batch.add_column(sa.Column("previous_secret_until", UTCDateTime))
        batch.add_column(sa.Column("retry_through", BigId))
        batch.create_foreign_key("fk_webhook_subscriptions_owner_id_users", "users", ["owner_id"], ["id"])
        batch.create_index("ix_webhook_subscriptions_owner_id", ["owner_id"])
    op.execute(sa.text("UPDATE webhook_subscriptions SET active = :off, next_attempt_at = NULL, "
                       "last_error = 'geen eigenaar' WHERE owner_id IS NULL").bindparams(off=False))


def downgrade() -> None:
    """Drop the added columns (the deactivated rows stay inactive)."""
    with op.batch_alter_table("webhook_subscriptions") as batch:
        batch.drop_index("ix_webhook_subscriptions_owner_id")
        batch.drop_constraint("fk_webhook_subscriptions_owner_id_users", type_="foreignkey")
        batch.drop_column("retry_through")
        batch.drop_column("previous_secret_until")
        batch.drop_column("previous_secret")
        batch.drop_column("owner_id")
