"""Host names resolved before the download, with "no such host" told apart from a lost answer.

A DNS failure is a definite dead link, but only when the name really does not exist. Scrapy's
resolver reports every failure alike, and the lookup counts against the download timeout: a
resolver that drops a query under load (glibc asks again after 5 s) turned a dead host into a
*timeout*, and a live one into a suspected dead link. Here:

* ``ClassifyingResolver`` (``DNS_RESOLVER``) keeps Scrapy's cache of addresses and remembers,
  for the crawl, the names the resolver said do not exist (``EAI_NONAME``/``EAI_NODATA``);
  concurrent lookups of one name share one query.
* ``ResolveFirst`` (downloader middleware) resolves a request's host before it waits for its
  server, within ``DNS_TIMEOUT`` (the download then finds the address in the cache). A name that
  does not exist fails the request at once, not retried; any other failure is left to the
  download, with its retries.

Twisted's ``HostnameEndpoint`` (the connection behind every download) tries a name's addresses
one every ``attemptDelay`` (0.3 s) and reports that none answered only at its next turn, even
when there was one address to try: a refused connection took 0.3 s, each try of it, holding its
server's connection meanwhile. The resolver here gives one address per name (IPv4, as Scrapy's),
so the delay only ever paces that report, and it is short (``FAILURE_REPORT_SECONDS``).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.resolver import CachingThreadedResolver, dnscache
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet import error as tx
from twisted.internet.defer import Deferred
from twisted.internet.endpoints import HostnameEndpoint
from twisted.internet.threads import deferToThreadPool
from twisted.python.failure import Failure

# The resolver's own verdict that the name does not exist (no retry will change it tonight).
NO_SUCH_NAME = frozenset(
    code
    for code in (getattr(socket, "EAI_NONAME", None), getattr(socket, "EAI_NODATA", None))
    if code is not None
)


class NoSuchHost(tx.DNSLookupError):
    """The resolver answered that this host name does not exist."""


FAILURE_REPORT_SECONDS = 0.02


class ClassifyingResolver(CachingThreadedResolver):
    def __init__(self, reactor: Any, cache_size: int, timeout: float) -> None:
        super().__init__(reactor, cache_size, timeout)
        # One address per name: the attempt delay is how late a failed connection is told.
        HostnameEndpoint._DEFAULT_ATTEMPT_DELAY = FAILURE_REPORT_SECONDS
        self.no_such_host: set[str] = set()
        self.pending: dict[str, list[Deferred[str]]] = {}

    def getHostByName(self, name: str, timeout: Sequence[int] = ()) -> Deferred[str]:  # noqa: N802
        if name in dnscache:
            return _succeed(dnscache[name])
        if name in self.no_such_host:
            return _fail(NoSuchHost(name))
        waiter: Deferred[str] = Deferred()
        waiting = self.pending.get(name)
        if waiting is not None:
            waiting.append(waiter)  # the same name is being asked already
            return waiter
        self.pending[name] = [waiter]
        self.lookup(name).addCallbacks(
            self._resolved, self._failed, callbackArgs=(name,), errbackArgs=(name,)
        )
        return waiter

    def lookup(self, name: str) -> Deferred[str]:
        """The system's answer (IPv4, as Scrapy's own resolver), in the reactor's threads."""
        return deferToThreadPool(
            self.reactor,  # type: ignore[arg-type]
            self.reactor.getThreadPool(),
            socket.gethostbyname,
            name,
        )

    def _resolved(self, address: str, name: str) -> None:
        if dnscache.limit:
            dnscache[name] = address
        for waiter in self.pending.pop(name, []):
            if not waiter.called:  # (one that timed out was cancelled)
                waiter.callback(address)

    def _failed(self, failure: Failure, name: str) -> None:
        problem = failure.value
        if isinstance(problem, socket.gaierror) and problem.errno in NO_SUCH_NAME:
            self.no_such_host.add(name)
            exception: Exception = NoSuchHost(name)
        else:
            exception = tx.DNSLookupError(f"{name}: {problem}")
        for waiter in self.pending.pop(name, []):
            if not waiter.called:
                waiter.errback(Failure(exception))  # type: ignore[no-untyped-call]


def _succeed(value: str) -> Deferred[str]:
    deferred: Deferred[str] = Deferred()
    deferred.callback(value)
    return deferred


def _fail(exception: Exception) -> Deferred[str]:
    deferred: Deferred[str] = Deferred()
    deferred.errback(Failure(exception))  # type: ignore[no-untyped-call]
    return deferred


class ResolveFirst:
    def __init__(self, crawler: Crawler) -> None:
        self.timeout = crawler.settings.getfloat("DNS_TIMEOUT")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ResolveFirst:
        return cls(crawler)

    async def process_request(self, request: Request, spider: Spider | None = None) -> None:
        from twisted.internet import reactor  # noqa: PLC0415 - the installed one, at run time

        resolver = getattr(reactor, "resolver", None)
        if not isinstance(resolver, ClassifyingResolver):
            return
        host = urlparse_cached(request).hostname
        if not host or _is_address(host) or host in dnscache or request.meta.get("proxy"):
            return  # (through a proxy, the proxy resolves)
        lookup = resolver.getHostByName(host)
        lookup.addTimeout(self.timeout, reactor)
        try:
            await maybe_deferred_to_future(lookup)
        except NoSuchHost:
            request.meta["dont_retry"] = True  # a definite answer: asking again changes nothing
            raise
        except Exception:
            return  # a lost or refused answer, or too slow: the download asks again, with retries


@lru_cache(maxsize=1024)
def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
