"""What rules get from the app: a PII detector, extra injection detectors, and tokenizers.

The app builds one `PolicyServices` at start-up and passes it to `compile_policies`; the rules
never create a model themselves. Presidio's analyzer is owned by the filters room and injected
here behind the small `PiiDetector` protocol, so one analyzer serves both rooms.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol, runtime_checkable

import tiktoken


class PiiSpan(NamedTuple):
    """One entity found in a text: its type (Presidio's names, e.g. EMAIL_ADDRESS) and where."""

    entity_type: str
    start: int
    end: int
    score: float


@runtime_checkable
class PiiDetector(Protocol):
    """Finds personal data in a text; the app wraps the shared Presidio analyzer in one of these."""

    def analyze(self, text: str) -> list[PiiSpan] | list[tuple[str, int, int, float]]:
        """Every entity found in `text`, as (entity_type, start, end, score)."""
        ...


class InjectionScore(NamedTuple):
    """How strongly a text looks like a prompt injection (0 = not at all) and what made it so."""

    score: float
    signals: tuple[str, ...] = ()


@runtime_checkable
class InjectionDetector(Protocol):
    """Scores a (normalised) prompt for prompt injection or jailbreak attempts.

    The built-in detector matches weighted patterns; a classifier can be added as another
    detector, registered in `PolicyServices.injection_detectors` under the name a policy uses.
    """

    def score(self, text: str) -> InjectionScore:
        """The injection score of `text`, which is already normalised (see policies.normalise)."""
        ...


class TokenCounter(Protocol):
    """Counts the tokens of a text the way a model's tokenizer does."""

    def count(self, text: str) -> int: ...


class TiktokenCounter:
    """A tiktoken encoding, loaded once (the app sets TIKTOKEN_CACHE_DIR for offline use)."""

    def __init__(self, encoding_name: str) -> None:
        self._encoding = tiktoken.get_encoding(encoding_name)

    def count(self, text: str) -> int:
        # encode_ordinary skips the special-token scan: a prompt's "<|endoftext|>" is just text here.
        return len(self._encoding.encode_ordinary(text))


class MissingService(Exception):
    """A policy uses a rule whose service (for example the PII detector) the app did not provide."""


@dataclass
class PolicyServices:
    """Services shared by every compiled rule; tokenizers are loaded on first use and kept."""

    pii_detector: PiiDetector | None = None
    injection_detectors: Mapping[str, InjectionDetector] = field(default_factory=dict)
    _tokenizers: dict[str, TokenCounter] = field(default_factory=dict, repr=False)

    def tokenizer(self, encoding_name: str) -> TokenCounter:
        """The counter for `encoding_name`, loaded once per services object."""
        counter = self._tokenizers.get(encoding_name)
        if counter is None:
            counter = self._tokenizers[encoding_name] = TiktokenCounter(encoding_name)
        return counter

    def require_pii_detector(self, rule: str) -> PiiDetector:
        if self.pii_detector is None:
            raise MissingService(f"rule {rule!r} needs a PII detector, and none was configured")
        return self.pii_detector
