"""IANA time zones and the conversions between wall-clock time and UTC.

Everything here is pure: no I/O besides zoneinfo's (cached) reading of zone files.

DST, in the words of PEP 495 (which Python's ``datetime`` follows):

* A **gap** (spring forward) is a range of wall-clock times that never happens, e.g. 02:00-03:00
  in Europe/Amsterdam on 2026-03-29. Python maps such a time with ``fold=0`` using the offset
  *before* the transition, so 02:30 becomes 01:30Z, which the clock shows as 03:30 CEST: the time
  "moves forward by the length of the gap". RFC 5545 (iCalendar) and java.time do the same.
* A **fold** (fall back) is a range of wall-clock times that happens twice, e.g. 02:00-03:00 in
  Europe/Amsterdam on 2026-10-25. ``fold=0`` is the first occurrence (still in summer time),
  ``fold=1`` the second.

The API contract says: a naive input inside a gap is an error (:class:`NonexistentLocalTime`), an
ambiguous one means its first occurrence. Availability windows use the lenient variant
(:func:`local_to_utc_lenient`), which never raises.

Exceptions::

    ValueError
     ├── InvalidTimezone         not a known IANA zone name
     └── NonexistentLocalTime    naive local time inside a DST gap
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from calbridge.errors import ValidationProblem

__all__ = [
    "InvalidTimezone",
    "NonexistentLocalTime",
    "load_timezone",
    "local_to_utc_lenient",
    "to_local",
    "to_utc",
]

# Present in available_timezones() on some systems but not time zones a calendar can live in:
# "localtime" is the host's /etc/localtime, "posixrules" a tzcode internal, "Factory" the
# "zone unknown" placeholder (abbreviation "-00").
_EXCLUDED_NAMES = frozenset({"localtime", "posixrules", "Factory"})


class InvalidTimezone(ValueError):
    """The name is not a known IANA time zone."""


class NonexistentLocalTime(ValueError):
    """Naive local time that falls in a DST gap of the zone."""


@cache
def _known_names() -> frozenset[str]:
    return frozenset(available_timezones()) - _EXCLUDED_NAMES


def load_timezone(name: str) -> ZoneInfo:
    """ZoneInfo for an IANA name; raises :class:`InvalidTimezone` for anything else.

    Only exact (case-sensitive) names from ``zoneinfo.available_timezones()`` are accepted, so
    paths, ``..``, ``"local"``, ``"localtime"`` and made-up names never reach the file system.
    """
    if not isinstance(name, str) or name not in _known_names():
        raise InvalidTimezone(f"unknown time zone: {name!r}")
    return ZoneInfo(name)


def _require_aware(value: datetime, what: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware")


def to_utc(value: datetime, tz: ZoneInfo) -> datetime:
    """Convert ``value`` to an aware UTC datetime.

    Aware input is converted as is (``tz`` is not used). Naive input is wall-clock time in ``tz``:

    * inside a spring-forward gap it raises :class:`NonexistentLocalTime`;
    * inside a fall-back fold it means the FIRST occurrence, whatever ``value.fold`` says.

    Gap detection: with ``fold=0`` a gap time is mapped with the pre-transition offset, which
    lands on an instant whose wall time differs from the input; every other time survives the
    round trip through UTC.
    """
    try:
        if value.tzinfo is not None:
            _require_aware(value, "value")
            return value.astimezone(UTC)
        naive = value.replace(fold=0)
        instant = naive.replace(tzinfo=tz).astimezone(UTC)
        if instant.astimezone(tz).replace(tzinfo=None) != naive:
            raise NonexistentLocalTime(f"{naive.isoformat()} does not exist in {tz.key} (DST gap)")
        return instant
    except OverflowError as exc:
        raise ValueError(f"{value.isoformat()} is out of range") from exc


def utc_instant(value: datetime, tz: ZoneInfo, field: str) -> datetime:
    """``to_utc`` for a request's ``field``: a local time that does not exist in ``tz`` (a
    daylight-saving gap) is a 422 ``nonexistent_local_time``, any other bad value a 422."""
    try:
        return to_utc(value, tz)
    except NonexistentLocalTime:
        raise ValidationProblem(
            f"{value.isoformat()} does not exist in {tz.key} (a daylight-saving gap).",
            field=field,
            code="nonexistent_local_time",
        ) from None
    except ValueError as error:
        raise ValidationProblem(str(error), field=field) from None


def to_local(value: datetime, tz: ZoneInfo) -> datetime:
    """Aware datetime -> aware datetime in ``tz`` (carrying the zone's offset at that instant).

    Naive input raises ``ValueError``: an instant is needed, not a wall-clock reading.
    """
    _require_aware(value, "value")
    try:
        return value.astimezone(tz)
    except OverflowError as exc:
        raise ValueError(f"{value.isoformat()} is out of range") from exc


def local_to_utc_lenient(day: date, clock: time, tz: ZoneInfo) -> datetime:
    """Wall clock ``clock`` on ``day`` in ``tz`` -> aware UTC datetime; never raises.

    Used for availability windows, which must mean something on every date:

    * a clock inside a gap moves forward by the length of the gap (02:30 on a day that jumps
      02:00 -> 03:00 becomes 03:30 after the jump), i.e. it is read with the pre-transition
      offset (PEP 495 ``fold=0``, as RFC 5545 prescribes for DATE-TIMEs in a gap);
    * an ambiguous clock takes its first occurrence.

    So a window edge exactly at a gap start (e.g. 00:00 on a day whose midnight is skipped) is the
    transition instant itself, and the ``24:00`` end of one date (``00:00`` of the next) equals
    the ``00:00`` start of the next date, so adjacent windows touch. Dates at the very ends of the
    ``datetime`` range saturate to ``datetime.min``/``datetime.max`` (UTC).
    """
    wall = datetime.combine(day, clock.replace(tzinfo=None, fold=0), tzinfo=tz)
    try:
        return wall.astimezone(UTC)
    except OverflowError:
        edge = datetime.min if day.year < 5000 else datetime.max
        return edge.replace(tzinfo=UTC)
