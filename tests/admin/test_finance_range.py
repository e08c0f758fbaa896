"""The spend page's periods: each preset's days from a given today, and the custom range's checks."""

from __future__ import annotations

from datetime import date

import pytest

from admin.web.finance_range import day_range
from admin.web.pages import PageError

WEDNESDAY = date(2026, 3, 18)


@pytest.mark.parametrize(
    ("preset", "first", "last"),
    [
        ("today", date(2026, 3, 18), date(2026, 3, 18)),
        ("week", date(2026, 3, 16), date(2026, 3, 18)),
        ("month", date(2026, 3, 1), date(2026, 3, 18)),
        ("last_month", date(2026, 2, 1), date(2026, 2, 28)),
        ("quarter", date(2026, 1, 1), date(2026, 3, 18)),
        ("30d", date(2026, 2, 17), date(2026, 3, 18)),
    ],
)
def test_each_preset_covers_its_days_up_to_today(preset: str, first: date, last: date) -> None:
    days = day_range({"preset": preset}, WEDNESDAY)
    assert (days.first, days.last, days.preset) == (first, last, preset)


def test_last_month_in_january_is_the_december_before() -> None:
    days = day_range({"preset": "last_month"}, date(2027, 1, 9))
    assert (days.first, days.last) == (date(2026, 12, 1), date(2026, 12, 31))


def test_the_fourth_quarter_starts_in_october() -> None:
    assert day_range({"preset": "quarter"}, date(2026, 12, 7)).first == date(2026, 10, 1)


def test_as_of_moves_the_presets_to_another_day() -> None:
    days = day_range({"preset": "week", "as_of": "2026-03-22"}, date(2030, 1, 1))
    assert (days.first, days.last) == (date(2026, 3, 16), date(2026, 3, 22))


def test_the_default_is_the_last_thirty_days() -> None:
    days = day_range({}, WEDNESDAY)
    assert (days.first, days.last, len(days.days)) == (date(2026, 2, 17), WEDNESDAY, 30)


def test_start_and_end_make_a_custom_range() -> None:
    days = day_range({"start": "2026-02-28", "end": "2026-03-01", "preset": "week"}, WEDNESDAY)
    assert (days.first, days.last, days.preset) == (date(2026, 2, 28), date(2026, 3, 1), "")


@pytest.mark.parametrize(
    ("params", "title"),
    [
        ({"preset": "fortnight"}, "Unknown period"),
        ({"start": "2026-03-02", "end": "2026-03-01"}, "The range is backwards"),
        ({"start": "2024-01-01", "end": "2026-01-01"}, "The range is too long"),
        ({"end": "yesterday"}, "Dates look like 2025-01-31"),
    ],
)
def test_a_bad_period_is_a_400_that_says_why(params: dict[str, str], title: str) -> None:
    with pytest.raises(PageError) as raised:
        day_range(params, WEDNESDAY)
    assert (raised.value.status_code, raised.value.title) == (400, title)
