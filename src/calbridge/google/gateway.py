"""The one way calbridge reaches Google over HTTP: timeouts, retries and error mapping.

Every call goes through :meth:`GoogleGateway.send`, which turns Google's answers and httpx's
exceptions into the tree of ``google.errors``. A call is retried (``retries`` more times, with
exponential backoff and full jitter, capped at ``MAX_BACKOFF_SECONDS``) only when the failure
is retryable; anything else is raised at once. The timeout is enforced with ``asyncio.timeout``
around each attempt as well as by httpx, so it also holds for in-process transports (which
ignore httpx's timeouts).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import httpx

from calbridge.google.errors import (
    GoogleError,
    GoogleGrantRevoked,
    GoogleNotFound,
    GooglePermanent,
    GoogleRetryable,
)
from calbridge.ops.metrics import count_google
from calbridge.outbox.backoff import FULL_JITTER, RetryPolicy
from calbridge.settings import Settings

RATE_LIMIT_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
MAX_BACKOFF_SECONDS = 2.0


@dataclass
class GoogleGateway:
    """Settings (endpoints, client, timeouts) and an optional transport. Tests pass
    ``httpx.ASGITransport(app=emulator.app)`` to run everything against the emulator in-process.
    Each ``calbridge.services.Services`` holds one (``services.google``)."""

    settings: Settings
    transport: httpx.AsyncBaseTransport | None = None
    _client: httpx.AsyncClient | None = field(default=None, init=False, repr=False)

    def http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                transport=self.transport, timeout=self.settings.google_timeout_seconds
            )
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def send(
        self, method: str, url: str, *, retries: int | None = None, **kwargs: Any
    ) -> httpx.Response:
        """One call, retried while retryable; the 2xx response, or a ``GoogleError``."""
        attempts = 1 + (self.settings.google_request_retries if retries is None else retries)
        for attempt in range(attempts):
            try:
                return await self._attempt(method, url, **kwargs)
            except GoogleRetryable:
                if attempt == attempts - 1:
                    raise
                await asyncio.sleep(self._backoff(attempt))
        raise AssertionError("unreachable")

    def _backoff(self, attempt: int) -> float:
        policy = RetryPolicy(
            base=self.settings.google_retry_backoff_seconds,
            cap=MAX_BACKOFF_SECONDS,
            jitter=FULL_JITTER,
        )
        return policy.seconds(attempt + 1) or 0.0

    async def _attempt(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        operation = operation_of(self.settings, method, url)
        try:
            response = await self._request(method, url, **kwargs)
        except GoogleError as error:
            count_google(operation, _outcome(error))
            raise
        count_google(operation, "ok")
        return response

    async def _request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            async with asyncio.timeout(self.settings.google_timeout_seconds):
                response = await self.http().request(method, url, **kwargs)
        except (TimeoutError, httpx.TimeoutException) as error:
            raise GoogleRetryable(f"Google did not answer in time: {error!r}") from error
        except httpx.TransportError as error:
            # Connection refused or reset, or a response cut off (RemoteProtocolError).
            raise GoogleRetryable(f"Google could not be reached: {error!r}") from error
        if response.is_success:
            return response
        raise error_from_response(response)


def operation_of(settings: Settings, method: str, url: str) -> str:
    """The Google API method a request calls (``events.insert``, ``oauth.token``, …): the
    ``operation`` label of ``calbridge_google_requests_total``."""
    base = url.partition("?")[0]
    named = {
        settings.google_token_url: "oauth.token",
        settings.google_revoke_url: "oauth.revoke",
        settings.google_userinfo_url: "oauth.userinfo",
    }
    if base in named:
        return named[base]
    calendar = settings.google_calendar_base_url.rstrip("/")
    if not base.startswith(calendar + "/"):
        return "other"
    parts = base[len(calendar) + 1 :].split("/")
    if parts[0] == "freeBusy":
        return "freebusy.query"
    if parts[0] == "channels":
        return "channels.stop"
    if parts[:3] == ["users", "me", "calendarList"]:
        return "calendarList.list"
    if len(parts) >= 3 and parts[0] == "calendars" and parts[2] == "events":
        if parts[-1] == "watch":
            return "events.watch"
        verbs = _COLLECTION_VERBS if len(parts) == 3 else _ITEM_VERBS
        return verbs.get(method.upper(), "events.other")
    return "other"


_COLLECTION_VERBS = {"GET": "events.list", "POST": "events.insert"}
_ITEM_VERBS = {
    "GET": "events.get",
    "PATCH": "events.patch",
    "PUT": "events.update",
    "DELETE": "events.delete",
}


def _outcome(error: GoogleError) -> str:
    if isinstance(error, GoogleRetryable):
        return "unavailable"  # 5xx, 429, rate limits, timeouts, connection failures
    if isinstance(error, GoogleGrantRevoked):
        return "grant_revoked"
    if isinstance(error, GoogleNotFound):
        return "not_found"
    return "rejected"


def error_from_response(response: httpx.Response) -> GoogleError:
    """Google's error envelope (Calendar) or RFC 6749 error (OAuth) as a ``GoogleError``."""
    status = response.status_code
    reason, message = _reason_and_message(response)
    if status == 429 or status >= 500 or (status == 403 and reason in RATE_LIMIT_REASONS):
        return GoogleRetryable(message, status=status, reason=reason)
    if reason == "invalid_grant":
        return GoogleGrantRevoked(message, status=status, reason=reason)
    if status == 404 or (status == 410 and reason == "deleted"):
        return GoogleNotFound(message, status=status, reason=reason)
    return GooglePermanent(message, status=status, reason=reason)


def _reason_and_message(response: httpx.Response) -> tuple[str, str]:
    try:
        body = response.json()
    except ValueError:
        return "", f"HTTP {response.status_code}"
    if not isinstance(body, dict):
        return "", f"HTTP {response.status_code}"
    error = body.get("error")
    if isinstance(error, dict):  # Calendar: {"error": {"code", "message", "errors": [...]}}
        errors = error.get("errors")
        first = errors[0] if isinstance(errors, list) and errors else {}
        reason = first.get("reason", "") if isinstance(first, dict) else ""
        return str(reason), str(error.get("message", f"HTTP {response.status_code}"))
    if isinstance(error, str):  # OAuth: {"error": "invalid_grant", "error_description": ...}
        return error, str(body.get("error_description", error))
    return "", f"HTTP {response.status_code}"
