"""Outbound requests to addresses that publishers set: which ones the portal may fetch.

A resource URL, a harvest source or a file to scan is written by a user; fetched as it
is, it would let that user make the portal read its own services (the database, Solr,
Redis, a cloud metadata endpoint) and show or store the answer. The rule: only
``http`` and ``https``, and only public addresses. Loopback, private, link-local,
shared (carrier-grade NAT), multicast, reserved and unspecified addresses are refused,
in IPv4 and IPv6, including IPv4 addresses inside IPv6 ones (IPv4-mapped, 6to4, NAT64,
Teredo), and names that resolve to any such address. An allow-list (host names and
CIDR networks) lets chosen private hosts through, for development and tests or an
internal source.

No CKAN import: the rules are plain functions; :class:`GuardedSession` is a
``requests.Session`` that applies them to every request it sends, redirect hops
included, and connects only to the addresses it checked (no second DNS answer is
used, so a name that changes its answer between the check and the connection gains
nothing). ``ckanext.cityexchange.outbound.session()`` builds one from the portal's
configuration.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.util import connection as _u3connection

__all__ = [
    "SCHEMES",
    "AllowList",
    "GuardedSession",
    "Refused",
    "address_refusal",
    "check_host",
    "check_url",
    "parse_allow",
    "resolve",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], list[str]]

SCHEMES = ("http", "https")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_DEFAULT_PORTS = {"http": 80, "https": 443}


class Refused(requests.exceptions.RequestException):
    """The URL may not be fetched; the message names the host and why (safe to show)."""

    def __init__(self, host: str, reason: str) -> None:
        self.host, self.reason = host, reason
        super().__init__(f"{host or 'the address'} is refused: {reason}")


@dataclass(frozen=True)
class AllowList:
    """Hosts (exact names, any address) and networks that are fetched although private."""

    hosts: frozenset[str] = frozenset()
    networks: tuple[IPNetwork, ...] = field(default_factory=tuple)

    def allows_host(self, host: str) -> bool:
        return _norm_host(host) in self.hosts

    def allows_address(self, address: IPAddress) -> bool:
        return any(address.version == n.version and address in n for n in self.networks)


def _norm_host(host: str) -> str:
    return host.strip().rstrip(".").lower().strip("[]")


def parse_allow(text: str | None) -> AllowList:
    """The allow-list from its config form: hosts and CIDR networks (or single
    addresses) separated by spaces or commas. An empty text allows nothing private."""
    hosts: set[str] = set()
    networks: list[IPNetwork] = []
    for entry in (text or "").replace(",", " ").split():
        try:
            networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
        except ValueError:
            if "/" in entry:
                raise ValueError(f"not a network: {entry!r}") from None
            hosts.add(_norm_host(entry))
    return AllowList(frozenset(hosts), tuple(networks))


def _embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    found = [a for a in (address.ipv4_mapped, address.sixtofour) if a is not None]
    if address.teredo:
        found.extend(address.teredo)
    if address in _NAT64:
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return found


def _kind(ip: IPAddress, allow: AllowList) -> tuple[IPAddress, str] | None:
    """(the offending address, what it is) or None when the address may be fetched."""
    if allow.allows_address(ip):
        return None
    if isinstance(ip, ipaddress.IPv6Address):
        for inner in _embedded_ipv4(ip):
            found = _kind(inner, allow)
            if found:
                return found
        if ip.ipv4_mapped is not None or ip in _NAT64:
            return None  # the IPv4 address inside decides
    checks = (
        ("an unspecified", ip.is_unspecified),
        ("a loopback", ip.is_loopback),
        ("a link-local", ip.is_link_local),
        ("a multicast", ip.is_multicast),
        ("a private", ip.is_private),
        ("a reserved", ip.is_reserved),
        ("a site-local", isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local),
        ("not a public", not ip.is_global),
    )
    for name, hit in checks:
        if hit:
            return ip, f"{name} address"
    return None


def _ip(address: str | IPAddress) -> IPAddress:
    if not isinstance(address, str):
        return address
    return ipaddress.ip_address(address.strip("[]").split("%", 1)[0])  # no IPv6 zone


def address_refusal(address: str | IPAddress, allow: AllowList = AllowList()) -> str | None:
    """Why the address may not be fetched from (e.g. "127.0.0.1 is a loopback
    address"), or None when it may."""
    ip = _ip(address)
    found = _kind(ip, allow)
    if found is None:
        return None
    inner, kind = found
    return f"{ip} is {kind}" if inner == ip else f"{ip} holds {inner}, {kind}"


def resolve(host: str, port: int) -> list[str]:
    """Every address the name resolves to (what a connection could use), in order."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def check_host(host: str, port: int, allow: AllowList, resolver: Resolver = resolve) -> list[str]:
    """The addresses to connect to for ``host``, every one of them allowed. Raises
    Refused when any address the name resolves to is refused (one bad answer among
    good ones is enough: a client may pick any), OSError when it does not resolve."""
    name = _norm_host(host)
    if not name:
        raise Refused(host, "the URL has no host")
    try:
        literal: IPAddress | None = _ip(name)
    except ValueError:
        literal = None
    addresses = [str(literal)] if literal is not None else list(dict.fromkeys(resolver(name, port)))
    if not addresses:
        raise socket.gaierror(f"{name} has no address")
    if allow.allows_host(name):
        return addresses
    for address in addresses:
        reason = address_refusal(address, allow)
        if reason and literal is not None:
            raise Refused(name, reason)
        if reason:
            ip = _ip(address)
            inner, kind = _kind(ip, allow) or (ip, "")
            raise Refused(
                name,
                f"it resolves to {ip}, {kind}"
                if inner == ip
                else f"it resolves to {ip}, which holds {inner}, {kind}",
            )
    return addresses


def check_url(url: str, allow: AllowList, resolver: Resolver = resolve) -> list[str]:
    """Check a URL's scheme and host; the allowed addresses of its host (see check_host)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise Refused("", "the URL cannot be read") from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise Refused(
            parts.hostname or "",
            f"only http and https URLs are fetched, not {scheme or 'a bare path'}",
        )
    return check_host(parts.hostname or "", port or _DEFAULT_PORTS[scheme], allow, resolver)


# --- the session -------------------------------------------------------------------------


class _RefusedAtConnect(Exception):
    """Carries a Refused out of urllib3 (which would retry and rewrap an OSError)."""

    def __init__(self, refused: Refused) -> None:
        super().__init__(str(refused))
        self.refused = refused


class _PinnedConnection:
    """Mixed into urllib3's connections: resolve once, check every address, connect to
    the checked addresses only. TLS still verifies and sends the host name."""

    cdx_allow: AllowList
    cdx_resolver: Resolver
    _dns_host: str
    host: str
    port: int
    timeout: Any
    source_address: Any
    socket_options: Any

    def _new_conn(self) -> socket.socket:
        try:
            addresses = check_host(self._dns_host, self.port, self.cdx_allow, self.cdx_resolver)
        except Refused as refused:
            raise _RefusedAtConnect(refused) from None
        except OSError as error:
            raise NameResolutionError(self.host, self, error) from error  # type: ignore[arg-type]
        last: OSError | None = None
        for address in addresses:
            try:
                return _u3connection.create_connection(
                    (address, self.port),
                    self.timeout,
                    source_address=self.source_address,
                    socket_options=self.socket_options,
                )
            except TimeoutError as error:
                raise ConnectTimeoutError(
                    self, f"Connection to {self.host} timed out. (connect timeout={self.timeout})"
                ) from error
            except OSError as error:
                last = error
        raise NewConnectionError(self, f"Failed to establish a new connection: {last}")  # type: ignore[arg-type]


class _GuardedAdapter(HTTPAdapter):
    def __init__(self, allow: AllowList, resolver: Resolver, **kwargs: Any) -> None:
        attrs = {"cdx_allow": allow, "cdx_resolver": staticmethod(resolver)}
        http = type("GuardedHTTPConnection", (_PinnedConnection, HTTPConnection), attrs)
        https = type("GuardedHTTPSConnection", (_PinnedConnection, HTTPSConnection), attrs)
        self._pools = {
            "http": type(
                "GuardedHTTPConnectionPool", (HTTPConnectionPool,), {"ConnectionCls": http}
            ),
            "https": type(
                "GuardedHTTPSConnectionPool", (HTTPSConnectionPool,), {"ConnectionCls": https}
            ),
        }
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(self._pools)

    def proxy_manager_for(self, proxy: str, **kwargs: Any) -> Any:
        raise Refused(urlsplit(proxy).hostname or "", "requests through a proxy are not guarded")


class GuardedSession(requests.Session):
    """A ``requests.Session`` that fetches only allowed URLs: ``send`` (which requests
    also calls for each redirect hop) checks the scheme and host, and the connections
    go only to the addresses that were checked. Environment proxies are not used."""

    def __init__(self, allow: AllowList = AllowList(), resolver: Resolver = resolve) -> None:
        super().__init__()
        self.allow, self.resolver = allow, resolver
        self.trust_env = False
        adapter = _GuardedAdapter(allow, resolver)
        self.mount("http://", adapter)
        self.mount("https://", adapter)

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        try:
            check_url(request.url or "", self.allow, self.resolver)
        except Refused:
            raise
        except OSError as error:
            raise requests.exceptions.ConnectionError(
                f"could not resolve the host: {error}", request=request
            ) from error
        try:
            return super().send(request, **kwargs)
        except _RefusedAtConnect as error:
            raise error.refused from None
