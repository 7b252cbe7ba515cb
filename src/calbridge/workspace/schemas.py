from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator

from calbridge.schemas import REFUSE_NULL, InputModel, Matching, NonBlank, OutputModel, WireDateTime

Name = Annotated[NonBlank, Field(min_length=1, max_length=255)]
Email = Annotated[
    str,
    Matching(r"^[^@\s]+@[^@\s]+$", "must be an email address such as alice@example.com"),
    Field(min_length=3, max_length=320, examples=["alice@example.com"]),
]


class MemberCreate(InputModel):
    name: Name
    email: Email

    @field_validator("email")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.lower()


class MemberUpdate(InputModel):
    """PATCH: the fields present change; neither may be null."""

    name: Annotated[Name | None, REFUSE_NULL] = None
    email: Annotated[Email | None, REFUSE_NULL] = None

    @field_validator("email")
    @classmethod
    def _lower(cls, value: str | None) -> str | None:
        return value.lower() if value else value


class MemberResponse(OutputModel):
    id: int
    name: str
    email: str
    created_at: WireDateTime
    updated_at: WireDateTime
