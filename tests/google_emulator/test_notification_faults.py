"""Fault injection for push notifications: lost, duplicated, delayed and reordered messages,
through the control API, matched per channel when a `channelId` is given."""

from __future__ import annotations

import httpx

from calbridge_google_emulator import GoogleEmulator

from .flows import EVENTS, add_fault, timed_event
from .receiver import WATCH, Receiver, watch_body

BODY = timed_event("2026-04-11T10:00:00Z", "2026-04-11T11:00:00Z")


async def watched(
    emulator: GoogleEmulator, client: httpx.AsyncClient, auth: dict[str, str], channel_id: str
) -> None:
    """A channel whose sync message has been delivered."""
    response = await client.post(WATCH, json=watch_body(channel_id), headers=auth)
    assert response.status_code == 200, response.text
    await emulator.wait_for_notifications()


async def changes(client: httpx.AsyncClient, auth: dict[str, str], count: int) -> None:
    for _ in range(count):
        assert (await client.post(EVENTS, json=BODY, headers=auth)).status_code == 200


async def test_a_lost_notification_leaves_a_gap_in_the_numbers(
    emulator: GoogleEmulator, client: httpx.AsyncClient, auth: dict[str, str], receiver: Receiver
) -> None:
    await watched(emulator, client, auth, "chan-a")
    fault = await add_fault(client, kind="notification_lost", channelId="chan-a")
    assert fault["channelId"] == "chan-a"
    await changes(client, auth, 2)
    await emulator.wait_for_notifications()
    assert receiver.messages() == [("sync", 1), ("exists", 3)]
    lost = [n for n in emulator.notifications() if n["outcome"] == "lost"]
    assert [n["messageNumber"] for n in lost] == [2]


async def test_a_duplicated_notification_arrives_twice_with_one_number(
    emulator: GoogleEmulator, client: httpx.AsyncClient, auth: dict[str, str], receiver: Receiver
) -> None:
    await watched(emulator, client, auth, "chan-a")
    await add_fault(client, kind="notification_duplicated")
    await changes(client, auth, 2)
    await emulator.wait_for_notifications()
    assert receiver.messages() == [("sync", 1), ("exists", 2), ("exists", 2), ("exists", 3)]


async def test_a_delayed_notification_is_overtaken_by_the_next(
    emulator: GoogleEmulator, client: httpx.AsyncClient, auth: dict[str, str], receiver: Receiver
) -> None:
    await watched(emulator, client, auth, "chan-a")
    await add_fault(client, kind="notification_delayed", seconds=0.5)
    await changes(client, auth, 2)
    await emulator.wait_for_notifications()
    assert receiver.messages() == [("sync", 1), ("exists", 3), ("exists", 2)]


async def test_a_reordered_notification_comes_right_after_the_next_one(
    emulator: GoogleEmulator, client: httpx.AsyncClient, auth: dict[str, str], receiver: Receiver
) -> None:
    await watched(emulator, client, auth, "chan-a")
    await add_fault(client, kind="notification_reordered", count=1, seconds=30)
    await changes(client, auth, 3)
    await emulator.wait_for_notifications()
    assert receiver.messages() == [("sync", 1), ("exists", 3), ("exists", 2), ("exists", 4)]


async def test_a_reordered_notification_with_no_successor_still_arrives(
    emulator: GoogleEmulator, client: httpx.AsyncClient, auth: dict[str, str], receiver: Receiver
) -> None:
    await watched(emulator, client, auth, "chan-a")
    await add_fault(client, kind="notification_reordered", seconds=0.05)
    await changes(client, auth, 1)
    await emulator.wait_for_notifications()
    assert receiver.messages() == [("sync", 1), ("exists", 2)]


async def test_a_channel_fault_spares_other_channels_and_is_used_up(
    emulator: GoogleEmulator, client: httpx.AsyncClient, auth: dict[str, str], receiver: Receiver
) -> None:
    await watched(emulator, client, auth, "chan-a")
    await watched(emulator, client, auth, "chan-b")
    await add_fault(client, kind="notification_lost", count=2, channelId="chan-b")
    await changes(client, auth, 3)
    await emulator.wait_for_notifications()
    assert receiver.messages("chan-a") == [("sync", 1), ("exists", 2), ("exists", 3),
                                           ("exists", 4)]  # fmt: skip
    assert receiver.messages("chan-b") == [("sync", 1), ("exists", 4)]
    assert (await client.get("/_emulator/faults")).json() == {"faults": []}


async def test_a_lost_sync_message_is_a_fault_too(
    emulator: GoogleEmulator, client: httpx.AsyncClient, auth: dict[str, str], receiver: Receiver
) -> None:
    await add_fault(client, kind="notification_lost")
    await watched(emulator, client, auth, "chan-a")
    await changes(client, auth, 1)
    await emulator.wait_for_notifications()
    assert receiver.messages() == [("exists", 2)]


async def test_notification_faults_never_touch_api_requests(
    emulator: GoogleEmulator, client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    await add_fault(client, kind="notification_lost", count=3)
    assert (await client.get(EVENTS, headers=auth)).status_code == 200
    assert (await client.post(EVENTS, json=BODY, headers=auth)).status_code == 200
    faults = (await client.get("/_emulator/faults")).json()["faults"]
    assert [f["remaining"] for f in faults] == [3]


async def test_a_negative_delay_is_refused(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/_emulator/faults", json={"kind": "notification_delayed", "seconds": -1}
    )
    assert response.status_code == 400
