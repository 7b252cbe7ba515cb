"""RFC 3339 parsing and Google's ways of writing times."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def parse_rfc3339(value: str) -> datetime:
    """Parse a timestamp that must carry an offset (`Z` or `±hh:mm`); raises ValueError."""
    parsed = datetime.fromisoformat(value.replace("z", "Z"))
    if parsed.tzinfo is None:
        raise ValueError("missing time zone offset")
    return parsed.astimezone(UTC)


def parse_local(value: str) -> datetime:
    """Parse a dateTime that may lack an offset (then `timeZone` must say where it is)."""
    return datetime.fromisoformat(value.replace("z", "Z"))


def parse_date(value: str) -> date:
    return date.fromisoformat(value)


def zone(name: str) -> ZoneInfo:
    """An IANA zone; raises ValueError for unknown names."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


def start_of_day(day: date, tz: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)


def format_timestamp(moment: datetime) -> str:
    """`created`/`updated` style: UTC with milliseconds, e.g. `2026-04-11T08:00:00.000Z`."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def format_datetime(moment: datetime, tz: ZoneInfo) -> str:
    """An event time in a zone: `Z` for UTC, else `+02:00`, seconds precision."""
    local = moment.astimezone(tz)
    offset = local.utcoffset() or timedelta(0)
    text = local.strftime("%Y-%m-%dT%H:%M:%S")
    if offset == timedelta(0):
        return text + "Z"
    return text + local.strftime("%z")[:3] + ":" + local.strftime("%z")[3:]
