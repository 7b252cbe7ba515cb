"""Imports every model so that ``Base.metadata`` knows all tables (Alembic, tests)."""

from calbridge.account.models import Account
from calbridge.admin.models import AdminSession, AdminUser
from calbridge.admin.throttle import SignInThrottle
from calbridge.auth.models import ApiToken
from calbridge.calendar.models import Calendar
from calbridge.db import Base
from calbridge.event.models import Attendee, Event
from calbridge.google.models import GoogleConnection, GoogleOAuthState
from calbridge.idempotency.models import IdempotencyKey
from calbridge.outbox.models import OutboxJob
from calbridge.rules.models import EventRule, RuleRun, RuleRunAction, WebhookDelivery
from calbridge.workspace.models import Member, Workspace

__all__ = [
    "Account",
    "AdminSession",
    "AdminUser",
    "ApiToken",
    "Attendee",
    "Base",
    "Calendar",
    "Event",
    "EventRule",
    "GoogleConnection",
    "GoogleOAuthState",
    "IdempotencyKey",
    "Member",
    "OutboxJob",
    "RuleRun",
    "RuleRunAction",
    "SignInThrottle",
    "WebhookDelivery",
    "Workspace",
]
