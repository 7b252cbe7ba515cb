"""``python -m tests.concurrency.embedded_server FACTORY PORT``: a server_app factory served the
way ``calbridge serve`` serves the app (``calbridge.server``: its protocol and limits)."""

from __future__ import annotations

import sys

from calbridge import server
from calbridge.settings import Settings
from tests.concurrency import server_app

if __name__ == "__main__":
    factory, port = sys.argv[1], int(sys.argv[2])
    app = getattr(server_app, factory)()
    settings = Settings(environment="test")
    server.run(app, settings, host="127.0.0.1", port=port, log_level="warning", access_log=False)
