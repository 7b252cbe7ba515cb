"""Bodies of the account calendar API (CONTRACT §4). Its wire names are the contract's own
(snake_case outputs; Google-style ``dateTime``/``timeZone`` in the create body)."""

from __future__ import annotations

import re
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from calbridge.timezones import InvalidTimezone, load_timezone, to_utc

# RFC 3339 date-time; the offset may be left out when a timeZone is given (as Google allows).
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})?$")


class EntrySummary(BaseModel):
    id: str
    title: str | None
    start: str | None
    end: str | None
    location: str | None


class PageMeta(BaseModel):
    current_page: int
    last_page: int
    per_page: int
    total: int


class EntryList(BaseModel):
    data: list[EntrySummary]
    meta: PageMeta


class EntryAttendee(BaseModel):
    email: str | None
    name: str | None
    response_status: str | None


class EntryDetail(BaseModel):
    id: str
    title: str | None
    description: str | None
    start: str | None
    end: str | None
    location: str | None
    attendees: list[EntryAttendee]
    html_link: str | None


class EntryDetailBody(BaseModel):
    data: EntryDetail


class EntryTime(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dateTime: str  # the contract's wire names
    timeZone: str | None = None

    @field_validator("dateTime")
    @classmethod
    def _rfc3339(cls, value: str) -> str:
        if not _DATE_TIME.match(value):
            raise ValueError("must be an RFC 3339 date-time, e.g. 2026-04-11T09:00:00+02:00")
        try:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError("is not a valid date-time") from None
        return value

    @field_validator("timeZone")
    @classmethod
    def _iana(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                load_timezone(value)
            except InvalidTimezone:
                raise ValueError("must be an IANA time zone name, e.g. Europe/Amsterdam") from None
        return value

    @model_validator(mode="after")
    def _offset_or_zone(self) -> EntryTime:
        if self.timeZone is None and self.naive():
            raise ValueError("a dateTime without offset needs a timeZone")
        return self

    def naive(self) -> bool:
        return datetime.fromisoformat(self.dateTime.replace("Z", "+00:00")).tzinfo is None

    def instant(self) -> datetime:
        """The UTC instant; raises ``NonexistentLocalTime`` inside a DST gap."""
        value = datetime.fromisoformat(self.dateTime.replace("Z", "+00:00"))
        zone = load_timezone(self.timeZone or "UTC")
        return to_utc(value, zone)


class CreateEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    summary: str = Field(min_length=1, max_length=1024)
    description: str | None = Field(default=None, max_length=8192)
    location: str | None = Field(default=None, max_length=1024)
    start: EntryTime
    end: EntryTime

    @field_validator("summary")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value
