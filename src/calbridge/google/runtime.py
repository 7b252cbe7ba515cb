"""The Google gateway that work outside an HTTP request uses: the sync jobs in the worker, and the
booking rules' ``googleConflictCheck`` (which the event service runs without a handle on the app).

Production uses one gateway made from ``get_settings()`` on first use; tests and benchmarks
``configure`` their own (e.g. one whose transport is the in-process emulator).
"""

from __future__ import annotations

from calbridge.google.gateway import GoogleGateway
from calbridge.settings import get_settings

_configured: GoogleGateway | None = None
_default: GoogleGateway | None = None


def gateway() -> GoogleGateway:
    global _default
    if _configured is not None:
        return _configured
    if _default is None:
        _default = GoogleGateway(get_settings())
    return _default


def configure(gateway: GoogleGateway | None) -> None:
    """Use ``gateway`` from now on (None: back to the one made from the settings)."""
    global _configured
    _configured = gateway
