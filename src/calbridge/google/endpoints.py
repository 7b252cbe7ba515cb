"""The account calendar API (CONTRACT §4) and the OAuth callback.

The account routes do not use the request session of ``calbridge.deps``: they check everything
in one short session (authentication, account, scope, connection, flag; in the contract's
precedence), close it, and only then call Google. So no database transaction, and on SQLite no
write lock, is held while Google answers (or times out); a refreshed token or a ``broken`` mark
is written in a short transaction of its own (``google.credentials``).

Precedence: 401 unauthenticated → 404 account missing or of another workspace → 403 scope →
404 not connected (``google_calendar_used`` off, no connection, or a broken one) → 403 flag off
→ 422 validation (query and body are checked after the guard) → 404 event → 503
``google_unavailable``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import partial
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from calbridge.account import repository as account_repository
from calbridge.account.models import Account
from calbridge.auth.scopes import Scope
from calbridge.deps import READ_METHODS, authenticate, get_database
from calbridge.errors import (
    CalbridgeError,
    FieldError,
    MalformedJson,
    NotFound,
    ValidationProblem,
    problem_responses,
)
from calbridge.google import account_calendar, browser
from calbridge.google.client import GoogleCalendarClient
from calbridge.google.connections import get_connection
from calbridge.google.errors import GoogleNotConnected, GooglePermissionDisabled, OAuthFlowError
from calbridge.google.models import ACTIVE, GoogleConnection
from calbridge.google.oauth import (
    Granted,
    PendingConnect,
    consume_state,
    exchange,
    return_path,
    store_connection,
)
from calbridge.google.schemas import CreateEntry, EntryDetailBody, EntryList
from calbridge.google.service import calendar_client
from calbridge.messages import human_message
from calbridge.outside import call_outside
from calbridge.schemas import MAX_ID, Digits
from calbridge.services import services_of
from calbridge.timezones import NonexistentLocalTime

router = APIRouter(tags=["account calendar"])


@dataclass(frozen=True)
class AccountCalendar:
    account: Account
    connection: GoogleConnection
    client: GoogleCalendarClient


def _account_id(raw: str) -> int | None:
    """The account id in the path, or None (→ 404) for anything no account can have."""
    if not (raw.isascii() and raw.isdigit() and 0 < len(raw) <= 19):
        return None
    value = int(raw)
    return value if 1 <= value <= MAX_ID else None


def _guard(scope: Scope, flag: Literal["read", "write"]) -> Any:
    async def dependency(account: str, request: Request) -> AccountCalendar:
        database = get_database(request)
        async with database.session(write=request.method not in READ_METHODS) as session:
            subject = await authenticate(request, session)
            account_id = _account_id(account)
            found = None
            if account_id is not None:
                found = await account_repository.get_account(
                    session, subject.workspace.id, account_id
                )
            if found is None:
                raise NotFound("Account")
            subject.require(scope)
            connection = await get_connection(session, found.id)
            if not found.google_calendar_used or connection is None or connection.status != ACTIVE:
                raise GoogleNotConnected()
            enabled = found.google_read_enabled if flag == "read" else found.google_write_enabled
            if not enabled:
                raise GooglePermissionDisabled(flag)
            await session.commit()
        client = calendar_client(services_of(request).google, database, connection)
        return AccountCalendar(found, connection, client)

    return dependency


ReadAccount = Annotated[AccountCalendar, Depends(_guard(Scope.READ, "read"))]
# Google's event ids are base32hex, with ``_`` and upper-case letters in recurring instances'
# ids (``abc_20270105T090000Z``): nothing that could be a path segment of its own (``..``).
GoogleEventId = Annotated[
    str, Path(pattern=r"^[A-Za-z0-9_-]{1,1024}$", description="A Google Calendar event id")
]
WriteAccount = Annotated[AccountCalendar, Depends(_guard(Scope.WRITE, "write"))]


@router.get(
    "/api/{account}/calendar",
    response_model=EntryList,
    responses=problem_responses(401, 403, 404, 422, 503),
)
async def list_calendar_entries(
    target: ReadAccount,
    page: Annotated[Digits, Query(ge=1)] = 1,
    per_page: Annotated[Digits, Query(ge=1, description="capped at 50")] = 15,
) -> EntryList:
    """Upcoming entries of the account's primary Google Calendar, soonest first
    (docs/google.md: horizon one year, at most 2500 counted)."""
    return await account_calendar.list_upcoming(target.client, page=page, per_page=per_page)


@router.get(
    "/api/{account}/calendar/{event_id}",
    response_model=EntryDetailBody,
    responses=problem_responses(401, 403, 404, 503),
)
async def get_calendar_entry(target: ReadAccount, event_id: GoogleEventId) -> EntryDetailBody:
    """One entry of the account's primary Google Calendar, in full."""
    return EntryDetailBody(data=await account_calendar.get_entry(target.client, event_id))


def _create_body(raw: bytes) -> CreateEntry:
    try:
        data = json.loads(raw) if raw else None
    except json.JSONDecodeError as error:
        raise MalformedJson(
            f"The request body is not valid JSON: {error.msg} at line {error.lineno}, "
            f"column {error.colno} (character {error.pos})."
        ) from None
    except ValueError:  # not UTF-8
        raise MalformedJson("The request body is not UTF-8 text.") from None
    except RecursionError:  # deeper than the parser's stack: no entry nests like that
        raise ValidationProblem("The body's JSON nests too deeply.", field="body") from None
    try:
        entry = CreateEntry.model_validate(data)
    except ValidationError as error:
        errors = [
            FieldError(
                field=".".join(map(str, item["loc"])) or "body",
                message=human_message(dict(item)),
            )
            for item in error.errors()
        ]
        detail = "; ".join(f"{e.field}: {e.message}" for e in errors[:5])
        raise ValidationProblem(detail, errors=errors) from None
    try:
        start, end = entry.start.instant(), entry.end.instant()
    except NonexistentLocalTime as error:
        raise ValidationProblem(str(error), code="nonexistent_local_time") from None
    if end <= start:
        raise ValidationProblem("end must be after start", field="end")
    return entry


@router.post(
    "/api/{account}/calendar",
    status_code=201,
    response_model=EntryDetailBody,
    responses=problem_responses(401, 403, 404, 422, 503),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": CreateEntry.model_json_schema()}},
        }
    },
)
async def create_calendar_entry(target: WriteAccount, request: Request) -> EntryDetailBody:
    """Create an entry in the account's primary Google Calendar."""
    entry = _create_body(await request.body())
    return EntryDetailBody(data=await account_calendar.create_entry(target.client, entry))


def _error_code(error: str) -> str:
    # Shown to the admin: an RFC 6749 error code, not whatever text a crafted link carries.
    plain = error.isascii() and error.replace("_", "").isalnum() and len(error) <= 64
    return error if plain else "error"


@router.get("/google/oauth/callback", include_in_schema=False)
async def google_oauth_callback(
    request: Request, state: str = "", code: str = "", error: str = ""
) -> Response:
    """Google sends the admin's browser here after consent (see ``google.browser``).

    Three steps, none of which holds a transaction while Google answers (``google.oauth``): the
    state is consumed and committed, the code exchanged, the connection stored. A failure is
    answered as a small HTML page to a browser, and as problem+json to an API client."""
    binding = browser.read_binding(request)
    gateway = services_of(request).google
    database = get_database(request)
    back: str | None = None

    async def consume(session: AsyncSession) -> PendingConnect:
        nonlocal back
        back = await return_path(session, state)
        if error:  # e.g. access_denied: the admin pressed Cancel at Google
            raise OAuthFlowError(f"Google did not grant access ({_error_code(error)}).")
        pending = await consume_state(session, state=state, binding=binding, gateway=gateway)
        if not code:
            raise OAuthFlowError("Google sent no authorization code.")
        return pending  # committed: the state is used up now, whatever Google answers next

    async def store(session: AsyncSession, _pending: PendingConnect, granted: Granted) -> None:
        await store_connection(session, granted, gateway=gateway)

    try:
        async with database.transaction() as session:
            await call_outside(session, consume, partial(exchange, gateway, code=code), store)
    except CalbridgeError as failure:
        return browser.failure_response(request, failure, back=back)
    target = back or "/admin"
    separator = "&" if "?" in target else "?"
    response = RedirectResponse(f"{target}{separator}{urlencode({'google': 'connected'})}", 303)
    browser.clear_binding_cookie(response)
    return response
