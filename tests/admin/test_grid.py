"""The calendar view's placement (admin/grid.py) and the panel's one way to write a time
(admin/times.py): pure, table-driven and with Hypothesis."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from calbridge.admin.grid import MIN_HEIGHT, MINUTES_PER_DAY, Span, day_bounds, place
from calbridge.admin.times import form_value, format_instant

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
FALL_BACK = date(2026, 10, 25)
SPRING_FORWARD = date(2026, 3, 29)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_the_two_0230s_of_a_fall_back_night_stand_side_by_side() -> None:
    first = Span("first", at("2026-10-25T02:30+02:00"), at("2026-10-25T03:00+02:00"))
    second = Span("second", at("2026-10-25T02:30+01:00"), at("2026-10-25T03:00+01:00"))
    (day,) = place([second, first], [FALL_BACK], AMSTERDAM)
    assert day.offsets == ("+02:00", "+01:00")
    assert [(b.what, b.top, b.height, b.lane, b.lanes) for b in day.blocks] == [
        ("first", 150, 30, 0, 2),
        ("second", 150, 30, 1, 2),
    ]
    assert [format_instant(b.start_at, "Europe/Amsterdam") for b in day.blocks] == [
        "2026-10-25 02:30+02:00",
        "2026-10-25 02:30+01:00",
    ]


def test_a_block_is_as_tall_as_the_time_that_passes() -> None:
    # 01:30+01:00 to 03:30+02:00 is one hour: the clock jumps from 02:00 to 03:00.
    span = Span("jump", at("2026-03-29T01:30+01:00"), at("2026-03-29T03:30+02:00"))
    (day,) = place([span], [SPRING_FORWARD], AMSTERDAM)
    assert day.offsets == ("+01:00", "+02:00")
    assert [(b.top, b.height) for b in day.blocks] == [(90, 60)]


def test_a_span_over_midnight_is_cut_into_one_block_per_day() -> None:
    span = Span("late", at("2026-04-13T23:00+02:00"), at("2026-04-14T01:30+02:00"))
    days = place([span], [date(2026, 4, 13), date(2026, 4, 14), date(2026, 4, 15)], AMSTERDAM)
    assert [[(b.top, b.height) for b in d.blocks] for d in days] == [[(1380, 60)], [(0, 90)], []]
    assert days[1].blocks[0].start_at == at("2026-04-14T00:00+02:00")


def test_lanes_reset_after_a_cluster_and_short_blocks_get_a_readable_height() -> None:
    spans = [
        Span("a", at("2026-04-13T09:00+02:00"), at("2026-04-13T10:00+02:00")),
        Span("b", at("2026-04-13T09:30+02:00"), at("2026-04-13T10:30+02:00")),
        Span("c", at("2026-04-13T10:00+02:00"), at("2026-04-13T10:05+02:00")),
        Span("d", at("2026-04-13T11:00+02:00"), at("2026-04-13T11:30+02:00")),
    ]
    (day,) = place(spans, [date(2026, 4, 13)], AMSTERDAM)
    assert [(b.what, b.height, b.lane, b.lanes) for b in day.blocks] == [
        ("a", 60, 0, 2),
        ("b", 60, 1, 2),
        ("c", MIN_HEIGHT, 0, 2),  # "a" has ended: its lane is free again
        ("d", 30, 0, 1),
    ]


ZONES = st.sampled_from(
    ["Europe/Amsterdam", "Asia/Tokyo", "America/St_Johns", "Australia/Lord_Howe", "UTC"]
)
INSTANTS = st.datetimes(
    min_value=datetime(2026, 3, 20), max_value=datetime(2026, 11, 10), timezones=st.just(UTC)
)
SPANS = st.lists(
    st.tuples(INSTANTS, st.integers(min_value=1, max_value=3000)), min_size=0, max_size=12
)


@given(zone_name=ZONES, spans=SPANS, first=st.dates(date(2026, 3, 20), date(2026, 11, 3)))
def test_every_block_fits_its_day_and_no_two_drawn_blocks_share_a_lane(
    zone_name: str, spans: list[tuple[datetime, int]], first: date
) -> None:
    zone = ZoneInfo(zone_name)
    days = [first + timedelta(days=i) for i in range(7)]
    given_spans = [
        Span(i, start, start + timedelta(minutes=minutes))
        for i, (start, minutes) in enumerate(spans)
    ]
    placed = place(given_spans, days, zone)
    lo, hi = day_bounds(days[0], zone)[0], day_bounds(days[-1], zone)[1]
    for day in placed:
        for block in day.blocks:
            assert 0 <= block.top < MINUTES_PER_DAY
            assert block.height > 0 and block.bottom <= MINUTES_PER_DAY
            assert 0 <= block.lane < block.lanes
            assert block.start_at.astimezone(zone).date() == day.day
        for a in day.blocks:
            for b in day.blocks:
                if a is not b and a.top < b.bottom and b.top < a.bottom:
                    assert a.lane != b.lane
    # The pieces of each span add up to the part of it inside the shown days.
    for span in given_spans:
        pieces = [b for d in placed for b in d.blocks if b.what == span.what]
        inside = max(timedelta(0), min(span.end_at, hi) - max(span.start_at, lo))
        # (In UTC: a difference of two times of one zone ignores the fold.)
        lengths = (b.end_at.astimezone(UTC) - b.start_at.astimezone(UTC) for b in pieces)
        assert sum(lengths, timedelta(0)) == inside


def test_a_time_is_written_in_iso_24_hour_with_its_zone() -> None:
    instant = at("2026-10-25T01:30+00:00")
    assert format_instant(instant) == "2026-10-25 01:30 UTC"
    assert format_instant(instant, "Europe/Amsterdam") == "2026-10-25 02:30+01:00"
    assert format_instant(instant, "Asia/Tokyo", clock=True) == "10:30+09:00"
    assert format_instant(instant, "America/St_Johns") == "2026-10-24 23:00-02:30"
    assert format_instant(at("2026-12-01T15:00+00:00"), "Asia/Kolkata") == (
        "2026-12-01 20:30+05:30"
    )
    assert format_instant(None) == "—"
    assert form_value(instant.astimezone(AMSTERDAM)) == "2026-10-25 02:30+01:00"


@given(instant=INSTANTS, zone_name=ZONES)
def test_a_written_time_names_one_instant(instant: datetime, zone_name: str) -> None:
    shown = format_instant(instant, zone_name).replace(" UTC", "+00:00")
    assert datetime.fromisoformat(shown) == instant.replace(second=0, microsecond=0)
