"""The panel's lists: search, column sort, page size and numbered pages, with the filters kept
in every link; and buttons in a row named after what they act on."""

from __future__ import annotations

import html
import re

from calbridge.auth.service import create_token
from calbridge.workspace import repository as workspace_repository
from calbridge.workspace.models import Member
from tests.admin.conftest import Panel
from tests.support import databases
from tests.support.api import WorkspaceFixture

NAME_CELL = re.compile(r'<td data-label="Name">(?:<a [^>]*>)?([^<]*)(?:</a>)?</td>')
BUTTON = re.compile(r"<button[^>]*>(.*?)</button>", re.S)
TAGS = re.compile(r"<[^>]+>")


def _accessible_names(page: str, label: str) -> list[str]:
    """The text of every button whose visible label is ``label`` (visually hidden parts too)."""
    texts = [html.unescape(TAGS.sub("", inner)).strip() for inner in BUTTON.findall(page)]
    return [text for text in texts if text.startswith(label)]


async def _members(test_db: databases.TestDatabase, ws: WorkspaceFixture, names: list[str]) -> None:
    async with test_db.database.transaction() as session:
        workspace = await workspace_repository.get_workspace_by_uuid(session, ws.uuid)
        assert workspace is not None
        session.add_all(
            Member(workspace_id=workspace.id, name=name, email=f"{name.lower()}@example.com")
            for name in names
        )


async def test_members_search_sort_and_pages_keep_each_other(
    test_db: databases.TestDatabase, panel: Panel, ws: WorkspaceFixture
) -> None:
    names = [f"Person {n:02d}" for n in range(25)] + ["ada", "Bob", "50%_off"]
    await _members(test_db, ws, names)
    base = f"/admin/w/{ws.uuid}/members"

    first = (await panel.get(base)).text
    assert NAME_CELL.findall(first)[:3] == ["50%_off", "ada", "Bob"]  # by name, ignoring case
    assert "28 in all" in first
    assert f'<a href="{base}?page=2" aria-label="Page 2">2</a>' in first
    assert 'aria-label="Page 1" aria-current="page"' in first

    # Sorted by name the other way round, 10 a page, page 2: the links keep all of it.
    query = "?sort=name&order=desc&size=10&page=2"
    second = html.unescape((await panel.get(base + query)).text)
    assert NAME_CELL.findall(second) == [f"Person {n:02d}" for n in range(14, 4, -1)]
    assert re.search(r'<th scope="col" aria-sort="descending"><a href="[^"]*">Name', second)
    assert f'<a href="{base}?size=10">Name' in second  # turned round: the default, ascending
    assert f'<a href="{base}?sort=email&order=asc&size=10">Email' in second
    assert f'href="{base}?sort=name&order=desc&size=10&page=3" aria-label="Page 3"' in second
    assert f'href="{base}?sort=name&order=desc&size=10" rel="prev"' in second
    assert '<input type="hidden" name="sort" value="name">' in second
    assert "<option selected>10</option>" in second

    # Search is by name or email, ignores case, and takes % and _ literally.
    found = (await panel.get(base + "?q=ADA")).text
    assert NAME_CELL.findall(found) == ["ada"]
    assert "1 in all matching “ADA”" in html.unescape(found)
    literal = (await panel.get(base + "?q=%25_")).text
    assert NAME_CELL.findall(literal) == ["50%_off"]
    assert "No member matches." in (await panel.get(base + "?q=nobody")).text

    # Each Remove button says whom it removes.
    removes = _accessible_names(first, "Remove")
    assert len(removes) == 20 and len(set(removes)) == 20
    assert "Remove member \u2018ada\u2019" in removes


async def test_events_filters_survive_sorting_and_paging(
    panel: Panel, ws: WorkspaceFixture
) -> None:
    calendar = await ws.calendar()
    other = await ws.calendar(name="Other room")
    for day in range(1, 13):
        await ws.event(
            calendar["id"],
            title=f"Review {day:02d}",
            startTime=f"2026-04-{day:02d}T09:00:00Z",
            endTime=f"2026-04-{day:02d}T10:00:00Z",
        )
    await ws.event(other["id"], title="Review elsewhere")
    base = f"/admin/w/{ws.uuid}/events"

    page = html.unescape(
        (
            await panel.get(
                f"{base}?calendar={calendar['id']}&q=review&sort=title&order=desc&size=10"
            )
        ).text
    )
    titles = re.findall(r'<td data-label="Title"><a [^>]*>([^<]*)</a>', page)
    assert titles == [f"Review {day:02d}" for day in range(12, 2, -1)]
    kept = f"calendar={calendar['id']}&q=review&sort=title&order=desc&size=10"
    assert f'href="{base}?{kept}&page=2" aria-label="Page 2"' in page
    assert f'href="{base}?calendar={calendar["id"]}&q=review&size=10">Start' in page

    second = html.unescape((await panel.get(f"{base}?{kept}&page=2")).text)
    assert re.findall(r'<td data-label="Title"><a [^>]*>([^<]*)</a>', second) == [
        "Review 02",
        "Review 01",
    ]


async def test_token_buttons_name_their_token(
    test_db: databases.TestDatabase, panel: Panel, ws: WorkspaceFixture
) -> None:
    async with test_db.database.transaction() as session:
        workspace = await workspace_repository.get_workspace_by_uuid(session, ws.uuid)
        assert workspace is not None
        for name in ("ci-deploy", "ci-deploy", "backup"):
            await create_token(session, workspace, scopes=["calendars:read"], name=name)
    page = (await panel.get(f"/admin/w/{ws.uuid}/tokens?q=ci-")).text
    revokes = _accessible_names(page, "Revoke")
    assert len(revokes) == 2 and len(set(revokes)) == 2  # same name, told apart by prefix
    assert all(name.startswith("Revoke token \u2018ci-deploy\u2019 (") for name in revokes)
    assert "backup" not in NAME_CELL.findall(page)
