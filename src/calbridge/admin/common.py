"""What several page groups share: finding the workspace of a URL, and a page-not-found answer."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from calbridge.workspace import repository
from calbridge.workspace.models import Workspace


class PageNotFound(Exception):
    """Answered with the panel's 404 page."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


async def load_workspace(session: AsyncSession, uuid: str) -> Workspace:
    workspace = await repository.get_workspace_by_uuid(session, uuid)
    if workspace is None:
        raise PageNotFound("Workspace")
    return workspace


def form_text(value: object, limit: int = 10_000) -> str:
    """A form field as stripped text (missing → empty), cut to a sane length."""
    return value.strip()[:limit] if isinstance(value, str) else ""
