"""Policy files: inheritance by rule name, validation problems with file and key path, fingerprints."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from policies.loader import PolicyError, PolicyProblem, check_policies, load_policies, policy_fingerprint
from policies.rules.deny_list import DenyListSettings
from policies.rules.max_output_tokens import MaxOutputTokensSettings
from tests.policies.helpers import SHIPPED_POLICIES


def write(path: Path, content: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content if isinstance(content, str) else yaml.safe_dump(content), encoding="utf-8")
    return path


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    write(
        tmp_path / "default.yaml",
        {
            "rules": {
                "max_output_tokens": {"mode": "enforce", "limit": 1000, "message": "too many"},
                "secrets": {"type": "deny_list", "mode": "monitor", "terms": ["hunter2"]},
                "prompt_injection": {"mode": "monitor"},
            }
        },
    )
    write(
        tmp_path / "teams" / "research.yaml",
        {
            "name": "research",
            "extends": "default",
            "rules": {
                "max_output_tokens": {"limit": 4000},
                "secrets": {"mode": "enforce"},
                "prompt_injection": {"enabled": False},
                "allowed_models": {"models": ["gpt-4o*"]},
            },
        },
    )
    return tmp_path


def test_the_shipped_policies_are_valid() -> None:
    assert check_policies(SHIPPED_POLICIES) == []


def test_a_policy_without_a_name_is_named_after_its_file(tree: Path) -> None:
    assert set(load_policies(tree).policies) == {"default", "research"}


def test_a_child_overrides_only_the_keys_it_names(tree: Path) -> None:
    research = dict(load_policies(tree).policies["research"].rules)
    tokens = research["max_output_tokens"]
    assert isinstance(tokens, MaxOutputTokensSettings)
    assert (tokens.limit, tokens.mode, tokens.message) == (4000, "enforce", "too many")


def test_a_child_can_switch_an_inherited_rule_from_monitor_to_enforce(tree: Path) -> None:
    secrets = dict(load_policies(tree).policies["research"].rules)["secrets"]
    assert isinstance(secrets, DenyListSettings)
    assert (secrets.mode, secrets.terms) == ("enforce", ["hunter2"])


def test_enabled_false_drops_an_inherited_rule(tree: Path) -> None:
    research = dict(load_policies(tree).policies["research"].rules)
    assert "prompt_injection" not in research
    assert "prompt_injection" in dict(load_policies(tree).policies["default"].rules)


def test_a_child_adds_rules_of_its_own_without_changing_the_parent(tree: Path) -> None:
    policies = load_policies(tree).policies
    assert "allowed_models" in dict(policies["research"].rules)
    assert "allowed_models" not in dict(policies["default"].rules)
    assert policies["research"].lineage == ("research", "default")


def test_an_invalid_key_is_reported_with_its_file_and_key_path(tree: Path) -> None:
    bad = write(tree / "teams" / "ops.yaml", {"extends": "default", "rules": {"max_output_tokens": {"limit": -5}}})
    assert check_policies(tree) == [
        PolicyProblem(str(bad), "rules.max_output_tokens.limit", "Input should be greater than 0")
    ]


def test_a_problem_in_an_inherited_key_names_the_parent_file(tree: Path) -> None:
    write(tree / "teams" / "ops.yaml", {"extends": "default", "rules": {"max_output_tokens": {"action": "clamp"}}})
    default = yaml.safe_load((tree / "default.yaml").read_text())
    default["rules"]["max_output_tokens"]["limit"] = "lots"
    write(tree / "default.yaml", default)
    problems = check_policies(tree)
    assert {p.file for p in problems} == {str(tree / "default.yaml")}
    assert {p.key_path for p in problems} == {"rules.max_output_tokens.limit"}


def test_an_unknown_rule_type_lists_the_known_ones(tree: Path) -> None:
    write(tree / "teams" / "ops.yaml", {"extends": "default", "rules": {"no_cats": {"terms": ["cat"]}}})
    [problem] = check_policies(tree)
    assert problem.key_path == "rules.no_cats.type"
    assert "unknown rule type 'no_cats'" in problem.reason and "deny_list" in problem.reason


def test_an_unknown_key_in_a_rule_is_reported(tree: Path) -> None:
    write(tree / "teams" / "ops.yaml", {"extends": "default", "rules": {"secrets": {"term": ["x"]}}})
    [problem] = check_policies(tree)
    assert (problem.key_path, problem.reason) == ("rules.secrets.term", "Extra inputs are not permitted")


def test_an_invalid_regular_expression_is_reported_with_its_index(tree: Path) -> None:
    write(tree / "teams" / "ops.yaml", {"extends": "default", "rules": {"secrets": {"patterns": ["ok", "(open"]}}})
    [problem] = check_policies(tree)
    assert problem.key_path == "rules.secrets.patterns"
    assert "pattern 1 ('(open') is not a valid regular expression" in problem.reason


def test_an_unknown_parent_is_reported_on_extends(tree: Path) -> None:
    bad = write(tree / "teams" / "ops.yaml", {"extends": "defualt", "rules": {}})
    assert check_policies(tree) == [PolicyProblem(str(bad), "extends", "there is no policy named 'defualt'")]


def test_an_inheritance_cycle_is_reported(tree: Path) -> None:
    write(tree / "a.yaml", {"extends": "b"})
    write(tree / "b.yaml", {"extends": "a"})
    problems = check_policies(tree)
    assert problems and all(p.key_path == "extends" and "cycle" in p.reason for p in problems)


def test_broken_yaml_is_reported_with_its_line(tree: Path) -> None:
    bad = write(tree / "teams" / "ops.yaml", "rules:\n  secrets: [unclosed\n")
    [problem] = check_policies(tree)
    assert problem.file == str(bad) and problem.key_path == "(file)"
    assert problem.reason.startswith("not valid YAML at line")


def test_two_files_with_one_policy_name_are_reported(tree: Path) -> None:
    write(tree / "teams" / "a-ops.yaml", {"name": "ops", "extends": "default"})
    copy = write(tree / "teams" / "b-ops.yaml", {"name": "ops", "extends": "default"})
    [problem] = check_policies(tree)
    assert (problem.file, problem.key_path) == (str(copy), "name")


def test_a_directory_without_a_default_policy_is_reported(tmp_path: Path) -> None:
    write(tmp_path / "team.yaml", {"rules": {}})
    [problem] = check_policies(tmp_path)
    assert problem.reason == "no policy is named 'default'"


def test_checking_one_team_file_checks_it_against_its_parents(tree: Path) -> None:
    bad = write(tree / "teams" / "ops.yaml", {"extends": "default", "rules": {"max_output_tokens": {"limit": 0}}})
    assert [p.key_path for p in check_policies(bad)] == ["rules.max_output_tokens.limit"]


def test_load_refuses_invalid_files_with_every_problem(tree: Path) -> None:
    write(tree / "teams" / "ops.yaml", {"extends": "nope", "rules": {"x": {}}})
    with pytest.raises(PolicyError) as raised:
        load_policies(tree)
    assert [p.key_path for p in raised.value.problems] == ["extends"]


def test_the_fingerprint_is_the_loaded_version_and_follows_every_edit(tree: Path) -> None:
    before = policy_fingerprint(tree)
    assert load_policies(tree).version == before
    assert policy_fingerprint(tree) == before
    write(tree / "teams" / "research.yaml", {"name": "research", "extends": "default", "rules": {}})
    assert policy_fingerprint(tree) != before
