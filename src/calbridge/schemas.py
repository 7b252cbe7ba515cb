"""Base models for the wire: camelCase names, unknown input fields refused, bounded pages."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Path, Query
from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

T = TypeVar("T")
UNSTORABLE_TEXT = "unstorable_text"

# Ids are 32-bit integers in storage (PostgreSQL ``integer``); a larger number on the wire is a
# 422, not a driver overflow (500) on the way to the database.
MAX_ID = 2**31 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]


class InputModel(BaseModel):
    """A request body: camelCase fields only, and any field the contract does not name is a 422.
    Text anywhere in it (free-form JSON included) must be storable: no NUL character, which
    PostgreSQL text and JSON cannot hold, and no lone surrogate, which is not UTF-8."""

    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, str_strip_whitespace=False)

    @model_validator(mode="before")
    @classmethod
    def _storable_text(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key, value in data.items():
                if not _storable(value):
                    # The handler appends ctx["field"] to the error's location.
                    raise PydanticCustomError(
                        UNSTORABLE_TEXT,
                        "text must be UTF-8 without NUL (\\u0000) characters",
                        {"field": str(key)},
                    )
        return data


def _storable(value: Any) -> bool:
    pending = [value]  # a loop, not recursion: JSON may nest deeper than Python's stack
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if "\x00" in item or not _is_utf8(item):
                return False
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list | tuple):
            pending.extend(item)
    return True


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


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
