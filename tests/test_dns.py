"""Host names: "no such host" is told apart from a lost or refused answer, remembered for the
crawl, and one query serves every request for a name. (The system resolver is replaced by
scripted answers: tests never query a DNS server.)"""

from __future__ import annotations

import socket
from typing import Any

import pytest
from scrapy.resolver import dnscache
from twisted.internet import error as tx
from twisted.internet.defer import CancelledError, Deferred
from twisted.python.failure import Failure

from crawler.dns import ClassifyingResolver, NoSuchHost
from crawler.outcomes import describe_failure
from reports.explain import explain


class ScriptedResolver(ClassifyingResolver):
    """The classifying resolver, with the system's answers given by the test."""

    def __init__(self) -> None:
        super().__init__(reactor=None, cache_size=100, timeout=5)
        self.asked: list[str] = []
        self.answers: dict[str, Deferred[str]] = {}

    def lookup(self, name: str) -> Deferred[str]:
        self.asked.append(name)
        self.answers[name] = Deferred()
        return self.answers[name]


def _outcome(deferred: Deferred[str]) -> Any:
    results: list[Any] = []
    deferred.addBoth(results.append)
    return results[0] if results else None


def _fails_with(resolver: ScriptedResolver, name: str, code: int) -> Any:
    """The outcome of a lookup of ``name`` that the system answers with this error code."""
    waiter = resolver.getHostByName(name)
    resolver.answers[name].errback(Failure(socket.gaierror(code, f"getaddrinfo error {code}")))
    return _outcome(waiter)


@pytest.fixture(autouse=True)
def _clean_cache() -> None:
    dnscache.clear()


def test_a_name_that_does_not_exist_is_definite_and_asked_once() -> None:
    resolver = ScriptedResolver()
    failure = _fails_with(resolver, "www.closed.example", socket.EAI_NONAME)
    assert isinstance(failure, Failure) and failure.check(NoSuchHost)
    assert describe_failure(failure)[0] == "dns"
    # The report names the host and says it does not exist.
    said = explain(*describe_failure(failure), "zh")
    assert said == "域名 www.closed.example 不存在：无此域名，或未配置解析"
    # Every later link to that host fails at once, without asking again.
    again = _outcome(resolver.getHostByName("www.closed.example"))
    assert isinstance(again, Failure) and again.check(NoSuchHost)
    assert resolver.asked == ["www.closed.example"]


def test_a_lost_answer_is_not_a_verdict_and_is_asked_again() -> None:
    resolver = ScriptedResolver()
    failure = _fails_with(resolver, "www.busy.example", socket.EAI_AGAIN)
    assert isinstance(failure, Failure)
    assert failure.check(tx.DNSLookupError) and not failure.check(NoSuchHost)
    assert explain(*describe_failure(failure), "en") == "the lookup of www.busy.example failed"
    resolver.getHostByName("www.busy.example")
    assert resolver.asked == ["www.busy.example"] * 2


def test_concurrent_lookups_share_one_query_and_answers_are_cached() -> None:
    resolver = ScriptedResolver()
    waiters = [resolver.getHostByName("www.gov.example") for _ in range(3)]
    timed_out = resolver.getHostByName("www.gov.example")
    timed_out.cancel()  # a request that gave up waiting (its Deferred's timeout)
    gave_up = _outcome(timed_out)
    assert isinstance(gave_up, Failure) and gave_up.check(CancelledError)
    resolver.answers["www.gov.example"].callback("192.0.2.7")
    assert [_outcome(w) for w in waiters] == ["192.0.2.7"] * 3
    assert _outcome(resolver.getHostByName("www.gov.example")) == "192.0.2.7"
    assert resolver.asked == ["www.gov.example"]


def test_a_tls_failure_deep_in_the_chain_is_told_as_tls() -> None:
    """Scrapy wraps Twisted's ResponseNeverReceived, whose reasons hold the OpenSSL error (a
    server that speaks only TLS 1.0): a TLS problem, not a lost connection."""
    from OpenSSL import SSL
    from scrapy.exceptions import DownloadFailedError
    from twisted.python.failure import Failure
    from twisted.web._newclient import ResponseNeverReceived

    from crawler.outcomes import describe_failure

    never = ResponseNeverReceived([Failure(SSL.Error([("SSL routines", "", "tlsv1 alert")]))])
    try:
        raise DownloadFailedError("download failed") from never
    except DownloadFailedError as wrapped:
        assert describe_failure(Failure(wrapped))[0] == "tls"
    plain = ResponseNeverReceived([Failure(ConnectionResetError("reset"))])
    try:
        raise DownloadFailedError("download failed") from plain
    except DownloadFailedError as wrapped:
        assert describe_failure(Failure(wrapped))[0] == "connection_lost"
