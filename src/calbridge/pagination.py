"""One way to page a query: count the rows it matches, then load one numbered page of them.

    paged = await paginate(session, select(Member).where(...).order_by(Member.id), page=2, size=20)
    paged.items       # the Members of page 2 (at most 20)
    paged.total       # how many rows the query matches, over all pages
    paged.pages       # how many pages that makes (0 when there are no rows)
    paged.previous    # 1, or None on the first page
    paged.next        # 3, or None on the last page

The query selects one entity and carries its own order (ties broken by a unique column, or a
page's rows are not stable); loader options such as ``selectinload`` apply to the page's rows.
Repositories call it (they own the query); ``PageQuery`` is the same, built once for a query
whose values are bound per call; ``paginate_list`` pages a list already in memory
the same way. The API turns a ``Paged`` into its wire ``Page``
(``calbridge.schemas.Page.of``) and the admin into its numbered pager.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")


@dataclass(frozen=True)
class Paged(Generic[T]):
    """One page of a query's rows: ``page`` is 1-based, ``size`` the most rows a page holds."""

    items: list[T]
    total: int
    page: int
    size: int

    @property
    def pages(self) -> int:
        return math.ceil(self.total / self.size)

    @property
    def previous(self) -> int | None:
        return self.page - 1 if self.page > 1 else None

    @property
    def next(self) -> int | None:
        return self.page + 1 if self.page < self.pages else None


def offset_of(page: int, size: int) -> int:
    """How many rows come before 1-based ``page`` of ``size`` rows."""
    return (page - 1) * size


def paginate_list(items: list[T], *, page: int, size: int) -> Paged[T]:
    """Page ``page`` of a list already in memory (a list Google answered, say)."""
    start = offset_of(page, size)
    return Paged(items=items[start : start + size], total=len(items), page=page, size=size)


async def paginate(session: AsyncSession, query: Select[T], *, page: int, size: int) -> Paged[T]:
    """Page ``page`` (1-based) of ``size`` rows of ``query``, and how many rows it matches."""
    return await PageQuery.of(query).page(session, {}, page=page, size=size)


@dataclass(frozen=True)
class PageQuery(Generic[T]):
    """``paginate``'s two statements, built once for a query whose values are bound per call:
    on a hot path (the event list) building and keying them cost more than running them."""

    count: Select[int]
    rows: Select[T]

    @classmethod
    def of(cls, query: Select[T]) -> PageQuery[T]:
        return cls(
            count=select(func.count()).select_from(query.order_by(None).subquery()),
            rows=query.offset(bindparam("page_offset")).limit(bindparam("page_limit")),
        )

    async def page(
        self, session: AsyncSession, values: Mapping[str, Any], *, page: int, size: int
    ) -> Paged[T]:
        total = await session.scalar(self.count, values) or 0
        bounds = {"page_offset": offset_of(page, size), "page_limit": size}
        rows = await session.scalars(self.rows, {**values, **bounds})
        return Paged(items=list(rows), total=total, page=page, size=size)
