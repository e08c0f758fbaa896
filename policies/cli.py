"""Handler of `gateway policies check [PATH]`: validate policy files, print every problem."""

from __future__ import annotations

import argparse
from pathlib import Path

from policies.loader import check_policies, load_policies

DEFAULT_POLICY_DIRECTORY = "policies"


def cmd_policies_check(args: argparse.Namespace) -> int:
    """Print `file: key.path: reason` per problem; the exit status is 1 when there is any.

    `args.path` is a policy directory (default `policies`) or one policy file, which is checked
    together with the policies it extends.
    """
    path = Path(getattr(args, "path", None) or DEFAULT_POLICY_DIRECTORY)
    problems = check_policies(path)
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s) in the policies at {path}")
        return 1
    if path.is_file():
        print(f"{path}: valid")
        return 0
    policy_set = load_policies(path)
    names = ", ".join(policy_set.policies)
    print(f"{len(policy_set.policies)} policies are valid (version {policy_set.version}): {names}")
    return 0
