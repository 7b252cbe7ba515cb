"""The Workspace API v2 router: every domain's routes under /api/v2/w/{workspace_uuid}."""

from fastapi import APIRouter

from calbridge.calendar.endpoints import router as calendars
from calbridge.event.endpoints import router as events
from calbridge.rules.endpoints import router as rules_router
from calbridge.scheduling.endpoints import router as scheduling
from calbridge.workspace.endpoints import router as members

workspace_api = APIRouter(prefix="/api/v2/w/{workspace_uuid}")
for router in (calendars, scheduling, members, events):
    workspace_api.include_router(router)
workspace_api.include_router(rules_router)
