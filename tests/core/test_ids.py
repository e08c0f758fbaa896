"""Time-ordered ids: the ledger's unique keys."""

from __future__ import annotations

import re
import time

from gateway.core.ids import time_ordered_hex


def test_ids_are_32_hex_digits_and_distinct() -> None:
    ids = [time_ordered_hex() for _ in range(10_000)]
    assert all(re.fullmatch(r"[0-9a-f]{32}", value) for value in ids)
    assert len(set(ids)) == len(ids)


def test_ids_sort_by_the_millisecond_they_were_made_in() -> None:
    earlier = [time_ordered_hex() for _ in range(100)]
    time.sleep(0.002)  # into a later millisecond
    later = [time_ordered_hex() for _ in range(100)]
    assert max(earlier) < min(later)
    assert int(later[0][:12], 16) <= time.time_ns() // 1_000_000
