"""gate checklist ticks; the KPI pairs' first and last use; the rollup's ledger mark

Revision ID: c0004
Revises: q0004
Create Date: 2026-12-07 03:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "c0004"
down_revision = "q0004"
branch_labels = None
depends_on = None

text = sqlmodel.sql.sqltypes.AutoString
when = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "use_case_gate_ticks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("gate_id", text(length=32), nullable=False),
        sa.Column("item", text(length=500), nullable=False),
        sa.Column("ticked_by", text(length=128), nullable=False),
        sa.Column("at", when, nullable=False),
        sa.ForeignKeyConstraint(["gate_id"], ["use_case_gates.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("gate_id", "item", name="uq_use_case_gate_ticks_item"),
    )
    with op.batch_alter_table("use_case_gate_ticks", schema=None) as batch_op:
        batch_op.create_index("ix_use_case_gate_ticks_gate_id", ["gate_id"], unique=False)

    # The KPIs count a pair first or last used in a period without probing the ledger (daily.py).
    with op.batch_alter_table("usage_pairs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("first_seen", when, nullable=True))
        batch_op.add_column(sa.Column("last_seen", when, nullable=True))
    for kind, first, second in (("person", "use_case", "end_user"), ("prompt", "prompt_name", "team_name")):
        pair = f'r.{first} = usage_pairs."first" AND r.{second} = usage_pairs."second"'
        op.execute(
            f"UPDATE usage_pairs SET first_seen = (SELECT min(r.time) FROM usage_records r WHERE {pair}),"
            f" last_seen = (SELECT max(r.time) FROM usage_records r WHERE {pair}) WHERE kind = '{kind}'"
        )
    op.create_table(
        "usage_rollup_mark",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ledger_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("usage_rollup_mark")
    with op.batch_alter_table("usage_pairs", schema=None) as batch_op:
        batch_op.drop_column("last_seen")
        batch_op.drop_column("first_seen")
    op.drop_table("use_case_gate_ticks")
