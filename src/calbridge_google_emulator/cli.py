"""`calbridge-google-emulator --host H --port P [--access-token T]`."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import uvicorn

from calbridge_google_emulator.app import GoogleEmulator
from calbridge_google_emulator.config import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_USER_EMAIL,
    EmulatorConfig,
)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="calbridge-google-emulator",
        description="Local Google Calendar v3 + OAuth 2.0 emulator.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument(
        "--access-token",
        action="append",
        default=[],
        help="register a non-expiring access token for the test user (repeatable)",
    )
    parser.add_argument("--client-id", default=DEFAULT_CLIENT_ID)
    parser.add_argument("--client-secret", default=DEFAULT_CLIENT_SECRET)
    parser.add_argument("--user-email", default=DEFAULT_USER_EMAIL)
    parser.add_argument("--time-zone", default="UTC", help="the user's calendar time zone")
    parser.add_argument("--token-ttl", type=int, default=3600, help="access token expires_in")
    parser.add_argument(
        "--redirect-uri",
        action="append",
        default=[],
        help="allowed OAuth redirect URI (repeatable; none given = any)",
    )
    parser.add_argument(
        "--auto-approve", action="store_true", help="skip the consent page and approve at once"
    )
    return parser.parse_args(argv)


def config_from_args(args: argparse.Namespace) -> EmulatorConfig:
    return EmulatorConfig(
        client_id=args.client_id,
        client_secret=args.client_secret,
        user_email=args.user_email,
        time_zone=args.time_zone,
        access_token_ttl=args.token_ttl,
        redirect_uris=tuple(args.redirect_uri),
        auto_approve=args.auto_approve,
        static_access_tokens=tuple(args.access_token),
    )


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    emulator = GoogleEmulator(config_from_args(args))
    uvicorn.run(emulator.app, host=args.host, port=args.port, log_level="info")


if __name__ == "__main__":
    main()
