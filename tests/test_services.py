"""Each app (and its embedded worker) runs with the context it was built with: two apps with
different keys in one process never use each other's."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from standardwebhooks import Webhook

from calbridge.app import create_app
from calbridge.crypto import InvalidToken, generate_key
from calbridge.outbox.models import OutboxJob
from calbridge.rules.actions.jobs import RUN_ACTION
from calbridge.rules.models import EventRule
from calbridge.services import Services
from calbridge.settings import Settings
from tests.rules import conftest as rules
from tests.rules.conftest import Receiver, make_rule
from tests.support.api import WorkspaceFixture, make_workspace
from tests.support.databases import TestDatabase

receiver = rules.receiver  # the fixture: a webhook receiver, listening for the test


def settings_with_own_key(test_db: TestDatabase) -> Settings:
    return Settings(
        environment="test",
        database_url=test_db.url,
        database_schema=test_db.schema,
        encryption_keys=generate_key(),
        worker_poll_seconds=0.05,
        webhook_allowed_private_hosts=["127.0.0.1"],
    )


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The app started (its embedded worker too), and a client of it."""
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as client,
    ):
        yield client


def services(app: FastAPI) -> Services:
    found = app.state.services
    assert isinstance(found, Services)
    return found


async def secret_of(test_db: TestDatabase, rule_id: int) -> str:
    async with test_db.database.session(write=False) as session:
        rule = await session.get_one(EventRule, rule_id)
        return rule.secret_encrypted


async def failed_action_error(test_db: TestDatabase) -> str | None:
    async with test_db.database.session(write=False) as session:
        return await session.scalar(
            select(OutboxJob.last_error).where(
                OutboxJob.kind == RUN_ACTION, OutboxJob.last_error.is_not(None)
            )
        )


async def test_two_apps_in_one_process_each_encrypt_and_deliver_with_their_own_key(
    test_db: TestDatabase, receiver: Receiver
) -> None:
    first = create_app(settings_with_own_key(test_db), database=test_db.database, run_worker=True)
    second = create_app(settings_with_own_key(test_db), database=test_db.database, run_worker=True)

    # The first app's embedded worker signs with the secret the first app encrypted.
    async with running(first) as client:
        ws = await make_workspace(test_db.database, client)
        calendar = await ws.calendar()
        mine = await make_rule(ws, actions=[{"type": "webhook", "url": receiver.url}])
        await ws.event(calendar["id"])
        await asyncio.wait_for(receiver.arrived.wait(), 20)
    [delivered] = receiver.requests
    Webhook(mine["secret"]).verify(delivered.body, delivered.headers)

    # Encrypted by the first app: the second cannot read it, the first can.
    sealed = await secret_of(test_db, mine["id"])
    assert services(first).cipher.decrypt(sealed) == mine["secret"]
    with pytest.raises(InvalidToken):
        services(second).cipher.decrypt(sealed)

    # The second app's worker: its own rule's webhook is signed with its own secret; the first
    # app's rule, sealed with the other key, fails to decrypt (and is retried, never sent).
    receiver.requests.clear()
    receiver.arrived.clear()
    async with running(second) as client:
        ws = WorkspaceFixture(workspace=ws.workspace, tokens=ws.tokens, client=client)
        theirs = await make_rule(ws, actions=[{"type": "webhook", "url": receiver.url}])
        await ws.event(
            calendar["id"], startTime="2026-04-13T11:00:00", endTime="2026-04-13T11:30:00"
        )
        await asyncio.wait_for(receiver.arrived.wait(), 20)
        async with asyncio.timeout(20):
            while (error := await failed_action_error(test_db)) is None:  # noqa: ASYNC110 (polls the database)
                await asyncio.sleep(0.05)
    [delivered] = receiver.requests
    Webhook(theirs["secret"]).verify(delivered.body, delivered.headers)
    assert error.startswith("InvalidToken")
