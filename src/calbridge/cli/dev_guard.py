"""What makes ``calbridge dev`` safe to start twice and to stop any way: a lock beside the demo
database and a look at the ports, both before anything is changed; and signals that end the
process through its ``finally`` blocks, so the Google emulator it started stops with it."""

from __future__ import annotations

import errno
import fcntl
import os
import signal
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import IO

from sqlalchemy.engine import make_url

from calbridge.cli.common import fail


def lock_path(database_url: str) -> Path:
    """``calbridge.db.dev-lock`` beside a SQLite database; in the working directory otherwise."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        database = Path(url.database)
        return database.with_name(f"{database.name}.dev-lock")
    return Path(".calbridge-dev-lock")


def hold_lock(path: Path) -> IO[str]:
    """Take the demo's lock for the life of this process (the kernel drops it when the process
    ends, however it ends), or fail saying who holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as error:
        if error.errno not in (errno.EAGAIN, errno.EACCES):
            raise
        handle.seek(0)
        holder = handle.read().strip() or "?"
        handle.close()
        fail(
            f"another calbridge dev (pid {holder}) runs on this database ({path}); "
            "stop it first — nothing was changed"
        )
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    return handle


def require_free_ports(host: str, ports: list[int]) -> None:
    """Fail (changing nothing) if a port is taken, instead of after the demo was prepared."""
    for port in ports:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((host, port))
            except OSError as error:
                fail(f"cannot listen on {host}:{port} ({error.strerror}) — nothing was changed")


class Stopped(Exception):
    """A signal asked the demo to stop."""


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """SIGTERM, SIGINT and SIGHUP end the demo through ``finally`` blocks (which stop the
    emulator). uvicorn handles SIGTERM and SIGINT while it serves, shuts down gracefully, then
    raises the signal again; it then reaches these handlers. SIGHUP (a closed terminal) is turned
    into SIGTERM, so uvicorn shuts down gracefully for it too."""

    def stop(signum: int, _frame: FrameType | None) -> None:
        raise Stopped(signal.Signals(signum).name)

    def hang_up(_signum: int, _frame: FrameType | None) -> None:
        signal.raise_signal(signal.SIGTERM)

    previous = {
        signal.SIGTERM: signal.signal(signal.SIGTERM, stop),
        signal.SIGINT: signal.signal(signal.SIGINT, stop),
        signal.SIGHUP: signal.signal(signal.SIGHUP, hang_up),
    }
    try:
        yield
    except Stopped:
        pass
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
