"""Listed if and only if bookable (CONTRACT §3.4), over random calendars, on both databases.

Each example makes a calendar (zone, weekly windows with 24:00, exceptions, buffers, notice,
horizon, overlap policy), books some events into it, fixes "now", and asks for the slots of a
few hours around a local midnight, often on a DST-change day. Then:

* every listed slot is a step-grid candidate, books with 201 through the API with a token
  without admin scope, and is cancelled again;
* every step-grid candidate not listed is refused with 409 and a booking-rule code.

The grid is computed here from the calendar's definition with nothing but ``zoneinfo``: each
window of each local date, from its start and every ``step`` minutes of elapsed time after it,
while the candidate ends inside the window; an edge in a DST gap moves forward by the gap
(``fold=0``), an ambiguous one takes its first occurrence.

``SLOTS_EXAMPLES`` sets the number of examples per database (default 500: about 60-150 s per
database on a small shared machine).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.api import WorkspaceFixture, add_booking_token
from tests.support.clock import freeze

if TYPE_CHECKING:  # a runtime import would make pytest try to collect it as a test class
    from tests.support.databases import TestDatabase

EXAMPLES = int(os.environ.get("SLOTS_EXAMPLES", "500"))
RULE_CODES = {"notice_too_short", "too_far_in_advance", "outside_availability", "slot_conflict"}
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# Dates around which ranges are taken: each zone's DST changes of 2026, and an ordinary day.
DST_DAYS = {
    "Europe/Amsterdam": [date(2026, 3, 29), date(2026, 10, 25), date(2026, 6, 10)],
    "America/New_York": [date(2026, 3, 8), date(2026, 11, 1), date(2026, 6, 10)],
    "Australia/Lord_Howe": [date(2026, 4, 5), date(2026, 10, 4), date(2026, 6, 10)],
    "UTC": [date(2026, 6, 10)],
}
ZONES = sorted(DST_DAYS)

Interval = tuple[datetime, datetime]


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@st.composite
def day_windows(draw: st.DrawFn) -> list[dict[str, str]]:
    """0-2 disjoint windows of one day on a 30-minute grid (24:00 allowed as an end), often
    around 01:00-04:00 where the DST changes are."""
    edges = sorted(draw(st.sets(st.integers(0, 48), min_size=0, max_size=4)))
    if len(edges) % 2:
        edges = edges[:-1]
    return [
        {"start": _clock(edges[i] * 30), "end": _clock(edges[i + 1] * 30)}
        for i in range(0, len(edges), 2)
    ]


@dataclass(frozen=True)
class Case:
    zone: str
    availability: dict[str, Any] | None
    policies: dict[str, Any]
    lo: datetime
    hi: datetime
    duration: int
    step: int | None
    events: list[tuple[datetime, int]]  # (start, minutes)
    now: datetime


@st.composite
def cases(draw: st.DrawFn) -> Case:
    zone = draw(st.sampled_from(ZONES))
    tz = ZoneInfo(zone)
    around = draw(st.sampled_from(DST_DAYS[zone]))
    around += timedelta(days=draw(st.integers(-1, 1)))
    midnight = datetime.combine(around, time(0), tzinfo=tz).astimezone(UTC)
    lo = midnight + timedelta(minutes=30 * draw(st.integers(-10, 8)))
    hi = lo + timedelta(hours=draw(st.sampled_from([2, 4, 6, 9])))
    availability = None
    if draw(st.integers(0, 4)):
        weekly = [{"day": day, **window} for day in DAYS for window in draw(day_windows())]
        exceptions = []
        for offset in sorted(draw(st.sets(st.integers(-1, 1), max_size=2))):
            exceptions.append(
                {
                    "date": (around + timedelta(days=offset)).isoformat(),
                    "windows": draw(day_windows()),
                }
            )
        availability = {"weekly": weekly, "exceptions": exceptions}
    policies = {
        "allowOverlap": draw(st.sampled_from([False, False, False, True])),
        "minNoticeMinutes": draw(st.sampled_from([0, 0, 30, 95, 600])),
        "maxAdvanceDays": draw(st.sampled_from([None, None, 1, 2])),
        "bufferBeforeMinutes": draw(st.sampled_from([0, 0, 10, 25])),
        "bufferAfterMinutes": draw(st.sampled_from([0, 0, 15, 30])),
    }
    duration = draw(st.sampled_from([15, 30, 45, 60, 90]))
    step = draw(st.sampled_from([None, None, 30, 45, 60]))
    if step is None and duration < 30:
        duration = 30  # a handful of candidates per example keeps 500 examples affordable
    events = [
        (
            lo + timedelta(minutes=5 * draw(st.integers(-24, 12 * (hi - lo).seconds // 3600))),
            draw(st.sampled_from([5, 20, 30, 60, 95])),
        )
        for _ in range(draw(st.integers(0, 3)))
    ]
    now = lo + timedelta(minutes=draw(st.integers(-3 * 1440, 360)))
    return Case(zone, availability, policies, lo, hi, duration, step, events, now)


def grid(case: Case) -> set[Interval]:
    """The step-grid candidates of the case's range, from the contract's words."""
    tz = ZoneInfo(case.zone)
    duration = timedelta(minutes=case.duration)
    step = timedelta(minutes=case.step or case.duration)
    found: set[Interval] = set()
    day = case.lo.astimezone(tz).date() - timedelta(days=1)
    while day <= case.hi.astimezone(tz).date():
        for start, end in _windows(case.availability, day):
            w_lo = datetime.combine(day, start, tzinfo=tz).astimezone(UTC)
            end_day = day + timedelta(days=1) if end is None else day
            w_hi = datetime.combine(end_day, end or time(0), tzinfo=tz).astimezone(UTC)
            at = w_lo
            while at + duration <= w_hi:
                if at >= case.lo and at + duration <= case.hi:
                    found.add((at, at + duration))
                at += step
        day += timedelta(days=1)
    return found


def _windows(availability: dict[str, Any] | None, day: date) -> list[tuple[time, time | None]]:
    if availability is None:
        return [(time(0), None)]
    chosen = [
        item["windows"] for item in availability["exceptions"] if item["date"] == day.isoformat()
    ]
    windows = (
        chosen[0]
        if chosen
        else [w for w in availability["weekly"] if w["day"] == DAYS[day.weekday()]]
    )
    return [
        (
            time.fromisoformat(w["start"]),
            None if w["end"] == "24:00" else time.fromisoformat(w["end"]),
        )
        for w in windows
    ]


async def _calendar(ws: WorkspaceFixture, zone: str, fields: dict[str, Any]) -> int:
    made = await ws.post(
        "/calendars", json={"name": "Random", "timezone": zone, **fields}, token="all"
    )
    assert made.status_code == 201, made.text
    calendar_id: int = made.json()["id"]
    return calendar_id


def _utc(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(UTC)


async def check_case(ws: WorkspaceFixture, case: Case, monkeypatch: pytest.MonkeyPatch) -> None:
    freeze(monkeypatch, case.now)
    rules = {**case.policies, "availability": case.availability}
    cid = await _calendar(ws, case.zone, rules if not case.events else {"allowOverlap": True})
    if case.events:
        # Events first, on an always-open calendar (by an admin: no notice), then the rules;
        # forbidding overlap is refused while events overlap, and then the calendar allows it.
        for start, minutes in case.events:
            body = {
                "calendarId": cid,
                "title": "Existing",
                "startTime": start.isoformat(),
                "endTime": (start + timedelta(minutes=minutes)).isoformat(),
            }
            booked = await ws.post("/calendar-events", json=body, token="all")
            assert booked.status_code == 201, booked.text
        patched = await ws.patch(f"/calendars/{cid}", json=rules, token="all")
        if patched.status_code == 409:
            rules["allowOverlap"] = True
            patched = await ws.patch(f"/calendars/{cid}", json=rules, token="all")
        assert patched.status_code == 200, patched.text

    query: dict[str, Any] = {
        "start": case.lo.isoformat(),
        "end": case.hi.isoformat(),
        "duration": case.duration,
    }
    if case.step is not None:
        query["step"] = case.step
    answer = await ws.get(f"/calendars/{cid}/slots", params=query, token="rw")
    assert answer.status_code == 200, answer.text
    listed = [(_utc(slot["start"]), _utc(slot["end"])) for slot in answer.json()["slots"]]
    assert listed == sorted(set(listed)), "slots are in start order, each once"
    candidates = grid(case)
    assert set(listed) <= candidates, sorted(set(listed) - candidates)

    for start, end in sorted(candidates):
        body = {
            "calendarId": cid,
            "title": "Probe",
            "startTime": start.isoformat(),
            "endTime": end.isoformat(),
        }
        response = await ws.post("/calendar-events", json=body, token="rw")
        if (start, end) in listed:
            assert response.status_code == 201, (start, end, response.text)
            cancelled = await ws.post(
                f"/calendar-events/{response.json()['id']}/cancel", token="all"
            )
            assert cancelled.status_code == 200, cancelled.text
        else:
            assert response.status_code == 409, (start, end, response.text)
            assert response.json()["code"] in RULE_CODES, response.text


@pytest.mark.slow
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=cases())
async def test_listed_if_and_only_if_bookable(
    ws: WorkspaceFixture, test_db: TestDatabase, monkeypatch: pytest.MonkeyPatch, case: Case
) -> None:
    if "rw" not in ws.tokens:
        await add_booking_token(ws, test_db)
    await check_case(ws, case, monkeypatch)
