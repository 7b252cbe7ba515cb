"""What a list page was asked for, all of it in the query string so that a link, a reload or
the back button shows the same rows: search text (``q``), sort column and direction (``sort``,
``order=desc``), page size (``size``), page (``page``) and the page's own filters (an events
calendar, a jobs status). Every link a list page draws (column headers, page numbers) keeps the
rest of the state; changing the search, sort or size goes back to page 1.

Pure: the queries that honour a ``Listing`` are in ``admin/list_queries.py``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlencode

from calbridge.pagination import Paged

SIZES = (10, 20, 50, 100)
DEFAULT_SIZE = 20
_SIZE_TEXTS = {str(size) for size in SIZES}
MAX_PAGE = 1_000_000
MAX_SEARCH = 200
# Page numbers shown on each side of the current page (the first and last are always shown).
AROUND = 2


def _whole(raw: str | None, default: int, low: int, high: int) -> int:
    if raw is None or not (raw.isascii() and raw.isdigit()):
        return default
    return max(low, min(int(raw), high))


@dataclass(frozen=True)
class Listing:
    path: str
    sorts: Sequence[str]
    sort: str
    descending: bool = False
    # The first sort key's own direction (newest first for jobs), so its links stay short.
    default_descending: bool = False
    q: str = ""
    page: int = 1
    size: int = DEFAULT_SIZE
    filters: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        path: str,
        params: Mapping[str, str],
        sorts: Sequence[str],
        *,
        descending: bool = False,
        filters: Mapping[str, str] | None = None,
    ) -> Listing:
        """From a request's query ``params``; ``sorts`` are the sortable columns' keys, the
        first the default (``descending`` its default direction). Anything unknown or out of
        range falls back to the default rather than failing: these are links people edit."""
        sort = params.get("sort", "")
        order = params.get("order")
        known = sort in sorts
        return cls(
            path=path,
            sorts=tuple(sorts),
            sort=sort if known else sorts[0],
            descending=order == "desc" if known and order in ("asc", "desc") else descending,
            default_descending=descending,
            q=" ".join(params.get("q", "").split())[:MAX_SEARCH],
            page=_whole(params.get("page"), 1, 1, MAX_PAGE),
            size=int(size) if (size := params.get("size", "")) in _SIZE_TEXTS else DEFAULT_SIZE,
            filters={key: value for key, value in (filters or {}).items() if value},
        )

    def params(self, **changes: Any) -> dict[str, str]:
        """The query string's values after ``changes``, defaults left out (short URLs)."""
        state = replace(self, **changes)
        values: dict[str, str] = dict(state.filters)
        if state.q:
            values["q"] = state.q
        if state.sort != self.sorts[0] or state.descending != self.default_descending:
            values["sort"] = state.sort
            values["order"] = "desc" if state.descending else "asc"
        if state.size != DEFAULT_SIZE:
            values["size"] = str(state.size)
        if state.page != 1:
            values["page"] = str(state.page)
        return values

    def url(self, **changes: Any) -> str:
        query = urlencode(self.params(**changes))
        return f"{self.path}?{query}" if query else self.path

    def sort_url(self, key: str) -> str:
        """The column header's link: sorts by ``key``, or turns the direction round if the list
        is sorted by it already."""
        descending = not self.descending if key == self.sort else False
        return self.url(sort=key, descending=descending, page=1)

    def aria_sort(self, key: str) -> str | None:
        if key != self.sort:
            return None
        return "descending" if self.descending else "ascending"

    def page_url(self, number: int) -> str:
        return self.url(page=number)

    def hidden_fields(self, filters: bool = True) -> dict[str, str]:
        """What the search form must send besides ``q`` and ``size`` to keep the rest (the
        filters too, unless the form has fields of its own for them)."""
        return self.params(q="", size=DEFAULT_SIZE, page=1, filters=self.filters if filters else {})


def page_numbers(paged: Paged[Any]) -> list[int | None]:
    """The page links to draw: the first, the last, and ``AROUND`` either side of the current
    page; ``None`` where numbers are left out (drawn as an ellipsis)."""
    shown = sorted(
        {1, paged.pages}
        | set(range(max(1, paged.page - AROUND), min(paged.pages, paged.page + AROUND) + 1))
    )
    numbers: list[int | None] = []
    for number in shown:
        if numbers and number - (numbers[-1] or 0) > 1:
            numbers.append(None)
        numbers.append(number)
    return [number for number in numbers if number is None or 1 <= number <= paged.pages]
