"""A local Google Calendar v3 + Google OAuth 2.0 emulator for calbridge's tests and dev runs.

Product code never imports this package; it is reached over HTTP by base URL.
"""

from calbridge_google_emulator.app import GoogleEmulator, create_app
from calbridge_google_emulator.config import EmulatorConfig
from calbridge_google_emulator.faults import ResponseDropped
from calbridge_google_emulator.web import emulator_of

__all__ = ["EmulatorConfig", "GoogleEmulator", "ResponseDropped", "create_app", "emulator_of"]
