"""``paginate``: one numbered page of a query, the rows it matches, and the neighbouring pages."""

from __future__ import annotations

from sqlalchemy import select

from calbridge.pagination import paginate, paginate_list
from calbridge.workspace.models import Workspace
from tests.support.databases import TestDatabase


async def test_pages_split_the_rows_in_the_query_order(test_db: TestDatabase) -> None:
    async with test_db.database.transaction() as session:
        session.add_all(Workspace(name=f"W{n}") for n in range(5))
    query = select(Workspace).where(Workspace.name != "W0").order_by(Workspace.id.desc())
    async with test_db.database.session(write=False) as session:
        first = await paginate(session, query, page=1, size=3)
        last = await paginate(session, query, page=2, size=3)
        beyond = await paginate(session, query, page=3, size=3)
    assert [w.name for w in first.items] == ["W4", "W3", "W2"]
    assert [w.name for w in last.items] == ["W1"]
    assert beyond.items == []
    assert (first.total, first.pages, first.previous, first.next) == (4, 2, None, 2)
    assert (last.total, last.pages, last.previous, last.next) == (4, 2, 1, None)
    assert (beyond.total, beyond.previous, beyond.next) == (4, 2, None)


async def test_no_rows_make_no_pages(test_db: TestDatabase) -> None:
    async with test_db.database.session(write=False) as session:
        empty = await paginate(session, select(Workspace).order_by(Workspace.id), page=1, size=20)
    assert (empty.items, empty.total, empty.pages, empty.previous, empty.next) == (
        [],
        0,
        0,
        None,
        None,
    )


def test_a_list_in_memory_pages_the_same_way() -> None:
    second = paginate_list(list("abcde"), page=2, size=2)
    last = paginate_list(list("abcde"), page=3, size=2)
    assert (second.items, second.total, second.previous, second.next) == (["c", "d"], 5, 1, 3)
    assert (last.items, last.pages, last.next) == (["e"], 3, None)
