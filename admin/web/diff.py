"""Two prompt versions side by side: difflib's line matching, as rows a template draws."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class DiffRow:
    left: str | None  # None: no line on this side
    right: str | None
    kind: str  # same, changed, added, removed


def version_text(messages: Sequence[dict[str, Any]]) -> list[str]:
    """A version's messages as lines: a `[role]` header line, then the content's lines."""
    lines: list[str] = []
    for message in messages:
        lines.append(f"[{message.get('role', '?')}]")
        lines.extend(str(message.get("content", "")).splitlines() or [""])
    return lines


def side_by_side(left: Sequence[str], right: Sequence[str]) -> list[DiffRow]:
    """Rows pairing equal lines, replaced lines, and lines only on one side."""
    rows: list[DiffRow] = []
    matcher = difflib.SequenceMatcher(a=left, b=right, autojunk=False)
    for tag, a1, a2, b1, b2 in matcher.get_opcodes():
        if tag == "equal":
            rows.extend(DiffRow(line, line, "same") for line in left[a1:a2])
            continue
        old, new = list(left[a1:a2]), list(right[b1:b2])
        for index in range(max(len(old), len(new))):
            a = old[index] if index < len(old) else None
            b = new[index] if index < len(new) else None
            rows.append(
                DiffRow(a, b, "changed" if a is not None and b is not None else ("removed" if b is None else "added"))
            )
    return rows
