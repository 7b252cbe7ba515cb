"""How long a failed job waits before its next attempt: pure, so it is tested without a database.

The delay doubles with each attempt from ``base`` up to ``cap``, with *equal jitter*: half of the
delay is kept and the other half is random. Jitter spreads out retries of many jobs that failed
together (a Google outage), and keeping half means that, until the cap, each wait is at least
as long as the previous one, so a job that keeps failing backs off steadily.
"""

from __future__ import annotations

import random
from collections.abc import Callable


def backoff_seconds(
    attempt: int,
    *,
    base: float,
    cap: float,
    rand: Callable[[], float] = random.random,
) -> float:
    """The wait after failed attempt number ``attempt`` (1 for the first failure).

    ``rand`` returns a number in [0, 1); the result lies in [delay / 2, delay) where
    ``delay = min(cap, base * 2 ** (attempt - 1))``.
    """
    if attempt < 1:
        raise ValueError("attempt counts from 1")
    # Cap the exponent first so a job at attempt 2000 does not overflow a float.
    delay = min(cap, base * 2.0 ** min(attempt - 1, 64))
    half = delay / 2
    return half + half * rand()
