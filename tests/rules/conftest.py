"""Rules tests: a real webhook receiver on 127.0.0.1, and one context (settings, resolver, a
clock the test moves) shared by the app and the worker."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
from sqlalchemy import update

from calbridge.jobs import registry
from calbridge.outbox.models import OutboxJob
from calbridge.outbox.worker import Worker
from calbridge.rules.ssrf import Resolver
from calbridge.services import Services
from calbridge.settings import Settings
from tests.support.api import WorkspaceFixture
from tests.support.clock import Clock
from tests.support.databases import TestDatabase
from tests.support.logs import no_secret_logged


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """An HTTP server on 127.0.0.1 that records every request. ``answers`` is consumed one per
    request: a status, or (status, seconds to wait first); when empty, ``default`` answers."""

    port: int = 0
    requests: list[Received] = field(default_factory=list)
    answers: list[int | tuple[int, float]] = field(default_factory=list)
    default: int = 200
    extra_headers: dict[str, str] = field(default_factory=dict)
    server: asyncio.Server | None = None
    tasks: set[asyncio.Task[None]] = field(default_factory=set)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)  # set at every request

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self.tasks.add(task)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, path, _ = lines[0].split(" ", 2)
            headers = {}
            for line in lines[1:]:
                if ":" in line:
                    name, value = line.split(":", 1)
                    headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            self.requests.append(Received(method, path, headers, body))
            self.arrived.set()
            answer = self.answers.pop(0) if self.answers else self.default
            status, delay = answer if isinstance(answer, tuple) else (answer, 0.0)
            if delay:
                await asyncio.sleep(delay)
            extra = "".join(f"{k}: {v}\r\n" for k, v in self.extra_headers.items())
            text = f"answer {status}"
            writer.write(
                f"HTTP/1.1 {status} X\r\ncontent-length: {len(text)}\r\n{extra}"
                f"connection: close\r\n\r\n{text}".encode()
            )
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()
            if task is not None:
                self.tasks.discard(task)

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stop listening, and end requests still waiting (a receiver that sleeps)."""
        if self.server is not None:
            self.server.close()
            self.server = None
        for task in list(self.tasks):
            task.cancel()
        if self.tasks:
            await asyncio.wait(list(self.tasks))


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    found = Receiver()
    await found.start()
    yield found
    await found.stop()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def rules_settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "worker_poll_seconds": 0.05,
            "worker_lease_seconds": 30.0,
            "webhook_timeout_seconds": 5.0,
            "webhook_allowed_private_hosts": ["127.0.0.1"],
        }
    )


Resolve = Callable[[str, int], Any]


@pytest.fixture
def dns() -> dict[str, list[list[str]]]:
    """Names the fake resolver knows: each lookup takes the next answer (the last one stays)."""
    return {}


def fake_resolver(dns: dict[str, list[list[str]]]) -> Resolver:
    async def resolver(host: str, port: int) -> list[str]:
        answers = dns.get(host)
        if not answers:
            raise OSError(f"unknown host {host}")
        return answers.pop(0) if len(answers) > 1 else answers[0]

    return resolver


@pytest.fixture
def services(
    test_db: TestDatabase, rules_settings: Settings, clock: Clock, dns: dict[str, list[list[str]]]
) -> Services:
    """The app and the worker share it: the rules settings, the fake resolver, one clock."""
    return Services.build(
        rules_settings, database=test_db.database, resolver=fake_resolver(dns), clock=clock
    )


@pytest.fixture
def worker(services: Services) -> Worker:
    return Worker(services, registry())


def worker_with(services: Services, **changes: Any) -> Worker:
    """A worker whose settings differ from the app's by ``changes`` (an SMTP server, a timeout);
    the same database, resolver and clock."""
    settings = services.settings.model_copy(update=changes)
    return Worker(replace(services, settings=settings), registry())


async def due_now(test_db: TestDatabase, clock: Clock) -> None:
    """Make every waiting job due at the clock's now (instead of sleeping until it is)."""
    async with test_db.database.transaction() as session:
        await session.execute(
            update(OutboxJob).where(OutboxJob.status == "pending").values(run_after=clock())
        )


async def make_rule(ws: WorkspaceFixture, **fields: Any) -> dict[str, Any]:
    body = {"name": "Notify", "triggers": ["event.created"], **fields}
    response = await ws.post("/event-rules", json=body, token="admin")
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def runs(ws: WorkspaceFixture, rule_id: int) -> list[dict[str, Any]]:
    response = await ws.get(f"/event-rules/{rule_id}/runs?pageSize=100", token="read")
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


@pytest.fixture(autouse=True)
def _no_secret_logged(request: pytest.FixtureRequest) -> Iterator[None]:
    """CONTRACT §6: no token, password or webhook secret in any log line of these tests."""
    with no_secret_logged(request.node.funcargs):
        yield
