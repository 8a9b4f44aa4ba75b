"""Where a webhook may be sent: only to public https servers, checked twice.

At registration :func:`check_url` refuses what can only point inside: another scheme than https,
a user name or password before the host (``https://ontvanger.nl@10.0.0.1/``), internal names
(``localhost``, single-label names, ``.local``/``.internal``), IP addresses that are not public
(loopback, private, link-local, ``0.0.0.0``, CGNAT, IPv6 loopback/ULA/link-local, IPv4-mapped
and other IPv6 forms that carry an IPv4 address), IPv4 in decimal, octal or hex spelling
(``2130706433``, ``0177.0.0.1``, ``0x7f.1``), and names that resolve to such an address now.

DNS can change after registration, so at delivery :class:`GuardedBackend` resolves the host once,
refuses the connection if *any* address is not public, and connects to a checked address itself:
no second lookup can switch it. TLS still verifies the certificate against the host name (SNI is
the URL's host) and the ``Host`` header is the URL's. Redirects are never followed (the caller
sees the 3xx status) and proxy variables from the environment are not used, so the connection
goes where it was checked to go.

The one exception is :class:`AllowList` (setting ``LEERLINGROUTE_WEBHOOK_ALLOW_HOSTS``): test
receivers an operator names explicitly as ``host`` or ``host:port`` may be plain http and internal.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import ssl
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpcore

from domain.errors import DomainError, InvalidCommand

DEFAULT_PORTS = {"http": 80, "https": 443}
INTERNAL_SUFFIXES = (".localhost", ".local", ".internal", ".intranet", ".lan", ".home.arpa", ".localdomain")
ALLOWED_NL = ("Toegestaan is een https-adres van een openbaar bereikbare server, zoals "
              "https://ontvanger.example.nl/leerlingroute.")
_EMBEDDING_IPV4 = (ipaddress.ip_network("::/96"), ipaddress.ip_network("64:ff9b::/96"))
"""IPv6 ranges whose last 32 bits are an IPv4 address (IPv4-compatible, NAT64): judged by that address."""
_NOT_PUBLIC_IPV6 = (ipaddress.ip_network("64:ff9b:1::/48"),)
"""Local-use NAT64 (RFC 8215): Python counts it as global, but it translates to local networks."""
_NUMERIC_LABEL = re.compile(r"(0x[0-9a-f]*|[0-9]+)", re.IGNORECASE)
_UNSAFE_CHARACTERS = re.compile(r"[\s\\\x00-\x1f\x7f]")
_MAX_SHOWN = 100

# --- failures as the subscriber reads them: a small fixed vocabulary, never the low-level text --------

REFUSED = "adres geweigerd"
NO_CONNECTION = "geen verbinding"
TIMEOUT = "time-out"
NO_ANSWER = "geen antwoord"


class WebhookUrlRefused(InvalidCommand):
    """A webhook address that may not be registered (422), with a Dutch reason and what is allowed."""

    code = "webhook-url-refused"

    def __init__(self, reason_nl: str) -> None:
        problems = (reason_nl, ALLOWED_NL)
        DomainError.__init__(self, "Webhook URL refused", " ".join(problems))
        self.problems = problems


class AddressRefused(Exception):
    """At delivery: the host resolved to an address that is not public; nothing was sent."""


@dataclass(frozen=True)
class AllowList:
    """Hosts that may be plain http and internal: test receivers the operator names explicitly.

    Each entry is ``host`` (any port) or ``host:port`` (that port only; IPv6 as ``[::1]:8765``),
    compared with the URL's host as written (lower case), so ``127.0.0.1:8765`` does not admit
    ``2130706433:8765``.
    """

    entries: frozenset[tuple[str, int | None]] = frozenset()

    @classmethod
    def parse(cls, text: str) -> AllowList:
        """Entries separated by commas or white space; empty: no exceptions (the default)."""
        return cls(frozenset(_entry(e) for e in re.split(r"[,\s]+", text.strip()) if e))

    def covers(self, host: str, port: int) -> bool:
        """Whether ``host:port`` is named in the list."""
        host = host.lower().rstrip(".")
        return (host, port) in self.entries or (host, None) in self.entries


def _entry(text: str) -> tuple[str, int | None]:
    text = text.lower()
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") else None
    host, colon, port = text.partition(":")
    if colon and ":" not in port:
        return host.rstrip("."), int(port)
    return text.rstrip("."), None


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (the one DNS lookup of a delivery); empty when it does not."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return []
    return list(dict.fromkeys(str(info[4][0]) for info in found))


def is_public(address: str) -> bool:
    """Whether an IP address is globally reachable: not loopback, private, link-local, reserved,
    multicast, ``0.0.0.0``/``::``, nor an IPv6 form of such an IPv4 address.
    """
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or next(
            (ipaddress.IPv4Address(int(ip) & 0xFFFF_FFFF) for net in _EMBEDDING_IPV4 if ip in net), None)
        if embedded is not None:
            return is_public(str(embedded))
        if any(ip in net for net in _NOT_PUBLIC_IPV6):
            return False
    return bool(ip.is_global and not ip.is_multicast)


def check_url(url: str, allow: AllowList) -> None:
    """Refuse (WebhookUrlRefused) an address a webhook may not be sent to; see the module's docstring."""
    shown = url[:_MAX_SHOWN]
    if _UNSAFE_CHARACTERS.search(url):
        raise WebhookUrlRefused("Het webhook-adres bevat spaties, backslashes of andere tekens die niet in een "
                                "adres horen.")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise WebhookUrlRefused(f"Het webhook-adres moet met https:// beginnen; '{shown}' kan niet.")
    if "@" in parts.netloc:
        raise WebhookUrlRefused("Het webhook-adres mag geen gebruikersnaam of wachtwoord bevatten (het deel "
                                "vóór '@').")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise WebhookUrlRefused(f"In het webhook-adres '{shown}' ontbreekt de naam van de server.")
    port = _port(url, scheme)
    if allow.covers(host, port):
        return
    if scheme != "https":
        raise WebhookUrlRefused("Het webhook-adres gebruikt http: alleen https is toegestaan, zodat niemand "
                                "onderweg de berichten leest of verandert.")
    _check_host(host, port)


def _port(url: str, scheme: str) -> int:
    try:
        port = urlsplit(url).port
    except ValueError:
        port = 0
    if port == 0:
        raise WebhookUrlRefused("Het poortnummer in het webhook-adres is ongeldig (1 tot en met 65535).")
    return port or DEFAULT_PORTS[scheme]


def _check_host(host: str, port: int) -> None:
    if ":" in host:  # an IPv6 literal (urlsplit took the brackets off)
        _check_address(host)
        return
    labels = host.split(".")
    if _NUMERIC_LABEL.fullmatch(labels[-1]):  # a URL parser reads such a host as an IPv4 address
        if not _canonical_ipv4(host):
            raise WebhookUrlRefused(f"Het webhook-adres bevat een IP-adres in een ongebruikelijke schrijfwijze "
                                    f"('{host[:_MAX_SHOWN]}'); schrijf een IPv4-adres als vier getallen van 0 "
                                    "tot en met 255, zoals 203.0.113.10.")
        _check_address(host)
        return
    if len(labels) < 2 or host == "localhost" or host.endswith(INTERNAL_SUFFIXES):  # noqa: PLR2004
        raise WebhookUrlRefused(f"Het webhook-adres wijst naar een interne server ('{host[:_MAX_SHOWN]}'); "
                                "gebruik de volledige openbare domeinnaam.")
    refused = [a for a in resolve(host, port) if not is_public(a)]
    if refused:
        # The resolved address is not quoted: that would let a caller use registration to look up names
        # that only resolve on the inside.
        raise WebhookUrlRefused(f"De naam '{host[:_MAX_SHOWN]}' verwijst naar een intern of niet-openbaar "
                                "adres.")


def _canonical_ipv4(host: str) -> bool:
    try:
        return str(ipaddress.IPv4Address(host)) == host
    except ValueError:
        return False


def _check_address(host: str) -> None:
    try:
        public = is_public(host)
    except ValueError:
        raise WebhookUrlRefused(f"'{host[:_MAX_SHOWN]}' in het webhook-adres is geen geldig IP-adres.") from None
    if not public:
        raise WebhookUrlRefused(f"Het webhook-adres wijst naar een intern of gereserveerd IP-adres ({host}): "
                                "loopback, een privé-netwerk, link-local of een ander niet-openbaar adres.")


class GuardedBackend(httpcore.SyncBackend):
    """httpcore's network backend that resolves once, checks every address, and connects to a checked
    one (in the order DNS gave them); TLS and the Host header keep the URL's host name.
    """

    def __init__(self, allow: AllowList) -> None:
        self.allow = allow

    def connect_tcp(
        self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        """Connect to ``host:port`` through the addresses checked here, or raise AddressRefused."""
        addresses = resolve(host, port)
        if not self.allow.covers(host, port) and any(not is_public(a) for a in addresses):
            raise AddressRefused(host)
        last: httpcore.ConnectError | httpcore.ConnectTimeout = httpcore.ConnectError(f"{host} does not resolve")
        for address in addresses:
            try:
                return super().connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                last = error
        raise last


def connection_pool(allow: AllowList, ssl_context: ssl.SSLContext | None = None) -> httpcore.ConnectionPool:
    """A pool whose every connection goes through :class:`GuardedBackend`; no retries, no proxies."""
    return httpcore.ConnectionPool(ssl_context=ssl_context, network_backend=GuardedBackend(allow), retries=0,
                                   max_connections=10)


def post(pool: httpcore.ConnectionPool, url: str, body: bytes, headers: Sequence[tuple[str, str]],
         timeout_s: float) -> str | None:
    """POST ``body``; None on a 2xx answer, else the failure in the subscriber's vocabulary.
    The response body is never read: a receiver decides nothing but its status code.
    """
    timeouts = {"connect": timeout_s, "read": timeout_s, "write": timeout_s, "pool": timeout_s}
    try:
        with pool.stream("POST", url, headers=list(headers), content=body,
                         extensions={"timeout": timeouts}) as response:
            status = response.status
    except Exception as error:  # noqa: BLE001 - whatever the receiver's side does is a failed attempt
        return failure(error)
    return None if 200 <= status < 300 else f"HTTP {status}"  # noqa: PLR2004 - the 2xx range


def failure(error: BaseException) -> str:
    """The vocabulary word for a failed attempt: what a subscriber may know, nothing of the low level."""
    if isinstance(error, AddressRefused | httpcore.UnsupportedProtocol):
        return REFUSED
    if isinstance(error, httpcore.TimeoutException):
        return TIMEOUT
    if isinstance(error, httpcore.ConnectError):
        return NO_CONNECTION
    return NO_ANSWER
