"""Chart geometry for server-drawn SVG: numbers in, rectangles and label positions out.

Plain Python, no Flask and no markup: the templates draw what these functions place, so a
chart needs no JavaScript and no inline styles (colours come from CSS classes per series).
Coordinates are in viewBox units; the SVG scales to its container's width.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

# Room for the month labels under a column chart and the axis labels on its left.
COLUMN_AXIS_WIDTH = 30.0
COLUMN_LABEL_HEIGHT = 34.0
COLUMN_TOP = 18.0  # above the tallest column: its total
# A bar chart's rows: the label column on the left, the total after each bar.
BAR_ROW_HEIGHT = 24.0
BAR_THICKNESS = 16.0
BAR_LABEL_WIDTH = 128.0
BAR_TOTAL_WIDTH = 34.0
LABEL_MAX_CHARS = 18


@dataclass(frozen=True)
class Group:
    """One column or bar: its label, the value of each series in it and where it links."""

    label: str
    values: Mapping[str, int]
    link: str = ""
    sublabel: str = ""  # a second line under a column's label (the year under January)
    title: str = ""  # the long name, for the tooltip when the label is shortened

    @property
    def total(self) -> int:
        return sum(self.values.values())


@dataclass(frozen=True)
class Segment:
    """One series' part of a column or bar."""

    key: str
    value: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Placed:
    """A group drawn: its segments (bottom-up or left-to-right in series order), the box
    that takes the click, and where its label and total go."""

    group: Group
    segments: tuple[Segment, ...]
    x: float
    y: float
    width: float
    height: float
    label: str
    label_x: float
    label_y: float
    total_x: float
    total_y: float

    @property
    def total_label(self) -> str:
        return compact(self.group.total)


@dataclass(frozen=True)
class Tick:
    value: int
    position: float  # y for a column chart, x for a bar chart

    @property
    def label(self) -> str:
        return compact(self.value)


@dataclass(frozen=True)
class Chart:
    width: float
    height: float
    groups: tuple[Placed, ...]
    ticks: tuple[Tick, ...]
    # The plotting area: gridlines run across it.
    left: float
    top: float
    right: float
    bottom: float

    @property
    def view_box(self) -> str:
        return f"0 0 {_fmt(self.width)} {_fmt(self.height)}"

    @property
    def is_empty(self) -> bool:
        return all(placed.group.total == 0 for placed in self.groups)


def _fmt(number: float) -> str:
    return f"{number:.1f}".rstrip("0").rstrip(".")


def _r(number: float) -> float:
    """Coordinates to a tenth of a unit: plenty at any screen size, and short in the markup."""
    return round(number, 1)


def nice_scale(largest: int, max_ticks: int = 5) -> tuple[int, int]:
    """(top of the axis, step between ticks): a 1, 2 or 5 times a power of ten step, so the
    axis reads 0, 5, 10, 15 and not 0, 7, 14; at least 1 so an empty chart still has an axis."""
    largest = max(largest, 1)
    magnitude = 1
    while True:
        for factor in (1, 2, 5):
            step = factor * magnitude
            if -(-largest // step) <= max_ticks:
                return step * -(-largest // step), step
        magnitude *= 10


def compact(number: int) -> str:
    """A count short enough for a column's top or an axis: 950, 1.2k, 12k, 1.2M."""
    for size, suffix in ((1_000_000, "M"), (1_000, "k")):
        if number >= size:
            scaled = number / size
            text = f"{scaled:.1f}" if scaled < 10 else f"{scaled:.0f}"
            return text.removesuffix(".0") + suffix
    return str(number)


def shorten(text: str, limit: int = LABEL_MAX_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def column_chart(groups: Sequence[Group], keys: Sequence[str], *, width: float = 400.0,
                 height: float = 220.0) -> Chart:
    """Vertical columns stacked in ``keys`` order from the bottom, one per group, left to
    right, with a value axis on the left."""
    left, top = COLUMN_AXIS_WIDTH, COLUMN_TOP
    right, bottom = width - 4.0, height - COLUMN_LABEL_HEIGHT
    axis_top, step = nice_scale(max((g.total for g in groups), default=0))
    scale = (bottom - top) / axis_top
    slot = (right - left) / max(len(groups), 1)
    column_width = slot * 0.68
    placed = []
    for index, group in enumerate(groups):
        x = left + slot * index + (slot - column_width) / 2
        y = bottom
        segments = []
        for key in keys:
            value = group.values.get(key, 0)
            if value <= 0:
                continue
            h = value * scale
            y -= h
            segments.append(Segment(key, value, _r(x), _r(y), _r(column_width), _r(h)))
        centre = x + column_width / 2
        placed.append(Placed(
            group=group, segments=tuple(segments),
            # The whole slot takes the click, so a short column is still easy to hit.
            x=_r(left + slot * index), y=top, width=_r(slot), height=bottom - top,
            label=group.label, label_x=_r(centre), label_y=bottom + 14.0,
            total_x=_r(centre), total_y=_r(y - 4.0),
        ))
    ticks = tuple(Tick(value, _r(bottom - value * scale))
                  for value in range(0, axis_top + 1, step))
    return Chart(width, height, tuple(placed), ticks, left, top, right, bottom)


def bar_chart(groups: Sequence[Group], keys: Sequence[str], *, width: float = 400.0) -> Chart:
    """Horizontal bars stacked in ``keys`` order from the left, one row per group, top to
    bottom, labelled on the left with the total after the bar."""
    top = 22.0  # the value axis' labels go above the first row
    left = BAR_LABEL_WIDTH
    right = width - BAR_TOTAL_WIDTH
    bottom = top + BAR_ROW_HEIGHT * max(len(groups), 1)
    axis_top, step = nice_scale(max((g.total for g in groups), default=0))
    scale = (right - left) / axis_top
    placed = []
    for index, group in enumerate(groups):
        row_y = top + BAR_ROW_HEIGHT * index
        y = row_y + (BAR_ROW_HEIGHT - BAR_THICKNESS) / 2
        x = left
        segments = []
        for key in keys:
            value = group.values.get(key, 0)
            if value <= 0:
                continue
            w = value * scale
            segments.append(Segment(key, value, _r(x), _r(y), _r(w), BAR_THICKNESS))
            x += w
        text_y = row_y + BAR_ROW_HEIGHT / 2 + 4.0
        placed.append(Placed(
            group=group, segments=tuple(segments),
            x=0.0, y=row_y, width=width, height=BAR_ROW_HEIGHT,
            label=shorten(group.label), label_x=left - 6.0, label_y=_r(text_y),
            total_x=_r(x + 4.0), total_y=_r(text_y),
        ))
    ticks = tuple(Tick(value, _r(left + value * scale))
                  for value in range(0, axis_top + 1, step))
    return Chart(width, bottom + 4.0, tuple(placed), ticks, left, top, right, bottom)
