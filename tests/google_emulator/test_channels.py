"""events.watch, channels.stop and push notification delivery, as Google does them."""

from __future__ import annotations

import asyncio
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import pytest

from calbridge_google_emulator import GoogleEmulator

from .flows import EVENTS, discovery_method, error_reason, response_errors, timed_event
from .receiver import HOOK, STOP, WATCH, Receiver, watch_body

BODY = timed_event("2026-04-11T10:00:00Z", "2026-04-11T11:00:00Z")
DAY_MS = 24 * 3600 * 1000


async def watch(
    client: httpx.AsyncClient, auth: dict[str, str], path: str = WATCH, **body: Any
) -> dict[str, Any]:
    response = await client.post(path, json=watch_body(**body), headers=auth)
    assert response.status_code == 200, response.text
    channel: dict[str, Any] = response.json()
    return channel


async def insert(client: httpx.AsyncClient, auth: dict[str, str], **fields: Any) -> str:
    response = await client.post(EVENTS, json=BODY | fields, headers=auth)
    assert response.status_code == 200, response.text
    event_id: str = response.json()["id"]
    return event_id


def now_ms(emulator: GoogleEmulator) -> int:
    return int(emulator.state.clock.time() * 1000)


async def test_watch_answers_a_channel_that_conforms_to_the_discovery_document(
    emulator: GoogleEmulator, client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    expiration = str(now_ms(emulator) + DAY_MS)
    channel = await watch(client, auth, channel_id="chan-a", expiration=expiration)
    assert response_errors("calendar.events.watch", channel) == []
    assert channel["kind"] == "api#channel"
    assert channel["id"] == "chan-a"
    assert channel["token"] == "tok-1"
    assert channel["expiration"] == expiration
    assert channel["resourceUri"] == (
        "http://emulator.test/calendar/v3/calendars/primary/events?alt=json"
    )
    assert channel["resourceId"]


async def test_resource_id_is_the_calendars_not_the_channels(
    emulator: GoogleEmulator, client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    emulator.add_calendar("team@group.calendar.google.com")
    first = await watch(client, auth, channel_id="chan-a")
    second = await watch(client, auth, channel_id="chan-b")
    other = await watch(
        client,
        auth,
        path="/calendar/v3/calendars/team@group.calendar.google.com/events/watch",
        channel_id="chan-c",
    )
    assert first["resourceId"] == second["resourceId"] != other["resourceId"]


async def test_without_expiration_a_channel_lasts_a_week_or_its_ttl_param(
    emulator: GoogleEmulator, client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    before = now_ms(emulator)
    default = await watch(client, auth, channel_id="chan-a")
    assert before + 7 * DAY_MS <= int(default["expiration"]) <= now_ms(emulator) + 7 * DAY_MS
    ttl = await watch(client, auth, channel_id="chan-b", params={"ttl": "3600"})
    assert before + 3_600_000 <= int(ttl["expiration"]) <= now_ms(emulator) + 3_600_000
    capped = await watch(client, auth, channel_id="chan-c", expiration=str(before + 365 * DAY_MS))
    assert int(capped["expiration"]) <= now_ms(emulator) + 30 * DAY_MS


async def test_a_sync_message_follows_the_watch_with_googles_headers(
    emulator: GoogleEmulator, client: httpx.AsyncClient, auth: dict[str, str], receiver: Receiver
) -> None:
    channel = await watch(client, auth, channel_id="chan-a")
    await emulator.wait_for_notifications()
    assert receiver.messages() == [("sync", 1)]
    message = receiver.received[0]
    assert message.address == HOOK
    assert message.body == b""
    headers = message.headers
    assert headers["x-goog-channel-id"] == "chan-a"
    assert headers["x-goog-channel-token"] == "tok-1"
    assert headers["x-goog-resource-id"] == channel["resourceId"]
    assert headers["x-goog-resource-uri"] == channel["resourceUri"]
    expires = parsedate_to_datetime(headers["x-goog-channel-expiration"])
    assert headers["x-goog-channel-expiration"].endswith(" GMT")
    assert int(expires.timestamp()) == int(channel["expiration"]) // 1000


async def test_every_event_change_sends_exists_with_the_next_number(
    emulator: GoogleEmulator, client: httpx.AsyncClient, auth: dict[str, str], receiver: Receiver
) -> None:
    await watch(client, auth, channel_id="chan-a")
    event_id = await insert(client, auth)
    path = f"{EVENTS}/{event_id}"
    assert (await client.get(path, headers=auth)).status_code == 200
    assert (await client.get(EVENTS, headers=auth)).status_code == 200
    assert (await client.put(path, json=BODY | {"summary": "x"}, headers=auth)).is_success
    assert (await client.patch(path, json={"summary": "y"}, headers=auth)).is_success
    assert (await client.delete(path, headers=auth)).status_code == 204
    await emulator.wait_for_notifications()
    assert receiver.messages() == [("sync", 1), ("exists", 2), ("exists", 3), ("exists", 4),
                                   ("exists", 5)]  # fmt: skip


async def test_numbers_are_per_channel_and_changes_elsewhere_are_not_sent(
    emulator: GoogleEmulator, client: httpx.AsyncClient, auth: dict[str, str], receiver: Receiver
) -> None:
    emulator.add_calendar("team@group.calendar.google.com")
    await watch(client, auth, channel_id="chan-a")
    await insert(client, auth)
    await watch(client, auth, channel_id="chan-b")
    await insert(client, auth)
    other = "/calendar/v3/calendars/team@group.calendar.google.com/events"
    assert (await client.post(other, json=BODY, headers=auth)).status_code == 200
    await emulator.wait_for_notifications()
    assert receiver.messages("chan-a") == [("sync", 1), ("exists", 2), ("exists", 3)]
    assert receiver.messages("chan-b") == [("sync", 1), ("exists", 2)]


async def test_a_channel_without_token_sends_no_token_header(
    emulator: GoogleEmulator, client: httpx.AsyncClient, auth: dict[str, str], receiver: Receiver
) -> None:
    body = {"id": "chan-a", "type": "webhook", "address": HOOK}
    response = await client.post(WATCH, json=body, headers=auth)
    assert response.status_code == 200
    assert "token" not in response.json()
    await emulator.wait_for_notifications()
    assert "x-goog-channel-token" not in receiver.received[0].headers


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("https://example.com/hook", "push.webhookUrlUnauthorized"),
        ("https://10.1.2.3/hook", "push.webhookUrlUnauthorized"),
        ("http://example.com/hook", "push.webhookUrlNotHttps"),
        ("http://192.168.1.5:8000/hook", "push.webhookUrlNotHttps"),
        ("ftp://127.0.0.1/hook", "invalid"),
        ("not a url", "invalid"),
    ],
)
async def test_addresses_other_than_loopback_are_refused_at_watch_time(
    emulator: GoogleEmulator,
    client: httpx.AsyncClient,
    auth: dict[str, str],
    receiver: Receiver,
    address: str,
    reason: str,
) -> None:
    response = await client.post(WATCH, json=watch_body(address=address), headers=auth)
    assert response.status_code == 400
    assert error_reason(response) == reason
    assert emulator.channels() == []
    await emulator.wait_for_notifications()
    assert receiver.received == []


@pytest.mark.parametrize(
    "address",
    [
        "http://localhost:9000/h",
        "https://127.0.0.1/h",
        "http://127.8.9.1/h",
        "http://[::1]:9000/h",
    ],
)
async def test_loopback_addresses_are_accepted_over_http_or_https(
    emulator: GoogleEmulator,
    client: httpx.AsyncClient,
    auth: dict[str, str],
    receiver: Receiver,
    address: str,
) -> None:
    await watch(client, auth, address=address)
    await emulator.wait_for_notifications()
    assert [r.address for r in receiver.received] == [address]


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"id": None}, "required"),
        ({"id": ""}, "invalid"),
        ({"type": "email"}, "invalid"),
        ({"address": None}, "required"),
        ({"token": "t" * 257}, "invalid"),
        ({"expiration": "soon"}, "invalid"),
        ({"expiration": "1000"}, "invalid"),
        ({"params": {"ttl": 5}}, "invalid"),
    ],
)
async def test_bad_watch_bodies_are_400_and_register_nothing(
    emulator: GoogleEmulator,
    client: httpx.AsyncClient,
    auth: dict[str, str],
    change: dict[str, Any],
    reason: str,
) -> None:
    body = {k: v for k, v in (watch_body() | change).items() if v is not None}
    response = await client.post(WATCH, json=body, headers=auth)
    assert response.status_code == 400
    assert error_reason(response) == reason
    assert emulator.channels() == []


async def test_a_live_channel_id_cannot_be_reused(
    emulator: GoogleEmulator, client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    await watch(client, auth, channel_id="chan-a")
    response = await client.post(WATCH, json=watch_body("chan-a"), headers=auth)
    assert response.status_code == 400
    assert error_reason(response) == "channelIdNotUnique"
    emulator.expire_channel("chan-a")
    await watch(client, auth, channel_id="chan-a")


async def test_watch_needs_the_callers_calendar_and_a_token(
    emulator: GoogleEmulator, client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    emulator.add_calendar("someone-elses", email="other@example.com")
    path = "/calendar/v3/calendars/someone-elses/events/watch"
    assert (await client.post(path, json=watch_body(), headers=auth)).status_code == 404
    assert (await client.post(WATCH, json=watch_body())).status_code == 401
    assert emulator.channels() == []


async def test_stop_answers_204_and_ends_deliveries(
    emulator: GoogleEmulator, client: httpx.AsyncClient, auth: dict[str, str], receiver: Receiver
) -> None:
    channel = await watch(client, auth, channel_id="chan-a")
    await emulator.wait_for_notifications()
    stop = {"id": "chan-a", "resourceId": channel["resourceId"]}
    response = await client.post(STOP, json=stop, headers=auth)
    assert response.status_code == 204
    assert response.content == b""
    assert emulator.channels() == []
    await insert(client, auth)
    await emulator.wait_for_notifications()
    assert receiver.messages() == [("sync", 1)]
    again = await client.post(STOP, json=stop, headers=auth)
    assert again.status_code == 404
    assert error_reason(again) == "notFound"


async def test_stop_of_an_unknown_or_foreign_channel_is_404_and_keeps_it(
    emulator: GoogleEmulator, client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    channel = await watch(client, auth, channel_id="chan-a")
    other = {"Authorization": "Bearer " + emulator.issue_access_token(email="o@example.com")}
    cases = [
        ({"id": "chan-x", "resourceId": channel["resourceId"]}, auth),
        ({"id": "chan-a", "resourceId": "wrong"}, auth),
        ({"id": "chan-a", "resourceId": channel["resourceId"]}, other),
    ]
    for body, headers in cases:
        response = await client.post(STOP, json=body, headers=headers)
        assert response.status_code == 404, body
        assert error_reason(response) == "notFound"
    missing = await client.post(STOP, json={"id": "chan-a"}, headers=auth)
    assert missing.status_code == 400
    assert error_reason(missing) == "required"
    assert [c["id"] for c in emulator.channels()] == ["chan-a"]


def test_the_document_gives_watch_a_channel_answer_and_stop_none() -> None:
    # Why `watch` is checked against `Channel` and `stop` must answer with no body.
    stop = discovery_method("calendar.channels.stop")
    assert "response" not in stop
    assert stop["request"] == {"$ref": "Channel", "parameterName": "resource"}
    assert discovery_method("calendar.events.watch")["response"] == {"$ref": "Channel"}


async def test_delivery_never_holds_up_the_api_answer(
    emulator: GoogleEmulator, client: httpx.AsyncClient, auth: dict[str, str], receiver: Receiver
) -> None:
    receiver.gate = asyncio.Event()
    await watch(client, auth, channel_id="chan-a")
    await insert(client, auth)
    await insert(client, auth)
    assert receiver.received == []
    receiver.gate.set()
    await emulator.wait_for_notifications()
    assert receiver.messages() == [("sync", 1), ("exists", 2), ("exists", 3)]


async def test_no_delivery_after_the_channel_expires(
    emulator: GoogleEmulator, client: httpx.AsyncClient, auth: dict[str, str], receiver: Receiver
) -> None:
    channel = await watch(client, auth, channel_id="chan-a", params={"ttl": "60"})
    await emulator.wait_for_notifications()
    emulator.advance_clock(61)
    await insert(client, auth)
    await emulator.wait_for_notifications()
    assert receiver.messages() == [("sync", 1)]
    assert [c["expired"] for c in emulator.channels()] == [True]
    stop = {"id": "chan-a", "resourceId": channel["resourceId"]}
    assert (await client.post(STOP, json=stop, headers=auth)).status_code == 404


async def test_control_api_expires_a_channel_now_and_drops_what_is_pending(
    emulator: GoogleEmulator, client: httpx.AsyncClient, auth: dict[str, str], receiver: Receiver
) -> None:
    receiver.gate = asyncio.Event()
    await watch(client, auth, channel_id="chan-a")
    await insert(client, auth)
    await receiver.arrived.wait()  # the sync message is in flight, held by the gate
    response = await client.post("/_emulator/channels/chan-a/expire")
    assert response.status_code == 204
    receiver.gate.set()
    await insert(client, auth)
    await emulator.wait_for_notifications()
    assert receiver.messages() == [("sync", 1)]
    outcomes = [(n["messageNumber"], n["outcome"]) for n in emulator.notifications()]
    assert outcomes == [(1, "delivered"), (2, "channel_gone")]
    listed = (await client.get("/_emulator/channels")).json()["channels"]
    assert [(c["id"], c["expired"]) for c in listed] == [("chan-a", True)]
    unknown = await client.post("/_emulator/channels/nope/expire")
    assert unknown.status_code == 404


async def test_control_api_lists_channels_and_delivery_attempts(
    emulator: GoogleEmulator, client: httpx.AsyncClient, auth: dict[str, str], receiver: Receiver
) -> None:
    await watch(client, auth, channel_id="chan-a")
    await emulator.wait_for_notifications()
    listed = (await client.get("/_emulator/channels")).json()["channels"]
    assert len(listed) == 1
    assert listed[0]["id"] == "chan-a"
    assert listed[0]["address"] == HOOK
    assert listed[0]["calendarId"] == "testuser@example.com"
    assert listed[0]["lastMessageNumber"] == 1
    assert listed[0]["expired"] is False
    log = (await client.get("/_emulator/notifications")).json()["notifications"]
    assert [(n["channelId"], n["resourceState"], n["status"]) for n in log] == [
        ("chan-a", "sync", 200)
    ]
    assert (await client.get("/_emulator/state")).json()["channels"] == listed
    assert (await client.post("/_emulator/reset")).status_code == 204
    assert (await client.get("/_emulator/channels")).json() == {"channels": []}


async def test_a_5xx_or_unreachable_receiver_is_retried_and_a_4xx_is_not(
    emulator: GoogleEmulator, client: httpx.AsyncClient, auth: dict[str, str], receiver: Receiver
) -> None:
    receiver.answers = [503, 500, 200, 404]
    await watch(client, auth, channel_id="chan-a")
    await insert(client, auth)
    await emulator.wait_for_notifications()
    assert receiver.messages() == [("sync", 1), ("sync", 1), ("sync", 1), ("exists", 2)]
    statuses = [(n["messageNumber"], n["status"]) for n in emulator.notifications()]
    assert statuses == [(1, 503), (1, 500), (1, 200), (2, 404)]


async def test_a_connection_failure_is_retried_then_given_up() -> None:
    calls = 0

    def refuse(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        raise httpx.ConnectError("refused", request=request)

    async with httpx.AsyncClient(transport=httpx.MockTransport(refuse)) as http:
        emulator = GoogleEmulator(notification_http=http, notification_retry_delays=(0.01, 0.01))
        transport = httpx.ASGITransport(app=emulator.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://e.test") as api:
            token = {"Authorization": "Bearer " + emulator.issue_access_token()}
            assert (await api.post(WATCH, json=watch_body(), headers=token)).status_code == 200
            await emulator.wait_for_notifications()
        await emulator.aclose()
    assert calls == 3
    assert {n["error"] for n in emulator.notifications()} == {"ConnectError"}


async def test_deleting_a_watched_calendar_sends_not_exists(
    emulator: GoogleEmulator, client: httpx.AsyncClient, auth: dict[str, str], receiver: Receiver
) -> None:
    emulator.add_calendar("team@group.calendar.google.com")
    await watch(
        client,
        auth,
        path="/calendar/v3/calendars/team@group.calendar.google.com/events/watch",
        channel_id="chan-a",
    )
    response = await client.delete("/_emulator/calendars/team@group.calendar.google.com")
    assert response.status_code == 204
    await emulator.wait_for_notifications()
    assert receiver.messages() == [("sync", 1), ("not_exists", 2)]
    primary = await client.delete("/_emulator/calendars/testuser@example.com")
    assert primary.status_code == 400
    assert (await client.delete("/_emulator/calendars/nope")).status_code == 404
