"""Posting a webhook without letting its URL reach inside the network (SSRF).

Rules: the scheme must be in REGISTRY_WEBHOOK_ALLOWED_SCHEMES (https only by default); the host is resolved and
every address it resolves to must be public: not loopback, private, link-local (cloud metadata at 169.254.169.254
included), carrier-grade NAT, multicast, reserved or unspecified, also when wrapped in an IPv6 transition format.
The connection then goes to the address that was checked (pinned: a second DNS answer cannot swap it), with the
URL's host as Host header and TLS server name, and redirects are not followed. Hosts listed in
REGISTRY_WEBHOOK_ALLOWED_HOSTS are exempt from the address check (operators, and the tests' loopback receiver).
"""
from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3
from django.conf import settings

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
MAX_RESPONSE_BYTES = 8192


class WebhookUrlRefused(Exception):
    """The URL may not be delivered to; the message says why."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    address: str  # the checked address the connection is pinned to
    path: str


@dataclass(frozen=True)
class Response:
    status: int | None
    body: str
    error: str
    duration_ms: int
    timed_out: bool = False
    refused: bool = False  # the URL itself may not be delivered to: sending again would not help


def _embedded_ipv4(ip):
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            return embedded
    return ip


def address_refusal(address: str) -> str:
    """Why an address may not receive webhooks ('' when it may)."""
    ip = _embedded_ipv4(ipaddress.ip_address(address.split("%")[0]))
    for label, refused in (("loopback", ip.is_loopback), ("link-local (cloud metadata)", ip.is_link_local),
                           ("unspecified", ip.is_unspecified), ("multicast", ip.is_multicast),
                           ("private", ip.is_private), ("reserved", ip.is_reserved)):
        if refused:
            return label
    return "" if ip.is_global else "not publicly routable"


def url_parse(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path) of a URL a webhook may use, or WebhookUrlRefused."""
    if not isinstance(url, str) or not url.strip():
        raise WebhookUrlRefused("Webhook URL cannot be empty.")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as error:
        raise WebhookUrlRefused(f"Invalid webhook URL {url!r}: {error}.") from None
    allowed = settings.REGISTRY_WEBHOOK_ALLOWED_SCHEMES
    if parts.scheme not in allowed:
        raise WebhookUrlRefused(f"Invalid webhook URL scheme: {parts.scheme!r}. Allowed schemes are: "
                                f"{', '.join(allowed)}.")
    if not parts.hostname:
        raise WebhookUrlRefused(f"Webhook URL must include a hostname: {url!r}.")
    if parts.username or parts.password:
        raise WebhookUrlRefused("Webhook URL must not carry credentials; use the webhook's secret.")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, parts.hostname.lower(), port or (443 if parts.scheme == "https" else 80), path


def url_resolve(url: str) -> Target:
    """Check the URL and resolve its host to an address that may receive it (the first such address)."""
    scheme, host, port, path = url_parse(url)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise WebhookUrlRefused(f"Webhook URL host {host!r} does not resolve: {error}.") from None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if host not in settings.REGISTRY_WEBHOOK_ALLOWED_HOSTS:
        for address in addresses:
            if reason := address_refusal(address):
                raise WebhookUrlRefused(
                    f"Webhook URL host {host!r} resolves to {address}, a {reason} address: webhooks are only "
                    f"delivered to public addresses (an operator may allow the host in "
                    f"REGISTRY_WEBHOOK_ALLOWED_HOSTS).")
    return Target(scheme=scheme, host=host, port=port, address=addresses[0], path=path)


def _pool(target: Target, timeout: float):
    options = {"timeout": urllib3.Timeout(connect=timeout, read=timeout), "retries": False, "maxsize": 1}
    if target.scheme == "https":
        return urllib3.HTTPSConnectionPool(target.address, target.port, server_hostname=target.host,
                                           assert_hostname=target.host, cert_reqs="CERT_REQUIRED", **options)
    return urllib3.HTTPConnectionPool(target.address, target.port, **options)


def post(url: str, *, body: bytes, headers: dict) -> Response:
    """POST once to the checked, pinned address; never raises for network trouble (it is in the Response)."""
    started = time.monotonic()
    elapsed = lambda: int((time.monotonic() - started) * 1000)  # noqa: E731
    try:
        target = url_resolve(url)
    except WebhookUrlRefused as refusal:
        return Response(status=None, body="", error=str(refusal), duration_ms=elapsed(), refused=True)
    host_header = target.host if target.port in (80, 443) else f"{target.host}:{target.port}"
    pool = _pool(target, settings.REGISTRY_WEBHOOK_TIMEOUT_SECONDS)
    try:
        reply = pool.urlopen("POST", target.path, body=body, headers={**headers, "Host": host_header},
                             redirect=False, preload_content=False, assert_same_host=False)
        content = reply.read(MAX_RESPONSE_BYTES, decode_content=True)
        reply.release_conn()
        return Response(status=reply.status, body=content.decode("utf-8", "replace"), error="",
                        duration_ms=elapsed())
    except (TimeoutError, urllib3.exceptions.TimeoutError) as error:
        return Response(status=None, body="", error=f"timed out: {error}", duration_ms=elapsed(), timed_out=True)
    except (urllib3.exceptions.HTTPError, OSError) as error:
        return Response(status=None, body="", error=f"connection failed: {error}", duration_ms=elapsed())
    finally:
        pool.close()
