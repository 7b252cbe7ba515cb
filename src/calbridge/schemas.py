"""Base models for the wire: camelCase names, strict types, unknown input fields refused,
bounded pages.

Strictness (CONTRACT §1.1) lives here so that every body gets it: ``InputModel`` is strict (an
integer is a JSON integer, a boolean a JSON boolean), and the few types a JSON document can only
carry as text (date-times, dates) are parsed from strings of their one written form. Path and
query values arrive as text and go through ``Digits``/``DateTimeText`` instead.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Path, Query
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    SerializerFunctionWrapHandler,
    Strict,
    WithJsonSchema,
    WrapSerializer,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

from calbridge.pagination import Paged

T = TypeVar("T")
UNSTORABLE_TEXT = "unstorable_text"

# Ids are 32-bit integers in storage (PostgreSQL ``integer``); a larger number on the wire is a
# 422, not a driver overflow (500) on the way to the database.
MAX_ID = 2**31 - 1

# RFC 3339 date-time; seconds and the offset may be left out (a time without offset is local to
# the calendar, CONTRACT §1). "T" or a space between date and time, as RFC 3339 §5.6 allows.
_DATE_TIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?([Zz]|[+-]\d{2}:\d{2})?$"
)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DATE_TIME_MESSAGE = "must be an RFC 3339 date-time such as 2026-04-11T09:00:00+02:00"


def _date_time_text(value: Any) -> Any:
    if isinstance(value, dt.datetime):  # built in Python (admin, CLI), not from the wire
        return value
    if not isinstance(value, str) or not _DATE_TIME.match(value):
        raise PydanticCustomError("date_time_text", DATE_TIME_MESSAGE)
    return value


def _date_text(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str) or not _DATE.match(value):
        raise PydanticCustomError("date_text", "must be a date such as 2026-12-24")
    return value


def _digits(value: Any) -> Any:
    # A path or query value is text; lax parsing would take "1.0" or "+1" for 1.
    if isinstance(value, str) and not (value.isascii() and value.isdigit()):
        raise PydanticCustomError("int_text", "must be a whole number written in digits")
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise PydanticCustomError("blank", "must not be empty or only spaces")
    return value


class Matching:
    """Text of a pattern, as ``Annotated[str, Matching(pattern, message)]``: the schema states
    the pattern, a refusal says ``message`` (nobody should have to decode a regex)."""

    def __init__(self, pattern: str, message: str) -> None:
        self.pattern = pattern
        self.message = message
        self._compiled = re.compile(pattern)

    def _check(self, value: str) -> str:
        if not self._compiled.search(value):
            raise PydanticCustomError("pattern", self.message)
        return value

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(self._check, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {**handler(schema), "pattern": self.pattern}


DateTimeText = Annotated[dt.datetime, Strict(False), BeforeValidator(_date_time_text)]
DateText = Annotated[dt.date, Strict(False), BeforeValidator(_date_text)]
# Text that must say something: the schema says so too (a pattern), the message says it plainly.
NonBlank = Annotated[str, AfterValidator(_not_blank), Field(json_schema_extra={"pattern": r"\S"})]
Id = Annotated[int, Strict(), Field(ge=1, le=MAX_ID)]
Digits = Annotated[int, Strict(False), BeforeValidator(_digits)]
PathId = Annotated[Digits, Path(ge=1, le=MAX_ID)]


class _RefuseNull:
    """Marks an update field that may be omitted but not set to null: ``null`` is a 422 that
    says so, and the schema does not offer ``null`` (no ``anyOf [T, null]``, no null default)."""

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> core_schema.CoreSchema:
        return core_schema.no_info_before_validator_function(_refuse_null, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        branches = [b for b in json_schema.get("anyOf", []) if b != {"type": "null"}]
        if len(branches) == 1 and "anyOf" in json_schema:
            rest = {key: value for key, value in json_schema.items() if key != "anyOf"}
            json_schema = {**branches[0], **rest}
        return json_schema


def _refuse_null(value: Any) -> Any:
    if value is None:
        raise PydanticCustomError("null", "cannot be null; omit the field to keep its value")
    return value


REFUSE_NULL = _RefuseNull()


def _drop_null_defaults(schema: dict[str, Any], model: type[BaseModel]) -> None:
    for name, field in model.model_fields.items():
        if REFUSE_NULL in field.metadata:
            prop = schema.get("properties", {}).get(field.alias or name, {})
            prop.pop("default", None)


class InputModel(BaseModel):
    """A request body: camelCase fields only, and any field the contract does not name is a 422.
    Types are strict (see the module docstring). Text anywhere in it (free-form JSON included)
    must be storable: no NUL character, which PostgreSQL text and JSON cannot hold, and no lone
    surrogate, which is not UTF-8."""

    model_config = ConfigDict(
        extra="forbid",
        alias_generator=to_camel,
        str_strip_whitespace=False,
        strict=True,
        json_schema_extra=_drop_null_defaults,
    )

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


def _keep_offset_seconds(value: dt.datetime, default: SerializerFunctionWrapHandler) -> Any:
    """Pydantic writes offsets to the minute, so a historic offset with seconds (Amsterdam
    before 1937: +01:19:32) would shift the instant by 32 s; those keep their seconds."""
    offset = value.utcoffset()
    if offset is not None and offset.total_seconds() % 60:
        return value.isoformat()
    written: str = default(value)
    return written


# A date-time on the wire (in answers): ``2026-04-13T09:00:00+02:00``, ``…+01:19:32`` if the
# offset has seconds.
WireDateTime = Annotated[
    dt.datetime,
    WrapSerializer(_keep_offset_seconds, when_used="json", return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]


class OutputModel(BaseModel):
    """An answer. Where the wire is the row, ``XResponse.model_validate(row)`` builds it (read
    from attributes); where it is not (an event's local times and attendee names), one presenter
    function does (``event/presenter.py``)."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        serialize_by_alias=True,
        from_attributes=True,
    )


class Page(OutputModel, Generic[T]):
    items: list[T]
    total: int
    page: int
    page_size: int
    pages: int

    @classmethod
    def of(cls, paged: Paged[Any], items: list[T]) -> Page[T]:
        """The wire page of ``paged``, its rows presented as ``items``."""
        return cls(
            items=items,
            total=paged.total,
            page=paged.page,
            page_size=paged.size,
            pages=paged.pages,
        )


@dataclass(frozen=True)
class PageParams:
    page: int
    page_size: int


def page_params(
    page: Annotated[Digits, Query(ge=1, le=1_000_000, description="1-based page number")] = 1,
    page_size: Annotated[Digits, Query(alias="pageSize", ge=1, le=100)] = 20,
) -> PageParams:
    return PageParams(page=page, page_size=page_size)


class Deleted(OutputModel):
    id: int
    deleted: bool = Field(default=True)
