"""The CLI's door into event history: the events ``calbridge dev`` books for its demo are
recorded with source ``cli`` and no actor."""

from __future__ import annotations

from sqlalchemy import select

from calbridge.cli.demo import prepare
from calbridge.event.models import EventChange
from calbridge.settings import Settings
from tests.support.databases import TestDatabase


async def test_demo_bookings_are_recorded_as_the_clis(
    settings: Settings, test_db: TestDatabase
) -> None:
    await prepare(settings, None)
    async with test_db.database.session(write=False) as session:
        changes = (await session.scalars(select(EventChange))).all()
    assert changes, "the demo booked no event"
    assert {(c.action, c.source, c.actor) for c in changes} == {("created", "cli", None)}
