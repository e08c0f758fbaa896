"""Pages of a long list: which page, whether there is another, and links that keep the filters."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlencode


def page_number(value: str | None) -> int:
    """A page number from a query string: 1 for anything that is not a positive integer."""
    return int(value) if value and value.isdigit() and 0 < int(value) < 1_000_000 else 1


@dataclass(frozen=True)
class Pager:
    path: str
    page: int
    page_size: int
    has_next: bool
    total: int | None = None
    filters: Mapping[str, str] = field(default_factory=dict)

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def pages(self) -> int | None:
        return max(1, math.ceil(self.total / self.page_size)) if self.total is not None else None

    def link(self, page: int) -> str:
        params = {key: value for key, value in self.filters.items() if value}
        params["page"] = str(page)
        return f"{self.path}?{urlencode(params)}"

    def query(self) -> str:
        """The path with the filters and no page: for a download of the whole filtered set."""
        params = urlencode({key: value for key, value in self.filters.items() if value})
        return f"{self.path}?{params}" if params else self.path

    def nearby(self, spread: int = 3) -> list[int]:
        """The page numbers to offer around the current one (with a known total)."""
        last = self.pages or self.page
        return list(range(max(1, self.page - spread), min(last, self.page + spread) + 1))
