"""Push channels on linked calendars: ``google.watch`` opens or renews one, ``google.unwatch``
stops one, and ``check_token`` verifies a notification's token.

A channel is opened (events.watch) when a calendar is linked, and again when the current one is
about to expire (``schedule``); its id is random, and so is its token, which Google sends back in
every notification (``X-Goog-Channel-Token``) and which is stored only as a SHA-256 hash. The new
channel is recorded first, and the one it replaces is stopped afterwards by a ``google.unwatch``
job enqueued in the same transaction, so no notification is missed between the two. Unlinking
or deleting the calendar stops its channel the same way; disconnecting the account stops them at
once, before the grant is revoked (after it, Google would refuse the stop). A stop Google
answers with 404 (the channel expired or was already stopped) is done.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from calbridge.db import utcnow
from calbridge.google import mirror, runtime
from calbridge.google.errors import GoogleGrantRevoked, GoogleNotFound, GooglePermanent
from calbridge.google.job_errors import google_refusals
from calbridge.google.job_requests import GOOGLE_WATCH
from calbridge.google.models import ACTIVE, GoogleCalendarSync
from calbridge.google.service import calendar_client, get_connection
from calbridge.google.transactions import EngineDatabase
from calbridge.outbox.service import JobFailed, enqueue, handler

GOOGLE_UNWATCH = "google.unwatch"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_token(sync: GoogleCalendarSync, token: str | None) -> bool:
    """Whether a notification's token is the channel's (compared in constant time)."""
    if sync.channel_token_hash is None or token is None:
        return False
    return hmac.compare_digest(token_hash(token), sync.channel_token_hash)


async def request_unwatch(session: AsyncSession, sync: GoogleCalendarSync) -> None:
    """Stop the state's channel after the caller commits (no-op without one)."""
    if sync.channel_id is None or sync.channel_resource_id is None:
        return
    await enqueue(
        session,
        GOOGLE_UNWATCH,
        account_id=sync.account_id,
        channel_id=sync.channel_id,
        resource_id=sync.channel_resource_id,
    )


@handler(GOOGLE_WATCH)
async def watch_calendar(session: AsyncSession, payload: dict[str, Any]) -> None:
    """Open a channel on the calendar (its first, or one replacing a channel close to its end:
    the schedule decides when, and asks once while a request waits)."""
    calendar_id = int(payload["calendar_id"])
    settings = runtime.gateway().settings
    sync = await mirror.get_sync(session, calendar_id)
    address = settings.google_push_address
    if sync is None or not address:
        await session.commit()
        return
    connection = await get_connection(session, sync.account_id)
    sync_id, account_id, google_calendar_id = sync.id, sync.account_id, sync.google_calendar_id
    await session.commit()  # no lock may be held while Google is called
    if connection is None or connection.status != ACTIVE:
        return  # the schedule asks again once the account is connected
    client = calendar_client(runtime.gateway(), EngineDatabase.of(session), connection, retries=0)
    token = secrets.token_urlsafe(32)
    expires = utcnow() + timedelta(seconds=settings.google_channel_ttl_seconds)
    body = {
        "id": str(uuid.uuid4()),
        "type": "web_hook",
        "address": address,
        "token": token,
        "expiration": str(int(expires.timestamp() * 1000)),
    }
    with google_refusals("Google refused the channel"):
        channel = await client.watch_events(google_calendar_id, body)
    resource_id = str(channel.get("resourceId") or "")
    current = await mirror.get_sync(session, calendar_id, lock=True)
    if current is None or current.id != sync_id:
        # Unlinked or linked elsewhere meanwhile: the channel we just opened is not wanted.
        await enqueue(
            session,
            GOOGLE_UNWATCH,
            account_id=account_id,
            channel_id=body["id"],
            resource_id=resource_id,
        )
        return
    await request_unwatch(session, current)  # the channel this one replaces
    current.channel_id = body["id"]
    current.channel_resource_id = resource_id
    current.channel_token_hash = token_hash(token)
    current.channel_expires_at = _expiration(channel.get("expiration")) or expires
    await session.flush()


def _expiration(value: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(str(value)) / 1000, UTC)
    except (TypeError, ValueError, OverflowError):
        return None


@handler(GOOGLE_UNWATCH)
async def unwatch(session: AsyncSession, payload: dict[str, Any]) -> None:
    """Stop a channel; one Google no longer knows (expired, stopped) is done."""
    connection = await get_connection(session, int(payload["account_id"]))
    await session.commit()
    if connection is None or connection.status != ACTIVE:
        return  # nobody can stop it now: it ends at its expiration, and is refused meanwhile
    client = calendar_client(runtime.gateway(), EngineDatabase.of(session), connection, retries=0)
    try:
        await client.stop_channel(str(payload["channel_id"]), str(payload["resource_id"]))
    except GoogleNotFound:
        return
    except GoogleGrantRevoked:
        return
    except GooglePermanent as error:
        raise JobFailed(
            f"Google refused to stop the channel: {error.status} {error.reason or '-'}"
        ) from error
