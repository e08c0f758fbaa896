"""Prices per token from litellm's price map, overridable per deployment, and exact request costs.

A deployment's `input_cost_per_token` / `output_cost_per_token` (LiteLLM's names, in the config's
`litellm_params`) win over the map. Prices go through `str` into Decimal so 1.5e-07 stays exactly
0.00000015, and costs are rounded once, to whole nano-dollars.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from gateway.core.settings import LitellmParams
from gateway.ledger.records import NANOS_PER_USD

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Price:
    """What one token costs on a deployment, in nano-dollars, and how long an answer may be."""

    input_nanos: Decimal
    output_nanos: Decimal
    max_output_tokens: int | None = None
    known: bool = True  # False: no price anywhere, the cost is counted as 0

    # Both prices as whole numbers over one denominator: integer arithmetic is exact like Decimal's,
    # and a tenth of its cost on every request.
    _scaled: tuple[int, int, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        input_numerator, input_denominator = self.input_nanos.as_integer_ratio()
        output_numerator, output_denominator = self.output_nanos.as_integer_ratio()
        scaled = (input_numerator * output_denominator, output_numerator * input_denominator)
        object.__setattr__(self, "_scaled", (*scaled, input_denominator * output_denominator))

    def cost_nanos(self, prompt_tokens: int, completion_tokens: int) -> int:
        """The exact cost, rounded half to even."""
        input_part, output_part, denominator = self._scaled
        whole, rest = divmod(input_part * prompt_tokens + output_part * completion_tokens, denominator)
        return whole + 1 if 2 * rest > denominator or (2 * rest == denominator and whole % 2) else whole

    def max_cost_nanos(self, prompt_tokens: int, max_output_tokens: int) -> int:
        """The most a request can cost, rounded up: what a budget reserves before the call."""
        input_part, output_part, denominator = self._scaled
        return -(-(input_part * prompt_tokens + output_part * max_output_tokens) // denominator)


def _nanos(per_token_usd: Any) -> Decimal:
    return Decimal(str(per_token_usd)) * NANOS_PER_USD


def _positive_int(value: Any) -> int | None:
    return value if isinstance(value, int) and value > 0 else None


class PriceBook:
    """Looks up a deployment's price; the map is `litellm.model_cost` (see `from_litellm`)."""

    def __init__(self, model_cost: Mapping[str, Mapping[str, Any]]) -> None:
        self._model_cost = model_cost
        self._warned: set[str] = set()

    @classmethod
    def from_litellm(cls) -> PriceBook:
        """The price map litellm ships (call `gateway.offline.apply_offline_defaults()` first)."""
        import litellm  # imported here: it takes seconds, and only the app needs it

        return cls(litellm.model_cost)

    def _entry(self, params: LitellmParams) -> Mapping[str, Any] | None:
        for name in (params.model, params.upstream_model, f"{params.provider}/{params.upstream_model}"):
            entry = self._model_cost.get(name)
            if entry is not None:
                return entry
        return None

    def price_for(self, params: LitellmParams, model_info: Mapping[str, Any] | None = None) -> Price:
        """The price of `params.model`, with the deployment's own per-token prices taking precedence."""
        entry = self._entry(params) or {}
        input_usd = params.input_cost_per_token
        output_usd = params.output_cost_per_token
        if input_usd is None:
            input_usd = entry.get("input_cost_per_token")
        if output_usd is None:
            output_usd = entry.get("output_cost_per_token")
        known = input_usd is not None or output_usd is not None
        if not known and params.model not in self._warned:
            self._warned.add(params.model)
            log.warning("no price for model %s: its requests are recorded at cost 0", params.model)
        info = model_info or {}
        max_output = _positive_int(info.get("max_output_tokens")) or _positive_int(entry.get("max_output_tokens"))
        if max_output is None:
            max_output = _positive_int(entry.get("max_tokens"))
        return Price(_nanos(input_usd or 0), _nanos(output_usd or 0), max_output, known)
