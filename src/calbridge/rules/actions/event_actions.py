"""Actions that change the event: set_status, add_attendee, cancel_event.

They go through the event service, so the booking rules hold as for any request (an attendee
over the calendar's limit is refused), and each runs in a savepoint: a refused action changes
nothing and is recorded as failed with the refusal's code. The change they make enqueues
``event.changed`` like any other, marked ``origin: rule`` (see ``tasks.py``), so Google sync
still follows it but rules do not run on it again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from calbridge.errors import CalbridgeError
from calbridge.event import history
from calbridge.event import repository as event_repository
from calbridge.event import service as event_service
from calbridge.event.history import Source
from calbridge.event.schemas import CancelRequest, EventUpdate
from calbridge.rules.schemas import (
    Action,
    AddAttendeeAction,
    CancelEventAction,
    SetStatusAction,
)
from calbridge.statuses import ActionStatus
from calbridge.workspace.models import Workspace

if TYPE_CHECKING:
    from calbridge.event.conflicts import BusyTimeSource

ORIGIN_KEY = "calbridge_rules_origin"


async def apply(
    session: AsyncSession,
    workspace: Workspace,
    event_id: int,
    action: Action,
    rule_id: int,
    busy_source: BusyTimeSource,
) -> tuple[str, str | None]:
    """Run the action; returns (status, error or note)."""
    session.sync_session.info[ORIGIN_KEY] = rule_id
    try:
        with history.acting(session, Source.RULE, None):
            async with session.begin_nested():
                return await _apply(session, workspace, event_id, action, busy_source)
    except CalbridgeError as error:
        return ActionStatus.FAILED, f"{error.code}: {error.detail}"
    except ValidationError as error:  # e.g. one attendee more than an event may have
        return ActionStatus.FAILED, f"validation_error: {error.errors()[0]['msg']}"
    finally:
        session.sync_session.info.pop(ORIGIN_KEY, None)


async def _apply(
    session: AsyncSession,
    workspace: Workspace,
    event_id: int,
    action: Action,
    busy_source: BusyTimeSource,
) -> tuple[str, str | None]:
    event = await event_repository.get_event(session, workspace.id, event_id)
    if event is None:
        return ActionStatus.SKIPPED, "the event no longer exists"
    if isinstance(action, SetStatusAction):
        if event.status == action.status:
            return ActionStatus.SUCCEEDED, f"already {action.status}"
        await event_service.update_event(
            session, workspace, event_id, EventUpdate(status=action.status), busy_source=busy_source
        )
    elif isinstance(action, AddAttendeeAction):
        current = [attendee.member_id for attendee in event.attendees]
        if action.member_id in current:
            return ActionStatus.SUCCEEDED, "already an attendee"
        # Input models take their wire (camelCase) names.
        update = EventUpdate.model_validate({"attendeeIds": [*current, action.member_id]})
        await event_service.update_event(
            session, workspace, event_id, update, busy_source=busy_source
        )
    elif isinstance(action, CancelEventAction):
        # A rule is set up by an admin: it may cancel inside the cancellation notice.
        await event_service.cancel_event(
            session,
            workspace,
            event_id,
            CancelRequest(reason=action.reason),
            privileged=True,
        )
    else:
        raise ValueError(f"not an event action: {action.type}")
    return ActionStatus.SUCCEEDED, None
