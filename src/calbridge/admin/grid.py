"""Where events and free slots go in the week and day views (pure; no I/O).

The vertical axis of a day is its wall clock, 00:00 to 24:00, as in every calendar app: a block
starts at the wall time of its start, and is as tall as it really lasts. So on a fall-back night
(Europe/Amsterdam, 2026-10-25) the bookings at 02:30+02:00 and at 02:30+01:00 both start at
02:30 and stand side by side, each labelled with its offset; on a spring-forward night a block
is as long as the time that passes, not as the clock jumps.

A span that crosses local midnight is cut into one block per day. Blocks whose drawn intervals
overlap share the width of their cluster in lanes (the first lane that is free, left to right).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Generic, TypeVar
from zoneinfo import ZoneInfo

from calbridge.admin.times import offset_of
from calbridge.timezones import local_to_utc_lenient

T = TypeVar("T")
MINUTES_PER_DAY = 24 * 60
# The shortest block drawn, so that a five-minute event can still be read and clicked.
MIN_HEIGHT = 15


@dataclass(frozen=True)
class Span(Generic[T]):
    what: T
    start_at: datetime  # aware
    end_at: datetime


@dataclass(frozen=True)
class Block(Generic[T]):
    """One day's piece of a span: ``start_at``/``end_at`` in the view's zone; ``top`` and
    ``height`` in minutes of the day's wall clock; ``lane`` of ``lanes`` side by side."""

    what: T
    start_at: datetime
    end_at: datetime
    top: int
    height: int
    lane: int = 0
    lanes: int = 1

    @property
    def bottom(self) -> int:
        return self.top + self.height


@dataclass(frozen=True)
class Day(Generic[T]):
    day: date
    offsets: tuple[str, ...]  # the zone's offset(s) that day: two on a DST change
    blocks: list[Block[T]] = field(default_factory=list)


def day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants of local midnight of ``day`` and of the next day."""
    return (
        local_to_utc_lenient(day, time(0), zone),
        local_to_utc_lenient(day + timedelta(days=1), time(0), zone),
    )


def place(spans: Sequence[Span[T]], days: Sequence[date], zone: ZoneInfo) -> list[Day[T]]:
    """The blocks of each of ``days`` (in order), laid out in lanes."""
    result = []
    for day in days:
        lo, hi = day_bounds(day, zone)
        offsets = tuple(dict.fromkeys(offset_of(t.astimezone(zone)) for t in (lo, hi - _TICK)))
        pieces = [_piece(span, lo, hi, zone) for span in spans]
        blocks = [piece for piece in pieces if piece is not None]
        result.append(Day(day, offsets, _lanes(blocks)))
    return result


_TICK = timedelta(microseconds=1)


def _piece(span: Span[T], lo: datetime, hi: datetime, zone: ZoneInfo) -> Block[T] | None:
    start, end = max(span.start_at, lo), min(span.end_at, hi)
    if start >= end:
        return None
    local_start = start.astimezone(zone)
    top = local_start.hour * 60 + local_start.minute
    minutes = math.ceil((end - start).total_seconds() / 60)
    height = min(max(minutes, MIN_HEIGHT), MINUTES_PER_DAY - top)
    return Block(span.what, local_start, end.astimezone(zone), top, height)


def _lanes(blocks: list[Block[T]]) -> list[Block[T]]:
    """Each cluster of drawn-overlapping blocks split into lanes; order: top, then longest."""
    # By instant: two aware datetimes of the same zone compare by wall time, ignoring the fold.
    ordered = sorted(blocks, key=lambda b: (b.top, -b.height, b.start_at.astimezone(UTC)))
    placed: list[Block[T]] = []
    cluster: list[tuple[Block[T], int]] = []
    lane_ends: list[int] = []
    cluster_end = -1

    def close() -> None:
        placed.extend(
            Block(b.what, b.start_at, b.end_at, b.top, b.height, lane, len(lane_ends))
            for b, lane in cluster
        )

    for block in ordered:
        if block.top >= cluster_end:
            close()
            cluster, lane_ends = [], []
        lane = next((i for i, end in enumerate(lane_ends) if end <= block.top), len(lane_ends))
        if lane == len(lane_ends):
            lane_ends.append(block.bottom)
        else:
            lane_ends[lane] = block.bottom
        cluster.append((block, lane))
        cluster_end = max(cluster_end, block.bottom)
    close()
    return placed
