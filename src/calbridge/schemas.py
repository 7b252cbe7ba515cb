"""Base models for the wire: camelCase names, unknown input fields refused, bounded pages."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated, Generic, TypeVar

from fastapi import Path, Query
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

T = TypeVar("T")

# Ids are 32-bit integers in storage (PostgreSQL ``integer``); a larger number on the wire is a
# 422, not a driver overflow (500) on the way to the database.
MAX_ID = 2**31 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]


class InputModel(BaseModel):
    """A request body: camelCase fields only, and any field the contract does not name is a 422."""

    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, str_strip_whitespace=False)


class OutputModel(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, serialize_by_alias=True
    )


class Page(OutputModel, Generic[T]):
    items: list[T]
    total: int
    page: int
    page_size: int
    pages: int


@dataclass(frozen=True)
class PageParams:
    page: int
    page_size: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size

    def build(self, items: list[T], total: int) -> Page[T]:
        return Page[T](
            items=items,
            total=total,
            page=self.page,
            page_size=self.page_size,
            pages=math.ceil(total / self.page_size),
        )


def page_params(
    page: Annotated[int, Query(ge=1, le=1_000_000, description="1-based page number")] = 1,
    page_size: Annotated[int, Query(alias="pageSize", ge=1, le=100)] = 20,
) -> PageParams:
    return PageParams(page=page, page_size=page_size)


class Deleted(OutputModel):
    id: int
    deleted: bool = Field(default=True)
