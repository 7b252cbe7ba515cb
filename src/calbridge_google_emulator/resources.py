"""How Google renders a calendar and a push channel (the API's and the control API's shapes)."""

from __future__ import annotations

import zlib
from typing import Any

from calbridge_google_emulator.state import Calendar, Channel, EmulatorState


def calendar_resource(calendar: Calendar) -> dict[str, Any]:
    return {
        "kind": "calendar#calendar",
        "etag": f'"{zlib.crc32(calendar.id.encode()):016d}"',
        "id": calendar.id,
        "summary": calendar.summary,
        "timeZone": calendar.time_zone,
    }


def list_entry(calendar: Calendar) -> dict[str, Any]:
    entry = calendar_resource(calendar)
    entry.update(
        kind="calendar#calendarListEntry",
        accessRole="owner",
        backgroundColor="#9fe1e7",
        foregroundColor="#000000",
        selected=True,
        defaultReminders=[],
    )
    if calendar.primary:
        entry["primary"] = True
    return entry


def channel_resource(channel: Channel) -> dict[str, Any]:
    """The `Channel` Google answers events.watch with."""
    resource: dict[str, Any] = {
        "kind": "api#channel",
        "id": channel.id,
        "resourceId": channel.resource_id,
        "resourceUri": channel.resource_uri,
    }
    if channel.token is not None:
        resource["token"] = channel.token
    resource["expiration"] = str(channel.expiration_ms)
    return resource


def channel_listing(state: EmulatorState, channel: Channel) -> dict[str, Any]:
    """What the control API shows of a channel."""
    return channel_resource(channel) | {
        "calendarId": channel.calendar_id,
        "email": channel.owner_email,
        "address": channel.address,
        "params": channel.params,
        "lastMessageNumber": channel.last_message_number,
        "expired": not state.live_channel(channel),
    }
