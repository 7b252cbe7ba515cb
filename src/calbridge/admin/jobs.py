"""Outbox jobs: what waits and what failed (with its error and attempts), newest first, a page
at a time, searchable by kind and error; retry or discard."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from calbridge.admin.common import PageNotFound
from calbridge.admin.csrf import CheckedForm
from calbridge.admin.list_queries import JOBS, jobs_shown
from calbridge.admin.render import redirect, render
from calbridge.admin.session import CurrentAdmin
from calbridge.deps import SessionDep
from calbridge.job_views import views_of
from calbridge.outbox import repository
from calbridge.schemas import PathId

router = APIRouter()


@router.get("/jobs")
async def list_jobs(
    request: Request,
    admin: CurrentAdmin,
    db: SessionDep,
    failed: str | None = None,
) -> Response:
    failed_only = failed == "1"
    listing = JOBS.listing("/admin/jobs", request.query_params, failed="1" if failed_only else "")
    paged = await JOBS.page(db, listing, jobs_shown(failed_only))
    return render(
        request,
        "jobs.html",
        admin,
        paged=paged,
        jobs=await views_of(db, paged.items),
        failed_only=failed_only,
        listing=listing,
        tab="jobs",
    )


@router.post("/jobs/{job_id}/retry")
async def retry_job(
    request: Request, job_id: PathId, admin: CurrentAdmin, form: CheckedForm, db: SessionDep
) -> Response:
    if await repository.retry_job(db, job_id) is None:
        raise PageNotFound("Waiting or failed job")
    return redirect(f"/admin/jobs?retried={job_id}")


@router.post("/jobs/{job_id}/discard")
async def discard_job(
    request: Request, job_id: PathId, admin: CurrentAdmin, form: CheckedForm, db: SessionDep
) -> Response:
    if not await repository.discard_job(db, job_id):
        raise PageNotFound("Job")
    return redirect(f"/admin/jobs?discarded={job_id}")
