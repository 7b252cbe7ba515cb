"""The SSRF guard: hostile targets are refused at send time, before any connection is made."""

from __future__ import annotations

import pytest

from calbridge.outbox.worker import Worker
from calbridge.rules import ssrf
from tests.rules.conftest import Receiver, make_rule, runs
from tests.support.api import WorkspaceFixture
from tests.support.clock import Clock

# Names the fake resolver answers, as a hostile DNS would.
HOSTILE_DNS = {
    "localhost": ["127.0.0.1"],
    "localhost.": ["127.0.0.1"],
    "metadata.google.internal": ["169.254.169.254"],
    "intranet.example.com": ["10.1.2.3"],
    "mixed.example.com": ["93.184.216.34", "192.168.1.1"],
    "v6only.example.com": ["fd00::1"],
    "mapped.example.com": ["::ffff:10.0.0.1"],
}

HOSTILE_URLS = [
    "http://127.0.0.1/",
    "http://127.0.0.2:8080/",
    "http://2130706433/",
    "http://0x7f.1/",
    "http://0x7f000001/",
    "http://017700000001/",
    "http://0177.0.0.1/",
    "http://127.1/",
    "http://0/",
    "http://0.0.0.0/",
    "http://[::1]/",
    "http://[::]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]/",
    "http://[::ffff:169.254.169.254]/",
    "http://169.254.169.254/latest/meta-data/",
    "http://[fe80::1]/",
    "http://[fd00::1]/",
    "http://[fec0::1]/",
    "http://[2002:7f00:1::]/",  # 6to4 around 127.0.0.1
    "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/",  # Teredo
    "http://[64:ff9b::a00:1]/",  # NAT64 around 10.0.0.1
    "http://10.0.0.1/",
    "http://172.16.0.1/",
    "http://192.168.0.1/",
    "http://100.64.0.1/",  # CGNAT
    "http://192.0.0.1/",
    "http://198.18.0.1/",
    "http://224.0.0.1/",
    "http://239.255.255.250/",
    "http://255.255.255.255/",
    "http://240.0.0.1/",
    "http://localhost/",
    "http://localhost./",
    "https://metadata.google.internal/computeMetadata/v1/",
    "http://intranet.example.com/",
    "http://mixed.example.com/",
    "http://v6only.example.com/",
    "http://mapped.example.com/",
    "http://unknown.invalid/",
    "gopher://example.com/",
    "file:///etc/passwd",
]


async def _resolver(host: str, port: int) -> list[str]:
    if host not in HOSTILE_DNS:
        raise OSError(f"unknown host {host}")
    return HOSTILE_DNS[host]


@pytest.mark.parametrize("url", HOSTILE_URLS)
async def test_hostile_targets_are_refused(url: str) -> None:
    with pytest.raises(ssrf.Refused):
        await ssrf.vet(url, resolver=_resolver, allowed_hosts=["allowed.internal"])


def test_there_are_at_least_thirty() -> None:
    assert len(HOSTILE_URLS) >= 30


async def test_public_addresses_pass_and_are_pinned() -> None:
    async def public(host: str, port: int) -> list[str]:
        return ["93.184.216.34"]

    target = await ssrf.vet("https://hooks.example.com:8443/x?y=1", resolver=public)
    assert str(target.address) == "93.184.216.34"
    assert target.host == "hooks.example.com"
    assert str(target.pinned_url()) == "https://93.184.216.34:8443/x?y=1"
    literal = await ssrf.vet("http://8.8.8.8/", resolver=public)
    assert str(literal.address) == "8.8.8.8"


async def test_allowed_private_hosts_are_matched_as_written() -> None:
    target = await ssrf.vet("http://127.0.0.1:9/", resolver=_resolver, allowed_hosts=["127.0.0.1"])
    assert str(target.address) == "127.0.0.1"
    for other in ("http://2130706433:9/", "http://localhost:9/", "http://127.1:9/"):
        with pytest.raises(ssrf.Refused):
            await ssrf.vet(other, resolver=_resolver, allowed_hosts=["127.0.0.1"])


LOOPBACK_FORMS = [
    "2130706433",
    "0x7f.1",
    "0x7f000001",
    "127.1",
    "017700000001",
    "[::ffff:127.0.0.1]",
    "localhost",
    "localhost.",
]


async def test_loopback_in_disguise_is_refused_when_the_rule_is_saved(
    ws: WorkspaceFixture, receiver: Receiver, dns: dict[str, list[list[str]]], worker: Worker
) -> None:
    """Every URL below points at the live receiver, which only 127.0.0.1 is allowed to reach:
    each is a 422 at save that names the setting which would allow it (the send-time guard
    refuses the same forms, test_hostile_targets_are_refused)."""
    dns.update({"localhost": [["127.0.0.1"]], "localhost.": [["127.0.0.1"]]})
    for index, host in enumerate(LOOPBACK_FORMS):
        url = f"http://{host}:{receiver.port}/hook"
        actions = [{"type": "webhook", "url": receiver.url}, {"type": "webhook", "url": url}]
        body = {"name": "Notify", "triggers": ["event.created"], "actions": actions}
        response = await ws.post("/event-rules", json=body, token="admin")
        assert response.status_code == 422, (host, response.text)
        problem = response.json()
        assert problem["code"] == "webhook_target_refused"
        assert [error["field"] for error in problem["errors"]] == ["actions.1.url"], index
        assert "CALBRIDGE_WEBHOOK_ALLOWED_PRIVATE_HOSTS" in problem["errors"][0]["message"]
    assert (await ws.get("/event-rules", token="read")).json()["total"] == 0
    allowed = await make_rule(ws, actions=[{"type": "webhook", "url": receiver.url}])
    changed = await ws.patch(
        f"/event-rules/{allowed['id']}",
        json={"actions": [{"type": "webhook", "url": f"http://127.1:{receiver.port}/"}]},
        token="admin",
    )
    assert changed.status_code == 422
    assert receiver.requests == []


async def test_a_name_that_turns_to_loopback_after_saving_is_refused_on_every_attempt(
    ws: WorkspaceFixture,
    receiver: Receiver,
    worker: Worker,
    dns: dict[str, list[list[str]]],
    clock: Clock,
) -> None:
    url = f"http://rebind.example.com:{receiver.port}/hook"
    # When the rule is saved, the name is public (the save-time check lets it through)...
    dns["rebind.example.com"] = [["93.184.216.34"], ["127.0.0.1"]]
    calendar = await ws.calendar()
    rule = await make_rule(ws, actions=[{"type": "webhook", "url": url}])
    # ...and when it is sent, the name points at loopback: refused, and again on the retry.
    await ws.event(calendar["id"])
    await worker.drain()
    clock.advance(seconds=10)
    await worker.drain()
    assert receiver.requests == []
    [run] = await runs(ws, rule["id"])
    log = run["actions"][0]["attemptLog"]
    assert len(log) == 2
    assert all("127.0.0.1 is loopback" in attempt["error"] for attempt in log)
