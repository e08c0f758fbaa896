"""Token counts (provider first, tiktoken otherwise) and prices (litellm's map, config overrides)."""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_HALF_EVEN, Decimal
from typing import Any

import pytest
import tiktoken

from gateway.core.settings import LitellmParams
from gateway.core.types import Principal
from gateway.ledger.cost import Price, PriceBook
from gateway.ledger.tokens import CACHED_TEXTS, TokenCounter, encoding_name_for
from gateway.limits.estimate import limit_request


@pytest.fixture(scope="module")
def counter() -> TokenCounter:
    return TokenCounter()


@pytest.fixture(scope="module")
def prices() -> PriceBook:
    return PriceBook.from_litellm()


def worst_case(body: dict[str, Any], price: Price) -> int:
    """The answer length a budget reserves for (at one nano-dollar a token and no prompt)."""
    caller = Principal(team_id=1, team_name="t", key_id=1, key_prefix="gw-t")
    return limit_request(caller, body, 0, price).max_cost_nanos


def test_gpt_4o_family_counts_with_o200k_and_others_with_cl100k() -> None:
    assert encoding_name_for("gpt-4o-mini") == "o200k_base"
    assert encoding_name_for("openai/gpt-4o") == "o200k_base"
    assert encoding_name_for("gpt-3.5-turbo") == "cl100k_base"
    assert encoding_name_for("anthropic/claude-3-haiku") == "cl100k_base"


def test_prompt_tokens_follow_openais_per_message_overhead(counter: TokenCounter) -> None:
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hello there"}]
    text_tokens = sum(
        counter.count_text(m["role"], "gpt-4o") + counter.count_text(m["content"], "gpt-4o") for m in messages
    )
    # 3 per message, 3 to prime the answer (OpenAI's cookbook)
    assert counter.count_messages(messages, "gpt-4o") == text_tokens + 3 * 2 + 3


def test_counting_works_offline_with_the_bundled_encodings(counter: TokenCounter) -> None:
    assert counter.count_text("hello world", "gpt-4o") == 2
    assert counter.count_text("hello world", "gpt-3.5-turbo") == 2


def test_provider_usage_wins_over_counting(counter: TokenCounter) -> None:
    response = {
        "choices": [{"message": {"content": "a long answer " * 50}}],
        "usage": {"prompt_tokens": 7, "completion_tokens": 3},
    }
    usage = counter.usage_of_response(response, [{"role": "user", "content": "hi"}], "gpt-4o")
    assert (usage.prompt_tokens, usage.completion_tokens, usage.counted) == (7, 3, False)


def test_missing_provider_usage_is_counted_including_tool_call_arguments(counter: TokenCounter) -> None:
    arguments = '{"city": "Paris", "unit": "celsius"}'
    response = {
        "choices": [
            {"message": {"content": None, "tool_calls": [{"function": {"name": "weather", "arguments": arguments}}]}}
        ]
    }
    usage = counter.usage_of_response(response, [{"role": "user", "content": "weather?"}], "gpt-4o")
    assert usage.counted
    assert usage.completion_tokens == counter.count_text("weather" + arguments, "gpt-4o")
    assert usage.prompt_tokens == counter.count_messages([{"role": "user", "content": "weather?"}], "gpt-4o")


def test_cost_comes_from_litellms_price_map(prices: PriceBook) -> None:
    price = prices.price_for(LitellmParams(model="openai/gpt-4o-mini"))
    # gpt-4o-mini: $0.15 per 1M input tokens, $0.60 per 1M output tokens
    assert price.cost_nanos(1_000_000, 0) == 150_000_000
    assert price.cost_nanos(1000, 500) == 150_000 + 300_000
    assert price.max_output_tokens == 16384


def test_a_deployments_own_prices_override_the_map(prices: PriceBook) -> None:
    params = LitellmParams(model="openai/gpt-4o-mini", input_cost_per_token=0.000001, output_cost_per_token=0.000002)
    price = prices.price_for(params)
    assert price.cost_nanos(10, 5) == 10 * 1000 + 5 * 2000


def test_an_unpriced_model_costs_nothing_and_says_so(prices: PriceBook) -> None:
    price = prices.price_for(LitellmParams(model="gateway-mock/mock-gpt"))
    assert not price.known
    assert price.cost_nanos(100, 100) == 0


def test_costs_are_exact_decimals_not_floats() -> None:
    price = Price(Decimal("0.15"), Decimal("0.6"))  # nano-dollars per token
    assert price.cost_nanos(3, 0) == 0  # 0.45 rounds half-even to 0
    assert price.cost_nanos(10, 10) == 8  # 1.5 + 6 = 7.5 -> 8
    assert price.max_cost_nanos(3, 0) == 1  # a reservation rounds up


@pytest.mark.parametrize("input_price", ["0", "0.0375", "1.25", "2500", "0.000123456789"])
@pytest.mark.parametrize("output_price", ["0", "0.5", "7.5", "10000"])
def test_costs_round_as_the_decimal_sums_do(input_price: str, output_price: str) -> None:
    price = Price(Decimal(input_price), Decimal(output_price))
    for prompt, completion in [(0, 0), (1, 1), (3, 7), (12_345, 678), (1_000_000, 4096), (7, 999_999)]:
        exact = Decimal(input_price) * prompt + Decimal(output_price) * completion
        assert price.cost_nanos(prompt, completion) == int(exact.to_integral_value(rounding=ROUND_HALF_EVEN))
        assert price.max_cost_nanos(prompt, completion) == int(exact.to_integral_value(rounding=ROUND_CEILING))


class RecordingEncoding:
    """A tiktoken encoding that notes each text it encodes: a remembered count encodes nothing."""

    def __init__(self, encoding: tiktoken.Encoding, encoded: list[str]) -> None:
        self.encoding = encoding
        self.encoded = encoded

    def encode(self, text: str, **options: Any) -> list[int]:
        self.encoded.append(text)
        return self.encoding.encode(text, **options)


@pytest.fixture
def encoded(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The texts the TokenCounters made in a test hand to tiktoken to encode."""
    texts: list[str] = []
    load = tiktoken.get_encoding
    monkeypatch.setattr(tiktoken, "get_encoding", lambda name: RecordingEncoding(load(name), texts))
    return texts


def test_a_counted_text_is_remembered_and_long_texts_are_not(encoded: list[str]) -> None:
    counter = TokenCounter()
    prompt = "You are a careful assistant."
    assert counter.count_text(prompt, "gpt-4o") == counter.count_text(prompt, "gpt-4o") == 6
    assert encoded == [prompt]
    long_text = "word " * 5_000  # over CACHED_TEXT_CHARS
    assert counter.count_text(long_text, "gpt-4o") == counter.count_text(long_text, "gpt-4o") > 1_000
    assert encoded == [prompt, long_text, long_text]


def test_the_remembered_counts_are_bounded_the_oldest_going_first(encoded: list[str]) -> None:
    counter = TokenCounter()
    texts = [f"text {number}" for number in range(CACHED_TEXTS + 10)]
    for text in texts:
        counter.count_text(text, "gpt-4o")
    encoded.clear()
    for text in texts[10:]:  # the last CACHED_TEXTS are all remembered
        counter.count_text(text, "gpt-4o")
    assert encoded == []
    for text in texts[:10]:  # the first ten were forgotten
        counter.count_text(text, "gpt-4o")
    assert encoded == texts[:10]


def test_the_worst_case_answer_is_max_tokens_else_the_models_output_limit() -> None:
    price = Price(Decimal(1), Decimal(1), max_output_tokens=16384)
    assert worst_case({"max_tokens": 100}, price) == 100
    assert worst_case({"max_completion_tokens": 50, "n": 2}, price) == 100
    assert worst_case({"max_completion_tokens": 0, "max_tokens": 70}, price) == 70
    assert worst_case({"max_tokens": 20_000, "n": 2}, price) == 32768  # capped by the model's limit
    assert worst_case({}, price) == 16384
    assert worst_case({"n": 3}, price) == 3 * 16384
    assert worst_case({}, Price(Decimal(1), Decimal(1))) == 4096
