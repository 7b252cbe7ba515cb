"""The one context calbridge runs with: ``Services``.

``create_app`` builds one for the app (requests reach it through ``ServicesDep``), and
``calbridge worker`` (and every other entry point that runs jobs) builds one for its workers
(handlers get it as their ``ctx`` argument). Nothing else keeps settings, the Google gateway,
the key ring, the DNS resolver or the clock in module state, so two apps with different
settings in one process each use their own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request

from calbridge.crypto import TokenCipher
from calbridge.db import Database, utcnow
from calbridge.google.gateway import GoogleGateway
from calbridge.google_sync.busy import GoogleBusyTime
from calbridge.rules.ssrf import Resolver, system_resolver
from calbridge.settings import Settings


@dataclass(frozen=True)
class Services:
    """Settings, the database, the Google gateway, the key ring that encrypts tokens and
    webhook secrets, the resolver webhook targets are checked with, and the clock jobs read."""

    settings: Settings
    database: Database
    google: GoogleGateway
    cipher: TokenCipher
    resolver: Resolver = system_resolver
    clock: Callable[[], datetime] = utcnow

    @classmethod
    def build(
        cls,
        settings: Settings,
        *,
        database: Database | None = None,
        google: GoogleGateway | None = None,
        resolver: Resolver = system_resolver,
        clock: Callable[[], datetime] = utcnow,
    ) -> Services:
        """Everything made from ``settings`` unless given (tests pass a shared database, a
        gateway on the emulator, a resolver and a clock of their own)."""
        return cls(
            settings=settings,
            database=database or Database(settings.database_url, schema=settings.database_schema),
            google=google or GoogleGateway(settings),
            cipher=TokenCipher.from_settings(settings),
            resolver=resolver,
            clock=clock,
        )

    @property
    def busy_source(self) -> GoogleBusyTime:
        """The busy time bookings respect beyond their own calendar's events (the event
        domain's ``BusyTimeSource``): a linked Google calendar's, through ``google``."""
        return GoogleBusyTime(self.google)


def services_of(request: Request) -> Services:
    """The app's context (``create_app`` puts it on ``app.state.services``)."""
    services = request.app.state.services
    assert isinstance(services, Services)
    return services


ServicesDep = Annotated[Services, Depends(services_of)]
