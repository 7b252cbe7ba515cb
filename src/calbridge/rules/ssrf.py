"""The guard that keeps webhooks from reaching private networks (SSRF), applied at send time.

A rule's URL is checked for syntax only when saved; what it points at is decided on every
attempt, because DNS can change between save and send (or between two retries). At send time
the host is resolved once, *every* address it resolves to must be globally routable, and the
request is then made to that vetted address (the IP is pinned; Host header and TLS SNI keep the
name), so a second lookup cannot swap in another address.

Refused: loopback, private, link-local (169.254.169.254, the cloud metadata service), CGNAT
(100.64.0.0/10), multicast, reserved, unspecified, IPv6 unique-local and site-local, and IPv6
forms that embed an IPv4 address (IPv4-mapped ``::ffff:a.b.c.d``, 6to4, Teredo, NAT64).
Numeric hosts in the forms ``inet_aton`` accepts (``2130706433``, ``0x7f.1``, ``0177.0.0.1``,
``127.1``) are read as the address they denote, as resolvers and browsers do.

``settings.webhook_allowed_private_hosts`` names hosts (compared as written in the URL,
lowercased) that may resolve to non-public addresses, for people who post into their own network.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]

_NUMERIC_HOST = re.compile(r"^[0-9a-fx.]+$", re.IGNORECASE)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")


class Refused(Exception):
    """The URL may not be contacted; the message says why (it is stored with the attempt)."""


class Unresolved(Refused):
    """The host does not resolve (now): refused at send time, but no reason to refuse a save."""


@dataclass(frozen=True)
class Target:
    """Where a vetted request goes: the URL as given, and the address to connect to."""

    url: httpx.URL
    host: str
    address: IPAddress

    def pinned_url(self) -> httpx.URL:
        """The URL with the vetted address in place of the name."""
        return self.url.copy_with(host=str(self.address))


async def system_resolver(host: str, port: int) -> list[str]:
    """The addresses the system resolver gives for ``host`` (never blocks the event loop)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def check_url_syntax(url: str) -> httpx.URL:
    """What can be said of a URL without resolving it: http(s), a host, no credentials."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError) as error:
        raise ValueError(f"not a valid URL: {error}") from None
    if parsed.scheme not in {"http", "https"}:
        raise ValueError("must be an http or https URL")
    if not parsed.host:
        raise ValueError("must name a host")
    if parsed.userinfo:
        raise ValueError("must not carry credentials")
    return parsed


def numeric_host(host: str) -> IPAddress | None:
    """The address a host written as an IP literal or a numeric IPv4 form denotes, else None."""
    bare = host.strip("[]")
    try:
        return ipaddress.ip_address(bare)
    except ValueError:
        pass
    candidate = bare.removesuffix(".")
    if candidate and _NUMERIC_HOST.match(candidate) and candidate[0].isdigit():
        try:
            return ipaddress.IPv4Address(socket.inet_aton(candidate))
        except OSError:
            return None  # a name that happens to look numeric (e.g. 1a.be): resolve it
    return None


def refusal(address: IPAddress) -> str | None:
    """Why ``address`` may not be contacted, or None if it is globally routable."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or (address.teredo[1] if address.teredo else None)
        if embedded is not None or address.sixtofour is not None:
            return f"{address} embeds an IPv4 address"
        if address in _NAT64 or address in _NAT64_LOCAL:
            return f"{address} is a NAT64 address"
        if address.is_site_local:
            return f"{address} is site-local"
    checks = (
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("private", address.is_private),
        ("multicast", address.is_multicast),
        ("reserved", address.is_reserved),
        ("unspecified", address.is_unspecified),
        ("not globally routable", not address.is_global),
    )
    for reason, hit in checks:
        if hit:
            return f"{address} is {reason}"
    return None


async def vet(url: str, *, resolver: Resolver, allowed_hosts: Iterable[str] = ()) -> Target:
    """Resolve the URL's host and choose the address to connect to, or raise ``Refused``."""
    try:
        parsed = check_url_syntax(url)
    except ValueError as error:
        raise Refused(str(error)) from None
    host = parsed.host.lower()
    allowed = {name.lower() for name in allowed_hosts}
    literal = numeric_host(host)
    if literal is not None:
        addresses: list[IPAddress] = [literal]
    else:
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        try:
            found = await resolver(host, port)
        except OSError as error:
            raise Unresolved(f"{host} does not resolve: {error}") from None
        addresses = []
        for text in found:
            try:
                addresses.append(ipaddress.ip_address(text.split("%")[0]))
            except ValueError:
                raise Refused(f"{host} resolved to {text!r}, which is no address") from None
        if not addresses:
            raise Unresolved(f"{host} resolves to no address")
    if host not in allowed:
        for address in addresses:
            reason = refusal(address)
            if reason is not None:
                raise Refused(f"{host}: {reason}")
    return Target(url=parsed, host=parsed.host, address=addresses[0])


ALLOW_SETTING = "CALBRIDGE_WEBHOOK_ALLOWED_PRIVATE_HOSTS"


async def check_at_save(
    urls: Iterable[tuple[str, str]], *, resolver: Resolver, allowed_hosts: Iterable[str]
) -> list[tuple[str, str]]:
    """The save-time look at webhook targets, ``(field, url)`` pairs: what points at a private
    or loopback address now is refused with the reason and the setting that would allow it. A
    name that does not resolve yet is let through; every send vets the target again."""
    refusals = []
    for field, url in urls:
        try:
            await vet(url, resolver=resolver, allowed_hosts=allowed_hosts)
        except Unresolved:
            continue
        except Refused as refused:
            refusals.append(
                (
                    field,
                    f"{refused}: webhooks do not go to private or loopback addresses unless "
                    f"the host is listed in {ALLOW_SETTING}",
                )
            )
    return refusals
