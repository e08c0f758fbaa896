"""The registry's JSON shapes, shared by the admin API and the CLI."""

from __future__ import annotations

from typing import Any

from use_cases.gates import GateView
from use_cases.tables import UseCase


def use_case_json(row: UseCase) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "team": row.team,
        "purpose": row.purpose,
        "risk_tier": row.risk_tier,
        "data_classification": row.data_classification,
        "scores": {"value": row.score_value, "feasibility": row.score_feasibility, "risk": row.score_risk},
        "owners": {"sponsor": row.sponsor, "tech_lead": row.tech_lead, "compliance_reviewer": row.compliance_reviewer},
        "stage": row.stage,
        "stage_since": row.stage_since.isoformat(),
        "prompts": row.prompts,
        "models": row.models,
        "created_by": row.created_by,
        "created_at": row.created_at.isoformat(),
    }


def gate_json(view: GateView) -> dict[str, Any]:
    by_role = {approval.role: approval for approval in view.approvals}
    gate = view.gate
    return {
        "gate_id": gate.id,
        "use_case": gate.use_case_id,
        "from": gate.from_stage,
        "to": gate.to_stage,
        "note": gate.note,
        "status": gate.status,
        "checklist": gate.checklist,
        "checked": [{"item": t.item, "ticked_by": t.ticked_by, "at": t.at.isoformat()} for t in view.ticks],
        "approvals": [
            {
                "role": role,
                "approved_by": by_role[role].approved_by if role in by_role else None,
                "at": by_role[role].at.isoformat() if role in by_role else None,
                "note": by_role[role].note if role in by_role else "",
            }
            for role in gate.roles
        ],
        "requested_by": gate.requested_by,
        "requested_at": gate.requested_at.isoformat(),
        "passed_at": gate.passed_at.isoformat() if gate.passed_at else None,
    }
