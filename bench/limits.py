"""Latency under hostile work (issue 8), on `calbridge serve` as an operator runs it (SQLite, the
worker in-process, the embedded server's limits):

1. /healthz while email rules render a nested-loop template and a 20 MB-output template for every
   booking, and while attendees RSVP on a 200-attendee event;
2. an API booking while an admin form upload trickles in (the upload must not hold SQLite's write
   lock), against the same booking with no upload in flight.

`python -m bench.limits` prints the figures and writes `bench/results/limits.md`. Latencies are
measured here, not asserted in the suite (the tests check the behaviour, this the time)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO, Any

import httpx

from bench.server import ROOT, free_port

CALBRIDGE = [str(Path(sys.executable).with_name("calbridge"))]
NESTED = "{% for i in range(100000) %}{{ range(100000)|sum }}{% endfor %}"
HUGE = "{{ 'x' * 20000000 }}"
ADMIN = ("bench@calbridge.local", "bench-password-1")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def cli(env: dict[str, str], *args: str, stdin: str | None = None) -> Any:
    done = subprocess.run(
        [*CALBRIDGE, *args], env=env, input=stdin, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout) if done.stdout.strip().startswith("{") else None


def summary(seconds: list[float]) -> dict[str, float]:
    ms = sorted(value * 1000 for value in seconds)
    return {
        "n": len(ms),
        "p50": round(statistics.median(ms), 1),
        "p99": round(ms[min(len(ms) - 1, int(len(ms) * 0.99))], 1),
        "max": round(ms[-1], 1),
    }


class Bench:
    def __init__(self, base_url: str, workspace: str, token: str) -> None:
        self.base_url = base_url
        self.api = f"{base_url}/api/v2/w/{workspace}"
        self.workspace = workspace
        self.headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        self.client = httpx.AsyncClient(timeout=120, headers=self.headers)
        self.booked = 0

    async def post(self, path: str, body: dict[str, Any], expect: int = 201) -> Any:
        answer = await self.client.post(self.api + path, json=body)
        assert answer.status_code == expect, answer.text
        return answer.json()

    async def book(self, calendar_id: int, attendees: list[int] | None = None) -> tuple[Any, float]:
        self.booked += 1
        day, slot = divmod(self.booked, 16)
        start = f"2027-03-{1 + day % 28:02d}T{slot // 2:02d}:{30 * (slot % 2):02d}:00+00:00"
        end = f"2027-03-{1 + day % 28:02d}T{slot // 2:02d}:{30 * (slot % 2) + 29:02d}:00+00:00"
        started = time.monotonic()
        event = await self.post(
            "/calendar-events",
            {
                "calendarId": calendar_id,
                "title": f"Bench {self.booked}",
                "startTime": start,
                "endTime": end,
                "attendeeIds": attendees or [],
            },
        )
        return event, time.monotonic() - started

    async def rule_runs_settled(self, rule_ids: list[int], seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            pending = 0
            for rule_id in rule_ids:
                runs = (await self.client.get(f"{self.api}/event-rules/{rule_id}/runs")).json()
                pending += sum(
                    action["status"] == "pending"
                    for run in runs["items"]
                    for action in run["actions"]
                )
            if not pending:
                return True
            await asyncio.sleep(0.25)
        return False


async def probe_healthz(base_url: str, answered: list[float], stop: asyncio.Event) -> None:
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as health:
        while not stop.is_set():
            started = time.monotonic()
            assert (await health.get("/healthz")).status_code == 200
            answered.append(time.monotonic() - started)
            await asyncio.sleep(0.02)


async def heavy_templates(bench: Bench, calendar_id: int) -> dict[str, Any]:
    rule_ids = []
    for name, body in (("Nested loops", NESTED), ("Huge output", HUGE)):
        action = {"type": "email", "to": ["desk@example.com"], "subject": "s", "body": body}
        triggers = ["event.created", "attendee.responded"]
        rule = await bench.post(
            "/event-rules", {"name": name, "triggers": triggers, "actions": [action]}
        )
        rule_ids.append(rule["id"])
    members = [
        (await bench.post("/members", {"name": f"M{n}", "email": f"m{n}@example.com"}))["id"]
        for n in range(200)
    ]
    idle: list[float] = []
    stop = asyncio.Event()
    probing = asyncio.create_task(probe_healthz(bench.base_url, idle, stop))
    await asyncio.sleep(3)
    stop.set()
    await probing

    answered: list[float] = []
    stop = asyncio.Event()
    probing = asyncio.create_task(probe_healthz(bench.base_url, answered, stop))
    started = time.monotonic()
    for _ in range(5):
        await bench.book(calendar_id)
    crowded, _ = await bench.book(calendar_id, members)
    for member in members[:20]:
        answer = await bench.client.put(
            f"{bench.api}/calendar-events/{crowded['id']}/attendees/{member}",
            json={"responseStatus": "accepted"},
        )
        assert answer.status_code == 200, answer.text
    settled = await bench.rule_runs_settled(rule_ids, 180)
    stop.set()
    await probing
    for rule_id in rule_ids:  # the next phase books without them
        await bench.client.delete(f"{bench.api}/event-rules/{rule_id}")
    return {
        "healthz_idle_ms": summary(idle),
        "healthz_during_templates_ms": summary(answered),
        "seconds": round(time.monotonic() - started, 1),
        "all_runs_ended": settled,
    }


async def sign_in(base_url: str) -> tuple[httpx.AsyncClient, str]:
    browser = httpx.AsyncClient(base_url=base_url, timeout=30)
    page = await browser.get("/admin/login")
    csrf = CSRF.search(page.text)
    assert csrf
    email, password = ADMIN
    answer = await browser.post(
        "/admin/login", data={"csrf_token": csrf.group(1), "email": email, "password": password}
    )
    assert answer.status_code == 303, answer.text
    page = await browser.get("/admin/workspaces")
    csrf = CSRF.search(page.text)
    assert csrf
    return browser, csrf.group(1)


async def slow_upload(bench: Bench, calendar_id: int, rounds: int) -> dict[str, Any]:
    browser, csrf = await sign_in(bench.base_url)
    cookies = "; ".join(f"{name}={value}" for name, value in browser.cookies.items())
    plain = [(await bench.book(calendar_id))[1] for _ in range(rounds)]
    during: list[float] = []
    port = int(bench.base_url.rsplit(":", 1)[1])
    for n in range(rounds):
        body = f"csrf_token={csrf}&name=Slow+{n}&email=slow{n}%40example.com".encode()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            f"POST /admin/w/{bench.workspace}/members HTTP/1.1\r\nHost: x\r\n"
            f"Cookie: {cookies}\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body[:10]
        )
        await writer.drain()
        await asyncio.sleep(0.3)  # the server holds the headers and waits for the body
        during.append((await bench.book(calendar_id))[1])
        writer.write(body[10:])
        await writer.drain()
        status = (await reader.readline()).decode()
        assert " 303 " in status, status
        writer.close()
    await browser.aclose()
    plain_ms, during_ms = summary(plain), summary(during)
    return {
        "booking_alone_ms": plain_ms,
        "booking_during_upload_ms": during_ms,
        "added_p50_ms": round(during_ms["p50"] - plain_ms["p50"], 1),
        "added_max_ms": round(during_ms["max"] - plain_ms["max"], 1),
    }


def start_serve(env: dict[str, str], port: int, log: IO[str]) -> subprocess.Popen[bytes]:
    command = [*CALBRIDGE, "serve", "--port", str(port)]
    return subprocess.Popen(command, env=env, stdout=log, stderr=log, cwd=ROOT)


async def main() -> None:
    directory = Path(tempfile.mkdtemp(prefix="calbridge-limits-"))
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("CALBRIDGE_")},
        "CALBRIDGE_DATABASE_URL": f"sqlite+aiosqlite:///{directory / 'limits.db'}",
        "CALBRIDGE_LOG_LEVEL": "WARNING",
    }
    cli(env, "migrate")
    workspace = cli(env, "workspace", "create", "--name", "Bench")["uuid"]
    scopes = "calendars:read,calendars:write,calendars:admin"
    token = cli(env, "token", "create", "--workspace", workspace, "--scopes", scopes)["token"]
    cli(env, "admin", "create-user", "--email", ADMIN[0], "--password-stdin", stdin=ADMIN[1])
    port = free_port()
    log = (directory / "serve.log").open("w")
    server = start_serve(env, port, log)
    base_url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(timeout=2) as probe:
            for _ in range(300):
                try:
                    if (await probe.get(f"{base_url}/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
        bench = Bench(base_url, workspace, token)
        calendar = await bench.post("/calendars", {"name": "Room", "timezone": "UTC"})
        figures = {
            "load_average_before": os.getloadavg(),
            "templates": await heavy_templates(bench, calendar["id"]),
            "slow_upload": await slow_upload(bench, calendar["id"], 20),
            "load_average_after": os.getloadavg(),
        }
        await bench.client.aclose()
    finally:
        server.terminate()
        server.wait(30)
        log.close()
    text = json.dumps(figures, indent=2)
    print(text)
    (ROOT / "bench" / "results" / "limits.md").write_text(
        "# bench.limits (issue 8)\n\n`python -m bench.limits` on SQLite, `calbridge serve` with"
        " its in-process worker.\n\n```json\n" + text + "\n```\n"
    )


if __name__ == "__main__":
    asyncio.run(main())
