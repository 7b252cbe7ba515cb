"""Email actions arrive at a real SMTP server (aiosmtpd on 127.0.0.1) with the rendered
subject and body."""

from __future__ import annotations

import email
import socket
from collections.abc import Iterator
from email.message import Message

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from calbridge.outbox.worker import Worker
from calbridge.services import Services
from tests.rules.conftest import make_rule, runs, worker_with
from tests.support.api import WorkspaceFixture


class Inbox:
    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.envelopes.append(envelope)
        return "250 OK"

    def messages(self) -> list[Message]:
        return [email.message_from_bytes(bytes(e.content or b"")) for e in self.envelopes]


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    with socket.socket() as probe:  # a free port (the controller checks it by connecting)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture
def mail_runtime(smtp_server: tuple[Inbox, int]) -> Inbox:
    inbox, _ = smtp_server
    return inbox


@pytest.fixture
def worker(smtp_server: tuple[Inbox, int], services: Services) -> Worker:
    """The worker sends mail to the test's SMTP server."""
    _, port = smtp_server
    return worker_with(
        services, smtp_host="127.0.0.1", smtp_port=port, smtp_from="rules@calbridge.test"
    )


async def test_email_arrives_rendered(
    ws: WorkspaceFixture, worker: Worker, mail_runtime: Inbox
) -> None:
    calendar = await ws.calendar()
    alice = await ws.member("Alice")
    rule = await make_rule(
        ws,
        name="Booking mail",
        actions=[
            {
                "type": "email",
                "toAttendees": True,
                "to": ["desk@example.com"],
                "subject": "Booked: {{ event.title }}",
                "body": (
                    "{{ event.title }} starts {{ event.startTime }} ({{ change }}, {{ rule }})."
                ),
            }
        ],
    )
    await ws.event(calendar["id"], title="Intro call", attendeeIds=[alice["id"]])
    await worker.drain()
    [envelope] = mail_runtime.envelopes
    assert sorted(envelope.rcpt_tos) == ["alice@example.com", "desk@example.com"]
    [message] = mail_runtime.messages()
    assert message["Subject"] == "Booked: Intro call"
    assert message["From"] == "rules@calbridge.test"
    body = message.get_payload(decode=True)
    assert isinstance(body, bytes)
    assert body.decode().strip() == (
        "Intro call starts 2026-04-13T09:00:00+02:00 (event.created, Booking mail)."
    )
    [run] = await runs(ws, rule["id"])
    assert run["actions"][0]["status"] == "succeeded"
    assert message["Message-ID"] == f"<{run['actions'][0]['deliveryId']}@calbridge>"


async def test_an_email_to_nobody_is_skipped(
    ws: WorkspaceFixture, worker: Worker, mail_runtime: Inbox
) -> None:
    calendar = await ws.calendar()
    action = {"type": "email", "toAttendees": True, "subject": "s", "body": "b"}
    rule = await make_rule(ws, actions=[action])
    await ws.event(calendar["id"])
    await worker.drain()
    assert mail_runtime.envelopes == []
    [run] = await runs(ws, rule["id"])
    assert run["actions"][0]["status"] == "skipped"
    assert "no recipients" in run["actions"][0]["error"]


async def test_smtp_down_is_retried(ws: WorkspaceFixture, services: Services) -> None:
    worker = worker_with(services, smtp_host="127.0.0.1", smtp_port=1)
    calendar = await ws.calendar()
    action = {"type": "email", "to": ["a@example.com"], "subject": "s", "body": "b"}
    rule = await make_rule(ws, actions=[action])
    await ws.event(calendar["id"])
    await worker.drain()
    [run] = await runs(ws, rule["id"])
    assert run["status"] == "pending"
    assert run["actions"][0]["attemptLog"][0]["error"]
    assert run["actions"][0]["nextAttemptAt"] is not None
