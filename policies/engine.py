"""The policy engine the app holds: the compiled policies of a directory, reloaded when files change.

Call `refresh()` every few seconds (from a thread: it reads the files). Every process computes the
same fingerprint from the same files, so all processes and replicas converge on one version. An
invalid edit is refused: the engine keeps serving the last valid version and keeps the problems.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from gateway.core.types import Principal
from gateway.core.use_case_terms import UseCaseFacts
from policies.compiled import CompiledPolicies, compile_policies
from policies.decision import Decision, evaluate
from policies.loader import PolicyError, PolicyProblem, load_policies, policy_fingerprint
from policies.rules.base import CHAT_DOOR, Door
from policies.services import MissingService, PolicyServices

log = logging.getLogger(__name__)


class PolicyEngine:
    """Holds the current compiled policies; the constructor raises if the files are invalid."""

    def __init__(self, directory: str | Path, services: PolicyServices) -> None:
        self.directory = Path(directory)
        self._services = services
        self._lock = threading.Lock()
        self.problems: list[PolicyProblem] = []
        self.current: CompiledPolicies = self._compile()

    def _compile(self) -> CompiledPolicies:
        return compile_policies(load_policies(self.directory), self._services)

    @property
    def version(self) -> str:
        return self.current.version

    def refresh(self) -> bool:
        """Reload if the files changed; True when a new version was installed."""
        if policy_fingerprint(self.directory) == self.current.version:
            return False
        with self._lock:
            try:
                compiled = self._compile()
            except PolicyError as exc:
                if exc.problems != self.problems:
                    log.error("policy files are invalid, keeping version %s: %s", self.current.version, exc)
                self.problems = exc.problems
                return False
            except MissingService as exc:
                self.problems = [PolicyProblem(str(self.directory), "(services)", str(exc))]
                log.error("policy files need a missing service, keeping version %s: %s", self.current.version, exc)
                return False
            if compiled.version == self.current.version:
                return False
            log.info("policies reloaded: version %s → %s", self.current.version, compiled.version)
            self.current, self.problems = compiled, []
            return True

    def decide(
        self,
        request_body: dict[str, Any],
        principal: Principal,
        used_prompt: bool,
        use_case: UseCaseFacts | None = None,
        *,
        door: Door = CHAT_DOOR,
    ) -> Decision:
        """Evaluate the caller's policy (the team's, else the default) on a request (see `evaluate`)."""
        policy = self.current.for_principal(principal)
        return evaluate(policy, request_body, principal, used_prompt, use_case, door=door)
