"""review queue at scale: the prompt and a blind word index on review items, the queue's indexes,
forms kept across an expired session

Revision ID: q0004
Revises: b0004
Create Date: 2026-12-07 03:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "q0004"
down_revision = "b0004"
branch_labels = None
depends_on = None

text = sqlmodel.sql.sqltypes.AutoString
when = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("review_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("prompt", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("search_terms", sa.Text(), nullable=False, server_default=""))
        batch_op.create_index("ix_review_items_status_due", ["status", "sla_due_at", "id"], unique=False)
        batch_op.create_index("ix_review_items_key_prefix", ["key_prefix"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        # Word search: the blind index's tags as an array, in a GIN index (SQLite scans instead).
        op.create_index(
            "ix_review_items_search_tags",
            "review_items",
            [sa.text("string_to_array(btrim(search_terms), ' ')")],
            postgresql_using="gin",
        )

    op.create_table(
        "admin_kept_forms",
        sa.Column("id", text(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("action", text(length=300), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("created_at", when, nullable=False),
        sa.Column("expires_at", when, nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["admin_users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("admin_kept_forms", schema=None) as batch_op:
        batch_op.create_index("ix_admin_kept_forms_user_id", ["user_id"], unique=False)
        batch_op.create_index("ix_admin_kept_forms_expires_at", ["expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("admin_kept_forms", schema=None) as batch_op:
        batch_op.drop_index("ix_admin_kept_forms_expires_at")
        batch_op.drop_index("ix_admin_kept_forms_user_id")
    op.drop_table("admin_kept_forms")
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_review_items_search_tags", table_name="review_items")
    with op.batch_alter_table("review_items", schema=None) as batch_op:
        batch_op.drop_index("ix_review_items_key_prefix")
        batch_op.drop_index("ix_review_items_status_due")
        batch_op.drop_column("search_terms")
        batch_op.drop_column("prompt")
