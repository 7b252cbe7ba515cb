"""Outbox jobs: what waits and what failed (with its error and attempts), a page at a time;
retry or discard."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from calbridge.admin.common import PageNotFound
from calbridge.admin.csrf import CheckedForm
from calbridge.admin.render import page_number, redirect, render
from calbridge.admin.session import CurrentAdmin
from calbridge.deps import SessionDep
from calbridge.job_views import views_of
from calbridge.outbox import repository

router = APIRouter()
# Jobs per page, newest first.
SHOWN = 50


@router.get("/jobs")
async def list_jobs(
    request: Request,
    admin: CurrentAdmin,
    db: SessionDep,
    failed: str | None = None,
    page: str | None = None,
) -> Response:
    failed_only = failed == "1"
    number = page_number(page)
    # One more than a page tells whether there is a next one, without counting every job.
    jobs = await repository.list_jobs(
        db, failed_only=failed_only, limit=SHOWN + 1, offset=(number - 1) * SHOWN
    )
    return render(
        request,
        "jobs.html",
        admin,
        jobs=await views_of(db, jobs[:SHOWN]),
        failed_only=failed_only,
        page=number,
        has_next=len(jobs) > SHOWN,
        tab="jobs",
    )


@router.post("/jobs/{job_id}/retry")
async def retry_job(
    request: Request, job_id: int, admin: CurrentAdmin, form: CheckedForm, db: SessionDep
) -> Response:
    if await repository.retry_job(db, job_id) is None:
        raise PageNotFound("Waiting or failed job")
    return redirect(f"/admin/jobs?retried={job_id}")


@router.post("/jobs/{job_id}/discard")
async def discard_job(
    request: Request, job_id: int, admin: CurrentAdmin, form: CheckedForm, db: SessionDep
) -> Response:
    if not await repository.discard_job(db, job_id):
        raise PageNotFound("Job")
    return redirect(f"/admin/jobs?discarded={job_id}")
