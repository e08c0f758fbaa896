"""spend in the daily rollup: usage_daily per team id and key, with token sums, for the finance pages

The rollup is derived from the ledger: it is dropped and made again with the new columns, and the
next refresh (gateway/ledger/daily.py) fills it from the ledger.

Revision ID: f0004
Revises: c0004
Create Date: 2026-12-07 03:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "f0004"
down_revision = "c0004"
branch_labels = None
depends_on = None

text = sqlmodel.sql.sqltypes.AutoString
KEY = ("day", "team_name", "use_case", "requested_model")


def _create(spend: bool) -> None:
    columns = [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("team_name", text(length=128), nullable=False),
        sa.Column("use_case", text(length=32), nullable=False),
        sa.Column("requested_model", text(length=256), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.Column("cost_nanos", sa.BigInteger(), nullable=False),
        sa.Column("flagged", sa.Integer(), nullable=False),
        sa.Column("blocked", sa.Integer(), nullable=False),
        sa.Column("library", sa.Integer(), nullable=False),
    ]
    key = list(KEY)
    if spend:
        columns += [
            sa.Column("team_id", sa.Integer(), nullable=False),
            sa.Column("key_id", sa.Integer(), nullable=False),
            sa.Column("prompt_tokens", sa.BigInteger(), nullable=False),
            sa.Column("completion_tokens", sa.BigInteger(), nullable=False),
            sa.Column("total_tokens", sa.BigInteger(), nullable=False),
        ]
        key = ["day", "team_id", "team_name", "key_id", "use_case", "requested_model"]
    op.create_table(
        "usage_daily",
        *columns,
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(*key, name="uq_usage_daily_key"),
    )
    with op.batch_alter_table("usage_daily", schema=None) as batch_op:
        batch_op.create_index("ix_usage_daily_day", ["day"], unique=False)


def upgrade() -> None:
    op.drop_table("usage_daily")
    _create(spend=True)


def downgrade() -> None:
    op.drop_table("usage_daily")
    _create(spend=False)
