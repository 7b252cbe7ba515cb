"""``calbridge admin create-user``: the password comes from a hidden, confirmed prompt or from
stdin (``--password-stdin``), so it stays out of shell history and ``ps``. ``--password`` still
works for old scripts, but shows the password to every user of the machine while it runs."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from calbridge.admin.service import create_admin_user, set_password
from calbridge.cli.common import emit, fail, run, with_database
from calbridge.db import Database

admin_app = typer.Typer(help="Admin-panel users.", no_args_is_help=True)


def read_password(password: str | None, from_stdin: bool) -> str:
    if password is not None and from_stdin:
        fail("give the password by --password or --password-stdin, not both")
    if from_stdin:
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            fail("--password-stdin: stdin held no password")
        return line
    if password is not None:
        return password
    entered: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return entered


@admin_app.command("create-user")
def admin_create_user(
    email: Annotated[str, typer.Option()],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin's first line")
    ] = False,
    password: Annotated[
        str | None,
        typer.Option(
            help="Discouraged: visible in `ps` and shell history. Prefer the prompt "
            "(no option) or --password-stdin."
        ),
    ] = None,
) -> None:
    """Create an admin-panel sign-in. Asks for the password (hidden, twice) unless
    --password-stdin is given."""
    secret = read_password(password, password_stdin)

    async def work(db: Database) -> None:
        async with db.transaction() as session:
            user = await create_admin_user(session, email=email, password=secret)
        emit({"id": user.id, "email": user.email})

    run(with_database(work))


@admin_app.command("set-password")
def admin_set_password(
    email: Annotated[str, typer.Option()],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin's first line")
    ] = False,
) -> None:
    """Change an admin-panel user's password; every session of that user ends (signed-in
    browsers, and any copy of their cookies, must sign in again)."""
    secret = read_password(None, password_stdin)

    async def work(db: Database) -> None:
        async with db.transaction() as session:
            user = await set_password(session, email=email, password=secret)
        emit({"id": user.id, "email": user.email})

    run(with_database(work))
