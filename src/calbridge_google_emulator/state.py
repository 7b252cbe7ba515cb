"""The emulator's memory: users, calendars, events, OAuth grants and tokens.

Every handler takes `state.lock` for the whole read-modify-write it does, so concurrent
requests see one consistent history. `seq` is a single change counter: each event write
stamps the event with the next value, which is what sync tokens and ETags are made of.
Every event write goes through `event_changed`, which tells the change listeners (push
notifications) which calendar changed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from calbridge_google_emulator.config import FULL_SCOPES, Clock, EmulatorConfig
from calbridge_google_emulator.ids import new_numeric_id, new_resource_id


@dataclass
class Calendar:
    id: str
    summary: str
    time_zone: str
    owner_email: str
    primary: bool
    # What Google's push channels call the calendar's events collection (stable per calendar).
    resource_id: str = field(default_factory=new_resource_id)


@dataclass
class StoredEvent:
    """One event. `body` holds the client-writable fields as the client sent them."""

    calendar_id: str
    id: str
    index: int
    body: dict[str, Any]
    status: str
    created_at: datetime
    updated_at: datetime
    seq: int
    sequence: int
    start_at: datetime
    end_at: datetime

    @property
    def etag(self) -> str:
        return f'"{self.seq:016d}"'


@dataclass
class Grant:
    """What a user approved for a client; its tokens live and die with it."""

    id: int
    email: str
    client_id: str
    scopes: tuple[str, ...]
    refresh_token: str | None
    revoked: bool = False


@dataclass
class AccessToken:
    token: str
    email: str
    scopes: tuple[str, ...]
    expires_at: float | None
    grant_id: int | None


@dataclass
class AuthCode:
    code: str
    client_id: str
    redirect_uri: str
    email: str
    scopes: tuple[str, ...]
    offline: bool
    force_consent: bool
    code_challenge: str | None
    code_challenge_method: str
    expires_at: float
    used: bool = False


@dataclass(eq=False)
class Channel:
    """An `events.watch` channel. `expiration_ms` is Unix milliseconds, as on the wire."""

    id: str
    resource_id: str
    resource_uri: str
    calendar_id: str
    owner_email: str
    address: str
    token: str | None
    expiration_ms: int
    params: dict[str, str]
    last_message_number: int = 0

    def next_message_number(self) -> int:
        self.last_message_number += 1
        return self.last_message_number


@dataclass
class ListCursor:
    """Where a paged events.list stands; page tokens map to one of these."""

    calendar_id: str
    query: Any
    after_key: tuple[Any, ...] | None
    snapshot_seq: int


@dataclass
class EmulatorState:
    config: EmulatorConfig
    clock: Clock = field(default_factory=Clock)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    seq: int = 0
    next_index: int = 0
    user_ids: dict[str, str] = field(default_factory=dict)
    calendars: dict[str, Calendar] = field(default_factory=dict)
    events: dict[str, dict[str, StoredEvent]] = field(default_factory=dict)
    grants: dict[int, Grant] = field(default_factory=dict)
    access_tokens: dict[str, AccessToken] = field(default_factory=dict)
    auth_codes: dict[str, AuthCode] = field(default_factory=dict)
    page_tokens: dict[str, ListCursor] = field(default_factory=dict)
    sync_tokens: dict[str, tuple[str, int]] = field(default_factory=dict)
    channels: dict[str, Channel] = field(default_factory=dict)
    # Called with a calendar id after each event change (kept across `clear`).
    change_listeners: list[Callable[[str], None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        """Forget everything except the configuration (and its static tokens)."""
        self.seq = 0
        self.next_index = 0
        for store in (
            self.user_ids,
            self.calendars,
            self.events,
            self.grants,
            self.access_tokens,
            self.auth_codes,
            self.page_tokens,
            self.sync_tokens,
            self.channels,
        ):
            store.clear()
        self.ensure_user(self.config.user_email)
        for token in self.config.static_access_tokens:
            self.add_access_token(token, self.config.user_email, FULL_SCOPES, None, None)

    def ensure_user(self, email: str) -> Calendar:
        """Create the user (and their primary calendar, id = email) on first sight."""
        if email not in self.user_ids:
            self.user_ids[email] = new_numeric_id()
            self.add_calendar(email, email, self.config.time_zone, email, primary=True)
        return self.calendars[email]

    def add_calendar(
        self, calendar_id: str, summary: str, time_zone: str, owner_email: str, primary: bool
    ) -> Calendar:
        calendar = Calendar(calendar_id, summary, time_zone, owner_email, primary)
        self.calendars[calendar_id] = calendar
        self.events.setdefault(calendar_id, {})
        return calendar

    def add_access_token(
        self,
        token: str,
        email: str,
        scopes: tuple[str, ...],
        expires_at: float | None,
        grant_id: int | None,
    ) -> AccessToken:
        self.ensure_user(email)
        record = AccessToken(token, email, scopes, expires_at, grant_id)
        self.access_tokens[token] = record
        return record

    def live_access_token(self, token: str) -> AccessToken | None:
        """The token's record if it is known, unexpired and its grant is not revoked."""
        record = self.access_tokens.get(token)
        if record is None:
            return None
        if record.expires_at is not None and record.expires_at <= self.clock.time():
            return None
        if record.grant_id is not None and self.grants[record.grant_id].revoked:
            return None
        return record

    def revoke_grant(self, grant: Grant) -> None:
        grant.revoked = True
        for token in [t for t, r in self.access_tokens.items() if r.grant_id == grant.id]:
            del self.access_tokens[token]

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def event_changed(self, event: StoredEvent) -> None:
        """Stamp a written event with the next change number and tell the listeners."""
        event.seq = self.next_seq()
        for listener in self.change_listeners:
            listener(event.calendar_id)

    def live_channel(self, channel: Channel) -> bool:
        """Still registered (not stopped, not replaced) and not past its expiration."""
        return (
            self.channels.get(channel.id) is channel
            and channel.expiration_ms > self.clock.time() * 1000
        )

    def primary_calendar_id(self, email: str) -> str:
        return self.ensure_user(email).id
