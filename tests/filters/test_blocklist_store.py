"""The stored blocklist: every change gives the reloaders a new version, and what they load is the
enabled entries; a reviewer's repeat of a known phrase re-enables it instead of failing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from filters.blocklist import BlocklistEntry
from filters.blocklist_changes import (
    BlocklistChange,
    change_blocklist_entry,
    create_blocklist_entry,
    delete_blocklist_entry,
)
from filters.blocklist_store import (
    DuplicateBlocklistEntry,
    blocklist_version,
    ensure_blocklisted,
    load_blocklist,
)
from gateway.core.db import create_database_engine, session_scope
from gateway.core.migrate import upgrade_database


@pytest.fixture()
def engine(tmp_path: Path) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path}/blocklist.db"
    upgrade_database(url)
    engine = create_database_engine(url)
    yield engine
    engine.dispose()


def loaded(engine: Engine) -> list[BlocklistEntry]:
    return load_blocklist(engine)[1]


def test_disabling_gives_a_new_version_and_leaves_the_entry_out(engine: Engine) -> None:
    entry = create_blocklist_entry(engine, value="Project Tern", kind="term", team=None, actor="user:ann")
    before = blocklist_version(engine)
    assert entry.id is not None
    change_blocklist_entry(engine, entry.id, BlocklistChange(enabled=False), actor="user:ann")
    assert blocklist_version(engine) != before and loaded(engine) == []


def test_a_new_scope_gives_a_new_version_and_the_new_team(engine: Engine) -> None:
    entry = create_blocklist_entry(engine, value="Project Tern", kind="term", team=None, actor="user:ann")
    before = blocklist_version(engine)
    assert entry.id is not None
    change_blocklist_entry(engine, entry.id, BlocklistChange(team="support"), actor="user:ann")
    assert blocklist_version(engine) != before
    assert loaded(engine) == [BlocklistEntry("Project Tern", "term", "support")]


def test_deleting_the_newest_and_adding_another_never_repeats_a_version(engine: Engine) -> None:
    # SQLite hands the deleted newest id out again: the count and the newest id alone would repeat.
    create_blocklist_entry(engine, value="first", kind="term", team=None, actor="user:ann")
    newest = create_blocklist_entry(engine, value="second", kind="term", team=None, actor="user:ann")
    seen = {blocklist_version(engine)}
    assert newest.id is not None
    delete_blocklist_entry(engine, newest.id, actor="user:ann")
    seen.add(blocklist_version(engine))
    create_blocklist_entry(engine, value="third", kind="term", team=None, actor="user:ann")
    seen.add(blocklist_version(engine))
    assert len(seen) == 3
    assert [entry.value for entry in loaded(engine)] == ["first", "third"]


def test_a_change_to_nothing_keeps_the_version(engine: Engine) -> None:
    entry = create_blocklist_entry(engine, value="Project Tern", kind="term", team="support", actor="user:ann")
    before = blocklist_version(engine)
    assert entry.id is not None
    change_blocklist_entry(engine, entry.id, BlocklistChange(enabled=True, team="support"), actor="user:ann")
    assert blocklist_version(engine) == before


def test_a_folded_repeat_in_the_same_scope_is_a_duplicate(engine: Engine) -> None:
    create_blocklist_entry(engine, value="Project Tern", kind="term", team="support", actor="user:ann")
    with pytest.raises(DuplicateBlocklistEntry):
        create_blocklist_entry(engine, value="PROJECT  tern", kind="term", team="support", actor="user:bob")


def test_a_reviewer_blocklisting_a_disabled_phrase_enables_it_again(engine: Engine) -> None:
    entry = create_blocklist_entry(engine, value="Project Tern", kind="term", team=None, actor="user:ann")
    assert entry.id is not None
    change_blocklist_entry(engine, entry.id, BlocklistChange(enabled=False), actor="user:ann")
    with session_scope(engine) as session:
        again = ensure_blocklisted(session, value="project tern", kind="term", team=None, created_by="user:bob")
    assert again.id == entry.id and again.enabled
    assert loaded(engine) == [BlocklistEntry("Project Tern", "term", None)]
