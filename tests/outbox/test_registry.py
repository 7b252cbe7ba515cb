"""Job kinds are composed in one place; a kind registered twice is an error, not an overwrite."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from calbridge import jobs
from calbridge.event.service import EVENT_CHANGED
from calbridge.google.job_requests import GOOGLE_PULL
from calbridge.google_sync.sync_tasks import GOOGLE_SYNC
from calbridge.outbox.registry import DuplicateJobKind, JobRegistry
from calbridge.rules.actions.jobs import RUN_ACTION
from calbridge.rules.tasks import RUN_RULES


async def first(session: AsyncSession, payload: dict[str, Any], ctx: Any) -> None:
    pass


async def second(session: AsyncSession, payload: dict[str, Any], ctx: Any) -> None:
    pass


def test_registering_a_second_handler_for_a_kind_raises() -> None:
    registry = JobRegistry()
    registry.add("test.kind", first)

    with pytest.raises(DuplicateJobKind, match=r"test\.kind"):
        registry.add("test.kind", second)
    kind = registry.kind("test.kind")
    assert kind is not None and kind.handler is first


def test_composing_two_registries_that_share_a_kind_raises() -> None:
    one, other = JobRegistry(), JobRegistry()
    one.add("test.kind", first)
    other.add("test.kind", second)
    composed = JobRegistry()
    composed.include(one)

    with pytest.raises(DuplicateJobKind, match=r"test\.kind"):
        composed.include(other)


def test_a_kind_cannot_both_fan_out_and_have_a_handler() -> None:
    registry = JobRegistry()
    registry.fan_out("test.source", lambda kind, payload: kind)

    with pytest.raises(DuplicateJobKind):
        registry.add("test.source", first)


def test_subscribing_one_kind_twice_raises() -> None:
    registry = JobRegistry()
    registry.subscribe("test.source", "test.follower")

    with pytest.raises(DuplicateJobKind):
        registry.subscribe("test.source", "test.follower")


def test_the_composed_registry_lists_every_kind_and_who_follows_a_booking_change() -> None:
    composed = jobs.registry()

    assert composed.subscribers(EVENT_CHANGED) == [GOOGLE_SYNC, RUN_RULES]
    for kind in (EVENT_CHANGED, GOOGLE_SYNC, GOOGLE_PULL, RUN_RULES, RUN_ACTION):
        assert composed.kind(kind) is not None, kind
    assert composed.periodic_tasks(), "the Google mirror's fallback poll runs on every worker"


def test_each_composition_is_new_and_leaves_the_others_alone() -> None:
    """Nothing is registered globally: a test's own kinds do not reach production's."""
    mine = jobs.registry()
    mine.add("test.only_here", first)

    assert jobs.registry().kind("test.only_here") is None
