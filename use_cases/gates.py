"""Stage gates: a request to move a use case lists its checklist and the roles that must approve;
approvers tick checklist items as they approve, and the stage changes when the last role approves
with every item ticked. Every step writes its audit entry."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

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
from use_cases.tables import GateApproval, GateTick, StageGate, UseCase
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
    ticks: list[GateTick] = field(default_factory=list)

    @property
    def missing_roles(self) -> list[str]:
        done = {approval.role for approval in self.approvals}
        return [role for role in self.gate.roles if role not in done]

    @property
    def unticked(self) -> list[str]:
        done = {tick.item for tick in self.ticks}
        return [item for item in self.gate.checklist if item not in done]

    def tick_of(self, item: str) -> GateTick | None:
        return next((tick for tick in self.ticks if tick.item == item), None)


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
    checked: Collection[str] = (),
) -> GateView:
    """Record one role's approval and the checklist items the approver ticks with it (`checked`;
    ticking an item again changes nothing); the last approval moves the use case. Raises
    ApprovalRefused when the approver does not hold the role or already approved this gate for
    another role, InvalidUseCase for an item not on the checklist, RegistryConflict
    `checklist_incomplete` for a last approval while an item is unticked (nothing is recorded)."""
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
            ticks = _tick(session, use_case, gate, checked, approver.actor)
            approval = GateApproval(gate_id=gate_id, role=role, approved_by=approver.actor, note=note)
            session.add(approval)
            session.flush()
            approvals.append(approval)
            _audit(session, approver.actor, "use_case.gate_approve", use_case, gate_id=gate_id, role=role, note=note)
            view = GateView(gate, approvals, ticks)
            if not view.missing_roles:
                if view.unticked:
                    raise RegistryConflict(
                        f"The last approval of gate {gate_id} needs every checklist item ticked; not yet "
                        f"ticked: {', '.join(view.unticked)}. Tick them in `checked` with this approval.",
                        code="checklist_incomplete",
                    )
                _pass(session, use_case, gate, approver.actor)
            return view
    except IntegrityError:  # a concurrent approval for the same role or by the same person won
        raise RegistryConflict("Another approval of this gate was recorded at the same moment.") from None


def _tick(session: Session, use_case: UseCase, gate: StageGate, checked: Collection[str], actor: str) -> list[GateTick]:
    """Tick the items of `checked` not ticked yet (audited, one entry); every tick of the gate."""
    unknown = [item for item in checked if item not in gate.checklist]
    if unknown:
        raise InvalidUseCase(
            f"{unknown[0]!r} is not on the gate's checklist ({'; '.join(gate.checklist) or 'empty'}).",
            param="checked",
        )
    ticks = _ticks(session, gate.id)
    done = {tick.item for tick in ticks}
    new = [item for item in dict.fromkeys(checked) if item not in done]
    for item in new:
        tick = GateTick(gate_id=gate.id, item=item, ticked_by=actor)
        session.add(tick)
        ticks.append(tick)
    if new:
        session.flush()
        _audit(session, actor, "use_case.gate_check", use_case, gate_id=gate.id, items=new)
    return ticks


def _ticks(session: Session, gate_id: str) -> list[GateTick]:
    return list(session.exec(select(GateTick).where(GateTick.gate_id == gate_id).order_by(col(GateTick.id))))


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
        return [GateView(gate, _approvals(session, gate.id), _ticks(session, gate.id)) for gate in gates]
