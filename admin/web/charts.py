"""Bar charts as SVG geometry, computed here and drawn by the templates (so every label is escaped)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from gateway.core.money import format_usd


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    value: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    maximum: str  # the value at the top of the scale, for the axis label
    title: str


def column_chart(points: Sequence[tuple[str, Decimal]], title: str, width: int = 720, height: int = 200) -> Chart:
    """Vertical bars, one per point (e.g. one per day), scaled to the largest value."""
    top = max((value for _, value in points), default=Decimal(0)) or Decimal(1)
    plot = height - 20  # room for the axis labels below
    step = width / max(len(points), 1)
    bars = []
    for index, (label, value) in enumerate(points):
        bar_height = float(value / top) * plot
        bars.append(Bar(index * step + 1, plot - bar_height, max(step - 2, 1), bar_height, label, format_usd(value)))
    return Chart(width, height, bars, format_usd(top), title)


def bar_chart(points: Sequence[tuple[str, Decimal]], title: str, width: int = 720, row: int = 22) -> Chart:
    """Horizontal bars, one row per point, largest first; labels sit left of the bars."""
    ordered = sorted(points, key=lambda point: point[1], reverse=True)
    top = max((value for _, value in ordered), default=Decimal(0)) or Decimal(1)
    label_width, value_width = 180, 90
    span = width - label_width - value_width
    bars = [
        Bar(label_width, index * row + 2, max(float(value / top) * span, 1), row - 4, label, format_usd(value))
        for index, (label, value) in enumerate(ordered)
    ]
    return Chart(width, max(len(ordered), 1) * row, bars, format_usd(top), title)


@dataclass(frozen=True)
class BudgetBar:
    """A budget's use as a bar: the used fraction (capped for drawing), the soft threshold, and a state."""

    label: str
    used: Decimal
    amount: Decimal
    fraction: float
    threshold: float | None
    period: str
    edit_href: str = ""  # the edit form of the team or key, for people who may change it

    @property
    def drawn(self) -> float:
        return min(self.fraction, 1.0)

    @property
    def state(self) -> str:
        if self.fraction >= 1:
            return "over"
        if self.threshold is not None and self.fraction >= self.threshold:
            return "warn"
        return "ok"


def budget_bar(
    label: str, used: Decimal, amount: Decimal, threshold: float | None, period: str, edit_href: str = ""
) -> BudgetBar:
    fraction = float(used / amount) if amount > 0 else (1.0 if used > 0 else 0.0)
    return BudgetBar(label, used, amount, fraction, threshold, period, edit_href)


@dataclass(frozen=True)
class Segment:
    x: float
    y: float
    width: float
    height: float
    series: int  # the series' index, for its colour class and the legend
    label: str  # "day · series: $value", the tooltip


@dataclass(frozen=True)
class StackedChart:
    width: int
    height: int
    segments: list[Segment]
    legend: list[str]
    maximum: str
    title: str


def stacked_columns(
    days: Sequence[str],
    series: Sequence[str],
    values: dict[tuple[str, str], Decimal],
    title: str,
    width: int = 720,
    height: int = 200,
) -> StackedChart:
    """One column per day, stacked by series (team or model) in the legend's order."""
    totals = [sum((values.get((name, day), Decimal(0)) for name in series), Decimal(0)) for day in days]
    top = max(totals, default=Decimal(0)) or Decimal(1)
    plot = height - 20
    step = width / max(len(days), 1)
    segments = []
    for index, day in enumerate(days):
        base = float(plot)
        for number, name in enumerate(series):
            value = values.get((name, day), Decimal(0))
            if not value:
                continue
            size = float(value / top) * plot
            base -= size
            segments.append(
                Segment(index * step + 1, base, max(step - 2, 1), size, number, f"{day} · {name}: {format_usd(value)}")
            )
    return StackedChart(width, height, segments, list(series), format_usd(top), title)
