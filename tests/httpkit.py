"""A scriptable HTTP server on 127.0.0.1 for tests: routes with status, headers, body, delays."""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import IPv4Address
from pathlib import Path
from urllib.parse import unquote, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering (bounded by the test's crawl timeout)
    head_status: int | None = None  # answer HEAD differently (e.g. 405)
    head_delay: float = 0.0  # seconds before answering a HEAD (a server that hangs on HEAD)
    then: Route | None = None  # after answering ``times`` times, answer like this instead
    times: int = 1
    plain_status: int | None = None  # over plain HTTP (plain_too servers), this status instead
    # hotlink protection (nginx valid_referers): 403 unless the Referer names one of these hosts
    referers: tuple[str, ...] | None = None
    etag: str | None = None  # with ``etags``: this ETag whatever the body (kept across edits)
    streamed: bool = False  # no Content-Length: the body runs to the connection's end


class RouteServer:
    """Serve ``routes`` (path → Route, paths unquoted as UTF-8); anything else is 404.

    ``requests`` records (method, path) of every request, for assertions. With ``tls`` (a server
    context, see ``self_signed``), it serves HTTPS; with ``plain_too`` as well, HTTP and HTTPS on
    the one port (``http://127.0.0.1:P/a`` and ``https://127.0.0.1:P/a``: a site that answers
    both schemes, as on ports 80 and 443). With ``rate_limit``, a request that comes when more
    than that many came in the last second (refused ones too) is refused with a 403, as nginx's
    ``limit_req`` set to 403 does; with ``limit_status`` 429, "Too Many Requests" with a
    ``Retry-After`` of one second, and only the requests let through count (nginx's own
    ``limit_req``: a refused request does not use up the rate). With ``connection_limit``, a
    request that comes while that many are being answered is refused with a 403, as nginx's
    ``limit_conn`` set to 403 does. With ``fresh_etags``, every 200 carries a new ETag (a page
    that shows the time, a server that tags each answer): never a 304. With ``etags``, a
    200 answer carries an ETag (a hash of its body) and a GET that sends it back in
    ``If-None-Match`` gets 304 Not Modified; ``conditional`` records those requests' paths.
    With ``ban_after`` (and ``ban_seconds``), the requests after that many are all refused with a
    403 for that long from the first of them, as a firewall that shuts a client out does.
    """

    def __init__(
        self,
        routes: dict[str, Route] | None = None,
        root: Path | None = None,
        etags: bool = False,
        tls: ssl.SSLContext | None = None,
        plain_too: bool = False,
        rate_limit: int | None = None,
        fresh_etags: bool = False,
        ban_after: int | None = None,
        ban_seconds: float = 0.0,
        limit_status: int = 403,
        connection_limit: int | None = None,
    ) -> None:
        self.routes: dict[str, Route] = routes if routes is not None else {}
        self.root = root
        self.etags = etags
        self.requests: list[tuple[str, str]] = []
        self.arrived: list[float] = []  # when each request came (time.monotonic), refused ones too
        self.conditional: list[str] = []
        self.posts: list[tuple[str, bytes]] = []
        self.times: list[tuple[str, float]] = []
        self.spans: list[tuple[str, float, float]] = []  # (path, arrived, answered)
        self.cookies: list[tuple[str, str | None]] = []  # (path, its Cookie header)
        self.referers: list[tuple[str, str, str | None]] = []  # (method, path, its Referer)
        self.rate_limit = rate_limit
        self.limit_status = limit_status
        self.connection_limit = connection_limit
        self.in_flight = 0
        self.fresh_etags = fresh_etags
        self.answered = itertools.count()
        self.arrivals: list[float] = []
        self.refused: list[str] = []  # paths refused by the rate limit or the ban
        self.refused_at: list[float] = []  # ...when (time.monotonic)
        self.ban_after = ban_after
        self.ban_seconds = ban_seconds
        self.banned_until: float | None = None
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                return

            def do_GET(self) -> None:
                server._answer(self, "GET")

            def do_HEAD(self) -> None:
                server._answer(self, "HEAD")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                server.posts.append((self.path, self.rfile.read(length)))
                server._answer(self, "POST")

        server_class = _EitherServer if plain_too else ThreadingHTTPServer
        self.httpd = server_class(("127.0.0.1", 0), Handler, bind_and_activate=False)
        self.httpd.request_queue_size = 256  # the stdlib's 5 drops connections under load
        self.httpd.server_bind()
        self.httpd.server_activate()
        self.scheme = "http"
        if isinstance(self.httpd, _EitherServer):
            self.httpd.tls = tls
        elif tls is not None:  # HTTPS: every connection's handshake is done when it is accepted
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
            self.scheme = "https"
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.httpd.server_address[1]}/"

    def _answer(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        with self.lock:
            self.in_flight += 1
            crowded = self.connection_limit is not None and self.in_flight > self.connection_limit
        try:
            self._answer_one(handler, method, crowded)
        finally:
            with self.lock:
                self.in_flight -= 1

    def _answer_one(self, handler: BaseHTTPRequestHandler, method: str, crowded: bool) -> None:
        arrived = time.monotonic()
        path = unquote(urlsplit(handler.path).path, encoding="utf-8")
        query = urlsplit(handler.path).query
        self.requests.append((method, handler.path))
        self.arrived.append(arrived)
        too_fast = self.rate_limit is not None and self._too_fast(arrived)
        if too_fast or crowded or self._banned(arrived):
            self.refused.append(path)
            self.refused_at.append(arrived)
            status = self.limit_status if self.banned_until is None else 403
            reason = {403: "Forbidden", 429: "Too Many Requests"}[status]
            body = f"<html><head><title>{status} {reason}</title></head><body><center><h1>{status} {reason}</h1></center><hr><center>nginx</center></body></html>".encode()
            handler.send_response(status)
            if status == 429:
                handler.send_header("Retry-After", "1")
            handler.send_header("Content-Type", "text/html")
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            if method != "HEAD":
                handler.wfile.write(body)
            return
        self.cookies.append((path, handler.headers.get("Cookie")))
        route = self.routes.get(path + ("?" + query if query else "")) or self.routes.get(path)
        if route is None:  # "/prefix/*" routes answer everything below the prefix
            route = next(
                (
                    r
                    for key, r in self.routes.items()
                    if key.endswith("*") and path.startswith(key[:-1])
                ),
                None,
            )
        if route is None and self.root is not None:
            candidate = self.root / path.lstrip("/")
            if candidate.is_dir():
                candidate = candidate / "index.html"
            if candidate.is_file():
                ctype = "text/html" if candidate.suffix == ".html" else "application/octet-stream"
                route = Route(200, candidate.read_bytes(), {"Content-Type": ctype})
        route = route or Route(
            404, b"<html><body>404 Not Found</body></html>", {"Content-Type": "text/html"}
        )
        if route.then is not None:
            if route.times <= 0:
                route = route.then
            else:
                route.times -= 1
        self.referers.append((method, path, handler.headers.get("Referer")))
        if route.referers is not None:
            named = urlsplit(handler.headers.get("Referer") or "").hostname
            if named not in route.referers:
                route = Route(403, b"<html><body>403 Forbidden</body></html>")
        self.times.append((path, time.monotonic()))
        if route.delay or (method == "HEAD" and route.head_delay):
            time.sleep(route.head_delay if method == "HEAD" and route.head_delay else route.delay)
        # Answered from now on (before the client can read the answer and send another request).
        self.spans.append((path, arrived, time.monotonic()))
        status = route.head_status if method == "HEAD" and route.head_status else route.status
        if route.plain_status and not isinstance(handler.connection, ssl.SSLSocket):
            status = route.plain_status
        headers = {"Content-Type": "text/html; charset=utf-8", **route.headers}
        if self.fresh_etags and status == 200:
            headers["ETag"] = f'"{next(self.answered)}"'
        elif self.etags and status == 200:
            etag = route.etag or '"' + hashlib.sha1(route.body).hexdigest()[:16] + '"'
            headers["ETag"] = etag
            asked = handler.headers.get("If-None-Match")
            if asked:
                self.conditional.append(path)
            if method == "GET" and asked == etag:
                handler.send_response(304)
                handler.send_header("ETag", etag)
                handler.end_headers()
                return
        handler.send_response(status)
        for name, value in headers.items():
            handler.send_header(name, value)
        if not route.streamed:
            handler.send_header("Content-Length", str(len(route.body)))
        handler.end_headers()
        if method in ("GET", "POST"):
            # The client may stop reading (a body larger than it reads).
            with contextlib.suppress(ConnectionResetError, BrokenPipeError):
                handler.wfile.write(route.body)

    def _banned(self, now: float) -> bool:
        if self.ban_after is None:
            return False
        with self.lock:
            if self.banned_until is None and len(self.requests) > self.ban_after:
                self.banned_until = now + self.ban_seconds
            return self.banned_until is not None and now < self.banned_until

    def _too_fast(self, now: float) -> bool:
        assert self.rate_limit is not None
        with self.lock:
            self.arrivals = [t for t in self.arrivals if t > now - 1.0]
            if self.limit_status == 429 and len(self.arrivals) >= self.rate_limit:
                return True
            self.arrivals.append(now)
            return len(self.arrivals) > self.rate_limit

    def __enter__(self) -> RouteServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class _EitherServer(ThreadingHTTPServer):
    """Plain HTTP, or TLS when a connection opens with a TLS handshake (its first byte 0x16)."""

    tls: ssl.SSLContext | None = None

    def finish_request(self, request: socket.socket, client_address: object) -> None:  # type: ignore[override]
        request.settimeout(5)
        if self.tls is None or request.recv(1, socket.MSG_PEEK) != b"\x16":
            super().finish_request(request, client_address)  # type: ignore[arg-type]
            return
        with self.tls.wrap_socket(request, server_side=True) as secure:
            super().finish_request(secure, client_address)  # type: ignore[arg-type]


def self_signed(folder: Path) -> ssl.SSLContext:
    """A server TLS context with a certificate for 127.0.0.1 made now, signed by itself."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(IPv4Address("127.0.0.1"))]), False
        )
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return context
