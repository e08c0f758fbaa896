"""Handlers of `gateway use-cases register|list|show|stage|approve`: each takes the Engine, the
registry's settings and the parsed arguments, and prints. The command line acts with the admin key's
authority (it may approve for any role) and is named `cli` in the audit log."""

from __future__ import annotations

import argparse
import json
from collections.abc import Collection

from sqlalchemy.engine import Engine

from gateway.core.use_case_terms import DataClass, RiskTier, Stage
from use_cases import gates, registry
from use_cases.errors import InvalidUseCase
from use_cases.gates import Approver
from use_cases.payloads import gate_json, use_case_json
from use_cases.registry import MissingPeople, Registration, UseCaseFilter
from use_cases.settings import UseCasesSettings

ACTOR = "cli"


def add_use_case_arguments(
    register: argparse.ArgumentParser,
    listing: argparse.ArgumentParser,
    show: argparse.ArgumentParser,
    stage: argparse.ArgumentParser,
    approve: argparse.ArgumentParser,
) -> None:
    register.add_argument("--name", required=True)
    register.add_argument("--team", required=True)
    register.add_argument("--purpose", required=True)
    register.add_argument("--risk-tier", required=True, choices=[tier.value for tier in RiskTier])
    register.add_argument("--data-classification", required=True, choices=[item.value for item in DataClass])
    register.add_argument("--scores", required=True, help="value,feasibility,risk: three numbers from 1 to 5")
    register.add_argument("--sponsor", required=True)
    register.add_argument("--tech-lead", required=True)
    register.add_argument("--compliance-reviewer", required=True)
    register.add_argument("--models", default="", help="comma-separated model groups it uses")
    register.add_argument("--prompts", default="", help="comma-separated library prompts it uses")
    listing.add_argument("--team")
    listing.add_argument("--stage", choices=[stage.value for stage in Stage])
    listing.add_argument("--risk-tier", choices=[tier.value for tier in RiskTier])
    show.add_argument("id")
    stage.add_argument("id")
    stage.add_argument("--to", required=True, choices=[stage.value for stage in Stage])
    stage.add_argument("--note", default="")
    approve.add_argument("id")
    approve.add_argument("gate")
    approve.add_argument("--role", required=True)
    approve.add_argument("--note", default="")
    approve.add_argument("--check", action="append", default=[], help="a checklist item to tick (repeatable)")


def _names(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def _scores(text: str) -> tuple[int, int, int]:
    parts = _names(text)
    if len(parts) != 3 or not all(part.isdigit() and 1 <= int(part) <= 5 for part in parts):
        raise InvalidUseCase("--scores is value,feasibility,risk: three whole numbers from 1 to 5, e.g. 4,3,2.")
    value, feasibility, risk = (int(part) for part in parts)
    return value, feasibility, risk


def cmd_register(
    engine: Engine, args: argparse.Namespace, *, missing_people: MissingPeople, models: Collection[str]
) -> None:
    value, feasibility, risk = _scores(args.scores)
    new = Registration(
        name=args.name,
        team=args.team,
        purpose=args.purpose,
        risk_tier=RiskTier(args.risk_tier),
        data_classification=DataClass(args.data_classification),
        value=value,
        feasibility=feasibility,
        risk=risk,
        sponsor=args.sponsor,
        tech_lead=args.tech_lead,
        compliance_reviewer=args.compliance_reviewer,
        prompts=_names(args.prompts),
        models=_names(args.models),
    )
    row = registry.register(engine, new, actor=ACTOR, missing_people=missing_people, known_models=models)
    print(f"registered use case {row.id} ({row.name}) for team {row.team}, stage {row.stage}")


def cmd_list(engine: Engine, args: argparse.Namespace) -> None:
    where = UseCaseFilter(
        team=args.team,
        stage=Stage(args.stage) if args.stage else None,
        risk_tier=RiskTier(args.risk_tier) if args.risk_tier else None,
    )
    for row in registry.list_use_cases(engine, where):
        print(f"{row.id}\tteam={row.team}\tstage={row.stage}\trisk={row.risk_tier}\tdata={row.data_classification}")
        print(f"\t{row.name}")


def cmd_show(engine: Engine, args: argparse.Namespace) -> None:
    row = registry.get(engine, args.id)
    views = gates.gates_of(engine, args.id)
    print(json.dumps({**use_case_json(row), "gates": [gate_json(view) for view in views]}, indent=2))


def cmd_stage(engine: Engine, settings: UseCasesSettings, args: argparse.Namespace) -> None:
    view = gates.request_stage(engine, settings, args.id, Stage(args.to), args.note, actor=ACTOR)
    print(json.dumps(gate_json(view), indent=2))


def cmd_approve(engine: Engine, settings: UseCasesSettings, args: argparse.Namespace) -> None:
    view = gates.approve(engine, settings, args.id, args.gate, args.role, args.note, Approver(ACTOR, None), args.check)
    print(json.dumps(gate_json(view), indent=2))
