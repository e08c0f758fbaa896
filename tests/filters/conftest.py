"""Fixtures of the filters room: the real Presidio engines, real toxicity scorers, a pipeline builder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from filters.blocklist import Blocklist, BlocklistEntry, VersionedBlocklist
from filters.config import FiltersSettings, PiiEngineSettings, RunnerSettings
from filters.pii_engine import PiiEngine
from filters.pipeline import FilterPipeline
from filters.registry import FilterRegistry, default_registry
from filters.resources import FilterResources
from filters.runner import FilterRunner
from filters.toxicity import ToxicityScorer
from filters.toxicity_profanity import ProfanityScorer
from tests.filters.helpers import HASH_SALT, PipelineFactory
from tests.filters.tiny_detoxify import build_tiny_detoxify_checkpoint


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def patterns_engine() -> PiiEngine:
    return PiiEngine(PiiEngineSettings(mode="patterns", hash_salt=HASH_SALT))  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def ner_engine() -> PiiEngine:
    return PiiEngine(PiiEngineSettings(mode="ner", hash_salt=HASH_SALT))  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def profanity_scorer() -> ProfanityScorer:
    return ProfanityScorer()


@pytest.fixture(scope="session")
def tiny_detoxify(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A Detoxify-format checkpoint built here: tiny BERT config, trained WordPiece tokenizer, random weights."""
    return build_tiny_detoxify_checkpoint(tmp_path_factory.mktemp("detoxify"))


@pytest.fixture
def make_pipeline(patterns_engine: PiiEngine, profanity_scorer: ProfanityScorer) -> Iterator[PipelineFactory]:
    """Build a pipeline from a `filters:` mapping, on the real engines; runners are closed afterwards."""
    runners: list[FilterRunner] = []

    def build(
        config: dict[str, Any] | None = None,
        *,
        entries: list[BlocklistEntry] | None = None,
        engine: PiiEngine | None = None,
        scorer: ToxicityScorer | None = None,
        max_wait_ms: float = 2.0,
        registry: FilterRegistry | None = None,
    ) -> FilterPipeline:
        settings = FiltersSettings.model_validate(config or {})
        source = VersionedBlocklist(Blocklist.from_entries(entries or [], "test"))
        resources = FilterResources(engine or patterns_engine, scorer or profanity_scorer, source)
        runner = FilterRunner(RunnerSettings(executor="thread", workers=2, max_wait_ms=max_wait_ms))
        runners.append(runner)
        return FilterPipeline(settings, registry or default_registry(), resources, runner)

    yield build
    for runner in runners:
        runner.close()
