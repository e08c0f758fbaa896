"""Policies reload without a restart when files change, in this process and in another one."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from gateway.core.types import Action, Principal
from policies.engine import PolicyEngine
from policies.loader import PolicyError, policy_fingerprint
from policies.services import PolicyServices
from tests.policies.helpers import chat

REPO = Path(__file__).resolve().parents[2]


def write_default(directory: Path, terms: list[str], **extra: object) -> None:
    rules = {"deny_list": {"terms": terms, **extra}}
    (directory / "default.yaml").write_text(yaml.safe_dump({"rules": rules}), encoding="utf-8")


@pytest.fixture
def policy_dir(tmp_path: Path) -> Path:
    write_default(tmp_path, ["falcon"])
    return tmp_path


def test_an_edit_is_picked_up_by_refresh(policy_dir: Path, principal: Principal) -> None:
    engine = PolicyEngine(policy_dir, PolicyServices())
    assert engine.refresh() is False
    assert engine.decide(chat("eagle"), principal, used_prompt=False).action is Action.ALLOW
    write_default(policy_dir, ["eagle"])
    assert engine.refresh() is True
    assert engine.version == policy_fingerprint(policy_dir)
    assert engine.decide(chat("eagle"), principal, used_prompt=False).action is Action.BLOCK


def test_an_invalid_edit_keeps_the_last_valid_version(policy_dir: Path, principal: Principal) -> None:
    engine = PolicyEngine(policy_dir, PolicyServices())
    version = engine.version
    write_default(policy_dir, ["falcon"], mode="sometimes")
    assert engine.refresh() is False
    assert engine.version == version
    assert [p.key_path for p in engine.problems] == ["rules.deny_list.mode"]
    assert engine.decide(chat("falcon"), principal, used_prompt=False).action is Action.BLOCK


def test_the_engine_refuses_to_start_on_invalid_files(tmp_path: Path) -> None:
    write_default(tmp_path, [])
    with pytest.raises(PolicyError):
        PolicyEngine(tmp_path, PolicyServices())


OTHER_PROCESS = textwrap.dedent(
    """
    import sys
    from gateway.core.types import Principal
    from policies.engine import PolicyEngine
    from policies.services import PolicyServices

    engine = PolicyEngine(sys.argv[1], PolicyServices())
    caller = Principal(team_id=1, team_name="t", key_id=1, key_prefix="gw-p")
    for _ in sys.stdin:
        engine.refresh()
        body = {"model": "m", "messages": [{"role": "user", "content": "eagle"}]}
        print(engine.version, engine.decide(body, caller, used_prompt=False).action.value, flush=True)
    """
)


@pytest.fixture
def other_process(policy_dir: Path) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        [sys.executable, "-c", OTHER_PROCESS, str(policy_dir)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    try:
        yield process
    finally:
        assert process.stdin is not None
        process.stdin.close()
        process.wait(timeout=30)


def ask(process: subprocess.Popen[str]) -> list[str]:
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write("refresh\n")
    process.stdin.flush()
    return process.stdout.readline().split()


def test_two_processes_converge_on_the_same_version_after_an_edit(
    policy_dir: Path, principal: Principal, other_process: subprocess.Popen[str]
) -> None:
    here = PolicyEngine(policy_dir, PolicyServices())
    assert ask(other_process) == [here.version, "allow"]
    write_default(policy_dir, ["eagle"])
    here.refresh()
    assert ask(other_process) == [here.version, "block"]
    assert here.decide(chat("eagle"), principal, used_prompt=False).action is Action.BLOCK
