"""``GoogleCalendarClient``: the Calendar v3 calls calbridge makes, and nothing about URLs
leaks out of here. Answers are Google's JSON as dicts; failures are ``google.errors``.

A 401 from Calendar (an access token Google no longer accepts) triggers one refresh and one
repeat of the call; if the refresh answers ``invalid_grant``, the connection is marked broken
and ``GoogleGrantRevoked`` raised.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx

from calbridge.google.credentials import ConnectionCredentials
from calbridge.google.errors import GooglePermanent
from calbridge.google.gateway import GoogleGateway


def _segment(value: str) -> str:
    """One path segment: quoted, and never ``.`` or ``..``, which URL normalisation would turn
    into a walk up Google's path (``events/..`` is the calendar itself)."""
    if value.strip(".") == "":
        raise ValueError(f"not a Google id: {value!r}")
    return quote(value, safe="")


class GoogleCalendarClient:
    def __init__(
        self,
        gateway: GoogleGateway,
        credentials: ConnectionCredentials,
        *,
        retries: int | None = None,
    ) -> None:
        """``retries``: extra attempts of a retryable failure inside one call (default: the
        settings' ``google_request_retries``; a worker with its own backoff may pass 0)."""
        self.gateway = gateway
        self.credentials = credentials
        self.retries = retries
        self.base_url = gateway.settings.google_calendar_base_url.rstrip("/")

    async def _call(
        self, method: str, path: str, *, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> httpx.Response:
        url = self.base_url + path
        token = await self.credentials.access_token()
        for attempt in range(2):
            try:
                return await self.gateway.send(
                    method,
                    url,
                    retries=self.retries,
                    headers={"Authorization": f"Bearer {token}", **(headers or {})},
                    **kwargs,
                )
            except GooglePermanent as error:
                if error.status != 401 or attempt == 1:
                    raise
                token = await self.credentials.refresh()
        raise AssertionError("unreachable")

    @staticmethod
    def _events_path(calendar_id: str, event_id: str | None = None) -> str:
        path = f"/calendars/{_segment(calendar_id)}/events"
        return path if event_id is None else f"{path}/{_segment(event_id)}"

    async def list_events(self, calendar_id: str, **params: str | int | bool) -> dict[str, Any]:
        """One page of events.list; pass Google's parameters (``timeMin``, ``pageToken``, …)."""
        query = {k: str(v).lower() if isinstance(v, bool) else v for k, v in params.items()}
        response = await self._call("GET", self._events_path(calendar_id), params=query)
        return _json(response)

    async def get_event(self, calendar_id: str, event_id: str) -> dict[str, Any]:
        return _json(await self._call("GET", self._events_path(calendar_id, event_id)))

    async def insert_event(self, calendar_id: str, body: dict[str, Any]) -> dict[str, Any]:
        return _json(await self._call("POST", self._events_path(calendar_id), json=body))

    async def patch_event(
        self,
        calendar_id: str,
        event_id: str,
        body: dict[str, Any],
        *,
        if_match: str | None = None,
    ) -> dict[str, Any]:
        headers = {"If-Match": if_match} if if_match else None
        path = self._events_path(calendar_id, event_id)
        return _json(await self._call("PATCH", path, json=body, headers=headers))

    async def delete_event(self, calendar_id: str, event_id: str) -> None:
        await self._call("DELETE", self._events_path(calendar_id, event_id))

    async def watch_events(self, calendar_id: str, channel: dict[str, Any]) -> dict[str, Any]:
        """events.watch: open a push channel (Google's ``Channel``) on the calendar's events."""
        path = self._events_path(calendar_id) + "/watch"
        return _json(await self._call("POST", path, json=channel))

    async def stop_channel(self, channel_id: str, resource_id: str) -> None:
        """channels.stop; ``GoogleNotFound`` if Google no longer knows the channel."""
        await self._call(
            "POST", "/channels/stop", json={"id": channel_id, "resourceId": resource_id}
        )

    async def calendar_list(self) -> list[dict[str, Any]]:
        """calendarList.list: the calendars the account sees (the admin's calendar picker)."""
        response = _json(await self._call("GET", "/users/me/calendarList"))
        items = response.get("items", [])
        return list(items) if isinstance(items, list) else []


def _json(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    return body if isinstance(body, dict) else {}
