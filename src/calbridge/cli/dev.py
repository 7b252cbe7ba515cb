"""``calbridge dev``: the embedded demo — SQLite, the in-process worker, the local Google
emulator, a demo workspace with a calendar synced to it, a member and an event, an admin sign-in,
a fresh token and working curls."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
import uvicorn

from calbridge.cli import local_google
from calbridge.cli.demo import ADMIN_EMAIL, Demo, LocalGoogleGrant, prepare
from calbridge.cli.dev_guard import hold_lock, lock_path, require_free_ports, stop_on_signals
from calbridge.migrate import upgrade
from calbridge.ops.logs import logging_config
from calbridge.settings import get_settings


def dev(
    host: str = "127.0.0.1",
    port: int = 8000,
    google_port: Annotated[
        int | None, typer.Option(help="Port of the local Google emulator (default: port + 1)")
    ] = None,
) -> None:
    """Migrate, create (or reuse) the demo, print how to use it, and serve with the worker.
    Unless real Google is configured (CALBRIDGE_GOOGLE_CLIENT_ID), the Google emulator runs
    beside it and the demo calendar syncs to it (pushed again at each start: the emulator
    starts empty). A second ``dev`` on the same database, or on taken ports, stops before
    changing anything. SIGTERM, SIGINT or SIGHUP stop the demo and its emulator."""
    base = f"http://{host}:{port}"
    emulate = not get_settings().google_client_id
    google_port = google_port or port + 1
    # Held until the process ends; checked before anything (token, password) is changed.
    lock = hold_lock(lock_path(get_settings().database_url))
    require_free_ports(host, [port, google_port] if emulate else [port])
    with stop_on_signals():
        google = None
        try:
            if emulate:
                google = local_google.start(host, google_port)
                local_google.point_settings_at(google, f"{base}/google/oauth/callback")
                get_settings.cache_clear()
            _serve(host, port, base, google)
        finally:
            if google is not None:
                google.stop()
    lock.close()


def _serve(host: str, port: int, base: str, google: local_google.LocalGoogle | None) -> None:
    settings = get_settings()
    upgrade(settings.database_url, settings.database_schema)
    grant = (
        None if google is None else LocalGoogleGrant(local_google.USER_EMAIL, google.access_token)
    )
    demo = asyncio.run(prepare(settings, grant))
    typer.echo(_banner(base, demo, google))
    from calbridge.app import create_app

    application = create_app(settings, run_worker=True)
    uvicorn.run(
        application,
        host=host,
        port=port,
        log_config=logging_config(settings),  # the same lines as `serve` (docs/operations.md)
        log_level=settings.log_level.lower(),
    )


def _banner(base: str, demo: Demo, google: local_google.LocalGoogle | None) -> str:
    auth = f"-H 'Authorization: Bearer {demo.token}' -H 'Accept: application/json'"
    events = f"{base}/api/v2/w/{demo.workspace_uuid}/calendar-events"
    lines = [
        "",
        "calbridge demo is starting.",
        f"  workspace:  {demo.workspace_uuid}",
        f"  token:      {demo.token}   (all scopes; a new one each start)",
        f"  admin:      {base}/admin  — {ADMIN_EMAIL} / {demo.admin_password}",
        f"  API docs:   {base}/docs",
    ]
    if google is not None:
        lines += [
            f"  Google:     the local emulator at {google.base_url} (what it holds:"
            f" {google.base_url}/_emulator/state); Room A syncs to {local_google.USER_EMAIL}",
        ]
    lines += [
        "",
        "Try:",
        f"  curl -s {auth} \\",
        f"    '{events}?calendarId={demo.calendar_id}'",
    ]
    if google is not None:
        lines += [
            "and the demo account's Google Calendar:",
            f"  curl -s {auth} \\",
            f"    '{base}/api/{demo.account_id}/calendar'",
        ]
    return "\n".join([*lines, ""])
