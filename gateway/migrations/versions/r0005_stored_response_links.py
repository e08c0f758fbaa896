"""stored responses link to the response they continue and keep only their own turn

Rows stored before hold their whole conversation and continue nothing: each becomes the first
(and only) response of its conversation. The index on team_id, which no query used, goes; the
conversation's id and expiry are indexed for forgetting whole conversations. Stepping back
deletes the responses that continue another (their turn alone is not their conversation).

Revision ID: r0005
Revises: f0004
Create Date: 2026-12-07 12:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "r0005"
down_revision = "f0004"
branch_labels = None
depends_on = None

ID = sqlmodel.sql.sqltypes.AutoString(length=64)


def upgrade() -> None:
    with op.batch_alter_table("stored_responses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("previous_id", ID, nullable=True))
        batch_op.add_column(sa.Column("root_id", ID, nullable=True))
        batch_op.drop_index("ix_stored_responses_team_id")
    op.execute("UPDATE stored_responses SET root_id = id")
    with op.batch_alter_table("stored_responses", schema=None) as batch_op:
        batch_op.alter_column("root_id", existing_type=ID, nullable=False)
        batch_op.create_index("ix_stored_responses_root_expiry", ["root_id", "expires_at"], unique=False)


def downgrade() -> None:
    op.execute("DELETE FROM stored_responses WHERE previous_id IS NOT NULL")
    with op.batch_alter_table("stored_responses", schema=None) as batch_op:
        batch_op.drop_index("ix_stored_responses_root_expiry")
        batch_op.create_index("ix_stored_responses_team_id", ["team_id"], unique=False)
        batch_op.drop_column("root_id")
        batch_op.drop_column("previous_id")
