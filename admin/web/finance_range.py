"""The days a spend page covers: a named preset (this month, last month…) or a custom range.

Presets are computed from a given `today`, never from the wall clock here: the page passes its
clock's day, or the `as_of` day a person (or a test) asked for, so a report reads the same any day.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from admin.web.pages import PageError

MAX_DAYS = 366
BACK = "/admin/finance"


@dataclass(frozen=True)
class Preset:
    label: str
    days: Callable[[date], tuple[date, date]]  # today -> the inclusive [first, last] days


def _quarter_start(today: date) -> date:
    return date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)


def _last_month(today: date) -> tuple[date, date]:
    last = today.replace(day=1) - timedelta(days=1)
    return last.replace(day=1), last


# One line per preset; the first is the page's default.
PRESETS: dict[str, Preset] = {
    "30d": Preset("Last 30 days", lambda today: (today - timedelta(days=29), today)),
    "today": Preset("Today", lambda today: (today, today)),
    "week": Preset("This week", lambda today: (today - timedelta(days=today.weekday()), today)),
    "month": Preset("This month", lambda today: (today.replace(day=1), today)),
    "last_month": Preset("Last month", _last_month),
    "quarter": Preset("This quarter", lambda today: (_quarter_start(today), today)),
}
DEFAULT_PRESET = next(iter(PRESETS))


@dataclass(frozen=True)
class DayRange:
    first: date
    last: date
    preset: str  # the preset's name, or "" for a custom range
    as_of: date

    @property
    def days(self) -> list[str]:
        return [(self.first + timedelta(days=n)).isoformat() for n in range((self.last - self.first).days + 1)]


def parse_day(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise PageError(400, "Dates look like 2025-01-31", f"{name} {value!r} is not a date.", back=BACK) from None


def day_range(params: Mapping[str, str], today: date) -> DayRange:
    """The range asked for: `start` and `end` when either is given, else the `preset` (default
    the last 30 days) as of the `as_of` day (default today)."""
    as_of = parse_day(params["as_of"], "as_of") if params.get("as_of") else today
    start, end = params.get("start", ""), params.get("end", "")
    if start or end:
        last = parse_day(end, "end") if end else as_of
        first = parse_day(start, "start") if start else last - timedelta(days=29)
        preset = ""
    else:
        preset = params.get("preset") or DEFAULT_PRESET
        if preset not in PRESETS:
            known = ", ".join(PRESETS)
            raise PageError(400, "Unknown period", f"{preset!r} is not one of: {known}.", back=BACK)
        first, last = PRESETS[preset].days(as_of)
    if first > last:
        raise PageError(400, "The range is backwards", "The start date is after the end date.", "Swap them.", BACK)
    if (last - first).days >= MAX_DAYS:
        raise PageError(400, "The range is too long", f"Choose at most {MAX_DAYS} days.", back=BACK)
    return DayRange(first, last, preset, as_of)
