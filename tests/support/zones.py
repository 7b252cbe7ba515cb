"""Oracles about time zones for the Hypothesis tests (``test_timezones``, the calendar's
availability): the zones to draw from, a zone's offset changes in a year and whether a wall
time falls in a gap. Written independently of the code under test (and of PEP 495 folds): they
only ask a zone for its offset at given instants."""

from __future__ import annotations

import functools
import zoneinfo
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

ZONES = sorted(zoneinfo.available_timezones() - {"localtime", "posixrules", "Factory"})
Transition = tuple[datetime, timedelta, timedelta]  # (UTC instant, offset before, offset after)


def _offset(tz: ZoneInfo, seconds: int) -> timedelta:
    result = datetime.fromtimestamp(seconds, tz).utcoffset()
    assert result is not None
    return result


@functools.cache
def transitions(name: str, year: int) -> tuple[Transition, ...]:
    """UTC-offset changes of a zone during a year, found by a weekly scan and bisection to the
    second. Two changes within one week may show up as one."""
    tz = ZoneInfo(name)
    week = 7 * 86400
    t = int(datetime(year, 1, 1, tzinfo=UTC).timestamp())
    end = int(datetime(year + 1, 1, 1, tzinfo=UTC).timestamp())
    found: list[Transition] = []
    before = _offset(tz, t)
    while t < end:
        after = _offset(tz, t + week)
        if after != before:
            lo, hi = t, t + week  # offset(lo) == before != offset(hi)
            while hi - lo > 1:
                mid = (lo + hi) // 2
                lo, hi = (mid, hi) if _offset(tz, mid) == before else (lo, mid)
            found.append((datetime.fromtimestamp(hi, UTC), before, _offset(tz, hi)))
        before, t = after, t + week
    return tuple(found)


def in_gap(naive: datetime, tz: ZoneInfo) -> bool:
    """A wall time exists iff, read with either fold, it survives a trip through UTC."""
    for fold in (0, 1):
        instant = naive.replace(tzinfo=tz, fold=fold).astimezone(UTC)
        if instant.astimezone(tz).replace(tzinfo=None) == naive:
            return False
    return True
