from __future__ import annotations

import asyncio
import signal
from importlib.metadata import version as package_version
from typing import Annotated

import typer

from calbridge import server
from calbridge.cli.admin_users import admin_app
from calbridge.cli.common import require_newest_schema
from calbridge.cli.dev import dev
from calbridge.cli.jobs import jobs
from calbridge.cli.keys import keys
from calbridge.cli.tokens import token_app
from calbridge.cli.workspaces import account_app, workspace_app
from calbridge.migrate import upgrade
from calbridge.ops.logs import configure_logging, logging_config
from calbridge.settings import ConfigurationError, get_settings

app = typer.Typer(
    help="calbridge: calendars, bookings, Google sync and event rules.",
    no_args_is_help=True,
    add_completion=False,
    # A traceback's locals would print settings values, secrets among them.
    pretty_exceptions_show_locals=False,
)
app.add_typer(workspace_app, name="workspace")
app.add_typer(token_app, name="token")
app.add_typer(account_app, name="account")
app.add_typer(admin_app, name="admin")
app.add_typer(jobs, name="jobs")
app.add_typer(keys, name="keys")
app.command("dev")(dev)


def _print_version(wanted: bool) -> None:
    if wanted:
        typer.echo(f"calbridge {package_version('calbridge')}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit"
        ),
    ] = False,
) -> None:
    """calbridge: calendars, bookings, Google sync and event rules."""


@app.command()
def migrate() -> None:
    """Bring the database schema to the newest version."""
    settings = get_settings()
    upgrade(settings.database_url, settings.database_schema)
    typer.echo("database is up to date", err=True)


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    no_worker: Annotated[bool, typer.Option("--no-worker", help="Run no worker here")] = False,
    proxy_headers: Annotated[
        bool,
        typer.Option(
            "--proxy-headers/--no-proxy-headers",
            help="Take the client address and scheme from X-Forwarded-For and X-Forwarded-Proto "
            "when the request comes from a trusted proxy (--forwarded-allow-ips)",
        ),
    ] = True,
    forwarded_allow_ips: Annotated[
        str,
        typer.Option(
            envvar="CALBRIDGE_FORWARDED_ALLOW_IPS",
            help="Comma-separated addresses or networks of the trusted reverse proxies, or *",
        ),
    ] = "127.0.0.1",
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            max=64,
            envvar="CALBRIDGE_WEB_WORKERS",
            help="HTTP server processes sharing the port (on SQLite the outbox worker runs in "
            "the first of them only)",
        ),
    ] = 1,
) -> None:
    """Run the HTTP server (API + admin). On SQLite the worker runs in-process too. Behind a
    reverse proxy, list the proxy's address in --forwarded-allow-ips (docs/operations.md)."""
    from calbridge.app import create_app

    settings = get_settings()
    require_newest_schema(settings)
    in_process_worker = settings.is_sqlite and not no_worker
    options = {
        "log_config": logging_config(settings),
        "log_level": settings.log_level.lower(),
        "proxy_headers": proxy_headers,
        "forwarded_allow_ips": forwarded_allow_ips,
    }
    if workers == 1:
        application = create_app(settings, run_worker=in_process_worker)
        server.run(application, settings, host=host, port=port, **options)
        return
    status = server.run_processes(
        lambda index: create_app(settings, run_worker=in_process_worker and index == 0),
        settings,
        processes=workers,
        host=host,
        port=port,
        **options,
    )
    raise typer.Exit(status)


@app.command()
def worker(
    poll: Annotated[
        float | None,
        typer.Option(
            min=0.01,
            help="Seconds between polls when idle (default: CALBRIDGE_WORKER_POLL_SECONDS, 1)",
        ),
    ] = None,
    concurrency: Annotated[
        int, typer.Option(min=1, max=64, help="How many jobs run at once in this process")
    ] = 1,
    grace: Annotated[
        float,
        typer.Option(
            min=0,
            help="On SIGTERM/SIGINT, seconds to let running jobs finish before their leases "
            "are released (the jobs then run again, on any worker)",
        ),
    ] = 30.0,
    metrics_port: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=65535,
            help="Serve this worker's /metrics (jobs, Google calls, webhooks, outbox) on this port",
        ),
    ] = None,
    metrics_host: Annotated[
        str, typer.Option(help="The address --metrics-port listens on")
    ] = "127.0.0.1",
) -> None:
    """Run the after-commit worker (Google sync, event rules) until SIGTERM or Ctrl-C; then
    finish the running jobs (or, after --grace seconds, give them back) and exit 0."""
    from calbridge.jobs import registry
    from calbridge.ops.endpoints import scrape_app
    from calbridge.ops.metrics import Metrics
    from calbridge.ops.scrape_server import ScrapeServer
    from calbridge.outbox.worker import Worker
    from calbridge.services import Services

    settings = get_settings()
    if poll is not None:
        settings = settings.model_copy(update={"worker_poll_seconds": poll})
    if concurrency > 1:
        # N worker loops, each claiming one job at a time: a batch would hold jobs that another
        # idle loop could be running meanwhile.
        settings = settings.model_copy(update={"worker_batch_size": 1})
    require_newest_schema(settings)
    configure_logging(settings)

    async def main() -> None:
        services = Services.build(settings)
        db = services.database
        metrics = Metrics()
        kinds = registry()
        runners = [Worker(services, kinds, metrics=metrics) for _ in range(concurrency)]
        scrape = None
        if metrics_port is not None:
            scrape = ScrapeServer(scrape_app(metrics, db, settings), metrics_host, metrics_port)
            await scrape.start()
        loop = asyncio.get_running_loop()
        stopping = asyncio.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stopping.set)
        for runner in runners:
            runner.start()
        await stopping.wait()
        await asyncio.gather(*(runner.stop(grace=grace) for runner in runners))
        if scrape is not None:
            await scrape.stop()
        await services.google.aclose()
        await db.dispose()

    asyncio.run(main())


def main() -> None:
    try:
        app()
    except ConfigurationError as error:
        for problem in error.problems:
            typer.echo(problem, err=True)
        raise SystemExit(2) from None
