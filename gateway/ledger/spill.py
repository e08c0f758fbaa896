"""The spill file: ledger rows the database could not take yet, as fsync'd JSON lines on local disk.

Each writer appends to its own file and holds an exclusive lock on it, so a writer replaying the
folder (at start, or when the database is back) never takes a file another live process is filling.
"""

from __future__ import annotations

import fcntl
import logging
import os
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

import orjson

from gateway.ledger.tables import USAGE_TABLE, LedgerTable

log = logging.getLogger(__name__)
SUFFIX = ".jsonl"


class SpillFile:
    """The file this process spills to; opened on first use, locked while open."""

    def __init__(self, folder: Path, table: LedgerTable = USAGE_TABLE) -> None:
        self.folder = folder
        self._table = table
        self._handle: IO[bytes] | None = None
        self.path: Path | None = None

    def append(self, rows: Sequence[dict[str, Any]]) -> None:
        """Append rows and fsync: once this returns, a crash does not lose them."""
        if self._handle is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            self.path = self.folder / f"{self._table.name}-{os.getpid()}-{uuid.uuid4().hex[:12]}{SUFFIX}"
            self._handle = open(self.path, "ab")
            fcntl.flock(self._handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self._handle.write(b"".join(orjson.dumps(self._table.to_json(row)) + b"\n" for row in rows))
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def rotate(self) -> None:
        """Close the current file (unlocking it for replay); the next append starts a new one."""
        if self._handle is not None:
            fcntl.flock(self._handle, fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None
            self.path = None


def spilled_files(folder: Path, table: LedgerTable = USAGE_TABLE) -> list[Path]:
    """The table's spill files in the folder, oldest first."""
    if not folder.is_dir():
        return []
    return sorted(folder.glob(f"{table.name}-*{SUFFIX}"), key=lambda path: path.stat().st_mtime)


class LockedByAnotherWriter(Exception):
    """The spill file belongs to a writer that is still running."""


def read_spilled(path: Path, table: LedgerTable = USAGE_TABLE) -> Iterator[list[dict[str, Any]]]:
    """Yield the file's rows in chunks, holding its lock; a torn last line (a crash mid-write) is skipped."""
    with open(path, "rb") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LockedByAnotherWriter(str(path)) from None
        chunk: list[dict[str, Any]] = []
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                chunk.append(table.from_json(orjson.loads(line)))
            except (orjson.JSONDecodeError, KeyError, ValueError):
                log.error("skipping unreadable line %d of spill file %s", number, path)
                continue
            if len(chunk) >= 1000:
                yield chunk
                chunk = []
        if chunk:
            yield chunk
