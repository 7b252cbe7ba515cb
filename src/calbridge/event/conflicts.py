"""Booking rule 4 with ``googleConflictCheck``: busy time outside calbridge counts (for
bookings, slots and free/busy).

The event domain states what it needs, ``BusyTimeSource``; ``google_sync.busy.GoogleBusyTime``
provides it for a calendar's linked Google calendar (its docstring says how: the mirror while
fresh, else a live check with a hard deadline, run while the calendar's lock is held). Requests
and jobs hand one in from their context (``Services.busy_source``), so the event domain imports
nothing of Google.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from calbridge.calendar.models import Calendar
from calbridge.scheduling.rules import Busy
from calbridge.workspace.models import Workspace


class BusyTimeSource(Protocol):
    async def busy(
        self,
        session: AsyncSession,
        workspace: Workspace,
        calendar: Calendar,
        start_at: datetime,
        end_at: datetime,
    ) -> list[Busy]:
        """The outside busy time of ``calendar`` that meets ``[start, end)`` (none when the
        calendar asks for no such check). When it cannot be checked it raises a 503
        (``google_unavailable``), so the booking is not made."""
        ...
