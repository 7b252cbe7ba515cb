"""`Emulator`, the handle on one emulator's state: what tests and the control API change.

Its methods change state without awaiting, so under asyncio each one is atomic with respect to
requests (which do all their changes while holding `state.lock`). The route modules reach it
with `web.emulator_of`; `app.GoogleEmulator` builds the ASGI app around it.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import httpx

from calbridge_google_emulator import grants
from calbridge_google_emulator.config import FULL_SCOPES, EmulatorConfig
from calbridge_google_emulator.event_model import render
from calbridge_google_emulator.faults import FaultRegistry
from calbridge_google_emulator.ids import new_token
from calbridge_google_emulator.notifications import Notifier
from calbridge_google_emulator.resources import channel_listing, list_entry
from calbridge_google_emulator.state import Calendar, EmulatorState
from calbridge_google_emulator.times import format_timestamp


class Emulator:
    """One emulator: its configuration, state, fault registry and push notifier, and the
    controls tests (and the control API) use. `app.GoogleEmulator` adds its ASGI app.

    `notification_http` is the client push notifications are POSTed with; tests pass one
    with an `httpx.MockTransport` to receive them without a socket. Without it the
    emulator makes its own on first delivery (closed by `aclose` or the app's shutdown).
    """

    def __init__(
        self,
        config: EmulatorConfig | None = None,
        *,
        notification_http: httpx.AsyncClient | None = None,
        **overrides: Any,
    ) -> None:
        self.config = dataclasses.replace(config or EmulatorConfig(), **overrides)
        self.state = EmulatorState(self.config)
        self.faults = FaultRegistry()
        self.notifier = Notifier(
            self.state, self.faults, notification_http, self.config.notification_retry_delays
        )
        self.state.change_listeners.append(self.notifier.calendar_changed)
        # Make the next `count` matching requests fail, or notifications misbehave (`faults`).
        self.add_fault = self.faults.add

    def issue_access_token(
        self,
        token: str | None = None,
        email: str | None = None,
        scopes: tuple[str, ...] | None = None,
        expires_in: float | None = None,
    ) -> str:
        """Register an access token (default: random, the test user, all scopes, no expiry)."""
        value = token or new_token("ya29.")
        expires_at = None if expires_in is None else self.state.clock.time() + expires_in
        self.state.add_access_token(
            value, email or self.config.user_email, scopes or FULL_SCOPES, expires_at, None
        )
        return value

    def revoke(self, token: str | None = None, email: str | None = None) -> int:
        """Revoke the grant behind a token, or every grant of a user; returns how many."""
        if token is not None:
            return int(grants.revoke_token(self.state, token))
        return grants.revoke_user(self.state, email or self.config.user_email)

    def reset(self) -> None:
        """Back to a fresh start: no events, grants, faults; configured tokens stay."""
        self.state.clear()
        self.faults.clear()
        self.state.clock.offset_seconds = 0.0

    def advance_clock(self, seconds: float) -> None:
        self.state.clock.advance(seconds)

    def invalidate_sync_tokens(self) -> None:
        """Every sync token issued so far now answers 410 `fullSyncRequired`."""
        self.state.sync_tokens.clear()

    def add_calendar(
        self,
        calendar_id: str,
        summary: str | None = None,
        time_zone: str | None = None,
        email: str | None = None,
    ) -> Calendar:
        """Give a user (default: the test user) a secondary calendar."""
        owner = email or self.config.user_email
        self.state.ensure_user(owner)
        return self.state.add_calendar(
            calendar_id, summary or calendar_id, time_zone or self.config.time_zone, owner, False
        )

    def remove_calendar(self, calendar_id: str) -> None:
        """Delete a secondary calendar and its events; its channels get `not_exists`.

        Raises KeyError for an unknown calendar, ValueError for a primary one.
        """
        calendar = self.state.calendars[calendar_id]
        if calendar.primary:
            raise ValueError("a primary calendar cannot be deleted")
        del self.state.calendars[calendar_id]
        del self.state.events[calendar_id]
        for channel in list(self.state.channels.values()):
            if channel.calendar_id == calendar_id and self.state.live_channel(channel):
                self.notifier.publish(channel, "not_exists")

    def channels(self) -> list[dict[str, Any]]:
        """Every registered channel (stopped ones are gone; expired ones say so)."""
        return [channel_listing(self.state, c) for c in self.state.channels.values()]

    def expire_channel(self, channel_id: str) -> bool:
        """End a channel now, as if its expiration had passed; False if it is unknown."""
        channel = self.state.channels.get(channel_id)
        if channel is None:
            return False
        channel.expiration_ms = min(channel.expiration_ms, int(self.state.clock.time() * 1000))
        return True

    def notifications(self) -> list[dict[str, Any]]:
        """Every delivery attempt, lost message and skipped message, oldest first."""
        return list(self.notifier.log)

    async def wait_for_notifications(self) -> None:
        """Return once no notification is queued, held, delayed or in flight."""
        await self.notifier.idle()

    async def aclose(self) -> None:
        """Cancel pending deliveries and close the notifier's own HTTP client."""
        await self.notifier.aclose()

    def events(self, calendar_id: str | None = None) -> list[dict[str, Any]]:
        """Every event as Google would render it, cancelled ones included."""
        result = []
        for calendar in self.state.calendars.values():
            if calendar_id in (None, calendar.id):
                for event in self.state.events[calendar.id].values():
                    result.append({"calendarId": calendar.id, **render(event, calendar)})
        return result

    def snapshot(self) -> dict[str, Any]:
        state = self.state
        return {
            "now": format_timestamp(state.clock.now()),
            "users": [{"email": e, "id": i} for e, i in state.user_ids.items()],
            "calendars": [
                list_entry(c) | {"owner": c.owner_email} for c in state.calendars.values()
            ],
            "events": self.events(),
            "grants": [
                {
                    "id": g.id,
                    "email": g.email,
                    "clientId": g.client_id,
                    "scopes": list(g.scopes),
                    "refreshToken": g.refresh_token,
                    "revoked": g.revoked,
                }
                for g in state.grants.values()
            ],
            "channels": self.channels(),
            "faults": [f.to_json() for f in self.faults.faults],
        }
