from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from calbridge.deps import AdminSubject, ReadSubject, SessionDep
from calbridge.errors import problem_responses
from calbridge.schemas import Deleted, Page, PageParams, PathId, page_params
from calbridge.workspace import repository, service
from calbridge.workspace.schemas import MemberCreate, MemberResponse, MemberUpdate

router = APIRouter(prefix="/members", tags=["members"])
AUTH = (401, 403, 404)


@router.get("", responses=problem_responses(*AUTH, 422))
async def list_members(
    subject: ReadSubject, session: SessionDep, paging: Annotated[PageParams, Depends(page_params)]
) -> Page[MemberResponse]:
    """The workspace's members, by id."""
    members = await repository.page_members(
        session, subject.workspace.id, page=paging.page, size=paging.page_size
    )
    return Page.of(members, [MemberResponse.model_validate(m) for m in members.items])


@router.post("", status_code=201, responses=problem_responses(*AUTH, 409, 413, 422))
async def create_member(
    body: MemberCreate, subject: AdminSubject, session: SessionDep, response: Response
) -> MemberResponse:
    """Add a member; the email is unique in the workspace (409 member_exists)."""
    member = await service.create_member(session, subject.workspace, body)
    response.headers["Location"] = f"/api/v2/w/{subject.workspace.uuid}/members/{member.id}"
    return MemberResponse.model_validate(member)


@router.get("/{member_id}", responses=problem_responses(*AUTH, 422))
async def get_member(
    member_id: PathId, subject: ReadSubject, session: SessionDep
) -> MemberResponse:
    """One member."""
    member = await service.get_member(session, subject.workspace, member_id)
    return MemberResponse.model_validate(member)


@router.patch("/{member_id}", responses=problem_responses(*AUTH, 409, 413, 422))
async def update_member(
    member_id: PathId, body: MemberUpdate, subject: AdminSubject, session: SessionDep
) -> MemberResponse:
    """Change a member's name or email."""
    member = await service.update_member(session, subject.workspace, member_id, body)
    return MemberResponse.model_validate(member)


@router.delete("/{member_id}", responses=problem_responses(*AUTH, 409, 422))
async def delete_member(member_id: PathId, subject: AdminSubject, session: SessionDep) -> Deleted:
    """Remove a member who attends no event (else 409 member_in_use)."""
    await service.delete_member(session, subject.workspace, member_id)
    return Deleted(id=member_id)
