"""The outbound-request rules and the guarded session. Plain data, Hypothesis and local
HTTP servers; no CKAN."""

from __future__ import annotations

import ast
import http.server
import ipaddress
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from ckanext.cityexchange import net

pytestmark = pytest.mark.pure

NONE = net.AllowList()


@pytest.mark.parametrize(
    "address, kind",
    [
        ("127.0.0.1", "loopback"),
        ("127.255.0.9", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("fc00::1", "private"),
        ("fd12:3456::1", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("fe80::1%eth0", "link-local"),
        ("224.0.0.1", "multicast"),
        ("239.255.255.250", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("100.64.0.1", "not a public"),
        ("192.0.2.1", "private"),
        ("240.0.0.1", "private"),
        ("255.255.255.255", "private"),
        ("fec0::1", "site-local"),
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:10.0.0.1", "private"),
        ("::ffff:169.254.169.254", "link-local"),
        ("2002:7f00:1::", "loopback"),
        ("64:ff9b::a00:1", "private"),
    ],
)
def test_refused_addresses_say_what_they_are(address: str, kind: str) -> None:
    reason = net.address_refusal(address)
    assert reason is not None and kind in reason


@pytest.mark.parametrize(
    "address",
    [
        "8.8.8.8",
        "1.1.1.1",
        "93.184.216.34",
        "2001:4860:4860::8888",
        "2a00:1450:4001::200e",
        "::ffff:8.8.8.8",
        "64:ff9b::808:808",
    ],
)
def test_public_addresses_pass(address: str) -> None:
    assert net.address_refusal(address) is None


def test_the_allow_list_takes_hosts_networks_and_addresses() -> None:
    allow = net.parse_allow("127.0.0.1, peer.internal. 10.20.0.0/16 fd00::/8")
    assert allow.hosts == frozenset({"peer.internal"})
    for address in ("127.0.0.1", "::ffff:127.0.0.1", "10.20.3.4", "fd00::5"):
        assert net.address_refusal(address, allow) is None
    for address in ("127.0.0.2", "10.21.0.1", "::1", "192.168.0.1"):
        assert net.address_refusal(address, allow) is not None
    assert net.parse_allow("") == NONE and net.parse_allow(None) == NONE
    with pytest.raises(ValueError):
        net.parse_allow("10.0.0.0/99")


_v4_private = st.sampled_from(
    [
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "224.0.0.0/4",
        "100.64.0.0/10",
    ]
).flatmap(
    lambda net_: st.integers(0, ipaddress.ip_network(net_).num_addresses - 1).map(
        lambda i: ipaddress.ip_network(net_)[i]
    )
)


@given(_v4_private)
def test_every_address_of_the_private_ranges_is_refused_also_inside_ipv6(
    address: ipaddress.IPv4Address,
) -> None:
    assert net.address_refusal(address) is not None
    assert net.address_refusal(f"::ffff:{address}") is not None
    assert (
        net.address_refusal(ipaddress.IPv6Address((0x2002 << 112) | (int(address) << 80)))
        is not None
    )
    with pytest.raises(net.Refused):
        net.check_url(f"http://{address}/", NONE)
    with pytest.raises(net.Refused):
        net.check_url(f"http://[::ffff:{address}]:8080/x", NONE)


@given(st.ip_addresses())
def test_any_address_is_refused_exactly_when_it_is_not_global(address: Any) -> None:
    x = getattr(address, "ipv4_mapped", None) or address
    expected_ok = x.is_global and not x.is_multicast and not x.is_reserved
    if address.version == 6 and (address.sixtofour or address.teredo):
        expected_ok = (
            expected_ok and net.address_refusal(address.sixtofour or address.teredo[1]) is None
        )
    if address.version == 6 and address in ipaddress.ip_network("64:ff9b::/96"):
        return  # NAT64: the IPv4 address inside decides (tested above)
    assert (net.address_refusal(address) is None) == expected_ok


@settings(max_examples=50)
@given(st.ip_addresses(), st.ip_addresses())
def test_a_name_is_refused_when_any_of_its_addresses_is(first: Any, second: Any) -> None:
    answers = [str(first), str(second)]
    bad = [a for a in answers if net.address_refusal(a)]
    resolver = lambda host, port: answers  # noqa: E731
    if bad:
        with pytest.raises(net.Refused) as refused:
            net.check_url("https://data.example.com/x.csv", NONE, resolver)
        assert refused.value.host == "data.example.com"
        assert "resolves to" in refused.value.reason
    else:
        assert net.check_url("https://data.example.com/x.csv", NONE, resolver) == list(
            dict.fromkeys(answers)
        )


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://example.com/x",
        "gopher://example.com/",
        "javascript:alert(1)",
        "/etc/passwd",
        "dict://127.0.0.1:6379/info",
        "http://[::1",
        "http:///nohost",
    ],
)
def test_only_http_and_https_urls_with_a_host(url: str) -> None:
    with pytest.raises(net.Refused):
        net.check_url(url, net.parse_allow("0.0.0.0/0 ::/0"), lambda h, p: ["8.8.8.8"])


def test_names_resolve_to_every_address_and_numeric_hosts_are_addresses() -> None:
    assert "127.0.0.1" in net.resolve("localhost", 80)
    for url in (
        "http://localhost/",
        "http://LOCALHOST./",
        "http://2130706433/",
        "http://0x7f.1/",
        "http://[::ffff:7f00:1]/",
        "http://127.1:5000/",
    ):
        with pytest.raises(net.Refused):
            net.check_url(url, NONE)
    allow = net.parse_allow("localhost")
    assert net.check_url("http://localhost:1/", allow)  # a host entry allows any address


def test_the_rules_module_imports_no_ckan() -> None:
    tree = ast.parse(Path(net.__file__).read_text(encoding="utf-8"))
    names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names] + [
        n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)
    ]
    assert not [n for n in names if n.startswith("ckan")]


# --- the session against local servers -------------------------------------------------


class _Handler(http.server.BaseHTTPRequestHandler):
    redirect_to = ""

    def do_GET(self) -> None:
        if self.path.startswith("/redirect") and self.redirect_to:
            self.send_response(302)
            self.send_header("Location", self.redirect_to)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = f"host={self.headers.get('Host')}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[tuple[int, type[_Handler]]]:
    handler = type("Handler", (_Handler,), {})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1], handler
    httpd.shutdown()
    httpd.server_close()


def test_the_session_refuses_loopback_unless_allowed(server: tuple[int, Any]) -> None:
    port, _ = server
    with pytest.raises(net.Refused) as refused:
        net.GuardedSession().get(f"http://127.0.0.1:{port}/", timeout=5)
    assert refused.value.host == "127.0.0.1" and "loopback" in str(refused.value)
    with pytest.raises(net.Refused):
        net.GuardedSession().get(f"http://localhost:{port}/", timeout=5)
    response = net.GuardedSession(net.parse_allow("127.0.0.1 ::1")).get(
        f"http://localhost:{port}/", timeout=5
    )
    assert response.status_code == 200
    assert isinstance(refused.value, requests.RequestException)  # callers' generic handlers hold


def test_a_public_looking_name_that_resolves_to_loopback_is_refused(
    server: tuple[int, Any],
) -> None:
    port, _ = server
    to_loopback = lambda host, p: (  # noqa: E731
        ["127.0.0.1"] if host == "data.example.com" else net.resolve(host, p)
    )
    with pytest.raises(net.Refused) as refused:
        net.GuardedSession(resolver=to_loopback).get(f"http://data.example.com:{port}/", timeout=5)
    assert "data.example.com" in str(refused.value) and "127.0.0.1" in str(refused.value)


def test_the_connection_goes_to_the_checked_address(server: tuple[int, Any]) -> None:
    """The session connects to what the resolver answered (the name does not exist in
    DNS), and sends the name as Host: one resolution, checked and used."""
    port, _ = server
    session = net.GuardedSession(
        net.parse_allow("127.0.0.1"), resolver=lambda host, p: ["127.0.0.1"]
    )
    response = session.get(f"http://data.example.invalid:{port}/", timeout=5)
    assert response.text == f"host=data.example.invalid:{port}"


def test_a_name_that_changes_its_answer_after_the_check_is_still_refused(
    server: tuple[int, Any],
) -> None:
    """DNS rebinding: the first answer (at send) is public, the next (at connect) is
    loopback. The connection checks what it connects to, so it is refused."""
    port, _ = server
    answers = iter([["93.184.216.34"], ["127.0.0.1"], ["127.0.0.1"]])
    session = net.GuardedSession(resolver=lambda host, p: next(answers))
    with pytest.raises(net.Refused) as refused:
        session.get(f"http://rebind.example.com:{port}/", timeout=5)
    assert "127.0.0.1" in str(refused.value)


def test_a_redirect_to_a_refused_address_is_refused(server: tuple[int, Any]) -> None:
    port, handler = server
    handler.redirect_to = "http://169.254.169.254/latest/meta-data/"
    session = net.GuardedSession(net.parse_allow("127.0.0.1"))
    with pytest.raises(net.Refused) as refused:
        session.get(f"http://127.0.0.1:{port}/redirect", timeout=5)
    assert refused.value.host == "169.254.169.254"
    handler.redirect_to = f"http://[::1]:{port}/"
    with pytest.raises(net.Refused):
        session.get(f"http://127.0.0.1:{port}/redirect", timeout=5)
    handler.redirect_to = "file:///etc/passwd"
    with pytest.raises((net.Refused, requests.exceptions.InvalidSchema)):
        session.get(f"http://127.0.0.1:{port}/redirect", timeout=5)
    handler.redirect_to = f"http://127.0.0.1:{port}/ok"
    assert session.get(f"http://127.0.0.1:{port}/redirect", timeout=5).status_code == 200


def test_environment_proxies_are_not_used(
    server: tuple[int, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    port, _ = server
    monkeypatch.setenv("HTTP_PROXY", "http://10.9.9.9:3128")
    session = net.GuardedSession(net.parse_allow("127.0.0.1"))
    assert session.get(f"http://127.0.0.1:{port}/", timeout=5).status_code == 200


def test_a_name_that_does_not_resolve_is_a_connection_error() -> None:
    def nowhere(host: str, port: int) -> list[str]:
        raise socket.gaierror("no such name")

    with pytest.raises(requests.exceptions.ConnectionError):
        net.GuardedSession(resolver=nowhere).get("http://nowhere.invalid/", timeout=5)
