"""The pure core's busy index against brute force (no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from calbridge.scheduling.rules import Busy, BusyIndex

BASE = datetime(2026, 4, 13, tzinfo=UTC)
spans = st.tuples(st.integers(0, 200), st.integers(1, 60))


@given(busy=st.lists(spans, max_size=30), probe=spans)
def test_meeting_finds_a_busy_interval_exactly_when_one_overlaps(
    busy: list[tuple[int, int]], probe: tuple[int, int]
) -> None:
    items = [
        Busy(BASE + timedelta(minutes=s), BASE + timedelta(minutes=s + n), i)
        for i, (s, n) in enumerate(busy)
    ]
    lo, hi = BASE + timedelta(minutes=probe[0]), BASE + timedelta(minutes=sum(probe))
    found = BusyIndex(items).meeting(lo, hi)
    overlapping = [b for b in items if b.start_at < hi and b.end_at > lo]
    if overlapping:
        assert found in overlapping
    else:
        assert found is None
