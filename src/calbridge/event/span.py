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
    bindparam,
    func,
    literal_column,
    null,
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
    dialect: str, *, start: bool, end: bool, workspace: bool, calendars: int
) -> list[ColumnElement[bool]]:
    """The WHERE terms for events of the workspace and/or calendars (``calendars``: how many;
    0 for any) overlapping [start, end) (an open side where ``start``/``end`` is False),
    written so the interval index answers them. The values are bound parameters, so a query
    built from these terms once serves every request of its shape: ``span_values`` gives them.
    """
    ranged = start or end
    sqlite = dialect == "sqlite" and ranged
    # On SQLite the R*Tree hands the rows over by id; the other terms only filter them, so they
    # are written as +column, which no B-tree index can serve (the planner would otherwise
    # rather walk (calendar_id, start_at) from the calendar's first event).
    column = _unindexed if sqlite else _as_is
    terms: list[ColumnElement[bool]] = []
    if workspace:
        terms.append(column(Event.workspace_id) == bindparam("span_workspace_id"))
    if calendars == 1:
        terms.append(column(Event.calendar_id) == bindparam("span_calendar_id"))
    elif calendars > 1:
        terms.append(column(Event.calendar_id).in_(bindparam("span_calendar_ids", expanding=True)))
    if not ranged:
        return terms
    if not sqlite:
        return [*terms, _tstzrange_overlap(start, end)]
    exact = []
    if end:
        exact.append(column(Event.start_at) < _instant("span_end_at"))
    if start:
        exact.append(column(Event.end_at) > _instant("span_start_at"))
    return [*terms, *exact, _rtree(start, end, workspace, calendars > 0)]


def span_values(
    start_at: datetime | None,
    end_at: datetime | None,
    *,
    workspace_id: int | None = None,
    calendar_ids: list[int] | None = None,
) -> dict[str, Any]:
    """The bound values of ``sharing_instant``'s terms (those a shape does not use are unused)."""
    values: dict[str, Any] = {"span_start_at": start_at, "span_end_at": end_at}
    if workspace_id is not None:
        values["span_workspace_id"] = workspace_id
    if calendar_ids:
        values["span_calendar_id"] = calendar_ids[0]
        values["span_calendar_ids"] = calendar_ids
        values["span_calendar_lo"] = min(calendar_ids)
        values["span_calendar_hi"] = max(calendar_ids)
    # The R*Tree's box: whole seconds, rounded outwards.
    if end_at is not None:
        values["span_box_end"] = math.ceil(end_at.timestamp())
    if start_at is not None:
        values["span_box_start"] = math.floor(start_at.timestamp())
    return values


def _as_is(column: Any) -> ColumnElement[Any]:
    return column  # type: ignore[no-any-return]


def _unindexed(column: Any) -> ColumnElement[Any]:
    """``+column``: the same value, but not a column an index can be searched by (SQLite)."""
    return UnaryExpression(column, operator=custom_op("+"), type_=column.type)


def _tstzrange_overlap(start: bool, end: bool) -> ColumnElement[bool]:
    # The left side is the index's expression, letter for letter ('[)' a literal, not a bind).
    mine = func.tstzrange(Event.start_at, Event.end_at, HALF_OPEN)
    lower = _instant("span_start_at") if start else null()
    upper = _instant("span_end_at") if end else null()
    return mine.op("&&")(func.tstzrange(lower, upper, HALF_OPEN))


def _instant(name: str) -> ColumnElement[datetime]:
    return bindparam(name, type_=UTCDateTime())


def _rtree(start: bool, end: bool, workspace: bool, calendars: bool) -> ColumnElement[bool]:
    """``events.id IN (R*Tree search)``: a superset (coordinates are rounded outwards, seconds
    inclusive) that the exact terms narrow to the answer."""
    span = EVENTS_SPAN.c
    box: list[ColumnElement[bool]] = []
    if end:
        box.append(span.start_at <= bindparam("span_box_end"))
    if start:
        box.append(span.end_at >= bindparam("span_box_start"))
    if workspace:
        workspace_id: ColumnElement[int] = bindparam("span_workspace_id")
        box += [span.workspace_lo <= workspace_id, span.workspace_hi >= workspace_id]
    if calendars:
        box += [
            span.calendar_lo <= bindparam("span_calendar_hi"),
            span.calendar_hi >= bindparam("span_calendar_lo"),
        ]
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
