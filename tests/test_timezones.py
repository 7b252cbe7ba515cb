"""Time zone loading and wall-clock <-> UTC conversion, around real 2026 DST changes.

Expected instants are written out by hand from the zones' published rules, not computed with the
code under test: Europe/Amsterdam (CET/CEST, changes at 01:00Z), America/New_York (EST/EDT, changes
at 02:00 local) and Australia/Lord_Howe (+10:30 / +11, a 30-minute shift at 02:00 local).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calbridge.timezones import (
    InvalidTimezone,
    NonexistentLocalTime,
    load_timezone,
    local_to_utc_lenient,
    to_local,
    to_utc,
)
from tests.support.zones import ZONES, Transition, in_gap, transitions


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def off(hours: float) -> timezone:
    return timezone(timedelta(hours=hours))


# --- load_timezone -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["Europe/Amsterdam", "America/New_York", "Australia/Lord_Howe", "UTC", "Etc/GMT+5"]
)
def test_load_timezone_accepts_iana_names(name: str) -> None:
    tz = load_timezone(name)
    assert isinstance(tz, ZoneInfo)
    assert tz.key == name


def test_load_timezone_accepts_every_available_zone() -> None:
    for name in ZONES:
        assert load_timezone(name).key == name


@pytest.mark.parametrize(
    "name",
    [
        "",
        " ",
        "local",
        "localtime",
        "posixrules",
        "Factory",
        "Foo/Bar",
        "Mars/Olympus_Mons",
        "europe/amsterdam",
        " Europe/Amsterdam",
        "Europe/Amsterdam ",
        "Europe/../Europe/Amsterdam",
        "../../etc/passwd",
        "..",
        "/etc/localtime",
        "/usr/share/zoneinfo/Europe/Amsterdam",
        "Europe\\Amsterdam",
        "Europe/Amsterdam\x00",
        "posix/Europe/Amsterdam",
        "right/Europe/Amsterdam",
        "+01:00",
        "CEST",
    ],
)
def test_load_timezone_rejects_everything_else(name: str) -> None:
    with pytest.raises(InvalidTimezone):
        load_timezone(name)


def test_invalid_timezone_is_a_value_error() -> None:
    assert issubclass(InvalidTimezone, ValueError)
    assert issubclass(NonexistentLocalTime, ValueError)


def test_load_timezone_rejects_non_strings() -> None:
    with pytest.raises(InvalidTimezone):
        load_timezone(None)  # type: ignore[arg-type]


# --- to_utc / to_local: table ---------------------------------------------------------------

AMS = "Europe/Amsterdam"
NY = "America/New_York"
LH = "Australia/Lord_Howe"

# (zone, naive wall time, expected UTC instant); times next to the gaps and inside the folds.
ORDINARY_AND_FOLD_TIMES = [
    # Amsterdam spring forward 2026-03-29 02:00 CET -> 03:00 CEST
    (AMS, datetime(2026, 3, 29, 1, 59), utc(2026, 3, 29, 0, 59)),
    (AMS, datetime(2026, 3, 29, 3, 0), utc(2026, 3, 29, 1, 0)),
    (AMS, datetime(2026, 3, 28, 2, 30), utc(2026, 3, 28, 1, 30)),
    (AMS, datetime(2026, 3, 30, 2, 30), utc(2026, 3, 30, 0, 30)),
    # Amsterdam fall back 2026-10-25 03:00 CEST -> 02:00 CET: 02:xx happens twice
    (AMS, datetime(2026, 10, 25, 1, 59), utc(2026, 10, 24, 23, 59)),
    (AMS, datetime(2026, 10, 25, 2, 0), utc(2026, 10, 25, 0, 0)),
    (AMS, datetime(2026, 10, 25, 2, 30), utc(2026, 10, 25, 0, 30)),
    (AMS, datetime(2026, 10, 25, 2, 59, 59), utc(2026, 10, 25, 0, 59, 59)),
    (AMS, datetime(2026, 10, 25, 3, 0), utc(2026, 10, 25, 2, 0)),
    # New York spring forward 2026-03-08 02:00 EST -> 03:00 EDT
    (NY, datetime(2026, 3, 8, 1, 59), utc(2026, 3, 8, 6, 59)),
    (NY, datetime(2026, 3, 8, 3, 0), utc(2026, 3, 8, 7, 0)),
    # New York fall back 2026-11-01 02:00 EDT -> 01:00 EST: 01:xx happens twice
    (NY, datetime(2026, 11, 1, 0, 59), utc(2026, 11, 1, 4, 59)),
    (NY, datetime(2026, 11, 1, 1, 0), utc(2026, 11, 1, 5, 0)),
    (NY, datetime(2026, 11, 1, 1, 30), utc(2026, 11, 1, 5, 30)),
    (NY, datetime(2026, 11, 1, 2, 0), utc(2026, 11, 1, 7, 0)),
    # Lord Howe fall back 2026-04-05 02:00 (+11) -> 01:30 (+10:30): 01:30-02:00 happens twice
    (LH, datetime(2026, 4, 5, 1, 29), utc(2026, 4, 4, 14, 29)),
    (LH, datetime(2026, 4, 5, 1, 30), utc(2026, 4, 4, 14, 30)),
    (LH, datetime(2026, 4, 5, 1, 45), utc(2026, 4, 4, 14, 45)),
    (LH, datetime(2026, 4, 5, 2, 0), utc(2026, 4, 4, 15, 30)),
    # Lord Howe spring forward 2026-10-04 02:00 (+10:30) -> 02:30 (+11)
    (LH, datetime(2026, 10, 4, 1, 59), utc(2026, 10, 3, 15, 29)),
    (LH, datetime(2026, 10, 4, 2, 30), utc(2026, 10, 3, 15, 30)),
]


@pytest.mark.parametrize(("zone", "naive", "expected"), ORDINARY_AND_FOLD_TIMES)
def test_to_utc_of_naive_local_time(zone: str, naive: datetime, expected: datetime) -> None:
    tz = load_timezone(zone)
    result = to_utc(naive, tz)
    assert result == expected
    assert result.tzinfo is UTC
    # The caller's fold flag does not matter: an ambiguous time is always its first occurrence.
    assert to_utc(naive.replace(fold=1), tz) == expected
    # Back to local: the same wall time, with the offset in force at that instant.
    local = to_local(result, tz)
    assert local.replace(tzinfo=None) == naive
    assert local.utcoffset() == naive - expected.replace(tzinfo=None)


GAP_TIMES = [
    (AMS, datetime(2026, 3, 29, 2, 0)),
    (AMS, datetime(2026, 3, 29, 2, 30)),
    (AMS, datetime(2026, 3, 29, 2, 59, 59, 999999)),
    (NY, datetime(2026, 3, 8, 2, 0)),
    (NY, datetime(2026, 3, 8, 2, 45)),
    (LH, datetime(2026, 10, 4, 2, 0)),
    (LH, datetime(2026, 10, 4, 2, 15)),
    (LH, datetime(2026, 10, 4, 2, 29)),
]


@pytest.mark.parametrize(("zone", "naive"), GAP_TIMES)
def test_to_utc_rejects_times_in_a_gap(zone: str, naive: datetime) -> None:
    with pytest.raises(NonexistentLocalTime):
        to_utc(naive, load_timezone(zone))
    with pytest.raises(NonexistentLocalTime):
        to_utc(naive.replace(fold=1), load_timezone(zone))


@pytest.mark.parametrize(
    "aware",
    [
        datetime(2026, 3, 29, 3, 30, tzinfo=off(2)),
        datetime(2026, 3, 29, 1, 30, tzinfo=UTC),
        datetime(2026, 3, 28, 21, 30, tzinfo=off(-4)),
        datetime(2026, 3, 29, 1, 30, tzinfo=ZoneInfo("Europe/London")),
    ],
)
def test_to_utc_of_aware_input_ignores_the_zone(aware: datetime) -> None:
    # The same instant whatever zone is passed (Lord Howe would matter for a naive input).
    assert to_utc(aware, load_timezone(LH)) == utc(2026, 3, 29, 1, 30)
    assert to_utc(aware, load_timezone(LH)).tzinfo is UTC


@pytest.mark.parametrize(
    ("zone", "instant", "offset"),
    [
        (AMS, utc(2026, 3, 29, 0, 59), timedelta(hours=1)),
        (AMS, utc(2026, 3, 29, 1, 0), timedelta(hours=2)),
        (AMS, utc(2026, 10, 25, 0, 30), timedelta(hours=2)),
        (AMS, utc(2026, 10, 25, 1, 30), timedelta(hours=1)),
        (NY, utc(2026, 11, 1, 5, 30), timedelta(hours=-4)),
        (NY, utc(2026, 11, 1, 6, 30), timedelta(hours=-5)),
        (LH, utc(2026, 4, 4, 14, 45), timedelta(hours=11)),
        (LH, utc(2026, 4, 4, 15, 15), timedelta(hours=10, minutes=30)),
    ],
)
def test_to_local_carries_the_offset_at_that_instant(
    zone: str, instant: datetime, offset: timedelta
) -> None:
    local = to_local(instant, load_timezone(zone))
    # (Python's == between zones is always False for a wall time inside a fold, so compare UTC.)
    assert local.astimezone(UTC) == instant
    assert local.utcoffset() == offset
    assert local.isoformat().endswith(
        f"{'+' if offset >= timedelta(0) else '-'}{abs(offset) // timedelta(hours=1):02d}:"
        f"{abs(offset) % timedelta(hours=1) // timedelta(minutes=1):02d}"
    )


def test_to_local_rejects_naive_input() -> None:
    with pytest.raises(ValueError):
        to_local(datetime(2026, 1, 1, 12, 0), load_timezone(AMS))


def test_out_of_range_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        to_utc(datetime.max, load_timezone("America/New_York"))
    with pytest.raises(ValueError):
        to_local(datetime.min.replace(tzinfo=UTC), load_timezone(NY))


# --- local_to_utc_lenient ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "day", "clock", "expected"),
    [
        # gap: moved forward by the gap (02:30 -> 03:30 CEST, 02:15 -> 02:45 +11)
        (AMS, date(2026, 3, 29), time(2, 0), utc(2026, 3, 29, 1, 0)),
        (AMS, date(2026, 3, 29), time(2, 30), utc(2026, 3, 29, 1, 30)),
        (NY, date(2026, 3, 8), time(2, 30), utc(2026, 3, 8, 7, 30)),
        (LH, date(2026, 10, 4), time(2, 15), utc(2026, 10, 3, 15, 45)),
        # fold: first occurrence
        (AMS, date(2026, 10, 25), time(2, 30), utc(2026, 10, 25, 0, 30)),
        (NY, date(2026, 11, 1), time(1, 30), utc(2026, 11, 1, 5, 30)),
        (LH, date(2026, 4, 5), time(1, 45), utc(2026, 4, 4, 14, 45)),
        # ordinary
        (AMS, date(2026, 3, 29), time(9, 0), utc(2026, 3, 29, 7, 0)),
        (AMS, date(2026, 3, 28), time(9, 0), utc(2026, 3, 28, 8, 0)),
        # Havana skips midnight: 2026-03-08 00:00 CST -> 01:00 CDT
        ("America/Havana", date(2026, 3, 8), time(0, 0), utc(2026, 3, 8, 5, 0)),
        ("America/Havana", date(2026, 3, 8), time(0, 30), utc(2026, 3, 8, 5, 30)),
        ("America/Havana", date(2026, 3, 8), time(1, 0), utc(2026, 3, 8, 5, 0)),
    ],
)
def test_local_to_utc_lenient(zone: str, day: date, clock: time, expected: datetime) -> None:
    result = local_to_utc_lenient(day, clock, load_timezone(zone))
    assert result == expected
    assert result.tzinfo is UTC


def test_local_to_utc_lenient_never_raises_at_the_calendar_edges() -> None:
    east, west = load_timezone("Etc/GMT-14"), load_timezone("Etc/GMT+12")  # +14:00, -12:00
    assert local_to_utc_lenient(date.min, time(0), east) == datetime.min.replace(tzinfo=UTC)
    assert local_to_utc_lenient(date.max, time(23, 59), west) == datetime.max.replace(tzinfo=UTC)


# --- Hypothesis: many zones, 1990-2060 ------------------------------------------------------


def next_zone_with(
    name: str, year: int, wanted: Callable[[Transition], bool]
) -> tuple[str, list[Transition]]:
    """The first zone from `name` on (cyclically) with a wanted transition in `year`.

    Most zones have no DST in a given year; walking on (instead of filtering examples away) keeps
    Hypothesis generating useful cases while still spreading them over many zones.
    """
    start = ZONES.index(name)
    for candidate in ZONES[start:] + ZONES[:start]:
        found = [t for t in transitions(candidate, year) if wanted(t)]
        if found:
            return candidate, found
    raise AssertionError(f"no zone has such a transition in {year}")


years = st.integers(1990, 2060)
zones = st.sampled_from(ZONES)


@st.composite
def naive_times(draw: st.DrawFn) -> tuple[str, datetime]:
    """A zone and a wall time in 1990-2060, often within three hours of one of its transitions."""
    name, year, near_a_change = draw(zones), draw(years), draw(st.booleans())
    found = transitions(name, year)
    if found and near_a_change:
        instant, before, _ = draw(st.sampled_from(found))
        anchor = (instant + before).replace(tzinfo=None)
        delta = draw(st.integers(-3 * 3600, 3 * 3600))
        return name, anchor + timedelta(seconds=delta)
    start = datetime(year, 1, 1)
    return name, start + timedelta(seconds=draw(st.integers(0, 365 * 86400 - 1)))


@settings(max_examples=1000, deadline=None)
@given(naive_times())
def test_naive_times_round_trip_unless_in_a_gap(case: tuple[str, datetime]) -> None:
    name, naive = case
    tz = load_timezone(name)
    if in_gap(naive, tz):
        with pytest.raises(NonexistentLocalTime):
            to_utc(naive, tz)
        return
    instant = to_utc(naive, tz)
    assert instant.tzinfo is UTC
    assert to_local(instant, tz).replace(tzinfo=None) == naive
    assert to_local(instant, tz).astimezone(UTC) == instant


@settings(max_examples=1000, deadline=None)
@given(zones, years, st.data())
def test_gap_times_found_by_scanning_offsets_raise(
    name: str, year: int, data: st.DataObject
) -> None:
    # Independent of PEP 495: when the offset grows from `before` to `after` at instant T, wall
    # times in [T + before, T + after) never happen. Walk to the next zone with such a gap.
    name, gaps = next_zone_with(name, year, lambda t: t[2] > t[1])
    instant, before, after = data.draw(st.sampled_from(gaps))
    first_missing = (instant + before).replace(tzinfo=None)
    naive = first_missing + timedelta(
        seconds=data.draw(st.integers(0, int((after - before).total_seconds()) - 1))
    )
    tz = load_timezone(name)
    with pytest.raises(NonexistentLocalTime):
        to_utc(naive, tz)
    # The edges around the gap exist: the last second before it and the first wall time after it.
    last_before = first_missing - timedelta(seconds=1)
    assert to_utc(last_before, tz) == (instant - timedelta(seconds=1))
    assert to_utc((instant + after).replace(tzinfo=None), tz) == instant
    # Leniently, a wall time in the gap moves forward by the length of the gap.
    lenient = local_to_utc_lenient(naive.date(), naive.time(), tz)
    assert lenient == (naive - before).replace(tzinfo=UTC)
    assert to_local(lenient, tz).replace(tzinfo=None) == naive + (after - before)


@settings(max_examples=1000, deadline=None)
@given(zones, years, st.data())
def test_ambiguous_times_mean_their_first_occurrence(
    name: str, year: int, data: st.DataObject
) -> None:
    # When the offset shrinks from `before` to `after` at instant T, wall times in
    # [T + after, T + before) happen twice: first at wall - before, then at wall - after.
    name, folds = next_zone_with(name, year, lambda t: t[2] < t[1])
    instant, before, after = data.draw(st.sampled_from(folds))
    naive = (instant + after).replace(tzinfo=None) + timedelta(
        seconds=data.draw(st.integers(0, int((before - after).total_seconds()) - 1))
    )
    tz = load_timezone(name)
    first = (naive - before).replace(tzinfo=UTC)
    second = (naive - after).replace(tzinfo=UTC)
    assert first < second
    assert naive.replace(tzinfo=tz, fold=0).astimezone(UTC) == first
    assert naive.replace(tzinfo=tz, fold=1).astimezone(UTC) == second
    assert to_utc(naive, tz) == first
    assert to_utc(naive.replace(fold=1), tz) == first
    assert local_to_utc_lenient(naive.date(), naive.time(), tz) == first
    # Both instants show the same wall time, with different offsets.
    assert to_local(first, tz).replace(tzinfo=None) == naive
    assert to_local(second, tz).replace(tzinfo=None) == naive
    assert to_local(first, tz).utcoffset() == before
    assert to_local(second, tz).utcoffset() == after
