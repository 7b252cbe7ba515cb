"""The status vocabularies calbridge stores and writes on the wire, one ``StrEnum`` each.

A member is its wire value (``EventStatus.CANCELLED == "cancelled"``), so rows keep plain
strings and answers are unchanged; code compares and assigns members, never bare strings.
The wire schemas spell the same values as ``Literal``s (strict parsing, inline OpenAPI enums);
``tests/test_statuses.py`` holds the two in step.

They live here, below every domain, because more than one domain speaks each of them: Google's
event ``status`` and attendee ``responseStatus`` use the same words as calbridge's.
"""

from __future__ import annotations

from enum import StrEnum


class EventStatus(StrEnum):
    CONFIRMED = "confirmed"
    TENTATIVE = "tentative"
    CANCELLED = "cancelled"


class ResponseStatus(StrEnum):
    """An attendee's answer (RSVP)."""

    NEEDS_ACTION = "needsAction"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    TENTATIVE = "tentative"


class SyncStatus(StrEnum):
    """Where an event's copy in its linked Google calendar stands."""

    NOT_LINKED = "not_linked"
    PENDING = "pending"
    SYNCED = "synced"
    FAILED = "failed"


class JobStatus(StrEnum):
    """An outbox job: ``pending`` → ``running`` → ``done`` | ``failed`` (or back to pending)."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class ActionStatus(StrEnum):
    """One action of a rule run: ``pending`` → ``succeeded`` | ``failed`` | ``skipped``. A run
    is ``pending`` while any action waits, ``failed`` if any failed, else ``succeeded``."""

    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"
