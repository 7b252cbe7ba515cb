"""How the panel writes a time: ISO 8601, 24-hour, always with its zone.

One function for every template (the ``local`` filter): an instant is shown in a named zone as
``2026-10-25 02:30+02:00`` (the offset tells the two 02:30s of a fall-back night apart), and in
UTC as ``2026-10-25 00:30 UTC``. Nothing here depends on the browser's or the server's locale.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from markupsafe import Markup

UTC_NAME = "UTC"
MISSING = "—"


def offset_of(value: datetime) -> str:
    """``+02:00``, ``-03:30``, ``+00:00``: the UTC offset of an aware datetime."""
    delta = value.utcoffset()
    minutes = int(delta.total_seconds() // 60) if delta is not None else 0
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{rest:02d}"


def format_instant(value: datetime | None, zone: str = UTC_NAME, *, clock: bool = False) -> str:
    """``value`` as wall time in ``zone`` with the offset (or the label ``UTC``); with
    ``clock`` the time of day alone (where the page already names the day)."""
    if value is None:
        return MISSING
    local = value.astimezone(ZoneInfo(zone))
    shown = f"{local:%H:%M}" if clock else f"{local:%Y-%m-%d %H:%M}"
    if zone == UTC_NAME:
        return f"{shown} {UTC_NAME}"
    return f"{shown}{offset_of(local)}"


def form_value(value: datetime) -> str:
    """The text a date-time field of a form holds: ``2026-10-25 02:30+01:00`` (the offset
    keeps a time of a fall-back night unambiguous; the API reads it as RFC 3339)."""
    return f"{value:%Y-%m-%d %H:%M}{offset_of(value)}"


# The attributes of a date and of a date-time field: text, not ``type=date`` or
# ``datetime-local``, whose look follows the browser's locale (mm/dd/yyyy, AM/PM). The pattern
# avoids ``[+-]``, which the browser's ``v``-flag pattern syntax refuses.
DATE_FIELD = Markup(
    'autocomplete="off" pattern="\\d{4}-\\d{2}-\\d{2}" '
    'placeholder="YYYY-MM-DD" title="A date as YYYY-MM-DD, e.g. 2026-10-25"'
)
DATE_TIME_FIELD = Markup(
    'autocomplete="off" aria-describedby="date-time-hint" '
    'pattern="\\d{4}-\\d{2}-\\d{2}[T ]\\d{2}:\\d{2}((\\+|-)\\d{2}:\\d{2})?" '
    'placeholder="YYYY-MM-DD HH:MM" '
    'title="A date and a 24-hour time as YYYY-MM-DD HH:MM, e.g. 2026-10-25 14:30"'
)
