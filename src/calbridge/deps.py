"""Request dependencies: the database session (one commit per request) and the token's subject."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from calbridge.auth import service as auth_service
from calbridge.auth.scopes import Scope
from calbridge.db import Database
from calbridge.errors import InsufficientScope, NotFound, Unauthenticated
from calbridge.workspace.models import Workspace

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


async def _request_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's session. It commits once, after the endpoint returns and before the
    response is sent, so a client that sees a 2xx can rely on the change being durable."""
    database = get_database(request)
    async with database.session(write=request.method not in READ_METHODS) as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        await session.commit()


SessionDep = Annotated[AsyncSession, Depends(_request_session, scope="function")]


@dataclass(frozen=True)
class Subject:
    """Who is asking: the workspace their token belongs to, and what the token may do."""

    token_id: int
    workspace: Workspace
    scopes: frozenset[str]
    token_name: str | None = None  # the actor of the changes it makes (event history)

    @property
    def is_admin(self) -> bool:
        """calendars:admin: may book inside notice, advance and cancellation windows."""
        return Scope.ADMIN.value in self.scopes

    def require(self, scope: Scope) -> None:
        if scope.value not in self.scopes:
            raise InsufficientScope(scope.value)


def bearer_secret(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise Unauthenticated()
    return secret.strip()


async def authenticate(request: Request, session: AsyncSession) -> Subject:
    """The token's subject, looked up in the request's own session (one connection a request).

    ``last_used_at`` is refreshed at most once a minute per token: in a write request's session,
    which holds the write turn already; after a read, in a short write of its own that a busy
    database declines rather than waits for (a hint is never worth a delay or a failure).
    """
    found = await auth_service.find_live_token(session, bearer_secret(request))
    if found is None:
        raise Unauthenticated("The bearer token is unknown, revoked or expired.")
    token, workspace = found
    if auth_service.needs_touch(token):
        if request.method in READ_METHODS:
            with contextlib.suppress(OperationalError):
                async with get_database(request).transaction_nowait() as write_session:
                    await auth_service.touch(write_session, token.id)
        else:
            await auth_service.touch(session, token.id)
    return Subject(
        token_id=token.id,
        workspace=workspace,
        scopes=frozenset(token.scopes),
        token_name=token.name,
    )


def workspace_subject(scope: Scope) -> Callable[..., Coroutine[Any, Any, Subject]]:
    """A dependency for routes under /api/v2/w/{workspace_uuid}: authenticates, then answers 404
    for any workspace but the token's own (never 403: another workspace's existence stays hidden),
    then checks the scope."""

    async def dependency(workspace_uuid: str, request: Request, session: SessionDep) -> Subject:
        subject = await authenticate(request, session)
        if subject.workspace.uuid != workspace_uuid:
            raise NotFound("Workspace")
        subject.require(scope)
        return subject

    return dependency


ReadSubject = Annotated[Subject, Depends(workspace_subject(Scope.READ))]
WriteSubject = Annotated[Subject, Depends(workspace_subject(Scope.WRITE))]
AdminSubject = Annotated[Subject, Depends(workspace_subject(Scope.ADMIN))]
