"""Sending one webhook attempt, signed per Standard Webhooks (the ``standardwebhooks`` library).

Headers: ``webhook-id`` (the delivery's id, the same on every retry, so receivers can drop
duplicates), ``webhook-timestamp`` (this attempt's time, Unix seconds) and ``webhook-signature``
(``v1,`` + HMAC-SHA256 over ``id.timestamp.body``). The request goes to the address the SSRF
guard vetted (``ssrf.py``), never follows redirects, and is cut off after the timeout however
slowly the receiver trickles its answer.
"""

from __future__ import annotations

import asyncio
import functools
import ssl
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import certifi
import httpx
from standardwebhooks import Webhook

from calbridge.rules import ssrf

MAX_BODY_CHARS = 2000
Outcome = Literal["succeeded", "retry", "gone"]


@dataclass(frozen=True)
class Attempt:
    outcome: Outcome
    url: str
    response_status: int | None = None
    response_body: str | None = None
    error: str | None = None
    duration_ms: int = 0


def payload(
    *,
    rule_id: int,
    trigger: str,
    event_id: int,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    at: datetime,
) -> dict[str, Any]:
    """The JSON body: Standard Webhooks' ``type`` / ``timestamp`` / ``data`` envelope. ``data``
    has the event after the change (before it, for a deletion) and, for updates, as it was."""
    data: dict[str, Any] = {
        "ruleId": rule_id,
        "change": trigger,
        "eventId": event_id,
        "event": after if after is not None else before,
    }
    if trigger == "event.updated":
        data["before"] = before
    return {"type": trigger, "timestamp": at.isoformat(), "data": data}


def sign(secret: str, delivery_id: str, at: datetime, body: str) -> dict[str, str]:
    return {
        "webhook-id": delivery_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(delivery_id, at, body),
    }


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """One verifying TLS context for every delivery: loading the CA bundle costs tens of
    milliseconds, too much to pay per attempt. (Each client still connects afresh, to the
    address vetted for that attempt.)"""
    return ssl.create_default_context(cafile=certifi.where())


async def send(
    url: str,
    *,
    delivery_id: str,
    body: str,
    secret: str,
    timeout: float,  # noqa: ASYNC109 (a per-attempt budget, not a cancellation scope)
    resolver: ssrf.Resolver,
    allowed_hosts: Iterable[str],
) -> Attempt:
    """One attempt. Never raises for what the network or the receiver does: the outcome says
    whether to stop (succeeded; gone = 410, the action is disabled) or to retry."""
    started = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        target = await ssrf.vet(url, resolver=resolver, allowed_hosts=allowed_hosts)
    except ssrf.Refused as refused:
        return Attempt("retry", url, error=f"refused: {refused}", duration_ms=elapsed())
    headers = {
        "content-type": "application/json",
        "user-agent": "calbridge-webhooks/1",
        "host": target.url.netloc.decode("ascii"),
        **sign(secret, delivery_id, datetime.now(UTC), body),
    }
    extensions = {"sni_hostname": target.host} if target.url.scheme == "https" else {}
    try:
        async with (
            asyncio.timeout(timeout),
            httpx.AsyncClient(
                follow_redirects=False, trust_env=False, timeout=timeout, verify=_tls_context()
            ) as client,
            client.stream(
                "POST",
                target.pinned_url(),
                content=body.encode(),
                headers=headers,
                extensions=extensions,
            ) as response,
        ):
            text = await _read_some(response)
    except TimeoutError:
        return Attempt("retry", url, error=f"timed out after {timeout:g} s", duration_ms=elapsed())
    except httpx.HTTPError as error:
        message = f"{type(error).__name__}: {error}"
        return Attempt("retry", url, error=message, duration_ms=elapsed())
    status = response.status_code
    if 200 <= status < 300:
        return Attempt("succeeded", url, status, text, None, elapsed())
    if status == 410:
        return Attempt("gone", url, status, text, "410 Gone: the webhook is disabled", elapsed())
    if 300 <= status < 400:
        location = response.headers.get("location", "")
        note = f"redirect to {location!r} not followed"
        return Attempt("retry", url, status, text, note, elapsed())
    return Attempt("retry", url, status, text, f"the receiver answered {status}", elapsed())


async def _read_some(response: httpx.Response) -> str:
    """At most about MAX_BODY_CHARS of the answer; the rest is not even read."""
    data = b""
    async for chunk in response.aiter_bytes():
        data += chunk
        if len(data) >= MAX_BODY_CHARS * 4:
            break
    return data.decode("utf-8", "replace")[:MAX_BODY_CHARS]
