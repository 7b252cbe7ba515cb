"""Calendar v3 events: insert, get, update, patch, delete, ids, ETags, errors."""

from __future__ import annotations

import httpx

from calbridge_google_emulator import GoogleEmulator

from .flows import EVENTS, error_reason, timed_event

START, END = "2026-04-11T10:00:00Z", "2026-04-11T11:00:00Z"


async def insert(
    client: httpx.AsyncClient, auth: dict[str, str], **fields: object
) -> httpx.Response:
    return await client.post(EVENTS, json=timed_event(START, END, **fields), headers=auth)


async def test_insert_answers_200_with_the_event_resource(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    response = await insert(
        client,
        auth,
        description="Plan",
        location="Room 1",
        attendees=[{"email": "a@example.com", "displayName": "A"}],
        extendedProperties={"private": {"calbridgeEventId": "42"}},
    )
    assert response.status_code == 200
    event = response.json()
    assert event["kind"] == "calendar#event"
    assert event["status"] == "confirmed"
    assert event["summary"] == "Meeting"
    assert event["description"] == "Plan"
    assert event["location"] == "Room 1"
    assert event["start"] == {"dateTime": START}
    assert event["end"] == {"dateTime": END}
    assert event["attendees"] == [
        {"email": "a@example.com", "displayName": "A", "responseStatus": "needsAction"}
    ]
    assert event["extendedProperties"] == {"private": {"calbridgeEventId": "42"}}
    assert event["iCalUID"] == f"{event['id']}@google.com"
    assert event["htmlLink"].startswith("https://www.google.com/calendar/event?eid=")
    assert event["created"].endswith("Z") and event["updated"].endswith("Z")
    assert event["etag"].startswith('"') and response.headers["etag"] == event["etag"]


async def test_generated_ids_are_base32hex(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    event_id = (await insert(client, auth)).json()["id"]
    assert set(event_id) <= set("0123456789abcdefghijklmnopqrstuv")
    assert 5 <= len(event_id) <= 1024


async def test_get_returns_the_stored_event(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    created = (await insert(client, auth)).json()
    response = await client.get(f"{EVENTS}/{created['id']}", headers=auth)
    assert response.status_code == 200
    assert response.json() == created
    assert response.headers["etag"] == created["etag"]


async def test_primary_is_the_users_own_calendar(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    created = (await insert(client, auth)).json()
    by_email = "/calendar/v3/calendars/testuser%40example.com/events/" + created["id"]
    response = await client.get(by_email, headers=auth)
    assert response.status_code == 200
    assert response.json()["organizer"] == {"email": "testuser@example.com", "self": True}


async def test_another_users_calendar_is_not_found(
    emulator: GoogleEmulator, client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    created = (await insert(client, auth)).json()
    other = {"Authorization": "Bearer " + emulator.issue_access_token(email="other@example.com")}
    path = f"/calendar/v3/calendars/testuser%40example.com/events/{created['id']}"
    response = await client.get(path, headers=other)
    assert response.status_code == 404
    own = await client.get(f"{EVENTS}/{created['id']}", headers=other)
    assert own.status_code == 404


async def test_not_found_uses_googles_error_envelope(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    response = await client.get(f"{EVENTS}/abcdefgh", headers=auth)
    assert response.status_code == 404
    assert response.json() == {
        "error": {
            "code": 404,
            "message": "Not Found",
            "errors": [{"domain": "global", "reason": "notFound", "message": "Not Found"}],
        }
    }


async def test_client_supplied_id_is_kept(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    response = await insert(client, auth, id="calbridge00042")
    assert response.status_code == 200
    assert response.json()["id"] == "calbridge00042"


async def test_ids_outside_base32hex_or_length_are_400_invalid(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    for bad in ("abc", "UPPERCASE123", "has-dash-123", "wxyz12345", "a" * 1025):
        response = await insert(client, auth, id=bad)
        assert response.status_code == 400, bad
        assert error_reason(response) == "invalid"
    assert (await insert(client, auth, id="a" * 1024)).status_code == 200
    assert (await insert(client, auth, id="0v0v0")).status_code == 200


async def test_duplicate_id_is_409_even_after_delete(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    assert (await insert(client, auth, id="dup00001")).status_code == 200
    again = await insert(client, auth, id="dup00001")
    assert again.status_code == 409
    assert error_reason(again) == "duplicate"
    assert (await client.delete(f"{EVENTS}/dup00001", headers=auth)).status_code == 204
    after_delete = await insert(client, auth, id="dup00001")
    assert after_delete.status_code == 409
    assert error_reason(after_delete) == "duplicate"


async def test_update_replaces_the_event(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    created = (await insert(client, auth, description="old", location="here")).json()
    body = timed_event("2026-04-12T09:00:00Z", "2026-04-12T10:00:00Z", summary="Moved")
    response = await client.put(f"{EVENTS}/{created['id']}", json=body, headers=auth)
    assert response.status_code == 200
    updated = response.json()
    assert updated["summary"] == "Moved"
    assert "description" not in updated and "location" not in updated
    assert updated["start"] == {"dateTime": "2026-04-12T09:00:00Z"}
    assert updated["etag"] != created["etag"]
    assert updated["sequence"] == created["sequence"] + 1
    assert updated["created"] == created["created"]


async def test_update_without_times_is_400(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    created = (await insert(client, auth)).json()
    response = await client.put(f"{EVENTS}/{created['id']}", json={"summary": "x"}, headers=auth)
    assert response.status_code == 400
    assert error_reason(response) == "required"


async def test_patch_changes_only_given_fields(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    created = (
        await insert(client, auth, description="keep", extendedProperties={"private": {"a": "1"}})
    ).json()
    patch = {"summary": "Renamed", "extendedProperties": {"private": {"b": "2"}}}
    response = await client.patch(f"{EVENTS}/{created['id']}", json=patch, headers=auth)
    assert response.status_code == 200
    patched = response.json()
    assert patched["summary"] == "Renamed"
    assert patched["description"] == "keep"
    assert patched["start"] == created["start"]
    assert patched["extendedProperties"] == {"private": {"a": "1", "b": "2"}}
    assert patched["etag"] != created["etag"]


async def test_delete_is_204_and_soft(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    created = (await insert(client, auth)).json()
    response = await client.delete(f"{EVENTS}/{created['id']}", headers=auth)
    assert response.status_code == 204
    assert response.content == b""
    fetched = await client.get(f"{EVENTS}/{created['id']}", headers=auth)
    assert fetched.status_code == 200
    assert fetched.json()["status"] == "cancelled"


async def test_second_delete_is_410_deleted(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    created = (await insert(client, auth)).json()
    await client.delete(f"{EVENTS}/{created['id']}", headers=auth)
    again = await client.delete(f"{EVENTS}/{created['id']}", headers=auth)
    assert again.status_code == 410
    assert error_reason(again) == "deleted"


async def test_stale_if_match_is_412_and_current_one_passes(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    created = (await insert(client, auth)).json()
    path = f"{EVENTS}/{created['id']}"
    first = await client.patch(
        path, json={"summary": "one"}, headers=auth | {"If-Match": created["etag"]}
    )
    assert first.status_code == 200
    stale = await client.patch(
        path, json={"summary": "two"}, headers=auth | {"If-Match": created["etag"]}
    )
    assert stale.status_code == 412
    assert error_reason(stale) == "conditionNotMet"
    stale_put = await client.put(
        path, json=timed_event(START, END), headers=auth | {"If-Match": created["etag"]}
    )
    assert stale_put.status_code == 412
    stale_delete = await client.delete(path, headers=auth | {"If-Match": created["etag"]})
    assert stale_delete.status_code == 412
    current = await client.delete(path, headers=auth | {"If-Match": first.json()["etag"]})
    assert current.status_code == 204
    assert (await client.get(path, headers=auth)).json()["summary"] == "one"


async def test_if_none_match_on_get_is_304(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    created = (await insert(client, auth)).json()
    response = await client.get(
        f"{EVENTS}/{created['id']}", headers=auth | {"If-None-Match": created["etag"]}
    )
    assert response.status_code == 304


async def test_all_day_events_use_dates(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    body = {"summary": "Holiday", "start": {"date": "2026-04-11"}, "end": {"date": "2026-04-12"}}
    response = await client.post(EVENTS, json=body, headers=auth)
    assert response.status_code == 200
    assert response.json()["start"] == {"date": "2026-04-11"}
    assert response.json()["end"] == {"date": "2026-04-12"}
    mixed = {"start": {"date": "2026-04-11"}, "end": {"dateTime": "2026-04-12T00:00:00Z"}}
    assert (await client.post(EVENTS, json=mixed, headers=auth)).status_code == 400


async def test_times_need_an_offset_or_a_time_zone(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    naive = timed_event("2026-04-11T10:00:00", "2026-04-11T11:00:00")
    missing = await client.post(EVENTS, json=naive, headers=auth)
    assert missing.status_code == 400
    assert error_reason(missing) == "required"
    zoned = {
        "summary": "Zoned",
        "start": {"dateTime": "2026-04-11T10:00:00", "timeZone": "Europe/Berlin"},
        "end": {"dateTime": "2026-04-11T11:00:00", "timeZone": "Europe/Berlin"},
    }
    response = await client.post(EVENTS, json=zoned, headers=auth)
    assert response.status_code == 200
    assert response.json()["start"] == {
        "dateTime": "2026-04-11T10:00:00+02:00",
        "timeZone": "Europe/Berlin",
    }


async def test_end_before_start_is_400_time_range_empty(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    response = await client.post(EVENTS, json=timed_event(END, START), headers=auth)
    assert response.status_code == 400
    assert error_reason(response) == "timeRangeEmpty"


async def test_missing_bad_or_expired_token_is_401_auth_error(
    emulator: GoogleEmulator, client: httpx.AsyncClient
) -> None:
    expiring = emulator.issue_access_token(expires_in=60)
    headers_by_case = {
        "missing": {},
        "bad": {"Authorization": "Bearer nope"},
        "not bearer": {"Authorization": "Basic abc"},
    }
    for case, headers in headers_by_case.items():
        response = await client.get(EVENTS, headers=headers)
        assert response.status_code == 401, case
        assert error_reason(response) == "authError"
    assert (await client.get(EVENTS, headers={"Authorization": f"Bearer {expiring}"})).is_success
    emulator.advance_clock(61)
    expired = await client.get(EVENTS, headers={"Authorization": f"Bearer {expiring}"})
    assert expired.status_code == 401
    assert error_reason(expired) == "authError"


async def test_token_without_calendar_scope_is_403(
    emulator: GoogleEmulator, client: httpx.AsyncClient
) -> None:
    token = emulator.issue_access_token(scopes=("openid", "email"))
    response = await client.get(EVENTS, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403
    assert error_reason(response) == "insufficientPermissions"


async def test_read_only_scope_cannot_write(
    emulator: GoogleEmulator, client: httpx.AsyncClient
) -> None:
    readonly = ("https://www.googleapis.com/auth/calendar.readonly",)
    headers = {"Authorization": "Bearer " + emulator.issue_access_token(scopes=readonly)}
    assert (await client.get(EVENTS, headers=headers)).status_code == 200
    assert (
        await client.post(EVENTS, json=timed_event(START, END), headers=headers)
    ).status_code == 403


async def test_authentication_is_checked_before_the_body(client: httpx.AsyncClient) -> None:
    response = await client.post(EVENTS, content=b"{not json")
    assert response.status_code == 401


async def test_a_body_that_is_not_json_is_400_parse_error(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    response = await client.post(EVENTS, content=b"{not json", headers=auth)
    assert response.status_code == 400
    assert error_reason(response) == "parseError"
