"""``Idempotency-Key`` for POST requests (CONTRACT §3.3).

The first request with a key records it as in progress (its own short transaction), runs, and
stores its response; the same key with the same body within the TTL replays that response with
``Idempotent-Replayed: true``; a different body → 422 ``idempotency_key_reused``; a request whose
twin is still running → 409 ``idempotency_in_progress``. 5xx responses are not kept, so a retry
after a server error runs again. Keys belong to the token that sent them.

The response is stored just after the request's own transaction commits. Should the process die
in between, the key stays "in progress" until ``idempotency_lock_seconds`` pass; a retry before
that gets 409, after it the request runs again.

Expired keys are deleted as new keys are claimed, a bounded batch at a time, so the table holds
about one TTL's worth of keys rather than every key ever sent.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from calbridge.auth import service as auth_service
from calbridge.db import Database, utcnow
from calbridge.errors import Problem
from calbridge.http import problem_response
from calbridge.idempotency import repository
from calbridge.idempotency.models import IdempotencyKey
from calbridge.settings import Settings

HEADER = b"idempotency-key"
REPLAYED = "Idempotent-Replayed"


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp, database: Database, settings: Settings) -> None:
        self.app = app
        self.database = database
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers", [])) if scope["type"] == "http" else {}
        key_bytes = headers.get(HEADER)
        if scope["type"] != "http" or scope["method"] != "POST" or key_bytes is None:
            await self.app(scope, receive, send)
            return
        key = key_bytes.decode("latin-1").strip()
        if not 1 <= len(key) <= 255:
            await self._problem(
                scope,
                receive,
                send,
                422,
                "validation_error",
                "Idempotency-Key must be 1 to 255 characters.",
            )
            return
        try:
            body = await _read_body(receive)
        except StarletteHTTPException as error:
            await self._problem(
                scope, receive, send, error.status_code, "payload_too_large", str(error.detail)
            )
            return
        token_scope = await self._token_scope(headers.get(b"authorization", b""))
        if token_scope is None:  # not authenticated: the app answers 401, nothing to remember
            await self.app(scope, _replay(body), send)
            return
        fingerprint = hashlib.sha256(
            b"\0".join(
                [
                    scope["method"].encode(),
                    scope["path"].encode(),
                    scope.get("query_string", b""),
                    body,
                ]
            )
        ).hexdigest()
        claim = await self._claim(token_scope, key, fingerprint)
        if isinstance(claim, IdempotencyKey):
            await _send_stored(claim, send)
            return
        if claim is not None:
            status, code, detail = claim
            await self._problem(scope, receive, send, status, code, detail)
            return
        await self._run_and_store(scope, body, send, token_scope, key)

    async def _token_scope(self, authorization: bytes) -> str | None:
        scheme, _, secret = authorization.decode("latin-1").partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            return None
        async with self.database.session(write=False) as session:
            found = await auth_service.find_live_token(session, secret.strip())
        return None if found is None else str(found[0].id)

    async def _claim(
        self, token_scope: str, key: str, fingerprint: str
    ) -> IdempotencyKey | tuple[int, str, str] | None:
        """None when this request may run; the stored key to replay; or the problem to answer."""
        now = utcnow()
        for _ in range(2):
            try:
                async with self.database.transaction() as session:
                    existing = await repository.lock_key(session, token_scope, key)
                    if existing is not None and existing.expires_at <= now:
                        await session.delete(existing)
                        await session.flush()
                        existing = None
                    if existing is None:
                        await repository.purge_expired(session, now)
                        session.add(
                            IdempotencyKey(
                                scope=token_scope,
                                key=key,
                                fingerprint=fingerprint,
                                created_at=now,
                                expires_at=now
                                + timedelta(seconds=self.settings.idempotency_ttl_seconds),
                            )
                        )
                        return None
                    if existing.fingerprint != fingerprint:
                        return (
                            422,
                            "idempotency_key_reused",
                            "This Idempotency-Key was used with a different request.",
                        )
                    if existing.response_status is not None:
                        return existing
                    stale = now - timedelta(seconds=self.settings.idempotency_lock_seconds)
                    if existing.created_at <= stale:
                        existing.created_at = now  # its first request died; this one takes over
                        return None
                    return (
                        409,
                        "idempotency_in_progress",
                        "A request with this Idempotency-Key is still in progress.",
                    )
            except IntegrityError:
                continue  # a twin inserted the key first; look again
        return (
            409,
            "idempotency_in_progress",
            "A request with this Idempotency-Key is still in progress.",
        )

    async def _run_and_store(
        self, scope: Scope, body: bytes, send: Send, token_scope: str, key: str
    ) -> None:
        start: Message = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        try:
            await self.app(scope, _replay(body), capture)
        except BaseException:
            async with self.database.transaction() as session:
                await repository.drop_key(session, token_scope, key)
            raise
        status = int(start.get("status", 500))
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in start.get("headers", [])]
        content = b"".join(chunks)
        async with self.database.transaction() as session:
            if status >= 500:
                await repository.drop_key(session, token_scope, key)
            else:
                await repository.store_response(
                    session, token_scope, key, status=status, headers=headers, body=content
                )
        await send(start)
        await send({"type": "http.response.body", "body": content})

    async def _problem(
        self, scope: Scope, receive: Receive, send: Send, status: int, code: str, detail: str
    ) -> None:
        titles = {409: "Conflict", 413: "Content Too Large", 422: "Unprocessable Content"}
        problem = Problem(
            title=titles.get(status, "Error"), status=status, code=code, detail=detail
        )
        await problem_response(problem)(scope, receive, send)


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive


async def _send_stored(stored: IdempotencyKey, send: Send) -> None:
    headers = [
        (name.encode("latin-1"), value.encode("latin-1"))
        for name, value in (stored.response_headers or [])
    ]
    headers.append((REPLAYED.lower().encode(), b"true"))
    await send(
        {"type": "http.response.start", "status": stored.response_status, "headers": headers}
    )
    await send({"type": "http.response.body", "body": stored.response_body or b""})
