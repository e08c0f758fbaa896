"""The blocklist: terms and regular expressions, global and per team, matched after normalisation."""

# ruff: noqa: RUF001, RUF003  (look-alike letters are the subject of these tests)
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from filters.base import FilterContext
from filters.blocklist import Blocklist, BlocklistEntry, BlocklistFilter, InvalidBlocklistEntry, VersionedBlocklist
from gateway.core.types import Action


def spans(text: str, blocklist: Blocklist, team: str | None = None) -> list[str]:
    return [text[f.start : f.end] for f in blocklist.find(text, team)]


def test_a_global_term_matches_in_any_case() -> None:
    blocklist = Blocklist.from_entries([BlocklistEntry("project falcon")])
    assert spans("Details on PROJECT Falcon follow.", blocklist) == ["PROJECT Falcon"]


def test_a_term_matches_through_look_alikes_and_leetspeak() -> None:
    blocklist = Blocklist.from_entries([BlocklistEntry("project falcon")])
    text = "Details on prоj3ct  f@lc\u200bon follow."  # Cyrillic о, 3, @, zero-width space, two spaces
    assert spans(text, blocklist) == ["prоj3ct  f@lc\u200bon"]


def test_a_term_matches_whole_words_only() -> None:
    blocklist = Blocklist.from_entries([BlocklistEntry("ass")])
    assert spans("a classic assessment", blocklist) == []
    assert spans("you ass.", blocklist) == ["ass"]


def test_a_regex_matches_with_digits_kept() -> None:
    blocklist = Blocklist.from_entries([BlocklistEntry(r"\bticket-\d{4}\b", kind="regex")])
    assert spans("see TICKET-1234 and ticket-12", blocklist) == ["TICKET-1234"]


def test_a_team_entry_applies_to_that_team_only() -> None:
    blocklist = Blocklist.from_entries([BlocklistEntry("orion", team="research")])
    assert spans("the orion launch", blocklist, "research") == ["orion"]
    assert spans("the orion launch", blocklist, "sales") == []
    assert spans("the orion launch", blocklist) == []


def test_an_invalid_regex_is_refused_when_compiled() -> None:
    with pytest.raises(InvalidBlocklistEntry, match="unterminated"):
        Blocklist.from_entries([BlocklistEntry("(oops", kind="regex")])


def test_a_regex_matching_empty_text_is_refused() -> None:
    with pytest.raises(InvalidBlocklistEntry, match="empty"):
        Blocklist.from_entries([BlocklistEntry("x*", kind="regex")])


def test_the_versioned_blocklist_compiles_once_per_version() -> None:
    source = VersionedBlocklist()
    assert source.update("v1", [BlocklistEntry("alpha")]) is True
    first = source.current()
    assert source.update("v1", [BlocklistEntry("beta")]) is False
    assert source.current() is first
    assert source.update("v2", [BlocklistEntry("beta")]) is True
    assert spans("beta alpha", source.current()) == ["beta"]


def test_the_filter_blocks_an_answer_with_a_blocked_term() -> None:
    source = VersionedBlocklist(Blocklist.from_entries([BlocklistEntry("falcon")]))
    result = BlocklistFilter(source).scan("Falcon ships soon", FilterContext(team="a"))
    assert result.action is Action.BLOCK
    assert [(f.start, f.end, f.entity_type) for f in result.findings] == [(0, 6, "blocklist_term")]


def test_the_filter_flags_an_answer_with_a_flag_entry() -> None:
    source = VersionedBlocklist(Blocklist.from_entries([BlocklistEntry("merger", action=Action.FLAG)]))
    result = BlocklistFilter(source).scan("The merger is on track", FilterContext())
    assert result.action is Action.FLAG


def test_the_filter_allows_a_clean_answer() -> None:
    source = VersionedBlocklist(Blocklist.from_entries([BlocklistEntry("falcon")]))
    result = BlocklistFilter(source).scan("Nothing to see here", FilterContext())
    assert result.action is Action.ALLOW
    assert result.findings == []


def test_the_filter_sees_a_new_version_without_being_rebuilt() -> None:
    source = VersionedBlocklist()
    blocklist_filter = BlocklistFilter(source)
    assert blocklist_filter.scan("falcon", FilterContext()).action is Action.ALLOW
    source.update("v2", [BlocklistEntry("falcon")])
    assert blocklist_filter.scan("falcon", FilterContext()).action is Action.BLOCK


@settings(max_examples=300, deadline=None)
@given(
    words=st.lists(
        st.sampled_from(["project", "falcon", "Pr0ject", "FALC0N", "merger", "talks", "classy", "ass", "x", "!"]),
        max_size=12,
    ),
    gaps=st.lists(st.sampled_from([" ", "  ", "\n", "\t ", ", "]), min_size=12, max_size=12),
)
def test_the_ascii_fast_view_finds_what_full_normalisation_finds(words: list[str], gaps: list[str]) -> None:
    blocklist = Blocklist.from_entries(
        [BlocklistEntry("project falcon"), BlocklistEntry("ass"), BlocklistEntry("merger talks")]
    )
    text = "".join(word + gap for word, gap in zip(words, gaps, strict=False))
    slow = blocklist.find(text + " \u00e9")  # one non-ASCII character: the full normalisation
    fast = blocklist.find(text)
    assert [(f.start, f.end) for f in fast] == [(f.start, f.end) for f in slow]
