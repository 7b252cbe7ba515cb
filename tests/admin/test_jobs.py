"""The outbox page pages: newest first, a page at a time, the failed filter kept."""

from __future__ import annotations

import re

from calbridge.outbox.models import OutboxJob
from tests.admin.conftest import Panel
from tests.support import databases

ROW = re.compile(r'<tr id="job-(\d+)">')


async def test_the_outbox_page_pages_and_keeps_its_filter(
    test_db: databases.TestDatabase, panel: Panel
) -> None:
    async with test_db.database.transaction() as session:
        jobs = [
            OutboxJob(kind="demo", payload={"n": n}, status="failed", last_error=f"boom {n}")
            for n in range(60)
        ]
        session.add_all(jobs)
        await session.flush()
        ids = sorted((job.id for job in jobs), reverse=True)
        session.add(OutboxJob(kind="demo", payload={}, status="done"))

    first = await panel.get("/admin/jobs?failed=1")
    shown = [int(i) for i in ROW.findall(first.text)]
    assert shown == ids[:50]
    assert 'href="/admin/jobs?page=2&amp;failed=1"' in first.text

    second = await panel.get("/admin/jobs?page=2&failed=1")
    assert [int(i) for i in ROW.findall(second.text)] == ids[50:]
    assert 'href="/admin/jobs?page=1&amp;failed=1"' in second.text
    assert "page=3" not in second.text

    beyond = await panel.get("/admin/jobs?page=9")
    assert beyond.status_code == 200
    assert ROW.findall(beyond.text) == []
