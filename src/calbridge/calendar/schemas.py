from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator

from calbridge.calendar.availability import parse_clock
from calbridge.schemas import (
    REFUSE_NULL,
    DateText,
    Id,
    InputModel,
    Matching,
    NonBlank,
    OutputModel,
    WireDateTime,
)
from calbridge.timezones import InvalidTimezone, load_timezone

Day = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
Clock = Annotated[
    str,
    Matching(r"^\d{2}:\d{2}$", "must be a time of day written HH:MM"),
    Field(examples=["09:00"]),
]


def check_timezone(value: str) -> str:
    try:
        load_timezone(value)
    except InvalidTimezone:
        raise ValueError(
            f"unknown time zone {value!r}; use an IANA name such as Europe/Amsterdam"
        ) from None
    return value


class WindowIn(InputModel):
    start: Clock
    end: Clock = Field(description='Local end time; "24:00" means the end of the day')

    @model_validator(mode="after")
    def _ordered(self) -> WindowIn:
        start = parse_clock(self.start, allow_24=False)
        end = parse_clock(self.end, allow_24=True)
        if start is None or (end is not None and end <= start):
            raise ValueError("end must be after start")
        return self


class WeeklyWindowIn(WindowIn):
    day: Day


class ExceptionIn(InputModel):
    date: DateText
    windows: list[WindowIn] = Field(max_length=48)


class AvailabilityIn(InputModel):
    weekly: list[WeeklyWindowIn] = Field(default_factory=list, max_length=200)
    exceptions: list[ExceptionIn] = Field(default_factory=list, max_length=1000)

    @field_validator("exceptions")
    @classmethod
    def _unique_dates(cls, value: list[ExceptionIn]) -> list[ExceptionIn]:
        if len({exception.date for exception in value}) != len(value):
            raise ValueError("each date may have one exception")
        return value


Timezone = Annotated[
    str,
    Field(min_length=1, max_length=64, examples=["Europe/Amsterdam"]),
    AfterValidator(check_timezone),
]
Name = Annotated[NonBlank, Field(min_length=1, max_length=255)]
# Booking policies (CONTRACT §3.1): a year of notice, ten years of horizon, a day of buffer.
# Strict: JSON integers only (not "60", 60.0 or true).
NoticeMinutes = Annotated[int, Field(strict=True, ge=0, le=525_600)]
AdvanceDays = Annotated[int, Field(strict=True, ge=1, le=3650)]
BufferMinutes = Annotated[int, Field(strict=True, ge=0, le=1440)]


# CONTRACT §3.1/§3.5: what a change made in Google to one of our copies does.
GoogleSyncMode = Literal["push", "two_way"]


class CalendarCreate(InputModel):
    name: Name
    timezone: Timezone
    description: Annotated[str, Field(max_length=10_000)] | None = None
    max_attendees: Annotated[int, Field(ge=0, le=100_000)] | None = None
    allow_overlap: bool = False
    availability: AvailabilityIn | None = None
    google_account_id: Id | None = None
    google_calendar_id: Annotated[str, Field(min_length=1, max_length=1024)] | None = None
    google_conflict_check: bool = False
    google_sync_mode: GoogleSyncMode = "push"
    min_notice_minutes: NoticeMinutes = 0
    max_advance_days: AdvanceDays | None = None
    buffer_before_minutes: BufferMinutes = 0
    buffer_after_minutes: BufferMinutes = 0
    cancellation_notice_minutes: NoticeMinutes = 0


class CalendarUpdate(InputModel):
    """PATCH (JSON Merge Patch): only the fields present change; ``null`` clears the nullable
    ones; ``availability`` merges into the calendar's (``weekly`` alone keeps the exceptions)."""

    name: Annotated[Name | None, REFUSE_NULL] = None
    timezone: Annotated[Timezone | None, REFUSE_NULL] = None
    description: Annotated[str, Field(max_length=10_000)] | None = None
    max_attendees: Annotated[int, Field(ge=0, le=100_000)] | None = None
    allow_overlap: Annotated[bool | None, REFUSE_NULL] = None
    availability: AvailabilityIn | None = None
    google_account_id: Id | None = None
    google_calendar_id: Annotated[str, Field(min_length=1, max_length=1024)] | None = None
    google_conflict_check: Annotated[bool | None, REFUSE_NULL] = None
    google_sync_mode: Annotated[GoogleSyncMode | None, REFUSE_NULL] = None
    min_notice_minutes: Annotated[NoticeMinutes | None, REFUSE_NULL] = None
    max_advance_days: AdvanceDays | None = None
    buffer_before_minutes: Annotated[BufferMinutes | None, REFUSE_NULL] = None
    buffer_after_minutes: Annotated[BufferMinutes | None, REFUSE_NULL] = None
    cancellation_notice_minutes: Annotated[NoticeMinutes | None, REFUSE_NULL] = None


class CalendarResponse(OutputModel):
    id: int
    name: str
    timezone: str
    description: str | None
    max_attendees: int | None
    allow_overlap: bool
    availability: dict[str, Any] | None
    google_account_id: int | None
    google_calendar_id: str | None
    google_conflict_check: bool
    google_sync_mode: GoogleSyncMode
    min_notice_minutes: int
    max_advance_days: int | None
    buffer_before_minutes: int
    buffer_after_minutes: int
    cancellation_notice_minutes: int
    created_at: WireDateTime
    updated_at: WireDateTime
