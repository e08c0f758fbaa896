"""use case registry: use cases, stage gates, key bindings, model cards; the use case on ledger rows

Revision ID: u0003
Revises: r0003
Create Date: 2026-12-04 22:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "u0003"
down_revision = "r0003"
branch_labels = None
depends_on = None

text = sqlmodel.sql.sqltypes.AutoString
when = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "use_cases",
        sa.Column("id", text(length=32), nullable=False),
        sa.Column("name", text(length=128), nullable=False),
        sa.Column("team", text(length=128), nullable=False),
        sa.Column("purpose", text(length=4000), nullable=False),
        sa.Column("risk_tier", text(length=8), nullable=False),
        sa.Column("data_classification", text(length=16), nullable=False),
        sa.Column("score_value", sa.Integer(), nullable=False),
        sa.Column("score_feasibility", sa.Integer(), nullable=False),
        sa.Column("score_risk", sa.Integer(), nullable=False),
        sa.Column("sponsor", text(length=64), nullable=False),
        sa.Column("tech_lead", text(length=64), nullable=False),
        sa.Column("compliance_reviewer", text(length=64), nullable=False),
        sa.Column("stage", text(length=16), nullable=False),
        sa.Column("prompts", sa.JSON(), nullable=False),
        sa.Column("models", sa.JSON(), nullable=False),
        sa.Column("created_by", text(length=128), nullable=False),
        sa.Column("created_at", when, nullable=False),
        sa.Column("stage_since", when, nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("use_cases", schema=None) as batch_op:
        batch_op.create_index("ix_use_cases_name", ["name"], unique=True)
        batch_op.create_index("ix_use_cases_team", ["team"], unique=False)
        batch_op.create_index("ix_use_cases_stage", ["stage"], unique=False)

    op.create_table(
        "use_case_gates",
        sa.Column("id", text(length=32), nullable=False),
        sa.Column("use_case_id", text(length=32), nullable=False),
        sa.Column("from_stage", text(length=16), nullable=False),
        sa.Column("to_stage", text(length=16), nullable=False),
        sa.Column("note", text(length=2000), nullable=False),
        sa.Column("checklist", sa.JSON(), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("status", text(length=8), nullable=False),
        sa.Column("requested_by", text(length=128), nullable=False),
        sa.Column("requested_at", when, nullable=False),
        sa.Column("passed_at", when, nullable=True),
        sa.ForeignKeyConstraint(["use_case_id"], ["use_cases.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("use_case_gates", schema=None) as batch_op:
        batch_op.create_index("ix_use_case_gates_use_case_id", ["use_case_id"], unique=False)

    op.create_table(
        "use_case_gate_approvals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("gate_id", text(length=32), nullable=False),
        sa.Column("role", text(length=64), nullable=False),
        sa.Column("approved_by", text(length=128), nullable=False),
        sa.Column("note", text(length=2000), nullable=False),
        sa.Column("at", when, nullable=False),
        sa.ForeignKeyConstraint(["gate_id"], ["use_case_gates.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("gate_id", "role", name="uq_use_case_gate_approvals_role"),
        sa.UniqueConstraint("gate_id", "approved_by", name="uq_use_case_gate_approvals_person"),
    )
    with op.batch_alter_table("use_case_gate_approvals", schema=None) as batch_op:
        batch_op.create_index("ix_use_case_gate_approvals_gate_id", ["gate_id"], unique=False)

    op.create_table(
        "use_case_keys",
        sa.Column("key_id", sa.Integer(), nullable=False),
        sa.Column("use_case_id", text(length=32), nullable=False),
        sa.ForeignKeyConstraint(["key_id"], ["api_keys.id"]),
        sa.ForeignKeyConstraint(["use_case_id"], ["use_cases.id"]),
        sa.PrimaryKeyConstraint("key_id"),
    )
    with op.batch_alter_table("use_case_keys", schema=None) as batch_op:
        batch_op.create_index("ix_use_case_keys_use_case_id", ["use_case_id"], unique=False)

    op.create_table(
        "model_cards",
        sa.Column("model_name", text(length=128), nullable=False),
        sa.Column("provider", text(length=128), nullable=False),
        sa.Column("version", text(length=128), nullable=False),
        sa.Column("data_residency", text(length=128), nullable=False),
        sa.Column("allowed_data_classifications", sa.JSON(), nullable=False),
        sa.Column("allowed_risk_tiers", sa.JSON(), nullable=False),
        sa.Column("intended_use", text(length=4000), nullable=False),
        sa.Column("known_limitations", text(length=4000), nullable=False),
        sa.Column("evaluation_results", sa.JSON(), nullable=False),
        sa.Column("owner", text(length=128), nullable=False),
        sa.Column("review_due", sa.Date(), nullable=True),
        sa.Column("status", text(length=16), nullable=False),
        sa.Column("experimentation", sa.Boolean(), nullable=False),
        sa.Column("end_of_life", sa.Date(), nullable=True),
        sa.Column("updated_by", text(length=128), nullable=False),
        sa.Column("updated_at", when, nullable=False),
        sa.PrimaryKeyConstraint("model_name"),
    )

    # The KPIs' daily rollup of the ledger (gateway/ledger/daily.py).
    op.create_table(
        "usage_daily",
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
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("day", "team_name", "use_case", "requested_model", name="uq_usage_daily_key"),
    )
    with op.batch_alter_table("usage_daily", schema=None) as batch_op:
        batch_op.create_index("ix_usage_daily_day", ["day"], unique=False)
    op.create_table(
        "usage_pairs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", text(length=8), nullable=False),
        sa.Column("first", text(length=256), nullable=False),
        sa.Column("second", text(length=256), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "first", "second", name="uq_usage_pairs"),
    )

    # Attribution: the use case a request, a review item or an audit entry belongs to.
    with op.batch_alter_table("usage_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("use_case", text(length=32), nullable=True))
        batch_op.add_column(sa.Column("flagged", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("blocked", sa.Boolean(), nullable=False, server_default=sa.false()))
        # A use case's spend this month; the probes of the KPIs' pairs (gateway/ledger/daily.py).
        batch_op.create_index("ix_usage_records_use_case_time", ["use_case", "time"], unique=False)
        batch_op.create_index("ix_usage_records_people", ["use_case", "end_user", "time"], unique=False)
        batch_op.create_index(
            "ix_usage_records_prompts",
            ["prompt_name", "team_name", "time"],
            unique=False,
            postgresql_where=sa.text("prompt_name IS NOT NULL"),
            sqlite_where=sa.text("prompt_name IS NOT NULL"),
        )
    with op.batch_alter_table("review_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("use_case", text(length=32), nullable=True))
        batch_op.create_index("ix_review_items_use_case", ["use_case"], unique=False)
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("use_case", text(length=32), nullable=True))
        batch_op.create_index("ix_audit_log_use_case", ["use_case"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("usage_records", schema=None) as batch_op:
        batch_op.drop_index("ix_usage_records_prompts")
        batch_op.drop_index("ix_usage_records_people")
    for table in ("audit_log", "review_items", "usage_records"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(f"ix_{table}_use_case" + ("_time" if table == "usage_records" else ""))
            batch_op.drop_column("use_case")
            if table == "usage_records":
                batch_op.drop_column("blocked")
                batch_op.drop_column("flagged")
    op.drop_table("usage_pairs")
    op.drop_table("usage_daily")
    op.drop_table("model_cards")
    op.drop_table("use_case_keys")
    op.drop_table("use_case_gate_approvals")
    op.drop_table("use_case_gates")
    op.drop_table("use_cases")
