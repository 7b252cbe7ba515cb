"""The panel's lists as queries: for each list, what its search box looks in and which columns
its headers sort by, run through the shared ``paginate``. Text sorts ignore case (``lower``),
so "alice" and "Bob" sort as people expect on both databases; ties are broken by id, so a page's
rows are stable. The first sort of each list is its default."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, String, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from calbridge.account.models import Account
from calbridge.admin.listing import Listing
from calbridge.admin.models import AdminUser
from calbridge.auth.models import ApiToken
from calbridge.calendar.models import Calendar
from calbridge.outbox.models import OutboxJob
from calbridge.pagination import Paged, paginate
from calbridge.rules.models import EventRule
from calbridge.statuses import JobStatus
from calbridge.workspace.models import Member, Workspace

T = TypeVar("T")
Column = InstrumentedAttribute[Any]


@dataclass(frozen=True)
class Table(Generic[T]):
    """A list's sortable columns (by the key its URL names them with) and searched columns."""

    entity: type[T]
    sorts: dict[str, Column]
    searched: tuple[Column, ...]
    descending: bool = False  # the default sort's direction

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(self.sorts)

    def listing(self, path: str, params: Any, **filters: str) -> Listing:
        return Listing.of(path, params, self.keys, descending=self.descending, filters=filters)

    async def page(
        self, session: AsyncSession, listing: Listing, *where: ColumnElement[bool]
    ) -> Paged[T]:
        query: Select[T] = select(self.entity).where(*where)
        if listing.q:
            query = query.where(
                or_(*(column.icontains(listing.q, autoescape=True) for column in self.searched))
            )
        column = self.sorts[listing.sort]
        ordered: ColumnElement[Any] = (
            func.lower(column) if isinstance(column.type, String) else column.expression
        )
        tie = self.sorts.get("id") or getattr(self.entity, "id")  # noqa: B009
        if listing.descending:
            query = query.order_by(ordered.desc(), tie.desc())
        else:
            query = query.order_by(ordered.asc(), tie.asc())
        return await paginate(session, query, page=listing.page, size=listing.size)


WORKSPACES = Table(
    Workspace,
    {"name": Workspace.name, "timezone": Workspace.timezone},
    (Workspace.name, Workspace.timezone, Workspace.uuid),
)
MEMBERS = Table(Member, {"name": Member.name, "email": Member.email}, (Member.name, Member.email))
CALENDARS = Table(
    Calendar,
    {
        "name": Calendar.name,
        "timezone": Calendar.timezone,
        "limit": Calendar.max_attendees,
        "overlap": Calendar.allow_overlap,
    },
    (Calendar.name, Calendar.timezone),
)
TOKENS = Table(
    ApiToken,
    {
        "created": ApiToken.created_at,
        "name": ApiToken.name,
        "prefix": ApiToken.prefix,
        "used": ApiToken.last_used_at,
        "revoked": ApiToken.revoked_at,
    },
    (ApiToken.name, ApiToken.prefix),
    descending=True,
)
ACCOUNTS = Table(
    Account,
    {
        "id": Account.id,
        "name": Account.name,
        "google": Account.google_calendar_used,
        "read": Account.google_read_enabled,
        "write": Account.google_write_enabled,
    },
    (Account.name,),
)
RULES = Table(EventRule, {"name": EventRule.name, "enabled": EventRule.enabled}, (EventRule.name,))
USERS = Table(
    AdminUser,
    {"email": AdminUser.email, "created": AdminUser.created_at},
    (AdminUser.email,),
)
JOBS = Table(
    OutboxJob,
    {
        "id": OutboxJob.id,
        "kind": OutboxJob.kind,
        "status": OutboxJob.status,
        "attempts": OutboxJob.attempts,
        "next": OutboxJob.run_after,
    },
    (OutboxJob.kind, OutboxJob.last_error),
    descending=True,
)


def jobs_shown(failed_only: bool) -> ColumnElement[bool]:
    """Jobs that wait, run or failed (done ones are left out), or the failed ones only."""
    return (
        OutboxJob.status == JobStatus.FAILED if failed_only else OutboxJob.status != JobStatus.DONE
    )
