"""blocklist management (entries enabled or not, a revision every change bumps); audit log search

Revision ID: b0004
Revises: u0003
Create Date: 2026-12-07 03:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "b0004"
down_revision = "u0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Entries made by reviews before this revision stay in force: enabled.
    with op.batch_alter_table("blocklist_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("enabled", sa.Boolean(), nullable=False, server_default=sa.true()))
    revisions = op.create_table(
        "blocklist_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.bulk_insert(revisions, [{"id": 1, "revision": 0}])
    # The audit log's pages are ordered by (at, id); its searches by person walk their own entries.
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_at")
        batch_op.create_index("ix_audit_log_at_id", ["at", "id"], unique=False)
        batch_op.create_index("ix_audit_log_actor_at", ["actor", "at", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_actor_at")
        batch_op.drop_index("ix_audit_log_at_id")
        batch_op.create_index("ix_audit_log_at", ["at"], unique=False)
    op.drop_table("blocklist_revision")
    with op.batch_alter_table("blocklist_entries", schema=None) as batch_op:
        batch_op.drop_column("enabled")
