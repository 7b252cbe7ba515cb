"""The wire schemas' status values are the status enums' values (one vocabulary, two spellings:
``Literal`` for strict parsing and inline OpenAPI enums, ``StrEnum`` in the code)."""

from __future__ import annotations

from enum import StrEnum
from typing import get_args

import pytest

from calbridge import statuses
from calbridge.event import schemas as event_schemas
from calbridge.rules import schemas as rule_schemas


@pytest.mark.parametrize(
    ("wire", "enum"),
    [
        (event_schemas.EventStatus, statuses.EventStatus),
        (event_schemas.ResponseStatus, statuses.ResponseStatus),
        (event_schemas.SyncStatus, statuses.SyncStatus),
        (rule_schemas.StatusCondition.model_fields["value"].annotation, statuses.EventStatus),
    ],
)
def test_the_wire_lists_exactly_the_enum_values(wire: object, enum: type[StrEnum]) -> None:
    assert set(get_args(wire)) == {member.value for member in enum}


def test_a_bookable_status_is_an_event_status_but_cancelled() -> None:
    assert set(get_args(event_schemas.BookableStatus)) == set(statuses.EventStatus) - {
        statuses.EventStatus.CANCELLED
    }
