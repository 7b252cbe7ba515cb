"""Push channels on linked calendars: ``google.watch`` opens or renews one, ``google.unwatch``
stops one, and ``check_token`` verifies a notification's token.

A channel is opened (events.watch) when a calendar is linked, and again when the current one is
about to expire (``schedule``). Its id is ``calbridge-{account id}-{random uuid}``, and its token,
which Google sends back in every notification (``X-Goog-Channel-Token``), is an HMAC of the id
under the secret key; the token is stored only as a SHA-256 hash. The new
channel is recorded first, and the one it replaces is stopped afterwards by a ``google.unwatch``
job enqueued in the same transaction, so no notification is missed between the two. Unlinking
or deleting the calendar stops its channel the same way; disconnecting the account stops them at
once, before the grant is revoked (after it, Google would refuse the stop). A stop Google
answers with 404 (the channel expired or was already stopped) is done.

**Orphans.** A channel Google opened but calbridge never recorded (the watch call's answer was
lost and the job ran again, or the calendar was unlinked or its account deleted while the call
was out) still sends notifications. Its token proves calbridge made it (``orphan_account``), and
its id names the account whose grant can stop it: the notification is answered and a
``google.unwatch`` is enqueued, ``ORPHAN_GRACE_SECONDS`` later and only if no calendar has
recorded the channel by then (a watch job records its channel a moment after Google answers, and
a message may come first). The watch job itself stops a channel it opened for a calendar that
went meanwhile, at once, with the grant it holds (the account may be deleted next).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from calbridge.db import utcnow
from calbridge.google import mirror
from calbridge.google.connections import get_connection
from calbridge.google.errors import (
    GoogleError,
    GoogleGrantRevoked,
    GoogleNotFound,
    GooglePermanent,
)
from calbridge.google.job_errors import google_refusals
from calbridge.google.job_requests import CalendarPayload
from calbridge.google.mirror import GOOGLE_UNWATCH
from calbridge.google.models import ACTIVE, GoogleCalendarSync
from calbridge.google.service import calendar_client
from calbridge.google.transactions import EngineDatabase
from calbridge.outbox.models import OutboxJob
from calbridge.outbox.service import JobFailed, enqueue

if TYPE_CHECKING:
    from calbridge.services import Services

ORPHAN_GRACE_SECONDS = 60.0
_ID_PREFIX = "calbridge-"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_channel_id(account_id: int) -> str:
    return f"{_ID_PREFIX}{account_id}-{uuid.uuid4()}"


def channel_token(secret_key: str, channel_id: str) -> str:
    """The token of the channel ``channel_id``: only calbridge can make it, and it needs no
    storage to be checked, so a channel calbridge never recorded can still be recognised."""
    mac = hmac.new(secret_key.encode(), f"google-channel:{channel_id}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()).decode().rstrip("=")


def orphan_account(secret_key: str, channel_id: str, token: str | None) -> int | None:
    """The account that opened a channel calbridge holds no record of, if the notification's
    token proves calbridge opened it; else None."""
    account, _, rest = channel_id.removeprefix(_ID_PREFIX).partition("-")
    if not channel_id.startswith(_ID_PREFIX) or not rest or not account.isdigit() or not token:
        return None
    if not hmac.compare_digest(channel_token(secret_key, channel_id), token):
        return None
    return int(account)


def check_token(sync: GoogleCalendarSync, token: str | None) -> bool:
    """Whether a notification's token is the channel's (compared in constant time)."""
    if sync.channel_token_hash is None or token is None:
        return False
    return hmac.compare_digest(token_hash(token), sync.channel_token_hash)


def unwatch_key(channel_id: str) -> str:
    return f"{GOOGLE_UNWATCH}:channel:{channel_id}"


async def stop_later(
    session: AsyncSession, account_id: int, channel_id: str, resource_id: str, **extra: Any
) -> OutboxJob:
    """Stop a channel after the caller commits (a ``google.unwatch`` job)."""
    return await enqueue(
        session,
        GOOGLE_UNWATCH,
        ordering_key=unwatch_key(channel_id),
        account_id=account_id,
        channel_id=channel_id,
        resource_id=resource_id,
        **extra,
    )


async def request_unwatch(session: AsyncSession, sync: GoogleCalendarSync) -> None:
    """Stop the state's channel after the caller commits (no-op without one)."""
    if sync.channel_id is not None and sync.channel_resource_id is not None:
        await stop_later(session, sync.account_id, sync.channel_id, sync.channel_resource_id)


async def request_orphan_stop(
    session: AsyncSession, account_id: int, channel_id: str, resource_id: str, now: datetime
) -> None:
    """Stop a channel no calendar holds, ``ORPHAN_GRACE_SECONDS`` from now if still none does
    (once while a stop waits)."""
    if await mirror.has_pending_job(session, GOOGLE_UNWATCH, unwatch_key(channel_id)):
        return
    job = await stop_later(session, account_id, channel_id, resource_id, orphan=True)
    job.run_after = now + timedelta(seconds=ORPHAN_GRACE_SECONDS)
    await session.flush()


async def watch_calendar(session: AsyncSession, payload: CalendarPayload, ctx: Services) -> None:
    """Open a channel on the calendar (its first, or one replacing a channel close to its end:
    the schedule decides when, and asks once while a request waits)."""
    calendar_id = int(payload["calendar_id"])
    settings = ctx.settings
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
    client = calendar_client(ctx.google, EngineDatabase.of(session), connection, retries=0)
    channel_id = new_channel_id(account_id)
    token = channel_token(settings.secret_key, channel_id)
    expires = utcnow() + timedelta(seconds=settings.google_channel_ttl_seconds)
    body = {
        "id": channel_id,
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
        # Unlinked or linked elsewhere meanwhile: the channel we just opened is not wanted. It
        # is stopped now, with the grant in hand: the account may be deleted next.
        await session.commit()
        try:
            await client.stop_channel(channel_id, resource_id)
        except GoogleNotFound:
            return
        except GoogleError:
            await stop_later(session, account_id, channel_id, resource_id)
        return
    await request_unwatch(session, current)  # the channel this one replaces
    current.channel_id = channel_id
    current.channel_resource_id = resource_id
    current.channel_token_hash = token_hash(token)
    current.channel_expires_at = _expiration(channel.get("expiration")) or expires
    await session.flush()


def _expiration(value: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(str(value)) / 1000, UTC)
    except (TypeError, ValueError, OverflowError):
        return None


async def unwatch(session: AsyncSession, payload: dict[str, Any], ctx: Services) -> None:
    """Stop a channel; one Google no longer knows (expired, stopped) is done. An orphan's stop
    is dropped if a calendar has recorded the channel since (see the module's docstring)."""
    connection = await get_connection(session, int(payload["account_id"]))
    channel_id = str(payload["channel_id"])
    recorded = payload.get("orphan") and await mirror.sync_by_channel(session, channel_id)
    await session.commit()
    if recorded:
        return
    if connection is None or connection.status != ACTIVE:
        return  # nobody can stop it now: it ends at its expiration, and is refused meanwhile
    client = calendar_client(ctx.google, EngineDatabase.of(session), connection, retries=0)
    try:
        await client.stop_channel(channel_id, str(payload["resource_id"]))
    except GoogleNotFound:
        return
    except GoogleGrantRevoked:
        return
    except GooglePermanent as error:
        raise JobFailed(
            f"Google refused to stop the channel: {error.status} {error.reason or '-'}"
        ) from error
