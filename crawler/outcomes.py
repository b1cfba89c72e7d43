"""Name a failed request's cause the way an operator reads it (dns, timeout, refused…)."""

from __future__ import annotations

from scrapy import exceptions as scrapy_errors
from scrapy.exceptions import IgnoreRequest
from twisted.internet import error as tx
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseFailed, ResponseNeverReceived


class RedirectLoop(IgnoreRequest):
    """A redirect chain that came back to a URL it had already visited: ``chain`` is its
    URLs, ending with the repeat."""

    def __init__(self, message: str, chain: list[str] | None = None) -> None:
        super().__init__(message)
        self.chain = chain or []


def _types(*candidates: object) -> tuple[type[BaseException], ...]:
    """Exception types that exist in the installed Scrapy/Twisted (names moved in Scrapy 2.14+)."""
    return tuple(c for c in candidates if isinstance(c, type) and issubclass(c, BaseException))


def _scrapy(name: str) -> object:
    return getattr(scrapy_errors, name, None)


_TIMEOUTS = _types(tx.TimeoutError, tx.TCPTimedOutError, _scrapy("DownloadTimeoutError"))
_BY_TYPE: tuple[tuple[tuple[type[BaseException], ...], str], ...] = (
    (_types(tx.DNSLookupError, _scrapy("CannotResolveHostError")), "dns"),
    (_TIMEOUTS, "timeout"),
    (
        _types(tx.ConnectionRefusedError, _scrapy("DownloadConnectionRefusedError")),
        "connection_refused",
    ),
    (
        _types(
            tx.ConnectionLost,
            tx.ConnectionDone,
            tx.ConnectError,
            ResponseFailed,
            ResponseNeverReceived,
            _scrapy("ResponseDataLossError"),
            _scrapy("DownloadFailedError"),
        ),
        "connection_lost",
    ),
)


def is_timeout(exc: BaseException) -> bool:
    return isinstance(exc, _TIMEOUTS)


def describe_failure(failure: Failure) -> tuple[str, str]:
    """(code, detail) for a request's failure."""
    exc = failure.value
    detail = f"{type(exc).__name__}: {exc}"[:500]
    if isinstance(exc, RedirectLoop):
        return "redirect_loop", detail
    if isinstance(exc, IgnoreRequest) and "redirect" in str(exc):
        return "too_many_redirects", detail
    if exc is not None and _is_tls(exc):
        return "tls", detail
    for types, code in _BY_TYPE:
        if isinstance(exc, types):
            return code, detail
    return "error", detail


def _is_tls(exc: BaseException) -> bool:
    """A TLS failure anywhere in the chain: Scrapy's error, what it wraps, and the reasons a
    Twisted ResponseNeverReceived or ResponseFailed lists (an OpenSSL error among them)."""
    pending: list[BaseException] = [exc]
    seen: list[BaseException] = []
    while pending and len(seen) < 16:
        current = pending.pop()
        if any(current is earlier for earlier in seen):
            continue
        seen.append(current)
        reasons = getattr(current, "reasons", None) or []
        pending += [r.value for r in reasons if isinstance(r, Failure) and r.value is not None]
        pending += [
            e for e in (current.__cause__, current.__context__) if isinstance(e, BaseException)
        ]
    return any("ssl" in f"{type(e).__module__}.{type(e).__name__}".lower() for e in seen)
