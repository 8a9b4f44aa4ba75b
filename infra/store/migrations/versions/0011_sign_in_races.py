"""Sign-in races: TOTP steps used once, failures counted atomically, attempts rate-limited.

The first two need no new column: ``web_credentials.totp_last_step`` and ``failed_attempts`` are now
changed only by conditional updates (see ``infra.identity.web_accounts``). The third needs a table of attempts
per one-minute window, per client address and per typed username (see ``infra.identity.sign_in_limits``).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from infra.store.tables import UTCDateTime

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create web_sign_in_windows."""
    op.create_table(
        "web_sign_in_windows",
        sa.Column("key", sa.String(80), nullable=False),
        sa.Column("window_start", UTCDateTime, nullable=False),
        sa.Column("admitted", sa.Integer, nullable=False, server_default="0"),
        sa.Column("refused", sa.Integer, nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("key", "window_start", name="pk_web_sign_in_windows"),
    )
    op.create_index("ix_web_sign_in_windows_window_start", "web_sign_in_windows", ["window_start"])


def downgrade() -> None:
    """Drop web_sign_in_windows."""
    op.drop_table("web_sign_in_windows")
