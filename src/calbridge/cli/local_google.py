"""The Google emulator as the demo's "Google": started as its own process (product code never
imports it) and reached only through the base URL, as real Google would be."""

from __future__ import annotations

import ctypes
import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

# The emulator's defaults (src/calbridge_google_emulator/config.py).
CLIENT_ID = "calbridge-dev"
CLIENT_SECRET = "calbridge-dev-secret"
USER_EMAIL = "testuser@example.com"
PR_SET_PDEATHSIG = 1  # linux/prctl.h


@dataclass
class LocalGoogle:
    base_url: str
    access_token: str  # registered with the emulator; never expires
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def _die_with_parent() -> None:
    """In the child, before the emulator starts: on Linux, have the kernel send it SIGTERM when
    the demo's process ends, however it ends (even SIGKILL), so no emulator is left behind."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def start(host: str, port: int) -> LocalGoogle:
    """Start ``calbridge-google-emulator`` and wait until it answers."""
    executable = Path(sys.executable).with_name("calbridge-google-emulator")
    token = f"ya29.demo-{secrets.token_urlsafe(16)}"
    process = subprocess.Popen(
        [str(executable), "--host", host, "--port", str(port), "--access-token", token],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=_die_with_parent,  # safe here: the demo runs no other thread yet
    )
    base_url = f"http://{host}:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the Google emulator exited at start (port {port} taken?)")
        try:
            if httpx.get(f"{base_url}/_emulator/state", timeout=1).status_code == 200:
                return LocalGoogle(base_url, token, process)
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("the Google emulator did not start within 30 s")


def point_settings_at(google: LocalGoogle, redirect_uri: str) -> None:
    """Make every later ``get_settings()`` reach the emulator (environment, so the worker and
    every part that reads settings agree)."""
    os.environ["CALBRIDGE_GOOGLE_BASE_URL"] = google.base_url
    os.environ["CALBRIDGE_GOOGLE_CLIENT_ID"] = CLIENT_ID
    os.environ["CALBRIDGE_GOOGLE_CLIENT_SECRET"] = CLIENT_SECRET
    os.environ["CALBRIDGE_GOOGLE_REDIRECT_URI"] = redirect_uri
