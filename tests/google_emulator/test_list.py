"""events.list: response shape, paging, time bounds, ordering, deleted events, sync tokens."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from calbridge_google_emulator import GoogleEmulator

from .flows import EVENTS, error_reason, timed_event


async def add(
    client: httpx.AsyncClient, auth: dict[str, str], start: str, end: str, **fields: Any
) -> dict[str, Any]:
    response = await client.post(EVENTS, json=timed_event(start, end, **fields), headers=auth)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def add_many(client: httpx.AsyncClient, auth: dict[str, str], count: int) -> None:
    async def one(i: int) -> None:
        await add(client, auth, "2026-05-01T10:00:00Z", "2026-05-01T11:00:00Z", summary=f"e{i}")

    for batch in range(0, count, 250):
        await asyncio.gather(*(one(i) for i in range(batch, min(count, batch + 250))))


async def list_all(
    client: httpx.AsyncClient, auth: dict[str, str], **params: Any
) -> tuple[list[dict[str, Any]], str]:
    """Follow nextPageToken to the end; the items and the final nextSyncToken."""
    items: list[dict[str, Any]] = []
    page_token = None
    while True:
        query = dict(params) | ({"pageToken": page_token} if page_token else {})
        response = await client.get(EVENTS, params=query, headers=auth)
        assert response.status_code == 200, response.text
        body = response.json()
        items += body["items"]
        page_token = body.get("nextPageToken")
        if page_token is None:
            return items, body["nextSyncToken"]
        assert "nextSyncToken" not in body


async def test_list_response_has_googles_fields(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    await add(client, auth, "2026-04-11T10:00:00Z", "2026-04-11T11:00:00Z")
    body = (await client.get(EVENTS, headers=auth)).json()
    assert body["kind"] == "calendar#events"
    assert body["summary"] == "testuser@example.com"
    assert body["timeZone"] == "UTC"
    assert body["updated"].endswith("Z")
    assert body["nextSyncToken"]
    assert "nextPageToken" not in body
    assert [item["kind"] for item in body["items"]] == ["calendar#event"]


async def test_max_results_defaults_to_250(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    await add_many(client, auth, 251)
    first = (await client.get(EVENTS, headers=auth)).json()
    assert len(first["items"]) == 250
    assert "nextPageToken" in first


@pytest.mark.slow
async def test_max_results_is_capped_at_2500(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    await add_many(client, auth, 2501)
    first = (await client.get(EVENTS, params={"maxResults": 5000}, headers=auth)).json()
    assert len(first["items"]) == 2500
    second = await client.get(EVENTS, params={"pageToken": first["nextPageToken"]}, headers=auth)
    assert len(second.json()["items"]) == 1


async def test_paging_returns_every_event_once(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    await add_many(client, auth, 7)
    items, _ = await list_all(client, auth, maxResults=3)
    assert sorted(item["summary"] for item in items) == sorted(f"e{i}" for i in range(7))


async def test_bad_max_results_and_page_token_are_400(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    for params in ({"maxResults": "0"}, {"maxResults": "ten"}, {"pageToken": "bogus"}):
        response = await client.get(EVENTS, params=params, headers=auth)
        assert response.status_code == 400, params
        assert error_reason(response) == "invalid"


async def test_time_min_bounds_end_and_time_max_bounds_start_exclusively(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    await add(client, auth, "2026-04-11T08:00:00Z", "2026-04-11T10:00:00Z", summary="ends at min")
    await add(client, auth, "2026-04-11T09:00:00Z", "2026-04-11T10:30:00Z", summary="overlaps min")
    await add(client, auth, "2026-04-11T11:30:00Z", "2026-04-11T12:30:00Z", summary="overlaps max")
    await add(client, auth, "2026-04-11T12:00:00Z", "2026-04-11T13:00:00Z", summary="starts at max")
    params = {"timeMin": "2026-04-11T10:00:00Z", "timeMax": "2026-04-11T12:00:00+00:00"}
    items, _ = await list_all(client, auth, **params)
    assert [i["summary"] for i in items] == ["overlaps min", "overlaps max"]


async def test_time_bounds_need_an_offset_and_a_non_empty_range(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    naive = await client.get(EVENTS, params={"timeMin": "2026-04-11T10:00:00"}, headers=auth)
    assert naive.status_code == 400
    empty = await client.get(
        EVENTS,
        params={"timeMin": "2026-04-11T10:00:00Z", "timeMax": "2026-04-11T10:00:00Z"},
        headers=auth,
    )
    assert empty.status_code == 400
    assert error_reason(empty) == "timeRangeEmpty"


async def test_order_by_start_time_needs_single_events(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    await add(client, auth, "2026-04-12T10:00:00Z", "2026-04-12T11:00:00Z", summary="later")
    await add(client, auth, "2026-04-11T10:00:00Z", "2026-04-11T11:00:00Z", summary="sooner")
    refused = await client.get(EVENTS, params={"orderBy": "startTime"}, headers=auth)
    assert refused.status_code == 400
    ordered, _ = await list_all(client, auth, orderBy="startTime", singleEvents="true")
    assert [i["summary"] for i in ordered] == ["sooner", "later"]


async def test_deleted_events_are_hidden_unless_show_deleted(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    kept = await add(client, auth, "2026-04-11T10:00:00Z", "2026-04-11T11:00:00Z")
    gone = await add(client, auth, "2026-04-11T12:00:00Z", "2026-04-11T13:00:00Z")
    await client.delete(f"{EVENTS}/{gone['id']}", headers=auth)
    default, _ = await list_all(client, auth)
    assert [i["id"] for i in default] == [kept["id"]]
    shown, _ = await list_all(client, auth, showDeleted="true")
    assert {i["id"]: i["status"] for i in shown} == {
        kept["id"]: "confirmed",
        gone["id"]: "cancelled",
    }


async def test_private_extended_property_filter(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    ours = await add(
        client,
        auth,
        "2026-04-11T10:00:00Z",
        "2026-04-11T11:00:00Z",
        extendedProperties={"private": {"calbridgeEventId": "7"}},
    )
    await add(client, auth, "2026-04-11T10:00:00Z", "2026-04-11T11:00:00Z")
    items, _ = await list_all(client, auth, privateExtendedProperty="calbridgeEventId=7")
    assert [i["id"] for i in items] == [ours["id"]]


async def test_sync_token_returns_changes_including_deletions(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    unchanged = await add(client, auth, "2026-04-11T10:00:00Z", "2026-04-11T11:00:00Z")
    edited = await add(client, auth, "2026-04-11T12:00:00Z", "2026-04-11T13:00:00Z")
    removed = await add(client, auth, "2026-04-11T14:00:00Z", "2026-04-11T15:00:00Z")
    _, sync_token = await list_all(client, auth)

    await client.patch(f"{EVENTS}/{edited['id']}", json={"summary": "edited"}, headers=auth)
    await client.delete(f"{EVENTS}/{removed['id']}", headers=auth)
    added = await add(client, auth, "2026-04-12T10:00:00Z", "2026-04-12T11:00:00Z")

    changes, next_token = await list_all(client, auth, syncToken=sync_token, maxResults=2)
    by_id = {i["id"]: i for i in changes}
    assert set(by_id) == {edited["id"], removed["id"], added["id"]}
    assert unchanged["id"] not in by_id
    assert by_id[removed["id"]]["status"] == "cancelled"
    assert by_id[edited["id"]]["summary"] == "edited"

    nothing, _ = await list_all(client, auth, syncToken=next_token)
    assert nothing == []


async def test_bogus_or_invalidated_sync_token_is_410_full_sync_required(
    emulator: GoogleEmulator, client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    bogus = await client.get(
        EVENTS, params={"syncToken": "CPDAlvWDx70CEPDAlvWDx70CGAU="}, headers=auth
    )
    assert bogus.status_code == 410
    assert error_reason(bogus) == "fullSyncRequired"
    _, sync_token = await list_all(client, auth)
    assert (await client.get(EVENTS, params={"syncToken": sync_token}, headers=auth)).is_success
    emulator.invalidate_sync_tokens()
    stale = await client.get(EVENTS, params={"syncToken": sync_token}, headers=auth)
    assert stale.status_code == 410
    assert error_reason(stale) == "fullSyncRequired"


async def test_sync_token_refuses_time_filters(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    _, sync_token = await list_all(client, auth)
    params = {"syncToken": sync_token, "timeMin": "2026-04-11T10:00:00Z"}
    response = await client.get(EVENTS, params=params, headers=auth)
    assert response.status_code == 400


async def test_change_made_while_paging_reaches_the_next_sync(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    first = await add(client, auth, "2026-04-11T10:00:00Z", "2026-04-11T11:00:00Z")
    await add(client, auth, "2026-04-11T12:00:00Z", "2026-04-11T13:00:00Z")
    page = (await client.get(EVENTS, params={"maxResults": 1}, headers=auth)).json()
    await client.patch(f"{EVENTS}/{first['id']}", json={"summary": "late edit"}, headers=auth)
    rest = await client.get(EVENTS, params={"pageToken": page["nextPageToken"]}, headers=auth)
    sync_token = rest.json()["nextSyncToken"]
    changes, _ = await list_all(client, auth, syncToken=sync_token)
    assert [c["summary"] for c in changes] == ["late edit"]


async def test_order_by_updated_puts_the_last_change_last(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    first = await add(client, auth, "2026-04-11T10:00:00Z", "2026-04-11T11:00:00Z", summary="a")
    await add(client, auth, "2026-04-11T12:00:00Z", "2026-04-11T13:00:00Z", summary="b")
    await client.patch(f"{EVENTS}/{first['id']}", json={"summary": "a2"}, headers=auth)
    items, _ = await list_all(client, auth, orderBy="updated")
    assert [i["summary"] for i in items] == ["b", "a2"]


async def test_free_text_query_matches_summary_and_attendees(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    await add(client, auth, "2026-04-11T10:00:00Z", "2026-04-11T11:00:00Z", summary="Dentist")
    await add(
        client,
        auth,
        "2026-04-11T12:00:00Z",
        "2026-04-11T13:00:00Z",
        summary="Lunch",
        attendees=[{"email": "bob@example.com"}],
    )
    assert [i["summary"] for i in (await list_all(client, auth, q="dentist"))[0]] == ["Dentist"]
    assert [i["summary"] for i in (await list_all(client, auth, q="bob@"))[0]] == ["Lunch"]


async def test_time_zone_parameter_sets_how_times_are_written(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    await add(client, auth, "2026-04-11T10:00:00Z", "2026-04-11T11:00:00Z")
    items, _ = await list_all(client, auth, timeZone="America/New_York")
    assert items[0]["start"] == {"dateTime": "2026-04-11T06:00:00-04:00"}
