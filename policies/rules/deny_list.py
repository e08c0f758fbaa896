"""Rule `deny_list`: terms and regular expressions that may not appear in the prompt.

Both are matched on the normalised prompt (see gateway.core.text), so look-alike letters,
full-width forms, zero-width characters and case do not get a term past the rule. Terms match
whole words; regular expressions match anywhere and are compiled case-insensitive.
"""

from __future__ import annotations

import re
from typing import ClassVar, Self

from pydantic import Field, field_validator, model_validator

from gateway.core.text import fold
from gateway.core.types import Action
from policies.prefilter import PrefilteredPattern
from policies.request import PolicyRequest
from policies.rules.base import CompiledRule, Finding, Reach, RuleSettings, Stage
from policies.services import PolicyServices


class DenyListSettings(RuleSettings):
    """`terms`: words or phrases; `patterns`: regular expressions (Python syntax)."""

    type_name: ClassVar[str] = "deny_list"

    terms: list[str] = Field(default_factory=list)
    patterns: list[str] = Field(default_factory=list)

    @field_validator("terms")
    @classmethod
    def _terms_not_blank(cls, terms: list[str]) -> list[str]:
        for index, term in enumerate(terms):
            if not fold(term):
                raise ValueError(f"term {index} is blank")
        return terms

    @field_validator("patterns")
    @classmethod
    def _patterns_compile(cls, patterns: list[str]) -> list[str]:
        for index, pattern in enumerate(patterns):
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"pattern {index} ({pattern!r}) is not a valid regular expression: {exc}") from None
        return patterns

    @model_validator(mode="after")
    def _not_empty(self) -> Self:
        if not self.terms and not self.patterns:
            raise ValueError("a deny_list needs at least one term or pattern")
        return self

    def build(self, name: str, services: PolicyServices) -> DenyList:
        return DenyList(name, self)


def _term_regex(term: str) -> str:
    escaped = re.escape(term)
    # \b only where the term starts or ends with a word character, so "c++" or ".env" still match.
    head = r"\b" if re.match(r"\w", escaped) else ""
    tail = r"\b" if re.search(r"\w$", escaped) else ""
    return f"{head}{escaped}{tail}"


class DenyList(CompiledRule):
    stage = Stage.CONTENT
    reach = Reach.SENT_TEXT

    def __init__(self, name: str, settings: DenyListSettings) -> None:
        super().__init__(name, settings)
        # Longest first, so a phrase wins over a word it contains when both are listed.
        terms = sorted({fold(t) for t in settings.terms}, key=len, reverse=True)
        self._plain_terms = tuple(terms)
        self._terms = re.compile("|".join(_term_regex(t) for t in terms)) if terms else None
        self._patterns = [PrefilteredPattern(p, re.IGNORECASE) for p in settings.patterns]

    def check(self, request: PolicyRequest) -> Finding | None:
        text = request.normalised_text
        # A substring test per term is far cheaper than the word-boundary regex, which runs only on a hit.
        if self._terms is not None and any(term in text for term in self._plain_terms):
            match = self._terms.search(text)
            if match is not None:
                # The matched text equals a listed term (policy data, not the client's prompt).
                return Finding(
                    Action.BLOCK,
                    "the prompt contains a denied term",
                    param="messages",
                    details={"term": match.group(0)},
                )
        for pattern in self._patterns:
            if pattern.search(text):
                return Finding(
                    Action.BLOCK,
                    "the prompt matches a denied pattern",
                    param="messages",
                    details={"pattern": pattern.pattern},
                )
        return None
