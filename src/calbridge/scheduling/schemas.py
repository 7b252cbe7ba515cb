from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, field_validator

from calbridge.event.schemas import check_instant
from calbridge.schemas import Id, InputModel, OutputModel, WireDateTime

# The most calendars one free/busy query reads, and the longest range of slots and free/busy.
MAX_CALENDARS = 50
MAX_RANGE = dt.timedelta(days=62)
MIN_MINUTES, MAX_MINUTES = 5, 1440

# An RFC 3339 date-time; the offset may be left out (then the time is local). Not a bare date,
# not a Unix number.
DATE_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?([Zz]|[+-]\d{2}:\d{2})?"
)


def parse_date_time(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return check_instant(value)
    if not isinstance(value, str) or not DATE_TIME.fullmatch(value):
        raise ValueError("must be an RFC 3339 date-time, e.g. 2026-04-13T09:00:00+02:00")
    return check_instant(dt.datetime.fromisoformat(value.upper().replace("Z", "+00:00")))


DateTime = Annotated[dt.datetime, BeforeValidator(parse_date_time)]


def _unique(value: list[int]) -> list[int]:
    if len(set(value)) != len(value):
        raise ValueError("calendarIds must not repeat a calendar")
    return value


class FreeBusyRequest(InputModel):
    """Times without an offset are local to the workspace's time zone."""

    calendar_ids: Annotated[
        list[Id], Field(min_length=1, max_length=MAX_CALENDARS), AfterValidator(_unique)
    ]
    start: DateTime
    end: DateTime

    @field_validator("calendar_ids", mode="before")
    @classmethod
    def _strict_ids(cls, value: Any) -> Any:
        if isinstance(value, list) and any(type(item) is not int for item in value):
            raise ValueError("calendarIds must be JSON integers")
        return value


class TimeSpan(OutputModel):
    start: WireDateTime
    end: WireDateTime


class SlotsResponse(OutputModel):
    calendar_id: int
    timezone: str
    duration: int
    slots: list[TimeSpan]


class CalendarBusy(OutputModel):
    busy: list[TimeSpan]


class FreeBusyResponse(OutputModel):
    start: WireDateTime
    end: WireDateTime
    calendars: dict[str, CalendarBusy]
