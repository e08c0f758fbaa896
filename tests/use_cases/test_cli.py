"""`gateway use-cases …` and `gateway keys create --use-case`: the registry from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from admin.accounts.passwords import PasswordHashing
from gateway.cli import main
from gateway.core import keys
from tests.admin.support import add_user, migrated_database, sqlite_url


@pytest.fixture()
def config_file(tmp_path: Path) -> str:
    url = sqlite_url(tmp_path)
    engine = migrated_database(url)
    for name in ("bob", "carol", "alice"):
        add_user(engine, PasswordHashing(), name, "viewer")
    keys.create_team(engine, "support")
    engine.dispose()
    path = tmp_path / "gateway.yaml"
    models = [{"model_name": "mock-gpt", "litellm_params": {"model": "gateway-mock/mock-gpt"}}]
    path.write_text(yaml.safe_dump({"database_url": url, "state_dir": str(tmp_path), "model_list": models}))
    return str(path)


def _run(capsys: pytest.CaptureFixture[str], config: str, *argv: str) -> tuple[int, str, str]:
    group, command, *rest = argv
    status = main([group, command, "--config", config, *rest])
    out, err = capsys.readouterr()
    return status, out, err


def _register(capsys: pytest.CaptureFixture[str], config: str, *extra: str) -> str:
    status, out, err = _run(
        capsys,
        config,
        "use-cases",
        "register",
        "--name=Ticket triage",
        "--team=support",
        "--purpose=Route tickets",
        "--risk-tier=low",
        "--data-classification=internal",
        "--scores=4,3,2",
        "--sponsor=bob",
        "--tech-lead=carol",
        "--compliance-reviewer=alice",
        "--models=mock-gpt",
        *extra,
    )
    assert status == 0, err
    return out.split()[3]


def test_register_list_show_stage_and_approve(capsys: pytest.CaptureFixture[str], config_file: str) -> None:
    use_case = _register(capsys, config_file)
    assert use_case.startswith("uc_")
    status, out, _ = _run(capsys, config_file, "use-cases", "list", "--stage=intake")
    assert status == 0 and use_case in out and "Ticket triage" in out
    status, out, _ = _run(capsys, config_file, "use-cases", "stage", use_case, "--to=poc")
    gate = json.loads(out)
    assert status == 0 and gate["status"] == "open"
    approve = ("use-cases", "approve", use_case, gate["gate_id"], "--role=compliance_reviewer")
    status, out, _ = _run(capsys, config_file, *approve, "--check=model card reviewed", "--check=evaluation attached")
    assert status == 0 and json.loads(out)["status"] == "passed"
    status, out, _ = _run(capsys, config_file, "use-cases", "show", use_case)
    shown = json.loads(out)
    assert shown["stage"] == "poc" and shown["gates"][0]["approvals"][0]["approved_by"] == "cli"


def test_bad_scores_are_a_clear_error(capsys: pytest.CaptureFixture[str], config_file: str) -> None:
    status, _, err = _run(
        capsys,
        config_file,
        "use-cases",
        "register",
        "--name=x",
        "--team=support",
        "--purpose=y",
        "--risk-tier=low",
        "--data-classification=public",
        "--scores=9,1",
        "--sponsor=bob",
        "--tech-lead=carol",
        "--compliance-reviewer=alice",
    )
    assert status == 2 and "--scores" in err


def test_a_key_is_created_bound_to_a_use_case(capsys: pytest.CaptureFixture[str], config_file: str) -> None:
    use_case = _register(capsys, config_file)
    status, _, err = _run(capsys, config_file, "keys", "create", "--team=support", f"--use-case={use_case}")
    assert status == 0, err
    status, _, err = _run(capsys, config_file, "keys", "create", "--team=support", "--use-case=uc_nothing")
    assert status == 2 and "uc_nothing" in err
