"""The operator CLI (CONTRACT §5). Commands that create something print one JSON object."""

from calbridge.cli.main import app, main

__all__ = ["app", "main"]
