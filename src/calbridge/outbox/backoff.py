"""How long a failed attempt waits before the next one: pure, so it is tested without a database.

One implementation, ``RetryPolicy.seconds``, for every retry calbridge makes: failed jobs (the
worker, with the settings' ``job_backoff_*`` unless the kind has a policy of its own), webhook
and email deliveries (a fixed schedule, ``rules.actions.delivery.DELIVERY_RETRIES``) and the
Google gateway's retries within one call.

The delay doubles with each attempt from ``base`` up to ``cap`` (or follows ``schedule``), and
is then scaled by a random factor in ``jitter``. Jobs use *equal jitter* (half of the delay is
kept, the other half is random): it spreads out retries of many jobs that failed together (a
Google outage), and keeping half means that, until the cap, each wait is at least as long as the
previous one, so a job that keeps failing backs off steadily.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

EQUAL_JITTER = (0.5, 1.0)
FULL_JITTER = (0.0, 1.0)


@dataclass(frozen=True)
class RetryPolicy:
    """Seconds to wait after failed attempt number ``attempt``: ``schedule[attempt - 1]`` when
    a schedule is given (None once it is used up), else ``min(cap, base * 2 ** (attempt - 1))``;
    times a factor drawn from ``jitter`` (low, high)."""

    base: float = 0.0
    cap: float = 0.0
    schedule: tuple[float, ...] = ()
    jitter: tuple[float, float] = EQUAL_JITTER

    def seconds(self, attempt: int, rand: Callable[[], float] = random.random) -> float | None:
        """``rand`` returns a number in [0, 1)."""
        if attempt < 1:
            raise ValueError("attempt counts from 1")
        if self.schedule:
            if attempt > len(self.schedule):
                return None
            delay = self.schedule[attempt - 1]
        else:
            # Cap the exponent first so a job at attempt 2000 does not overflow a float.
            delay = min(self.cap, self.base * 2.0 ** min(attempt - 1, 64))
        low, high = self.jitter
        return delay * (low + (high - low) * rand())


def backoff_seconds(
    attempt: int,
    *,
    base: float,
    cap: float,
    rand: Callable[[], float] = random.random,
) -> float:
    """The wait after failed attempt number ``attempt`` (1 for the first failure), with equal
    jitter: the result lies in [delay / 2, delay) where ``delay = min(cap, base * 2 ** (attempt -
    1))``."""
    seconds = RetryPolicy(base=base, cap=cap).seconds(attempt, rand)
    assert seconds is not None
    return seconds
