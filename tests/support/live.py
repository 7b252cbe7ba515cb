"""The test's app under a real uvicorn on 127.0.0.1, served from the test's own event loop
(where its database engine lives), for clients that speak real HTTP."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from starlette.types import ASGIApp


@asynccontextmanager
async def live_server(app: ASGIApp) -> AsyncIterator[str]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    # uvicorn's access_log=False cuts its access logger off for the whole process (no handlers,
    # no propagation); put it back afterwards, so later tests see the logging production has.
    access = logging.getLogger("uvicorn.access")
    handlers, propagate = access.handlers[:], access.propagate
    config = uvicorn.Config(app, log_config=None, lifespan="off", access_log=False)
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve(sockets=[listener]))
    try:
        while not server.started:  # uvicorn has no event to wait on
            if serving.done():
                serving.result()
            await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await serving
        listener.close()
        access.handlers[:], access.propagate = handlers, propagate
