"""What rule jobs need from outside that the worker does not hand to a handler: the settings,
the DNS resolver and the clock. Production uses the defaults; tests ``configure`` their own
(a resolver that answers what the test wants, a clock shared with the test's worker)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from calbridge.db import utcnow
from calbridge.rules.ssrf import Resolver, system_resolver
from calbridge.settings import Settings, get_settings


@dataclass(frozen=True)
class Runtime:
    settings: Settings = field(default_factory=get_settings)
    resolver: Resolver = system_resolver
    clock: Callable[[], datetime] = utcnow


_current: Runtime | None = None


def current() -> Runtime:
    global _current
    if _current is None:
        _current = Runtime()
    return _current


def configure(runtime: Runtime | None) -> None:
    """Use ``runtime`` from now on (None: back to the defaults)."""
    global _current
    _current = runtime
