"""Imports every module that defines tables, so SQLModel's metadata knows the whole schema."""

from __future__ import annotations

import importlib

# Each room that owns tables adds its module here (one line per room).
TABLE_MODULES = (
    "gateway.core.models",
    "gateway.core.audit",
    "filters.review_store",
    "filters.blocklist_store",
    "gateway.ledger.records",
    "gateway.proxy.stored_responses",
    "gateway.ledger.daily",
    "gateway.limits.models",
    "prompt_library.models",
    "admin.accounts.models",
    "use_cases.tables",
)


def import_all_tables() -> None:
    for module in TABLE_MODULES:
        importlib.import_module(module)
