"""The embedded HTTP server (``calbridge serve``): uvicorn with limits on slow and large requests.

uvicorn cuts off idle keep-alive connections but not a request that trickles in, so this adds,
per connection (``LimitedH11Protocol``, uvicorn's h11 protocol with two timers):

- **headers**: the request line and headers must arrive within ``http_header_timeout_seconds``
  of the connection opening (or of the previous response): else **408** and the connection
  closes. Headers larger than ``http_max_header_bytes`` are **431** (h11's own limit, answered
  with its status hint instead of uvicorn's 400).
- **body**: once the headers are in, the body must arrive within ``http_body_timeout_seconds``:
  else **408** (if no response was started) and the connection closes; the app sees the client
  disconnect.
- **connections**: beyond ``http_max_connections`` open connections, new requests get 503
  (uvicorn's ``limit_concurrency``). A connection that sends nothing is closed by the header
  timer, so slow clients cannot keep the server's connections for themselves.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from calbridge.settings import Settings


def _raw_response(status: int, reason: str) -> bytes:
    body = f"{reason}\n".encode()
    return (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: text/plain; charset=utf-8\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    ).encode() + body


LINGER_SECONDS = 2.0
PARENT_CHECK_SECONDS = 0.5


class LimitedH11Protocol(H11Protocol):
    header_timeout = 10.0
    body_timeout = 30.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._timer: asyncio.TimerHandle | None = None
        self._waiting_for: str | None = None  # "headers" | "body" | None (the app has them)
        self._refused = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._wait_for("headers")

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._refused:
            # Swallow what the client still sends: closing on unread data would reset the
            # connection, and the client might never read the answer.
            return
        if self._waiting_for is None and self.conn.their_state is h11.IDLE:
            self._wait_for("headers")  # the next request on a kept-alive connection
        super().data_received(data)
        self._follow_request()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        # The keep-alive timer now guards the idle connection; the next request's first bytes
        # start the header timer again (``data_received``).
        self._stop_timer()
        self._waiting_for = None
        self._follow_request()

    def send_400_response(self, msg: str) -> None:
        buffered, _ = self.conn.trailing_data
        if len(buffered) > self.config.h11_max_incomplete_event_size:  # type: ignore[operator]
            self._refuse(431, "Request Header Fields Too Large")
            return
        super().send_400_response(msg)

    def _follow_request(self) -> None:
        state = self.conn.their_state
        if self._waiting_for == "headers" and state is h11.SEND_BODY:
            self._wait_for("body")
        elif self._waiting_for is not None and state in (h11.DONE, h11.MUST_CLOSE, h11.ERROR):
            self._stop_timer()
            self._waiting_for = None

    def _wait_for(self, part: str) -> None:
        self._stop_timer()
        self._waiting_for = part
        seconds = self.header_timeout if part == "headers" else self.body_timeout
        self._timer = self.loop.call_later(seconds, self._timed_out)

    def _stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _timed_out(self) -> None:
        self._timer = None
        if self.transport.is_closing():
            return
        self.logger.warning("closing a connection whose request %s did not arrive in time",
                            self._waiting_for)  # fmt: skip
        if self.cycle is not None and self._waiting_for == "body":
            self.cycle.disconnected = True  # the app's receive() answers http.disconnect
            self.cycle.message_event.set()
            if self.cycle.response_started:
                self.transport.close()
                return
        self._refuse(408, "Request Timeout")

    def _refuse(self, status: int, reason: str) -> None:
        """Answer ``status`` and end the connection: our side at once, theirs once the client
        stops sending (at most ``LINGER_SECONDS`` later)."""
        self._stop_timer()
        self._waiting_for = None
        self.transport.write(_raw_response(status, reason))
        if not self.transport.can_write_eof():
            self.transport.close()
            return
        self.transport.write_eof()
        self._refused = True
        self.loop.call_later(LINGER_SECONDS, self.transport.close)


def protocol_for(settings: Settings) -> type[LimitedH11Protocol]:
    """The protocol class with this configuration's timeouts (uvicorn builds one per
    connection from the class it is given)."""
    return type(
        "ConfiguredH11Protocol",
        (LimitedH11Protocol,),
        {
            "header_timeout": settings.http_header_timeout_seconds,
            "body_timeout": settings.http_body_timeout_seconds,
        },
    )


def config(app: Any, settings: Settings, **options: Any) -> uvicorn.Config:
    """uvicorn's configuration with calbridge's limits; ``options`` are uvicorn's own."""
    return uvicorn.Config(
        app,
        http=protocol_for(settings),
        h11_max_incomplete_event_size=settings.http_max_header_bytes,
        limit_concurrency=settings.http_max_connections,
        **options,
    )


def run(app: Any, settings: Settings, **options: Any) -> None:
    uvicorn.Server(config(app, settings, **options)).run()


def run_processes(
    make_app: Callable[[int], Any],
    settings: Settings,
    *,
    processes: int,
    host: str,
    port: int,
    **options: Any,
) -> int:
    """``processes`` servers on one listening socket (pre-fork): the socket is bound here, then
    each child builds its app with ``make_app(index)`` and accepts on it; the kernel hands each
    new connection to one of them. SIGTERM or SIGINT here stops them all gracefully; a child
    that dies on its own stops the others too, and the exit status says so (the process
    manager restarts the whole, rather than this running short of a process unnoticed)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, port))
    listener.listen(2048)
    children: list[int] = []
    stopping = False

    def stop(_signum: int, _frame: Any) -> None:
        nonlocal stopping
        stopping = True
        _signal_all(children, signal.SIGTERM)

    # Set before the first fork, so a stop that comes early reaches every child; the children
    # put the defaults back (and uvicorn its own handlers) before they serve.
    previous = {signum: signal.signal(signum, stop) for signum in (signal.SIGTERM, signal.SIGINT)}
    failed = False
    try:
        for index in range(processes):
            if not stopping:
                work = functools.partial(
                    _child, make_app, index, os.getpid(), settings, listener, options
                )
                children.append(_fork(work))
        listener.close()
        while children:
            try:
                pid, _status = os.wait()
            except ChildProcessError:
                break
            children.remove(pid)
            if not stopping:  # a child ended on its own: stop the rest
                failed = stopping = True
                _signal_all(children, signal.SIGTERM)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 1 if failed else 0


def _fork(work: Callable[[], None]) -> int:
    pid = os.fork()
    if pid == 0:
        status = 1
        try:
            work()
            status = 0
        finally:
            os._exit(status)
    return pid


def _child(
    make_app: Callable[[int], Any],
    index: int,
    parent: int,
    settings: Settings,
    listener: socket.socket,
    options: dict[str, Any],
) -> None:
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, signal.SIG_DFL)
    _stop_with(parent)
    app = make_app(index)  # built in the child: no engine or event loop crosses a fork
    uvicorn.Server(config(app, settings, **options)).run(sockets=[listener])


def _stop_with(parent: int) -> None:
    """A child whose parent is gone (killed, with no chance to stop it) stops too, gracefully,
    rather than serve on with nobody to supervise it."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_SECONDS)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _signal_all(pids: list[int], signum: int) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)
