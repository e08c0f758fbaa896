"""Budget periods as UTC windows: a day, an ISO week (from Monday), a calendar month, or forever."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

from gateway.limits.models import Period


@dataclass(frozen=True, slots=True)
class Window:
    """One period: a label that names it in counter keys, and its bounds (None for `total`)."""

    label: str
    start: datetime | None
    end: datetime | None

    def seconds_left(self, now: datetime) -> float | None:
        return None if self.end is None else max(0.0, (self.end - now).total_seconds())


def window_of(period: str, now: datetime) -> Window:
    """The window of `period` that contains `now`."""
    return _window_of_day(period, now.astimezone(UTC).date())


@lru_cache(maxsize=64)  # asked on every limited request; a window only changes with the day
def _window_of_day(period: str, day: date) -> Window:
    midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
    if period == Period.DAY:
        return Window(midnight.strftime("%Y-%m-%d"), midnight, midnight + timedelta(days=1))
    if period == Period.WEEK:
        start = midnight - timedelta(days=midnight.weekday())
        year, week, _ = start.isocalendar()
        return Window(f"{year}-W{week:02d}", start, start + timedelta(days=7))
    if period == Period.MONTH:
        start = midnight.replace(day=1)
        end = start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)
        return Window(start.strftime("%Y-%m"), start, end)
    if period == Period.TOTAL:
        return Window("total", None, None)
    raise ValueError(f"unknown budget period {period!r}")
