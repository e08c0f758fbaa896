"""Loading policy files: YAML parsed, `extends` resolved, rules merged by name and validated.

A policy file names its rules; a child policy (`extends: default`) inherits every rule of its
parent and overrides keys rule by rule: `{deny_list: {mode: enforce}}` in a child changes only the
mode of the parent's deny_list; lists are replaced, not appended; `enabled: false` drops an
inherited rule. A rule's `type` defaults to its name, so `allowed_models: {models: [...]}` works.

Problems are reported with the file, the key path and the reason, never as a traceback.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from policies.rules import RULE_TYPES
from policies.rules.base import RuleSettings

DEFAULT_POLICY = "default"
POLICY_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True, slots=True)
class PolicyProblem:
    """One thing wrong in the policy files: where (file and key path) and why."""

    file: str
    key_path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: {self.key_path}: {self.reason}"


class PolicyError(Exception):
    """The policy files are invalid; `problems` lists every problem found."""

    def __init__(self, problems: list[PolicyProblem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


class PolicyFile(BaseModel):
    """The top level of one policy file (its rules are validated after inheritance is resolved)."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=128)
    extends: str | None = None
    description: str = ""
    rules: dict[str, dict[str, Any] | None] = Field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Policy:
    """One resolved policy: its own rules plus every inherited one, validated, in file order."""

    name: str
    file: str
    description: str
    lineage: tuple[str, ...]  # this policy's name, then its parent's, up to the root
    rules: tuple[tuple[str, RuleSettings], ...]


@dataclass(frozen=True, slots=True)
class PolicySet:
    """Every policy of a directory; `version` changes whenever any policy file's content does."""

    version: str
    policies: Mapping[str, Policy]
    default: str = DEFAULT_POLICY


@dataclass
class _Parsed:
    file: str
    spec: PolicyFile


@dataclass
class _Problems:
    items: dict[tuple[str, str, str], None] = field(default_factory=dict)  # ordered, deduplicated

    def add(self, file: str, key_path: str, reason: str) -> None:
        self.items[(file, key_path, reason)] = None

    def as_list(self) -> list[PolicyProblem]:
        return [PolicyProblem(*key) for key in self.items]


def policy_files(directory: Path) -> list[Path]:
    """Every policy file under `directory`, in a stable order."""
    return sorted(p for p in directory.rglob("*") if p.suffix in POLICY_SUFFIXES and p.is_file())


def _read_all(root: Path) -> list[tuple[Path, bytes | OSError]]:
    files: list[tuple[Path, bytes | OSError]] = []
    for path in policy_files(root):
        try:
            files.append((path, path.read_bytes()))
        except OSError as exc:
            files.append((path, exc))
    return files


def _digest(root: Path, files: list[tuple[Path, bytes | OSError]]) -> str:
    digest = hashlib.sha256()
    for path, content in files:
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update((content if isinstance(content, bytes) else b"<unreadable>") + b"\0")
    return digest.hexdigest()[:16]


def policy_fingerprint(directory: str | Path) -> str:
    """A hash of every policy file's path and content: cheap to poll, equal across processes.

    It equals the `version` of the PolicySet loaded from the same files.
    """
    root = Path(directory)
    return _digest(root, _read_all(root) if root.is_dir() else [])


def _key_path(parts: Iterable[object]) -> str:
    return ".".join(str(part) for part in parts)


def _parse(path: Path, content: bytes | OSError, problems: _Problems) -> _Parsed | None:
    file = str(path)
    if isinstance(content, OSError):
        problems.add(file, "(file)", f"cannot read the file ({content.strerror})")
        return None
    try:
        raw = yaml.safe_load(content.decode("utf-8"))
    except UnicodeDecodeError:
        problems.add(file, "(file)", "not UTF-8 text")
        return None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problems.add(file, "(file)", f"not valid YAML{where}")
        return None
    if not isinstance(raw, dict):
        problems.add(file, "(top level)", "a policy file must be a mapping with `rules`")
        return None
    try:
        spec = PolicyFile.model_validate(raw)
    except ValidationError as exc:
        for error in exc.errors():
            problems.add(file, _key_path(error["loc"]) or "(top level)", error["msg"])
        return None
    if spec.name is None:
        spec.name = path.stem
    return _Parsed(file, spec)


def _lineage(name: str, parsed: Mapping[str, _Parsed], problems: _Problems) -> list[_Parsed] | None:
    """The chain from `name` up to its root policy, or None (problem recorded) if it is broken."""
    chain: list[_Parsed] = []
    current: str | None = name
    while current is not None:
        entry = parsed[current]
        if any(link is entry for link in chain):
            problems.add(
                entry.file,
                "extends",
                "policies extend each other in a cycle: "
                + " → ".join([link.spec.name or "" for link in chain] + [current]),
            )
            return None
        chain.append(entry)
        parent = entry.spec.extends
        if parent is not None and parent not in parsed:
            problems.add(entry.file, "extends", f"there is no policy named {parent!r}")
            return None
        current = parent
    return chain


def _resolve(chain: list[_Parsed], problems: _Problems) -> Policy:
    merged: dict[str, dict[str, Any]] = {}
    key_origin: dict[str, dict[str, str]] = {}  # rule → key → file that set it
    for entry in reversed(chain):  # root first, so children override
        for rule_name, overrides in entry.spec.rules.items():
            overrides = dict(overrides or {})
            if overrides.pop("enabled", True) is False:
                merged.pop(rule_name, None)
                key_origin.pop(rule_name, None)
                continue
            merged.setdefault(rule_name, {}).update(overrides)
            origin = key_origin.setdefault(rule_name, {"": entry.file})
            origin.update(dict.fromkeys(overrides, entry.file))
    rules: list[tuple[str, RuleSettings]] = []
    for rule_name, raw in merged.items():
        origin = key_origin[rule_name]
        raw.setdefault("type", rule_name)
        settings_type = RULE_TYPES.get(str(raw["type"]))
        if settings_type is None:
            known = ", ".join(sorted(RULE_TYPES))
            problems.add(
                origin.get("type", origin[""]),
                f"rules.{rule_name}.type",
                f"unknown rule type {raw['type']!r} (known: {known})",
            )
            continue
        try:
            rules.append((rule_name, settings_type.model_validate(raw)))
        except ValidationError as exc:
            for error in exc.errors():
                loc = error["loc"]
                file = origin.get(str(loc[0]), origin[""]) if loc else origin[""]
                problems.add(file, _key_path(["rules", rule_name, *loc]), error["msg"].removeprefix("Value error, "))
    leaf = chain[0]
    return Policy(
        name=leaf.spec.name or "",
        file=leaf.file,
        description=leaf.spec.description,
        lineage=tuple(entry.spec.name or "" for entry in chain),
        rules=tuple(rules),
    )


def _load(directory: Path) -> tuple[PolicySet, list[PolicyProblem]]:
    problems = _Problems()
    if not directory.is_dir():
        problems.add(str(directory), "(directory)", "no such directory")
        return PolicySet(version="", policies={}), problems.as_list()
    files = _read_all(directory)
    parsed: dict[str, _Parsed] = {}
    for path, content in files:
        entry = _parse(path, content, problems)
        if entry is None:
            continue
        name = entry.spec.name or ""
        if name in parsed:
            problems.add(entry.file, "name", f"the policy name {name!r} is already used by {parsed[name].file}")
            continue
        parsed[name] = entry
    if DEFAULT_POLICY not in parsed and not problems.items:
        problems.add(str(directory), "(directory)", f"no policy is named {DEFAULT_POLICY!r}")
    policies: dict[str, Policy] = {}
    for name in parsed:
        chain = _lineage(name, parsed, problems)
        if chain is not None:
            policies[name] = _resolve(chain, problems)
    return PolicySet(version=_digest(directory, files), policies=policies), problems.as_list()


def check_policies(path: str | Path) -> list[PolicyProblem]:
    """Every problem in the policy directory `path` (or in the tree a single policy file belongs to)."""
    target = Path(path)
    if target.is_file():
        target = _tree_root(target)
    return _load(target)[1]


def _tree_root(file: Path) -> Path:
    # A team file sits in a sub-folder (policies/teams/x.yaml): its tree is the nearest folder above
    # it that holds the default policy.
    for folder in [file.parent, *file.parent.parents]:
        if any((folder / f"{DEFAULT_POLICY}{suffix}").is_file() for suffix in POLICY_SUFFIXES):
            return folder
    return file.parent


def load_policies(directory: str | Path) -> PolicySet:
    """The validated policies of `directory`; raises PolicyError listing every problem."""
    policy_set, problems = _load(Path(directory))
    if problems:
        raise PolicyError(problems)
    return policy_set
