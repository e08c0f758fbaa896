"""Helpers of the filter tests: the fixed hash salt and the pipeline factory's type."""

from __future__ import annotations

from collections.abc import Callable

from filters.pipeline import FilterPipeline

HASH_SALT = "a-fixed-test-salt-of-32-bytes-xx"
PipelineFactory = Callable[..., FilterPipeline]  # the make_pipeline fixture: configuration in, a pipeline out
