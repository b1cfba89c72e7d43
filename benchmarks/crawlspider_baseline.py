"""The link checker a Scrapy user writes in an afternoon: a CrawlSpider that follows the site's
own pages and requests every link it finds once, on any host.

    scrapy runspider benchmarks/crawlspider_baseline.py -a start=http://127.0.0.1:8000/ \\
        -a out=results.jsonl -s DOWNLOAD_TIMEOUT=5

Pages are followed with a default ``LinkExtractor`` (a/area links, Scrapy's ignored extensions
skipped) restricted to the start URL's host and port. Every other link (img, script, link and
iframe sources, attachments, other hosts) is requested once by HEAD. One JSON line
per requested URL: ``{"url", "status", "error", "page"}`` where ``page`` is true for followed
HTML pages. Scrapy's defaults otherwise (16 requests at once, 8 per host, 2 retries).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.http import Response, TextResponse
from scrapy.linkextractors import LinkExtractor
from scrapy.spiders import CrawlSpider, Rule
from twisted.python.failure import Failure


class LinkBaseline(CrawlSpider):
    name = "linkbaseline"
    custom_settings = {  # noqa: RUF012 (Scrapy reads it from the class)
        "ROBOTSTXT_OBEY": False,
        "HTTPERROR_ALLOW_ALL": True,  # 404 pages reach the callback
        "LOG_LEVEL": "WARNING",
        "TELNETCONSOLE_ENABLED": False,
    }

    def __init__(self, start: str = "", out: str = "baseline.jsonl", **kwargs: Any) -> None:
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(start))
        self.start_urls = [start]
        self.rules = (
            Rule(
                LinkExtractor(allow=[rf"^{re.escape(origin)}/"]),
                callback="parse_page",
                errback="on_error",
                follow=True,
            ),
        )
        # Everything a browser would fetch from the page, attachments included.
        self.every_link = LinkExtractor(
            tags=("a", "area", "img", "script", "link", "iframe"),
            attrs=("href", "src"),
            deny_extensions=(),
        )
        self.origin = origin
        self.out = Path(out).open("w", encoding="utf-8")  # noqa: SIM115 (closed in closed())
        self.checked: set[str] = set()
        super().__init__(**kwargs)

    def parse_start_url(self, response: Response, **kwargs: Any) -> Iterator[Request]:
        return self.parse_page(response)

    def parse_page(self, response: Response) -> Iterator[Request]:
        html = isinstance(response, TextResponse) and response.url.startswith(self.origin)
        url = response.meta.get("redirect_urls", [response.url])[0]
        self._write(url, response.status, None, page=html)
        if not html:
            return
        followed = {link.url for link in self.rules[0].link_extractor.extract_links(response)}
        for link in self.every_link.extract_links(response):
            if link.url in self.checked or link.url in followed:
                continue
            self.checked.add(link.url)
            yield Request(link.url, method="HEAD", callback=self.on_check, errback=self.on_error)

    def on_check(self, response: Response) -> None:
        self._write(response.meta.get("redirect_urls", [response.url])[0], response.status, None)

    def on_error(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        url = request.meta.get("redirect_urls", [request.url])[0]
        self._write(url, None, f"{type(failure.value).__name__}: {failure.value}"[:300])

    def _write(self, url: str, status: int | None, error: str | None, page: bool = False) -> None:
        record = {"url": url, "status": status, "error": error, "page": page}
        self.out.write(json.dumps(record, ensure_ascii=False) + "\n")

    def closed(self, reason: str) -> None:
        self.out.close()
