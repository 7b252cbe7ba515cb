"""``POST /google/notifications``: where Google pushes a linked calendar's changes.

Public (Google sends no bearer token): a message is accepted only for a channel calbridge opened
and still holds, with that channel's resource id and token (the token is compared with the stored
hash in constant time). Unknown or stopped channel → 404 (Google then stops retrying it); a
wrong token or resource id → 403 ``invalid_channel_token``. An **orphan** (a channel calbridge
opened, as its token proves, but holds no record of: ``channels.orphan_account``) is answered
204 and its channel stopped (``channels.request_orphan_stop``).

The answer is fast: the work is a ``google.pull`` job, coalesced (one per calendar while it waits
to start). The check, and the common case of a pull already waiting, need only a read; only
enqueueing takes a write transaction. ``sync`` messages (the first one of a channel) ask for
nothing and are acknowledged unchecked (one may arrive before the channel is recorded). The
message number is not used: every pull lists all changes since the last sync token, so a lost,
repeated or reordered message changes nothing but the number of pulls.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from calbridge.db import utcnow
from calbridge.deps import get_database
from calbridge.errors import Forbidden, NotFound, problem_responses
from calbridge.google import channels, mirror
from calbridge.google.job_requests import GOOGLE_PULL, pull_key, request_pull

router = APIRouter()

CHANGE_STATES = ("exists", "not_exists")


@router.post(
    "/google/notifications",
    status_code=204,
    response_class=Response,
    responses=problem_responses(403, 404),
    tags=["google"],
    operation_id="receiveGoogleNotification",
)
async def receive_google_notification(request: Request) -> Response:
    """A push notification from Google Calendar (``X-Goog-*`` headers, empty body)."""
    channel_id = request.headers.get("X-Goog-Channel-ID") or ""
    state = request.headers.get("X-Goog-Resource-State") or ""
    if state not in CHANGE_STATES:
        # A channel's first message (``sync``) can come before its watch call has returned and
        # the channel is recorded; it asks for nothing, so it is acknowledged unchecked.
        return Response(status_code=204)
    database = get_database(request)
    async with database.session(write=False) as session:
        sync = await mirror.sync_by_channel(session, channel_id) if channel_id else None
        if sync is None:
            return await _orphan(request, channel_id)
        if not channels.check_token(
            sync, request.headers.get("X-Goog-Channel-Token")
        ) or sync.channel_resource_id != request.headers.get("X-Goog-Resource-ID"):
            raise Forbidden(
                "The notification's channel token does not match.", code="invalid_channel_token"
            )
        calendar_id = sync.calendar_id
        waiting = await mirror.has_pending_job(session, GOOGLE_PULL, pull_key(calendar_id))
    if not waiting:
        async with database.transaction() as session:
            await request_pull(session, calendar_id)
    return Response(status_code=204)


async def _orphan(request: Request, channel_id: str) -> Response:
    """A channel calbridge holds no record of: stopped if calbridge made it, else 404."""
    secret_key = request.app.state.settings.secret_key
    token = request.headers.get("X-Goog-Channel-Token")
    account_id = channels.orphan_account(secret_key, channel_id, token)
    resource_id = request.headers.get("X-Goog-Resource-ID")
    if account_id is None or not resource_id:
        raise NotFound("Channel")
    async with get_database(request).transaction() as session:
        await channels.request_orphan_stop(session, account_id, channel_id, resource_id, utcnow())
    return Response(status_code=204)
