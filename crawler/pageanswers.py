"""Pages read by the crawl's small client (crawler.quickcheck): the request as sent, and the
answer made into the Scrapy response the spider would have had.

A page's GET costs the crawl about a millisecond of Scrapy machinery, several times what reading
and parsing the answer costs. A page of a server the crawl already reaches directly is read
here instead. What the download middlewares would have done to the answer decides its way:

* a *plain* answer (200, an HTML or a skipped non-HTML body, no cookie set, no encoding but
  gzip or deflate) is what those middlewares pass unchanged, bar the decoding done here; it goes
  to the spider's callback at once;
* any other answer (a redirect, an error status, a retry's 503 or 429, a cookie to keep, an
  unusual encoding) goes through all of them as if just downloaded (``PREFETCHED``, see
  crawler.middlewares.PrefetchedAnswers): retries with backoff and Retry-After, redirects,
  the cookie jar, decompression, exactly as for the crawl's own downloads.

Nothing here decides a link's outcome: the spider does, from the response, as always.
"""

from __future__ import annotations

import zlib
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.http import Headers, HtmlResponse, Response
from scrapy.responsetypes import responsetypes

from crawler.revalidate import Head, Origin

# The request's meta key for an answer read ahead by the small client.
PREFETCHED = "gw_prefetched"
ACCEPT_ENCODING = "gzip, deflate"
STUB_BYTES = 8 * 1024  # a page that only sends the visitor on is small
_DECODED = {"", "identity", "gzip", "x-gzip", "deflate"}


def page_request_bytes(
    request: Request, origin: Origin, headers: list[tuple[str, str]]
) -> bytes | None:
    """The GET as sent on the wire, or None if it cannot be sent as it is (left to the crawl)."""
    parts = urlsplit(request.url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    lines = [f"GET {target} HTTP/1.1", f"Host: {origin.host_header}"]
    lines += [f"{name}: {value}" for name, value in headers]
    if any(c in line for line in lines for c in "\r\n") or " " in target:
        return None
    try:
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    except UnicodeEncodeError:
        return None


def wants_body(head: Head) -> bool:
    """Whether the spider reads this answer's body: as ``SiteSpider._headers_only``, an answer
    that says it is neither HTML nor XML is judged by its status alone."""
    content_type = head.headers.get("content-type", "").lower()
    return not content_type or "html" in content_type or "xml" in content_type


def is_plain(head: Head) -> bool:
    """An answer the download middlewares would pass on unchanged (but for its decoding): not
    one that sends the visitor on (crawler.middlewares.BrowserRedirects)."""
    headers = head.headers
    return (
        head.status == 200
        and "set-cookie" not in headers
        and "refresh" not in headers
        and headers.get("content-encoding", "").strip().lower() in _DECODED
    )


def may_send_on(body: bytes) -> bool:
    """A small page that may only send the visitor on (a meta refresh, a script that sets the
    location): the download middlewares judge it (crawler.middlewares.BrowserRedirects)."""
    if len(body) > STUB_BYTES:
        return False
    lowered = body.lower()
    return b"refresh" in lowered or b"location" in lowered


def decoded(head: Head, body: bytes, limit: int) -> bytes | None:
    """The body without its gzip or deflate coding; None if it does not decode within
    ``limit`` bytes (the download middleware then decodes it, or fails it, its own way)."""
    coding = head.headers.get("content-encoding", "").strip().lower()
    if coding in ("", "identity") or not body:
        return body
    for wbits in (47, -15):  # gzip or zlib by their header; raw deflate, as some servers send
        decoder = zlib.decompressobj(wbits)
        try:
            plain = decoder.decompress(body, limit + 1)
        except zlib.error:
            continue
        if len(plain) > limit or decoder.unconsumed_tail:
            return None
        return plain
    return None


def make_response(
    request: Request, head: Head, body: bytes, body_skipped: bool, plain: bool
) -> Response:
    """The response the spider gets; for a plain answer, ``body`` is already decoded and the
    coding dropped from its headers (as the decompression middleware does)."""
    values: dict[bytes, list[bytes]] = {}
    for name, value in head.raw:
        if plain and name.lower() == b"content-encoding":
            continue
        values.setdefault(name, []).append(value)
    headers = Headers(values)
    content_type = head.headers.get("content-type", "").lower()
    if "text/html" in content_type:
        cls: type[Response] = HtmlResponse
    else:
        cls = responsetypes.from_args(headers=headers, url=request.url, body=body)
    response = cls(url=request.url, status=head.status, headers=headers, body=body, request=request)
    if body_skipped:
        # As SiteSpider._headers_only marks a body it did not read (with the request itself).
        request.meta["gw_body_skipped"] = request
    return response
