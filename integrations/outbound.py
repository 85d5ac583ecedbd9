"""The one outbound HTTP request of the app: a POST to an admin-set URL, bounded every way.

* Only ``http``/``https`` URLs without credentials; redirects are not followed (a 3xx is a
  failure), so a receiver cannot bounce the request somewhere else.
* The host is resolved once and the connection made to the address that was checked: every
  address must be public (not private, loopback, link-local, reserved, multicast) unless
  ``WEBHOOKS_ALLOW_PRIVATE_ADDRESSES`` (tests, or an intranet receiver on purpose). Checking the
  name and then letting the HTTP library resolve it again would let a DNS answer that changes in
  between (rebinding) reach the internal network.
* A timeout on connecting and on each read, an overall deadline, and at most
  ``MAX_RESPONSE_BYTES`` of the answer read (only its start is kept, for the delivery log).
"""

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_RESPONSE_BYTES = 64 * 1024
USER_AGENT = "Persist-Webhooks/1"


class UrlRefused(ValueError):
    """The URL may not be called (scheme, credentials, or an address that is not public)."""


@dataclass(frozen=True)
class PostResult:
    status: int | None  # None: no HTTP answer at all
    error: str  # empty on success
    body_start: str = ""

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def url_check(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path with query) of an acceptable URL; raises ``UrlRefused``."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise UrlRefused(f"Not a URL we can call ({exc}).") from None
    if parts.scheme not in {"http", "https"}:
        raise UrlRefused("Only http and https URLs can receive webhooks.")
    if not parts.hostname:
        raise UrlRefused("The URL has no host.")
    if parts.username or parts.password:
        raise UrlRefused("The URL may not contain a user name or password.")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80), path


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def address_resolve(host: str, port: int, *, allow_private: bool) -> str:
    """The address to connect to; raises ``UrlRefused`` when any address of the name is not
    public (a name pointing at both is not a receiver we call)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UrlRefused(f"The host {host} does not resolve ({exc}).") from None
    addresses = [info[4][0] for info in infos]
    if not addresses:
        raise UrlRefused(f"The host {host} has no address.")
    if not allow_private and not all(_public(a) for a in addresses):
        raise UrlRefused(
            f"The host {host} resolves to a private, loopback or reserved address: refused."
        )
    return addresses[0]


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host, port, *, address, timeout):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host, port, *, address, timeout):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        # The certificate is checked against the name in the URL, not the address.
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post(
    url: str, *, body: bytes, headers: dict[str, str], timeout: float, allow_private: bool
) -> PostResult:
    """POST ``body`` as JSON; never raises for anything the network or receiver does."""
    try:
        scheme, host, port, path = url_check(url)
        address = address_resolve(host, port, allow_private=allow_private)
    except UrlRefused as exc:
        return PostResult(None, str(exc))
    connection_class = _PinnedHTTPS if scheme == "https" else _PinnedHTTP
    connection = connection_class(host, port, address=address, timeout=timeout)
    deadline = time.monotonic() + 3 * timeout
    try:
        connection.request(
            "POST",
            path,
            body=body,
            headers={
                **headers,
                "Content-Type": "application/json",
                "User-Agent": USER_AGENT,
            },
        )
        response = connection.getresponse()
        received = b""
        # Chunked and against a deadline: a receiver dripping bytes cannot hold a worker.
        while len(received) < MAX_RESPONSE_BYTES and time.monotonic() < deadline:
            chunk = response.read1(min(8192, MAX_RESPONSE_BYTES - len(received)))
            if not chunk:
                break
            received += chunk
        status = response.status
    except TimeoutError:
        return PostResult(None, f"Timed out after {timeout:g} s.")
    except (OSError, http.client.HTTPException) as exc:
        return PostResult(None, f"{type(exc).__name__}: {exc}"[:300])
    finally:
        connection.close()
    text = received[:300].decode("utf-8", "replace")
    if 200 <= status < 300:
        return PostResult(status, "", text)
    if 300 <= status < 400:
        return PostResult(status, f"HTTP {status}: redirects are not followed.", text)
    return PostResult(status, f"HTTP {status}", text)
