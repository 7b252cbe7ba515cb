"""A list's state in the query string (admin/listing.py): read leniently, written back short,
and every link keeps what it does not change."""

from __future__ import annotations

import pytest

from calbridge.admin.listing import DEFAULT_SIZE, Listing, page_numbers
from calbridge.pagination import Paged

SORTS = ("name", "email")


def _listing(query: dict[str, str], **filters: str) -> Listing:
    return Listing.of("/admin/x", query, SORTS, filters=filters)


def test_defaults_make_short_links() -> None:
    listing = _listing({})
    assert (listing.sort, listing.descending, listing.page, listing.size) == (
        "name",
        False,
        1,
        DEFAULT_SIZE,
    )
    assert listing.url() == "/admin/x"
    assert listing.page_url(2) == "/admin/x?page=2"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"sort": "nope"}, ("name", False, 1, DEFAULT_SIZE)),
        ({"sort": "email", "order": "sideways"}, ("email", False, 1, DEFAULT_SIZE)),
        ({"page": "-3", "size": "7"}, ("name", False, 1, DEFAULT_SIZE)),
        ({"page": "1e3", "size": "50"}, ("name", False, 1, 50)),
        ({"page": "99999999999"}, ("name", False, 1_000_000, DEFAULT_SIZE)),
        ({"sort": "email", "order": "desc", "page": "3"}, ("email", True, 3, DEFAULT_SIZE)),
    ],
)
def test_edited_links_fall_back_to_defaults(
    query: dict[str, str], expected: tuple[str, bool, int, int]
) -> None:
    listing = _listing(query)
    assert (listing.sort, listing.descending, listing.page, listing.size) == expected


def test_links_keep_search_sort_size_and_filters() -> None:
    listing = _listing(
        {"q": "  ada   lovelace ", "sort": "email", "order": "desc", "size": "50", "page": "2"},
        calendar="7",
        status="",
    )
    assert listing.q == "ada lovelace"
    assert listing.filters == {"calendar": "7"}
    assert listing.page_url(3) == (
        "/admin/x?calendar=7&q=ada+lovelace&sort=email&order=desc&size=50&page=3"
    )
    # A header link turns the sorted column round, sorts another ascending, and goes to page 1.
    assert listing.sort_url("email") == (
        "/admin/x?calendar=7&q=ada+lovelace&sort=email&order=asc&size=50"
    )
    assert listing.sort_url("name") == "/admin/x?calendar=7&q=ada+lovelace&size=50"
    assert (listing.aria_sort("email"), listing.aria_sort("name")) == ("descending", None)
    # The search form sends q and size itself; the rest rides along hidden.
    assert listing.hidden_fields() == {"calendar": "7", "sort": "email", "order": "desc"}
    assert listing.hidden_fields(filters=False) == {"sort": "email", "order": "desc"}


def test_a_newest_first_default_stays_out_of_the_url() -> None:
    listing = Listing.of("/admin/jobs", {}, ("id", "kind"), descending=True)
    assert listing.descending
    assert listing.page_url(2) == "/admin/jobs?page=2"
    assert listing.sort_url("id") == "/admin/jobs?sort=id&order=asc"


@pytest.mark.parametrize(
    ("page", "pages", "expected"),
    [
        (1, 1, [1]),
        (1, 4, [1, 2, 3, 4]),
        (1, 20, [1, 2, 3, None, 20]),
        (10, 20, [1, None, 8, 9, 10, 11, 12, None, 20]),
        (4, 20, [1, 2, 3, 4, 5, 6, None, 20]),
        (20, 20, [1, None, 18, 19, 20]),
        (30, 20, [1, None, 20]),  # past the end (an old link): the way back is there
    ],
)
def test_page_numbers(page: int, pages: int, expected: list[int | None]) -> None:
    paged: Paged[object] = Paged(items=[], total=pages * 10, page=page, size=10)
    assert page_numbers(paged) == expected
