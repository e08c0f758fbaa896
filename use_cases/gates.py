"""Stage gates: a request to move a use case lists its checklist and the roles that must approve;
the stage changes when the last of them approves. Every step writes its audit entry."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from gateway.core.audit import add_audit_entry
from gateway.core.db import session_scope
from gateway.core.models import utcnow
from gateway.core.use_case_terms import RiskTier, Stage
from use_cases.errors import ApprovalRefused, GateNotFound, InvalidUseCase, RegistryConflict
from use_cases.registry import find
from use_cases.settings import OWNER_ROLES, UseCasesSettings
from use_cases.tables import GateApproval, StageGate, UseCase
from use_cases.vocabulary import GateStatus, next_stages


@dataclass(frozen=True)
class Approver:
    """Who approves: `actor` for the audit log; `person` is the account name, None for the admin key
    (which may approve for any role)."""

    actor: str
    person: str | None


@dataclass(frozen=True)
class GateView:
    gate: StageGate
    approvals: list[GateApproval]

    @property
    def missing_roles(self) -> list[str]:
        done = {approval.role for approval in self.approvals}
        return [role for role in self.gate.roles if role not in done]


def holds_role(use_case: UseCase, role: str, person: str, settings: UseCasesSettings) -> bool:
    if role in OWNER_ROLES:
        return bool(getattr(use_case, role) == person)
    return person in settings.boards.get(role, [])


def _audit(session: Session, actor: str, action: str, use_case: UseCase, **details: object) -> None:
    add_audit_entry(
        session,
        actor=actor,
        action=action,
        team=use_case.team,
        target=f"use_case:{use_case.id}",
        use_case=use_case.id,
        details={"use_case": use_case.id, **details},
    )


def _pass(session: Session, use_case: UseCase, gate: StageGate, actor: str) -> None:
    now = utcnow()
    gate.status, gate.passed_at = GateStatus.PASSED.value, now
    before = use_case.stage
    use_case.stage, use_case.stage_since, use_case.revision = gate.to_stage, now, use_case.revision + 1
    session.add(gate)
    session.add(use_case)
    _audit(session, actor, "use_case.stage_change", use_case, gate_id=gate.id, **{"from": before, "to": gate.to_stage})


def request_stage(
    engine: Engine, settings: UseCasesSettings, use_case_id: str, to: Stage, note: str, *, actor: str
) -> GateView:
    """Open the gate to `to`; raises InvalidUseCase for a stage not next, RegistryConflict if one is open."""
    with session_scope(engine) as session:
        use_case = find(session, use_case_id)
        allowed = next_stages(Stage(use_case.stage))
        if to not in allowed:
            choices = " or ".join(stage.value for stage in allowed) or "nothing (it is retired)"
            raise InvalidUseCase(f"From {use_case.stage} a use case may move to {choices}, not {to.value}.", param="to")
        open_gate = session.exec(
            select(StageGate).where(StageGate.use_case_id == use_case.id, StageGate.status == GateStatus.OPEN.value)
        ).first()
        if open_gate is not None:
            raise RegistryConflict(
                f"The gate {open_gate.id} to {open_gate.to_stage} is still open: approve it first.", code="gate_open"
            )
        gate_settings = settings.gate_for(to)
        gate = StageGate(
            use_case_id=use_case.id,
            from_stage=use_case.stage,
            to_stage=to.value,
            note=note,
            checklist=list(gate_settings.checklist),
            roles=gate_settings.roles_for(RiskTier(use_case.risk_tier)),
            requested_by=actor,
        )
        session.add(gate)
        session.flush()
        _audit(session, actor, "use_case.stage_request", use_case, gate_id=gate.id, to=to.value, note=note)
        if not gate.roles:  # a gate that asks nobody passes at once
            _pass(session, use_case, gate, actor)
        return GateView(gate, [])


def approve(
    engine: Engine,
    settings: UseCasesSettings,
    use_case_id: str,
    gate_id: str,
    role: str,
    note: str,
    approver: Approver,
) -> GateView:
    """Record one role's approval; the last one moves the use case. Raises ApprovalRefused when the
    approver does not hold the role or already approved this gate for another role."""
    try:
        with session_scope(engine) as session:
            use_case = find(session, use_case_id)
            gate = session.exec(
                select(StageGate).where(StageGate.id == gate_id, StageGate.use_case_id == use_case.id).with_for_update()
            ).first()
            if gate is None:
                raise GateNotFound(f"The use case {use_case_id} has no gate {gate_id!r}.", param="gate_id")
            if gate.status != GateStatus.OPEN.value:
                raise RegistryConflict(f"The gate {gate_id} has already passed.", code="gate_passed")
            if role not in gate.roles:
                raise InvalidUseCase(
                    f"The gate asks for approval by {', '.join(gate.roles)}, not {role!r}.", param="role"
                )
            if approver.person is not None and not holds_role(use_case, role, approver.person, settings):
                raise ApprovalRefused(f"{approver.person!r} does not hold the role {role!r} for this use case.")
            approvals = _approvals(session, gate_id)
            if any(a.role == role for a in approvals):
                raise RegistryConflict(f"The role {role!r} has already approved this gate.", code="already_approved")
            if any(a.approved_by == approver.actor for a in approvals):
                raise ApprovalRefused(f"{approver.actor} already approved this gate for another role.")
            approval = GateApproval(gate_id=gate_id, role=role, approved_by=approver.actor, note=note)
            session.add(approval)
            session.flush()
            approvals.append(approval)
            _audit(session, approver.actor, "use_case.gate_approve", use_case, gate_id=gate_id, role=role, note=note)
            view = GateView(gate, approvals)
            if not view.missing_roles:
                _pass(session, use_case, gate, approver.actor)
            return view
    except IntegrityError:  # a concurrent approval for the same role or by the same person won
        raise RegistryConflict("Another approval of this gate was recorded at the same moment.") from None


def _approvals(session: Session, gate_id: str) -> list[GateApproval]:
    query = select(GateApproval).where(GateApproval.gate_id == gate_id).order_by(col(GateApproval.id))
    return list(session.exec(query))


def gates_of(engine: Engine, use_case_id: str) -> list[GateView]:
    """Every gate of a use case, newest first, with its approvals."""
    with session_scope(engine) as session:
        gates = list(
            session.exec(
                select(StageGate)
                .where(StageGate.use_case_id == use_case_id)
                .order_by(col(StageGate.requested_at).desc())
            )
        )
        return [GateView(gate, _approvals(session, gate.id)) for gate in gates]
