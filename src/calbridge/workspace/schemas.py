from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import Field, field_validator

from calbridge.schemas import InputModel, OutputModel

Name = Annotated[str, Field(min_length=1, max_length=255)]
Email = Annotated[str, Field(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")]


class MemberCreate(InputModel):
    name: Name
    email: Email

    @field_validator("email")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.lower()


class MemberUpdate(InputModel):
    """PATCH: the fields present change; neither may be null."""

    name: Name | None = None
    email: Email | None = None

    @field_validator("name", "email", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("cannot be null; omit the field to keep its value")
        return value

    @field_validator("email")
    @classmethod
    def _lower(cls, value: str | None) -> str | None:
        return value.lower() if value else value


class MemberResponse(OutputModel):
    id: int
    name: str
    email: str
    created_at: datetime
    updated_at: datetime
