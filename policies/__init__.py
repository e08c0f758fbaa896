"""Per-team prompt policies: loaded from YAML, compiled once, decided before the upstream call."""
