"""Availability windows: parsing, the booking check `covers`, and `free_windows`.

Expected instants are written out by hand (offsets spelled as literals), not computed with the
code under test. June 2026 in Europe/Amsterdam is CEST (+02:00); 2026-06-01 is a Monday.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, event, given, settings
from hypothesis import strategies as st

from calbridge.calendar.availability import (
    Availability,
    Window,
    covers,
    free_windows,
    overlaps,
    parse_clock,
)
from calbridge.timezones import load_timezone, to_utc
from tests.support.zones import ZONES, in_gap, transitions

MINUTE = timedelta(minutes=1)


def w(start: str, end: str) -> Window:
    """Window from 'HH:MM' strings; '24:00' as end."""
    h, m = map(int, start.split(":"))
    if end == "24:00":
        return Window(time(h, m), None)
    eh, em = map(int, end.split(":"))
    return Window(time(h, m), time(eh, em))


def at(day: date, clock: str, hours: float) -> datetime:
    """An instant written as local wall time plus a literal UTC offset."""
    h, m = map(int, clock.split(":"))
    return datetime.combine(day, time(h, m), tzinfo=timezone(timedelta(hours=hours)))


# --- parse_clock / Window / from_json -----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [("00:00", time(0, 0)), ("09:05", time(9, 5)), ("17:00", time(17)), ("23:59", time(23, 59))],
)
def test_parse_clock(text: str, expected: time) -> None:
    assert parse_clock(text, allow_24=False) == expected
    assert parse_clock(text, allow_24=True) == expected


def test_parse_clock_24_00_only_as_an_end() -> None:
    assert parse_clock("24:00", allow_24=True) is None
    with pytest.raises(ValueError):
        parse_clock("24:00", allow_24=False)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "9:00",
        "09:0",
        "0900",
        "09:60",
        "24:01",
        "25:00",
        "-1:00",
        "09:00:00",
        " 09:00",
        "09:00 ",
        "09:00\n",
        "ab:cd",
        "\u0660\u0669:\u0660\u0660",  # Arabic-Indic digits: int() would take them
        "09h00",
    ],
)
def test_parse_clock_rejects(text: str) -> None:
    for allow_24 in (False, True):
        with pytest.raises(ValueError):
            parse_clock(text, allow_24=allow_24)


@pytest.mark.parametrize(("start", "end"), [("10:00", "10:00"), ("17:00", "09:00")])
def test_window_end_must_follow_start(start: str, end: str) -> None:
    with pytest.raises(ValueError):
        w(start, end)


def test_from_json_contract_example() -> None:
    availability = Availability.from_json(
        {
            "weekly": [
                {"day": "monday", "start": "13:00", "end": "17:00"},
                {"day": "monday", "start": "09:00", "end": "12:00"},
                {"day": "sunday", "start": "20:00", "end": "24:00"},
            ],
            "exceptions": [
                {"date": "2026-12-24", "windows": []},
                {"date": "2026-12-27", "windows": [{"start": "10:00", "end": "14:00"}]},
            ],
        }
    )
    assert availability.weekly == {
        0: (w("09:00", "12:00"), w("13:00", "17:00")),
        6: (w("20:00", "24:00"),),
    }
    assert availability.exceptions == {
        date(2026, 12, 24): (),
        date(2026, 12, 27): (w("10:00", "14:00"),),
    }
    assert availability.windows_on(date(2026, 12, 21)) == availability.weekly[0]  # a Monday
    assert availability.windows_on(date(2026, 12, 22)) == ()
    assert availability.windows_on(date(2026, 12, 24)) == ()
    assert availability.windows_on(date(2026, 12, 27)) == (w("10:00", "14:00"),)


def test_overlaps_names_each_later_window_of_the_same_day() -> None:
    found = overlaps(
        {
            "weekly": [
                {"day": "monday", "start": "09:00", "end": "12:00"},
                {"day": "tuesday", "start": "10:00", "end": "11:00"},
                {"day": "monday", "start": "12:00", "end": "17:00"},  # touches: fine
                {"day": "monday", "start": "11:30", "end": "13:00"},
            ],
            "exceptions": [
                {"date": "2026-12-24", "windows": []},
                {
                    "date": "2026-12-27",
                    "windows": [
                        {"start": "10:00", "end": "24:00"},
                        {"start": "23:00", "end": "24:00"},
                    ],
                },
            ],
        }
    )
    assert found == [
        ("availability.weekly.3", "overlaps the window 09:00-12:00 of the same day"),
        ("availability.exceptions.1.windows.1", "overlaps the window 10:00-24:00 of the same day"),
    ]


def test_from_json_empty_means_never_open() -> None:
    availability = Availability.from_json({"weekly": [], "exceptions": []})
    tz = load_timezone("Europe/Amsterdam")
    day = date(2026, 6, 1)
    assert not covers(availability, tz, at(day, "10:00", 2), at(day, "11:00", 2))


# --- covers: explicit cases ---------------------------------------------------------------

AMS = load_timezone("Europe/Amsterdam")
MON, TUE, WED, THU, FRI, SAT = (date(2026, 6, d) for d in range(1, 7))
NEXT_MON, NEXT_FRI, NEXT_SAT = date(2026, 6, 8), date(2026, 6, 12), date(2026, 6, 13)

WEEK = Availability(
    weekly={
        0: (w("09:00", "12:00"), w("11:00", "13:00"), w("14:00", "17:00"), w("20:00", "24:00")),
        1: (w("00:00", "04:00"), w("09:00", "17:00")),
        2: (w("09:00", "17:00"), w("20:00", "24:00")),
        3: (w("10:00", "17:00"),),
        4: (w("09:00", "17:00"),),
    },
    exceptions={
        FRI: (),  # closed all day although Friday has weekly windows
        SAT: (w("10:00", "14:00"),),  # open on a day without weekly windows
        NEXT_MON: (w("10:00", "11:00"),),  # replaces all of Monday's windows
    },
)

H = 2  # CEST
WEEK_CASES = [
    # (description, start, end, expected)
    ("exactly the window", at(TUE, "09:00", H), at(TUE, "17:00", H), True),
    ("ends exactly at the window end", at(TUE, "16:00", H), at(TUE, "17:00", H), True),
    ("ends one minute past the window", at(TUE, "16:00", H), at(TUE, "17:01", H), False),
    ("starts one minute early", at(TUE, "08:59", H), at(TUE, "10:00", H), False),
    ("starts exactly at the window end", at(TUE, "17:00", H), at(TUE, "17:30", H), False),
    ("one minute at the start", at(TUE, "09:00", H), at(TUE, "09:01", H), True),
    ("same instants written in UTC", at(TUE, "07:00", 0), at(TUE, "15:00", 0), True),
    ("same instants, other offset", at(TUE, "03:00", -4), at(TUE, "11:00", -4), True),
    ("overlapping windows merge", at(MON, "09:30", H), at(MON, "12:30", H), True),
    ("to the end of the merged windows", at(MON, "09:00", H), at(MON, "13:00", H), True),
    ("past the merged windows", at(MON, "12:30", H), at(MON, "13:01", H), False),
    ("in the hole between windows", at(MON, "13:00", H), at(MON, "14:00", H), False),
    ("across the hole between windows", at(MON, "12:00", H), at(MON, "15:00", H), False),
    ("across midnight, next day open", at(MON, "22:00", H), at(TUE, "03:00", H), True),
    ("all of 20:00-24:00 + 00:00-04:00", at(MON, "20:00", H), at(TUE, "04:00", H), True),
    ("across midnight, one minute too far", at(MON, "23:00", H), at(TUE, "04:01", H), False),
    ("across midnight, next day closed", at(WED, "23:00", H), at(THU, "00:30", H), False),
    ("up to 24:00", at(WED, "23:59", H), at(THU, "00:00", H), True),
    ("whole 20:00-24:00", at(WED, "20:00", H), at(THU, "00:00", H), True),
    ("from 24:00 into a closed morning", at(THU, "00:00", H), at(THU, "00:01", H), False),
    ("weekly window on a closed exception", at(FRI, "10:00", H), at(FRI, "11:00", H), False),
    (
        "same weekday without the exception",
        at(NEXT_FRI, "10:00", H),
        at(NEXT_FRI, "11:00", H),
        True,
    ),
    ("exception opens a closed weekday", at(SAT, "10:00", H), at(SAT, "14:00", H), True),
    ("exception window is still bounded", at(SAT, "13:30", H), at(SAT, "14:01", H), False),
    (
        "same weekday without the exception",
        at(NEXT_SAT, "10:00", H),
        at(NEXT_SAT, "11:00", H),
        False,
    ),
    (
        "exception replaces the weekly window",
        at(NEXT_MON, "10:00", H),
        at(NEXT_MON, "11:00", H),
        True,
    ),
    ("weekly morning replaced", at(NEXT_MON, "09:00", H), at(NEXT_MON, "10:00", H), False),
    ("weekly evening replaced", at(NEXT_MON, "20:00", H), at(NEXT_MON, "21:00", H), False),
    ("several days", at(MON, "20:00", H), at(WED, "10:00", H), False),
]


@pytest.mark.parametrize(
    ("start_at", "end_at", "expected"),
    [case[1:] for case in WEEK_CASES],
    ids=[f"{i}-{case[0]}" for i, case in enumerate(WEEK_CASES)],
)
def test_covers_week(start_at: datetime, end_at: datetime, expected: bool) -> None:
    assert covers(WEEK, AMS, start_at, end_at) is expected


def test_no_availability_means_always_open() -> None:
    assert covers(None, AMS, at(SAT, "03:00", H), at(NEXT_SAT, "03:00", H))
    assert free_windows(None, AMS, at(SAT, "03:00", H), at(SAT, "04:00", H)) == [
        (datetime(2026, 6, 6, 1, tzinfo=UTC), datetime(2026, 6, 6, 2, tzinfo=UTC))
    ]


def test_covers_rejects_naive_and_empty_events() -> None:
    with pytest.raises(ValueError):
        covers(WEEK, AMS, datetime(2026, 6, 2, 10), at(TUE, "11:00", H))
    with pytest.raises(ValueError):
        covers(WEEK, AMS, at(TUE, "10:00", H), datetime(2026, 6, 2, 11))
    for end in (at(TUE, "10:00", H), at(TUE, "09:59", H)):
        with pytest.raises(ValueError):
            covers(WEEK, AMS, at(TUE, "10:00", H), end)
        with pytest.raises(ValueError):
            covers(None, AMS, at(TUE, "10:00", H), end)


def test_free_windows_merges_touching_and_overlapping_windows_and_clips() -> None:
    def utc(day: date, clock: str) -> datetime:
        return at(day, clock, 0)

    assert free_windows(WEEK, AMS, at(MON, "00:00", H), at(TUE, "12:00", H)) == [
        (utc(MON, "07:00"), utc(MON, "11:00")),  # 09:00-13:00 local
        (utc(MON, "12:00"), utc(MON, "15:00")),  # 14:00-17:00
        (utc(MON, "18:00"), utc(TUE, "02:00")),  # Monday 20:00 - Tuesday 04:00
        (utc(TUE, "07:00"), utc(TUE, "10:00")),  # Tuesday 09:00 - 12:00 (clipped)
    ]
    assert free_windows(WEEK, AMS, at(MON, "10:00", H), at(MON, "10:30", H)) == [
        (utc(MON, "08:00"), utc(MON, "08:30"))
    ]
    assert free_windows(WEEK, AMS, at(FRI, "00:00", H), at(SAT, "00:00", H)) == []
    assert free_windows(WEEK, AMS, at(TUE, "10:00", H), at(TUE, "10:00", H)) == []
    for start_at, end_at in free_windows(WEEK, AMS, at(MON, "00:00", H), at(NEXT_MON, "00:00", H)):
        assert start_at.tzinfo is UTC
        assert end_at.tzinfo is UTC


# --- covers around the 2026 DST changes ----------------------------------------------------

NINE_TO_FIVE = Availability(weekly={d: (w("09:00", "17:00"),) for d in range(7)}, exceptions={})

# (zone, date, UTC offset in hours that day at 09:00-17:00): the change day and the days around it.
DST_DAYS = [
    ("Europe/Amsterdam", date(2026, 3, 28), 1),
    ("Europe/Amsterdam", date(2026, 3, 29), 2),
    ("Europe/Amsterdam", date(2026, 3, 30), 2),
    ("Europe/Amsterdam", date(2026, 10, 24), 2),
    ("Europe/Amsterdam", date(2026, 10, 25), 1),
    ("Europe/Amsterdam", date(2026, 10, 26), 1),
    ("America/New_York", date(2026, 3, 7), -5),
    ("America/New_York", date(2026, 3, 8), -4),
    ("America/New_York", date(2026, 3, 9), -4),
    ("America/New_York", date(2026, 10, 31), -4),
    ("America/New_York", date(2026, 11, 1), -5),
    ("America/New_York", date(2026, 11, 2), -5),
    ("Australia/Lord_Howe", date(2026, 4, 4), 11),
    ("Australia/Lord_Howe", date(2026, 4, 5), 10.5),
    ("Australia/Lord_Howe", date(2026, 4, 6), 10.5),
    ("Australia/Lord_Howe", date(2026, 10, 3), 10.5),
    ("Australia/Lord_Howe", date(2026, 10, 4), 11),
    ("Australia/Lord_Howe", date(2026, 10, 5), 11),
]


@pytest.mark.parametrize(("zone", "day", "hours"), DST_DAYS)
def test_nine_to_five_is_local_on_dst_days(zone: str, day: date, hours: float) -> None:
    tz = load_timezone(zone)
    assert covers(NINE_TO_FIVE, tz, at(day, "09:00", hours), at(day, "17:00", hours))
    assert covers(NINE_TO_FIVE, tz, at(day, "16:59", hours), at(day, "17:00", hours))
    assert not covers(NINE_TO_FIVE, tz, at(day, "16:30", hours), at(day, "17:30", hours))
    assert not covers(NINE_TO_FIVE, tz, at(day, "08:30", hours), at(day, "09:30", hours))
    # The same event read with the other offset of the year is one hour (Lord Howe: 30 minutes)
    # off, and must be refused.
    other = {1: 2, 2: 1, -5: -4, -4: -5, 11: 10.5, 10.5: 11}[hours]
    assert not covers(NINE_TO_FIVE, tz, at(day, "09:00", other), at(day, "17:00", other))
    assert free_windows(NINE_TO_FIVE, tz, at(day, "00:00", hours), at(day, "23:59", hours)) == [
        (at(day, "09:00", hours).astimezone(UTC), at(day, "17:00", hours).astimezone(UTC))
    ]


def one_day(day: date, *windows: Window) -> Availability:
    return Availability(weekly={}, exceptions={day: windows})


SPRING, AUTUMN = date(2026, 3, 29), date(2026, 10, 25)  # Amsterdam: 02:00-03:00 skipped / twice
HAVANA = load_timezone("America/Havana")  # 2026-03-08 00:00 CST (-5) -> 01:00 CDT (-4)
GOOSE_BAY = load_timezone("America/Goose_Bay")  # 2009-11-01 00:01 ADT (-3) -> 10-31 23:01 AST
APIA = load_timezone("Pacific/Apia")  # 2011-12-29 24:00 (-10) -> 2011-12-31 00:00 (+14)

DST_EDGE_CASES = [
    # A window edge inside the gap moves forward by the gap: 02:30 opens at 03:30 CEST.
    (
        "start in gap",
        one_day(SPRING, w("02:30", "06:00")),
        AMS,
        at(SPRING, "03:30", 2),
        at(SPRING, "06:00", 2),
        True,
    ),
    (
        "start in gap, too early",
        one_day(SPRING, w("02:30", "06:00")),
        AMS,
        at(SPRING, "03:29", 2),
        at(SPRING, "04:00", 2),
        False,
    ),
    (
        "end in gap",
        one_day(SPRING, w("00:00", "02:30")),
        AMS,
        at(SPRING, "00:00", 1),
        at(SPRING, "03:30", 2),
        True,
    ),
    (
        "end in gap, too late",
        one_day(SPRING, w("00:00", "02:30")),
        AMS,
        at(SPRING, "03:00", 2),
        at(SPRING, "03:31", 2),
        False,
    ),
    (
        "window across the gap",
        one_day(SPRING, w("01:00", "04:00")),
        AMS,
        at(SPRING, "01:00", 1),
        at(SPRING, "04:00", 2),
        True,
    ),
    (
        "window inside the gap moves whole",
        one_day(SPRING, w("02:10", "02:20")),
        AMS,
        at(SPRING, "03:10", 2),
        at(SPRING, "03:20", 2),
        True,
    ),
    # Ambiguous edges take the first occurrence (02:30 CEST, not 02:30 CET).
    (
        "start in fold",
        one_day(AUTUMN, w("02:30", "04:00")),
        AMS,
        at(AUTUMN, "02:30", 2),
        at(AUTUMN, "04:00", 1),
        True,
    ),
    (
        "start in fold, second run",
        one_day(AUTUMN, w("02:30", "04:00")),
        AMS,
        at(AUTUMN, "02:00", 1),
        at(AUTUMN, "03:00", 1),
        True,
    ),
    (
        "start in fold, too early",
        one_day(AUTUMN, w("02:30", "04:00")),
        AMS,
        at(AUTUMN, "02:29", 2),
        at(AUTUMN, "03:00", 1),
        False,
    ),
    (
        "end in fold",
        one_day(AUTUMN, w("00:00", "02:30")),
        AMS,
        at(AUTUMN, "00:00", 2),
        at(AUTUMN, "02:30", 2),
        True,
    ),
    (
        "end in fold, second run",
        one_day(AUTUMN, w("00:00", "02:30")),
        AMS,
        at(AUTUMN, "02:00", 1),
        at(AUTUMN, "02:30", 1),
        False,
    ),
    (
        "window across the fold",
        one_day(AUTUMN, w("01:00", "04:00")),
        AMS,
        at(AUTUMN, "01:00", 2),
        at(AUTUMN, "04:00", 1),
        True,
    ),
    # Goose Bay fell back at 00:01 to 23:01 of the previous day: Sunday's window opens at the
    # first 00:00 and so includes the repeated Saturday 23:01-24:00.
    (
        "fall back across midnight",
        Availability(weekly={6: (w("00:00", "12:00"),)}, exceptions={}),
        GOOSE_BAY,
        at(date(2009, 11, 1), "00:00", -3),
        at(date(2009, 10, 31), "23:30", -4),
        True,
    ),
    (
        "fall back across midnight, before the first 00:00",
        Availability(weekly={6: (w("00:00", "12:00"),)}, exceptions={}),
        GOOSE_BAY,
        at(date(2009, 10, 31), "23:59", -3),
        at(date(2009, 10, 31), "23:30", -4),
        False,
    ),
    # Samoa skipped Friday 2011-12-30 (a 24-hour gap): read by the same rule, that date's
    # windows move forward by the gap onto Saturday's wall clock. A past oddity, pinned here so
    # the rule stays one rule.
    (
        "skipped date",
        one_day(date(2011, 12, 30), w("09:00", "17:00")),
        APIA,
        at(date(2011, 12, 31), "09:00", 14),
        at(date(2011, 12, 31), "17:00", 14),
        True,
    ),
    # Midnight skipped: Saturday 20:00-24:00 and Sunday 00:00-04:00 still join.
    (
        "midnight in gap joins",
        Availability(weekly={5: (w("20:00", "24:00"),), 6: (w("00:00", "04:00"),)}, exceptions={}),
        HAVANA,
        at(date(2026, 3, 7), "23:00", -5),
        at(date(2026, 3, 8), "04:00", -4),
        True,
    ),
    (
        "midnight in gap, one minute too far",
        Availability(weekly={5: (w("20:00", "24:00"),), 6: (w("00:00", "04:00"),)}, exceptions={}),
        HAVANA,
        at(date(2026, 3, 7), "23:00", -5),
        at(date(2026, 3, 8), "04:01", -4),
        False,
    ),
    (
        "24:00 on a skipped midnight is the jump",
        Availability(weekly={5: (w("20:00", "24:00"),)}, exceptions={}),
        HAVANA,
        at(date(2026, 3, 7), "23:00", -5),
        at(date(2026, 3, 8), "01:00", -4),
        True,
    ),
    (
        "24:00 on a skipped midnight, past the jump",
        Availability(weekly={5: (w("20:00", "24:00"),)}, exceptions={}),
        HAVANA,
        at(date(2026, 3, 7), "23:00", -5),
        at(date(2026, 3, 8), "01:01", -4),
        False,
    ),
]


@pytest.mark.parametrize(
    ("availability", "tz", "start_at", "end_at", "expected"),
    [case[1:] for case in DST_EDGE_CASES],
    ids=[case[0] for case in DST_EDGE_CASES],
)
def test_covers_window_edges_at_dst_changes(
    availability: Availability, tz: ZoneInfo, start_at: datetime, end_at: datetime, expected: bool
) -> None:
    assert covers(availability, tz, start_at, end_at) is expected


# --- Hypothesis ---------------------------------------------------------------------------


def wall_start(day: date, clock: time, tz: ZoneInfo) -> datetime:
    """The spec's reading of a window edge, spelled plainly: PEP 495 fold=0, i.e. the first
    occurrence of an ambiguous time and the pre-transition offset for a time in a gap."""
    return datetime.combine(day, clock, tzinfo=tz).astimezone(UTC)


def edges(day: date, window: Window, tz: ZoneInfo) -> tuple[datetime, datetime]:
    if window.end is None:
        return wall_start(day, window.start, tz), wall_start(day + timedelta(days=1), time(0), tz)
    return wall_start(day, window.start, tz), wall_start(day, window.end, tz)


def minute_clock(minutes: int) -> time | None:
    return None if minutes == 1440 else time(minutes // 60, minutes % 60)


# Strategies are built once: constructing them inside a draw dominated the run time.
_BOOLEANS = st.booleans()
_ZONES = st.sampled_from(ZONES)
_YEARS = st.integers(1990, 2060)
_DAY_AROUND = st.integers(-1, 1)
_DAY_OF_YEAR = st.integers(0, 364)
_WINDOW_COUNT = st.integers(0, 2)
_EXCEPTION_DAYS = st.sets(st.integers(-2, 2), max_size=3)
_EVENT_START = st.integers(-6 * 60, 30 * 60)  # minutes from the chosen date's 00:00
_EVENT_LENGTH = st.one_of(st.integers(1, 180), st.integers(1, 26 * 60))  # minutes


@st.composite
def zone_days(draw: st.DrawFn) -> tuple[str, date, list[int]]:
    """A zone, a date in 1990-2060 (half the time the local date of one of the zone's offset
    changes, or a day either side) and the wall-clock minutes around that change."""
    name, year, near_a_change = draw(_ZONES), draw(_YEARS), draw(_BOOLEANS)
    if near_a_change:
        start = ZONES.index(name)
        for candidate in ZONES[start:] + ZONES[:start]:
            if transitions(candidate, year):
                name = candidate
                break
        instant, before, after = draw(st.sampled_from(transitions(name, year)))
        day = (instant + before).date() + timedelta(days=draw(_DAY_AROUND))
        anchors = []
        for wall in (
            (instant + before).replace(tzinfo=None),
            (instant + after).replace(tzinfo=None),
        ):
            if wall.date() == day:
                anchors.append(wall.hour * 60 + wall.minute)
            elif wall.date() == day + timedelta(days=1) and wall.time() == time(0):
                anchors.append(1440)
        return name, day, anchors
    return name, date(year, 1, 1) + timedelta(days=draw(_DAY_OF_YEAR)), []


_CLOCKS = st.one_of(st.integers(0, 48).map(lambda h: h * 30), st.integers(0, 1440))
_NEAR = st.integers(-90, 90)


def clock_minutes(draw: st.DrawFn, anchors: list[int]) -> int:
    """Minutes after midnight (1440 = 24:00): often on the half hour, so windows touch, and
    often near the wall-clock times of a DST change that day."""
    near_a_change = draw(_BOOLEANS)
    if anchors and near_a_change:
        return min(1440, max(0, anchors[draw(st.integers(0, len(anchors) - 1))] + draw(_NEAR)))
    return draw(_CLOCKS)


def draw_window(draw: st.DrawFn, anchors: list[int]) -> Window:
    a, b = sorted((clock_minutes(draw, anchors), clock_minutes(draw, anchors)))
    if a == b:
        a, b = (a, a + 1) if a < 1440 else (a - 1, a)
    start = minute_clock(a)
    assert start is not None
    return Window(start, minute_clock(b))


@st.composite
def windows_around(draw: st.DrawFn, anchors: list[int]) -> Window:
    return draw_window(draw, anchors)


@settings(max_examples=1000, deadline=None)
@given(zone_days(), st.data())
def test_event_inside_a_weekly_window_is_accepted_and_one_past_it_refused(
    case: tuple[str, date, list[int]], data: st.DataObject
) -> None:
    name, day, anchors = case
    tz = load_timezone(name)
    window = data.draw(windows_around(anchors))
    availability = Availability(weekly={day.weekday(): (window,)}, exceptions={})
    opens_at, closes_at = edges(day, window, tz)
    # Both edges in one gap, or the start pushed past the end by a gap: nothing is open.
    assume(closes_at - opens_at >= MINUTE)
    event("DST change that day" if anchors else "ordinary day")
    length = (closes_at - opens_at) // MINUTE

    assert covers(availability, tz, opens_at, closes_at)
    first = data.draw(st.integers(0, length - 1))
    last = data.draw(st.integers(first + 1, length))
    assert covers(availability, tz, opens_at + first * MINUTE, opens_at + last * MINUTE)

    over = data.draw(st.integers(1, 180)) * MINUTE
    assert not covers(availability, tz, opens_at + first * MINUTE, closes_at + over)
    assert not covers(availability, tz, opens_at - over, opens_at + last * MINUTE)

    # In wall-clock terms: when neither edge is in a gap, an event between two existing wall
    # times of the window (first occurrences) is accepted.
    midnight = datetime.combine(day, time(0))
    start_minutes = window.start.hour * 60 + window.start.minute
    end_minutes = 1440 if window.end is None else window.end.hour * 60 + window.end.minute
    if not in_gap(midnight + start_minutes * MINUTE, tz) and not in_gap(
        midnight + end_minutes * MINUTE, tz
    ):
        a = data.draw(st.integers(start_minutes, end_minutes - 1))
        b = data.draw(st.integers(a + 1, end_minutes))
        wall_a, wall_b = midnight + a * MINUTE, midnight + b * MINUTE
        if not in_gap(wall_a, tz) and not in_gap(wall_b, tz):
            assert covers(availability, tz, to_utc(wall_a, tz), to_utc(wall_b, tz))


def reference_open_minutes(
    availability: Availability, tz: ZoneInfo, start_at: datetime, end_at: datetime
) -> list[bool]:
    """For each minute of [start_at, end_at): is some window of some date open at it?"""
    first_day = start_at.astimezone(tz).date() - timedelta(days=3)
    last_day = end_at.astimezone(tz).date() + timedelta(days=2)
    intervals: list[tuple[datetime, datetime]] = []
    day = first_day
    while day <= last_day:
        windows = (
            availability.exceptions[day]
            if day in availability.exceptions
            else availability.weekly.get(day.weekday(), ())
        )
        intervals.extend(edges(day, window, tz) for window in windows)
        day += timedelta(days=1)
    result = []
    minute = start_at
    while minute < end_at:
        result.append(any(lo <= minute < hi for lo, hi in intervals))
        minute += MINUTE
    return result


@st.composite
def small_availabilities(draw: st.DrawFn) -> tuple[str, Availability, datetime, datetime]:
    name, day, anchors = draw(zone_days())
    tz = ZoneInfo(name)

    def windows() -> tuple[Window, ...]:
        return tuple(draw_window(draw, anchors) for _ in range(draw(_WINDOW_COUNT)))

    weekly: Mapping[int, tuple[Window, ...]] = {d: windows() for d in range(7)}
    exception_days = draw(_EXCEPTION_DAYS)
    exceptions = {day + timedelta(days=k): windows() for k in sorted(exception_days)}
    start_at = wall_start(day, time(0), tz) + draw(_EVENT_START) * MINUTE
    end_at = start_at + draw(_EVENT_LENGTH) * MINUTE
    return name, Availability(weekly=weekly, exceptions=exceptions), start_at, end_at


@settings(max_examples=1000, deadline=None)
@given(small_availabilities())
def test_covers_and_free_windows_agree_with_a_minute_by_minute_reference(
    case: tuple[str, Availability, datetime, datetime],
) -> None:
    name, availability, start_at, end_at = case
    tz = load_timezone(name)
    assume(start_at.second == 0)  # whole-minute offsets (true for every zone since 1990)
    expected = reference_open_minutes(availability, tz, start_at, end_at)

    covered = covers(availability, tz, start_at, end_at)
    event("covered" if covered else "refused")
    assert covered is all(expected)

    free = free_windows(availability, tz, start_at, end_at)
    for lo, hi in free:
        assert start_at <= lo < hi <= end_at
    for (_, earlier_end), (later_start, _) in itertools.pairwise(free):
        assert earlier_end < later_start  # sorted, disjoint, and touching intervals merged
    minute = start_at
    for is_open in expected:
        assert any(lo <= minute < hi for lo, hi in free) is is_open, minute
        minute += MINUTE
