"""The centre of excellence's registry: use cases with risk tiers and stages, stage gates, model cards."""
