"""Settings of the registry (the app nests them as `use_cases:` in the gateway's config): each target
stage's gate, who sits on the boards that approve, and how fast every process sees a change.

Without configuration every gate asks for the checklist and approvals the council starts with:
model card reviewed, evaluation attached, the compliance reviewer's approval, and for a high-risk
use case the ethics board's too.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from gateway.core.use_case_terms import RiskTier, Stage

# Roles held by the people a use case names; any other gate role is a board listed in `boards`.
OWNER_ROLES = ("sponsor", "tech_lead", "compliance_reviewer")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GateSettings(_Strict):
    checklist: list[str] = Field(default_factory=lambda: ["model card reviewed", "evaluation attached"])
    approvals: list[str] = Field(default_factory=lambda: ["compliance_reviewer"])
    high_risk_approvals: list[str] = Field(default_factory=lambda: ["ethics_board"])

    def roles_for(self, tier: RiskTier) -> list[str]:
        extra = self.high_risk_approvals if tier is RiskTier.HIGH else []
        return list(dict.fromkeys([*self.approvals, *extra]))


class UseCasesSettings(_Strict):
    # A target stage without an entry gets the default gate.
    gates: dict[Stage, GateSettings] = Field(default_factory=dict)
    default_gate: GateSettings = Field(default_factory=GateSettings)
    # Board role → the account names sitting on it.
    boards: dict[str, list[str]] = Field(default_factory=lambda: {"ethics_board": list[str]()})
    refresh_seconds: float = Field(default=2.0, gt=0, description="how often each process re-reads the registry")
    rollup_refresh_seconds: float = Field(
        default=60.0, ge=0, description="how stale the daily rollup the KPI and spend pages read may be"
    )

    @model_validator(mode="after")
    def _roles_are_known(self) -> UseCasesSettings:
        for gate in [self.default_gate, *self.gates.values()]:
            for role in [*gate.approvals, *gate.high_risk_approvals]:
                if role not in OWNER_ROLES and role not in self.boards:
                    raise ValueError(f"gate role {role!r} is neither an owner role {OWNER_ROLES} nor a board")
        return self

    def gate_for(self, stage: Stage) -> GateSettings:
        return self.gates.get(stage, self.default_gate)
