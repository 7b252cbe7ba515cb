"""What Google's failures mean to an outbox job that calls Google (sync, pull, watch).

- a revoked grant (``invalid_grant``) or a missing/broken connection: the job waits for a
  reconnect (``JobDeferred``, no attempt spent), looking again every ``RECONNECT_WAIT_SECONDS``;
- any other refusal (4xx): retrying cannot help, the job fails at once (``JobFailed``) with
  Google's status, reason and message kept;
- rate limits, 5xx, timeouts, lost connections pass through: the worker retries with backoff.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from calbridge.google.errors import GoogleGrantRevoked, GooglePermanent
from calbridge.outbox.service import JobDeferred, JobFailed

RECONNECT_WAIT_SECONDS = 60.0


def not_connected(account_id: int) -> JobDeferred:
    return JobDeferred(
        f"Google account {account_id} is not connected; reconnect it",
        seconds=RECONNECT_WAIT_SECONDS,
    )


@contextmanager
def google_refusals(what: str) -> Iterator[None]:
    """Map Google's refusals inside the block as above; ``what`` starts the failure's message
    (e.g. "Google refused the call")."""
    try:
        yield
    except GoogleGrantRevoked as error:
        raise JobDeferred(
            f"Google refused the account's grant ({error.message}); reconnect it",
            seconds=RECONNECT_WAIT_SECONDS,
        ) from error
    except GooglePermanent as error:
        raise JobFailed(f"{what}: {error.status} {error.reason or '-'}: {error.message}") from error
