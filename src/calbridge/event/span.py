"""Which events share an instant with [start, end), answered by the interval index
(migration 0017): GiST over ``(workspace_id, calendar_id, tstzrange(start_at, end_at, '[)'))``
on PostgreSQL, the ``events_span`` R*Tree on SQLite. Neither history nor one long event makes
such a query read more than it returns, with or without planner statistics."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    Float,
    Integer,
    MetaData,
    Table,
    and_,
    func,
    literal,
    literal_column,
    select,
)
from sqlalchemy.sql.expression import UnaryExpression
from sqlalchemy.sql.operators import custom_op

from calbridge.db import UTCDateTime
from calbridge.event.models import Event

# The R*Tree is no model: it is kept by triggers, and wiping or creating tables leaves it alone.
EVENTS_SPAN = Table(
    "events_span",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("workspace_lo", Float),
    Column("workspace_hi", Float),
    Column("calendar_lo", Float),
    Column("calendar_hi", Float),
    Column("start_at", Float),
    Column("end_at", Float),
)
HALF_OPEN: ColumnElement[str] = literal_column("'[)'")


def sharing_instant(
    dialect: str,
    start_at: datetime | None,
    end_at: datetime | None,
    *,
    workspace_id: int | None = None,
    calendar_ids: list[int] | None = None,
) -> list[ColumnElement[bool]]:
    """The WHERE terms for events of the workspace and/or calendars overlapping [start, end)
    (an open side when None), written so the interval index answers them."""
    ranged = start_at is not None or end_at is not None
    sqlite = dialect == "sqlite" and ranged
    # On SQLite the R*Tree hands the rows over by id; the other terms only filter them, so they
    # are written as +column, which no B-tree index can serve (the planner would otherwise
    # rather walk (calendar_id, start_at) from the calendar's first event).
    column = _unindexed if sqlite else _as_is
    terms: list[ColumnElement[bool]] = []
    if workspace_id is not None:
        terms.append(column(Event.workspace_id) == workspace_id)
    if calendar_ids is not None:
        if len(calendar_ids) == 1:
            terms.append(column(Event.calendar_id) == calendar_ids[0])
        else:
            terms.append(column(Event.calendar_id).in_(calendar_ids))
    if not ranged:
        return terms
    if not sqlite:
        return [*terms, _tstzrange_overlap(start_at, end_at)]
    exact = []
    if end_at is not None:
        exact.append(column(Event.start_at) < end_at)
    if start_at is not None:
        exact.append(column(Event.end_at) > start_at)
    return [*terms, *exact, _rtree(start_at, end_at, workspace_id, calendar_ids)]


def _as_is(column: Any) -> ColumnElement[Any]:
    return column  # type: ignore[no-any-return]


def _unindexed(column: Any) -> ColumnElement[Any]:
    """``+column``: the same value, but not a column an index can be searched by (SQLite)."""
    return UnaryExpression(column, operator=custom_op("+"), type_=column.type)


def _tstzrange_overlap(start_at: datetime | None, end_at: datetime | None) -> ColumnElement[bool]:
    # The left side is the index's expression, letter for letter ('[)' a literal, not a bind).
    mine = func.tstzrange(Event.start_at, Event.end_at, HALF_OPEN)
    wanted = func.tstzrange(_instant(start_at), _instant(end_at), HALF_OPEN)
    return mine.op("&&")(wanted)


def _instant(value: datetime | None) -> ColumnElement[datetime]:
    return literal(value, UTCDateTime())


def _rtree(
    start_at: datetime | None,
    end_at: datetime | None,
    workspace_id: int | None,
    calendar_ids: list[int] | None,
) -> ColumnElement[bool]:
    """``events.id IN (R*Tree search)``: a superset (coordinates are rounded outwards, seconds
    inclusive) that the exact terms narrow to the answer."""
    span = EVENTS_SPAN.c
    box: list[ColumnElement[bool]] = []
    if end_at is not None:
        box.append(span.start_at <= math.ceil(end_at.timestamp()))
    if start_at is not None:
        box.append(span.end_at >= math.floor(start_at.timestamp()))
    if workspace_id is not None:
        box += [span.workspace_lo <= workspace_id, span.workspace_hi >= workspace_id]
    if calendar_ids:
        box += [span.calendar_lo <= max(calendar_ids), span.calendar_hi >= min(calendar_ids)]
    return Event.id.in_(select(span.id).where(and_(*box)))


def ranked(dialect: str, ranged: bool, *columns: Any) -> list[ColumnElement[Any]]:
    """The ORDER BY of a query the interval index answers (``ranged``): written so that no
    B-tree can serve it, else the planner may rather walk ``(calendar_id, start_at)`` in order
    from the first event and filter, to save sorting what the index returns (PostgreSQL
    without statistics did, for a LIMITed page). ``coalesce(c, c)`` is ``c`` to the sort."""
    if not ranged:
        return list(columns)
    if dialect == "postgresql":
        return [func.coalesce(column, column) for column in columns]
    return [_unindexed(column) for column in columns]
