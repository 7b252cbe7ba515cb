"""The plans of ``test_interval_index`` hold with planner statistics too: after ANALYZE (as
SQLite's ``PRAGMA optimize`` or PostgreSQL's autovacuum leave them), the overlap check, a
booking's INSERT and the list still search the interval index.

On a database of their own: statistics outlive the rows that made them, and stale ones (a
calendar the histogram has never seen looks empty) would reach the plans of later tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.event import test_interval_index as fresh
from tests.support.api import WorkspaceFixture
from tests.support.databases import TestDatabase, create_database, drop_database


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
async def analyzed_database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[TestDatabase]:
    database = await create_database(request.param, tmp_path_factory.mktemp("analyzed"))
    yield database
    await drop_database(database)


@pytest.fixture
async def test_db(analyzed_database: TestDatabase) -> TestDatabase:
    await analyzed_database.wipe()
    return analyzed_database


async def test_the_overlap_check_searches_the_interval_index(
    test_db: TestDatabase, ws: WorkspaceFixture
) -> None:
    await fresh.the_overlap_check_searches_the_interval_index(test_db, ws, analyzed=True)


async def test_a_booking_checks_its_slot_on_the_interval_index(
    test_db: TestDatabase, ws: WorkspaceFixture
) -> None:
    await fresh.a_booking_checks_its_slot_on_the_interval_index(test_db, ws, analyzed=True)


async def test_the_list_searches_the_interval_index(
    test_db: TestDatabase, ws: WorkspaceFixture
) -> None:
    await fresh.the_list_searches_the_interval_index(test_db, ws, analyzed=True)
