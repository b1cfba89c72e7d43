"""Crawl one government site: homepage, configured columns, every reachable page, every link.

The spider decides what to request next and turns responses into observations; all reading of
HTML is done by ``crawler.extract``. Each URL is requested once per crawl (pages by GET,
other targets by HEAD with a GET fallback), and every (page → link) occurrence is recorded.
"""

from __future__ import annotations

import asyncio
import base64
import ipaddress
import re
import socket
import uuid
from collections import Counter, deque
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache, partial
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit
from urllib.request import getproxies
from zoneinfo import ZoneInfo

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.cookies import CookiesMiddleware
from scrapy.exceptions import DontCloseSpider, StopDownload
from scrapy.http import Headers, Response, TextResponse
from scrapy.responsetypes import responsetypes
from scrapy.utils.defer import deferred_from_coro
from sqlalchemy import Engine
from twisted.internet import task
from twisted.python.failure import Failure
from w3lib.url import safe_url_string

from crawler.downloader import NOT_ASKED, DroppedAtStop, Lent, PoliteDownloader, crawl_is_stopping
from crawler.extract.dates import DateMatch, url_date
from crawler.extract.detail import detail_metadata, publication_date
from crawler.extract.html import HtmlElement, column_key, parse_html, squash
from crawler.extract.links import (
    FORBIDDEN_IN_HOST,
    anchor_names,
    extract_links,
    fragment_links,
    has_anchor,
    head_believed,
    malformed_reason,
    may_be_page,
    referer_for,
    refresh_url,
)
from crawler.extract.lists import (
    ListItem,
    content_items,
    has_public_form,
    is_furniture,
    newest,
    oldest_first,
    resolve_date,
    shows_people,
)
from crawler.extract.navigation import (
    NavLink,
    box_hub_columns,
    box_links,
    content_frames,
    frame_urls,
    hub_columns,
    navigation_links,
    sibling_keys,
    sitemap_links,
    sitemap_url,
    tree_links,
)
from crawler.extract.pagination import last_page_url, next_page_url
from crawler.extract.scripts import column_list, data_items, list_signals
from crawler.extract.softpages import (
    Fingerprint,
    block_reading,
    fingerprint,
    looks_alike,
    soft_reading,
)
from crawler.headtrust import HeadTrust, Trust, proof_url, scope_of
from crawler.items import (
    ColumnObservation,
    CopiedLinks,
    LinkCheck,
    LinkOccurrence,
    Observations,
    PageLinks,
    PageMetadata,
)
from crawler.middlewares import RECHECKED, REFUSED_IN_BURST, get_after_head
from crawler.outcomes import describe_failure
from crawler.pageanswers import ACCEPT_ENCODING, PREFETCHED
from crawler.partition import BATCH_SECONDS, Counts, Partition, PartitionLink, owner_of
from crawler.quickcheck import QuickChecks
from crawler.revalidate import (
    Answer,
    Candidate,
    Limits,
    Origin,
    origin_of,
    reached_directly,
    revalidate,
)
from crawler.stuck import HUNG_BEFORE, SECOND_TRY, StuckRequests
from monitor import store
from monitor.config import SiteConfig
from monitor.database import make_engine
from monitor.findings import UNREAD_PAGE
from monitor.records import BLOCKED

HOMEPAGE_NAME = "首页"
ANSWERED = -1  # SiteSpider.hedged: one of the two tries has an answer
LIST_PRIORITY = 20
RECHECK_PRIORITY = 10  # links that failed last time: before the pages the crawl finds
PREPASS_SAMPLE_EVERY = 16  # pre-pass answers per latency sample (_prepass_answered)
LOCAL_TZ = ZoneInfo("Asia/Shanghai")
MAX_DEPTH = 3  # homepage → column → sub-column → sub-sub-column
OLDEST_FIRST_PAGES = 30  # list pages read of an oldest-first list without a 尾页 link
PROSE_CHARS = 40  # of a page's own paragraphs: a short 机构职能 page is content
HOME_TEXT = 200  # characters of text a homepage has at least, unless a script builds it
# A page too large to read is a warning under this key + the page's (SiteSpider._unread).
UNREAD = "unread:"
READ_ROLES = frozenset({"page", "list", "detail", "sitemap", "navframe", "listframe", "listdata"})
PEEK_BYTES = 256 * 1024  # a HEAD's GET fallback reads an HTML answer up to this size
_NAVIGATION_TAGS = frozenset({"a", "area", "iframe", "frame", "meta"})


@dataclass
class Progress:
    pages: int = 0  # HTML pages read (or found unchanged since the last crawl)
    unchanged: int = 0  # of those, answered 304 Not Modified: links from the last crawl
    links: int = 0  # URLs whose outcome is recorded
    failed: int = 0  # of those, failed (error or status ≥ 400)


@dataclass
class ColumnState:
    """A column (or the homepage's lists) being read: list pages, then detail pages."""

    name: str
    url: str
    is_home: bool
    pending: int = 0
    pages_read: int = 0
    # oldest first with no link to its last page: read on by 下一页 to where its newest are
    to_the_end: bool = False
    outside_frames_asked: bool = False
    http_status: int | None = None
    error: str | None = None
    final_url: str | None = None
    items: list[ListItem] = field(default_factory=list)
    details: dict[str, DateMatch | None] = field(default_factory=dict)
    visited: set[str] = field(default_factory=set)
    discovered: bool = False
    parent: str | None = None
    depth: int = 0
    meta_name: str | None = None
    meta_type: str | None = None
    sub_columns: int = 0
    hub: bool = False  # its first page lists sub-columns, not items (navigation.hub_columns)
    unreadable: bool = False
    data_tried: bool = False
    frames_asked: bool = False  # its first page's same-site frames are read (a list in one)
    empty_marker: bool = False
    text_chars: int = 0  # prose on the first page: a content page, not a list
    public_form: bool = False  # a form to write in on the first page (县长信箱): not a list
    people: bool = False  # cards of people (领导信息) on the first page: not a list
    external: bool = False  # its page is on another site (a province's 政务服务 platform)
    done: bool = False  # its observation is out: never twice


@dataclass(frozen=True)
class CrawlPlan:
    """What one run looks at.

    full: homepage, columns, every reachable page and every link. freshness: homepage and
    column list pages only, no link checks. columns: the named columns' list pages and the
    links on them. url: one page and its links (a configured column's page is also dated).
    recheck: only the given links.
    """

    mode: str = "full"
    columns: tuple[str, ...] = ()
    url: str | None = None
    recheck: tuple[tuple[str, str, str], ...] = ()  # (url key, URL as linked, method)
    # columns the last full crawl discovered, for a scan of one: (name, URL, parent's name)
    discovered: tuple[tuple[str, str, str | None], ...] = ()

    @property
    def follows_pages(self) -> bool:
        return self.mode == "full"

    @property
    def checks_links(self) -> bool:
        return self.mode != "freshness"


class SiteSpider(Spider):
    name = "site"

    def __init__(
        self,
        site: SiteConfig,
        crawl_date: date | None = None,
        plan: CrawlPlan | None = None,
        previous: store.PreviousCrawl | None = None,
        partition: Partition | None = None,
        partition_sockets: dict[int, socket.socket] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.site = site
        self.plan = plan or CrawlPlan()
        # A full crawl may run as several processes, each owning a share of the URL keys
        # (crawler.partition); everything else (homepage, columns, the run) is the lead's.
        self.partition = partition if partition and self.plan.follows_pages else Partition()
        self.link: PartitionLink | None = None
        if self.partition.split:
            self.link = PartitionLink(
                self.partition,
                partition_sockets or {},
                wake=self._wake_inbox,
                is_idle=self._engine_idle,
                close=self._close_spider,
                on_host=self.hosts_add,
            )
        self.inbox_pending = False
        # While this process's pre-pass runs, links other processes send wait in the inbox:
        # scheduled now, before the pre-pass has said which are unchanged, they would all be
        # asked again through the crawl (and those requests compete with the pre-pass).
        self.prepass_running = False
        self.prepass_slots: dict[Origin, tuple[str, str]] = {}  # a URL of it, its slot key
        self.prepass_answers: Counter[Origin] = Counter()
        self.forwarded: set[str] = set()  # keys handed to their owner
        self.coming: set[str] = set()  # keys of ours the lead fetches and will hand to us
        self.progress_loop: task.LoopingCall | None = None
        self.max_pages = self.partition.share(site.max_pages)
        # The last full crawl: pages it read are asked for conditionally (If-None-Match /
        # If-Modified-Since); an unchanged page's links come from what that crawl stored.
        self.previous = previous if self.plan.follows_pages else None
        self.revalidates = True
        self.unchanged: dict[str, Answer] = {}  # what the site said before the crawl began
        self.replays: deque[tuple[str, str]] = deque()  # unchanged pages: (key, URL as linked)
        self.replay_pending = False  # a request is on its way to replay the next batch
        self.timed_out = {
            key
            for key, _, _, error, _ in (self.previous.failed if self.previous else ())
            if error == "timeout"
        }
        # Last night's failed links wait for their recheck (_rechecks, once the site's answer
        # to a missing URL is known), asked the way that recheck asks them, even if a page
        # that links to them is read first.
        self.failed_before = {key for key, *_ in (self.previous.failed if self.previous else ())}
        self.rechecks_started = False
        # A recheck counts only once a page of tonight's crawl links its URL (reached): until
        # then its answer waits here. A link no page has any more is not recorded (its history
        # ends), and a page among them that answers again is not read (its links are not the
        # site's until something links to it).
        self.reached: set[str] = set()
        self.held: dict[str, list[Response | Failure]] = {}
        self.replay_batch = 200
        self.db_url = ""
        self._db: Engine | None = None
        self.limits = Limits("govwatch", 15.0, 8, 32)
        # Fragment links (page.html#part): the places each page read has, and the links that
        # wait for a page not read yet. A missing place is a warning, never a dead link.
        self.anchors: dict[str, frozenset[str]] = {}
        self.anchor_waits: dict[str, list[tuple[str, str, str]]] = {}  # (key#frag, URL, frag)
        self.replayed: set[str] = set()  # pages taken from the last crawl (no document)
        self.anchor_fetches: set[str] = set()
        self.crawl_date = crawl_date or datetime.now(LOCAL_TZ).date()
        self.progress = Progress()
        self.requested: set[str] = set()  # URL keys scheduled for a check or page fetch
        self.recorded: set[str] = set()  # URL keys whose outcome is recorded
        # Pages whose links were extracted, by page_identity: a site that answers the same page
        # by http and https is read once, not once more under each spelling.
        self.processed: set[str] = set()
        # Page key → its other-scheme spelling to read if this one is not read (_twin_instead).
        self.twin_pages: dict[str, tuple[str, str, str]] = {}
        # Pages of the site the crawl had to read and could not: the homepage refused as a
        # firewall refuses (a challenge page, 429 to the end), or pages of a server whose ban
        # we did not outwait. A crawl with any is incomplete: its findings would be made of
        # what it did not see (_cannot_do_without).
        self.blocked_pages: set[str] = set()
        self.pages_scheduled = 0
        # The site's hosts: the homepage's, those its homepage redirects to, configured columns'.
        self.hosts: set[str] = {host_of(site.home)} | {host_of(c.url) for c in site.columns}
        # Dates read from article pages, and column items waiting for a page already requested.
        self.page_dates: dict[str, DateMatch | None] = {}
        self.missing: Fingerprint | None = None
        # Where the site redirects a URL that does not exist (its "/404.html"), unless home.
        self.missing_landing: str | None = None
        # ...or that it sends such a URL home (a redirect), or answers it with the homepage.
        self.missing_goes_home: str | None = None
        self.missing_is_home: Fingerprint | None = None
        self.home_final: str | None = None
        self.getting: set[str] = set()  # keys fetched by GET as pages (their dates can be read)
        self.spellings_of = ""  # the homepage URL ``spellings`` are of (_home_spellings)
        self.spellings: frozenset[str] = frozenset()
        self.date_waiters: dict[str, list[tuple[ColumnState, str]]] = {}
        self.column_keys: set[str] = {column_key(c.url) for c in site.columns}
        # the homepage menu's columns: never a flat hub's sub-columns (navigation.hub_columns)
        self.home_menu: frozenset[str] = frozenset()
        self.columns_started = len(site.columns)
        self.discovers = site.discovers and self.plan.mode in ("full", "freshness")
        self.excluded = {column_key(x) if "://" in x else x for x in site.exclude}
        self.list_pages = 3
        self.max_body = 0  # DOWNLOAD_MAXSIZE: a larger answer is not read
        self.detail_lookups = 20
        self.head_fallback: set[int] = set()
        self.retried: frozenset[int] = frozenset()  # the answers a crawl retries
        self.quick: QuickChecks | None = None  # clean HEAD checks without Scrapy
        # Stuck requests tried a second time at once (crawler.stuck): key → tries outstanding,
        # or ANSWERED once one of them has an answer (the other's failure then does not count).
        self.hedged: dict[str, int] = {}
        # Whether each server's HEAD answers are believed (crawler.headtrust), and the 2xx HEAD
        # answers that wait for its proof: server → (key, shown URL, how to record it).
        self.head_trust = HeadTrust()
        self.head_waiting: dict[str, list[tuple[str, str, Callable[[], Iterator[Any]]]]] = {}
        # Another site's answer to a URL that surely is not there, where its HEAD says 200 for
        # it (by proof scope): its pages that answer the same way are soft-404s.
        self.scope_missing: dict[str, Fingerprint] = {}
        self.timeout_retries = 1
        self.retry_backoff = 1.0
        self.quick_pending = False  # a request is on its way to take their outcomes
        self.quick_referers: dict[str, str | None] = {}  # checks under way there: their Referer
        self.quick_timer: asyncio.TimerHandle | None = None  # ...or will be, at this time
        self.quick_pages = False  # pages of servers the crawl knows read by that small client
        self.hedges_stuck = False  # GOVWATCH_HEDGE_STUCK
        # Headers of a page's GET as the download middlewares would send them (no cookies).
        self.page_headers: list[tuple[str, str]] = []
        self.cookie_jar: CookiesMiddleware | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> SiteSpider:
        spider: SiteSpider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        spider.list_pages = settings.getint("GOVWATCH_LIST_PAGES")
        spider.detail_lookups = settings.getint("GOVWATCH_DETAIL_LOOKUPS")
        spider.head_fallback = {int(s) for s in settings.getlist("GOVWATCH_HEAD_FALLBACK_STATUSES")}
        spider.head_trust = HeadTrust(settings.getbool("GOVWATCH_HEAD_PROOF"))
        spider.retried = frozenset(int(s) for s in settings.getlist("RETRY_HTTP_CODES"))
        spider.db_url = settings.get("GOVWATCH_DB") or ""
        spider.timeout_retries = settings.getint("GOVWATCH_TIMEOUT_RETRIES")
        spider.retry_backoff = settings.getfloat("GOVWATCH_RETRY_BACKOFF")
        spider.revalidates = settings.getbool("GOVWATCH_REVALIDATE")
        spider.replay_batch = max(1, settings.getint("GOVWATCH_REPLAY_BATCH"))
        # The pre-pass runs beside the crawl's first requests (the links that failed last time):
        # it takes half the per-server concurrency, lent out of the crawl's download slot.
        per_server = settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN")
        spider.limits = Limits(
            settings.get("USER_AGENT"),
            settings.getfloat("DOWNLOAD_TIMEOUT"),
            max(1, per_server // 2),
            max(1, settings.getint("CONCURRENT_REQUESTS") // 2),
        )
        spider.max_body = settings.getint("DOWNLOAD_MAXSIZE")
        if settings.getbool("GOVWATCH_QUICK_CHECKS"):
            spider.quick = QuickChecks(
                spider._downloader,
                spider.limits,
                wait=settings.getfloat("GOVWATCH_STUCK_AFTER"),
                deliver=spider._wake_quick,
                use_proxies=settings.getbool("HTTPPROXY_ENABLED"),
                max_body=settings.getint("DOWNLOAD_MAXSIZE"),
                stuck_after=spider._stuck_after,
                stopping=lambda: crawl_is_stopping(crawler),
            )
            spider.quick_pages = settings.getbool("GOVWATCH_QUICK_PAGES")
            spider.hedges_stuck = settings.getbool("GOVWATCH_HEDGE_STUCK")
            spider.page_headers = [
                *((str(k), str(v)) for k, v in settings.getdict("DEFAULT_REQUEST_HEADERS").items()),
                ("User-Agent", settings.get("USER_AGENT")),
                ("Accept-Encoding", ACCEPT_ENCODING),
            ]
        crawler.signals.connect(spider._headers_only, signal=signals.headers_received)
        if spider.max_body > 0:
            crawler.signals.connect(spider._body_received, signal=signals.bytes_received)
        crawler.signals.connect(spider._on_idle, signal=signals.spider_idle)
        if spider.link is not None:
            crawler.signals.connect(spider._open_partition, signal=signals.spider_opened)
        return spider

    def internal(self, url: str) -> bool:
        """On one of the site's hosts (ports count; http and https are one site)."""
        return host_of(url) in self.hosts

    async def start(self) -> AsyncIterator[Request]:
        plan = self.plan
        downloader = self._downloader()
        if downloader is not None:
            downloader.refusals.own = self.hosts  # a ban of these is waited out (the same set)
        if plan.checks_links:
            # The site's answer to a URL that surely does not exist, to recognise soft-404s.
            missing = urljoin(self.site.home, f"/govwatch-surely-missing-{uuid.uuid4().hex}.html")
            yield self._probe(missing, "missing")
        if plan.mode == "recheck":
            return  # the rechecks start once the site's soft-404 fingerprint is known
        if self.previous is not None and self.revalidates:
            # Meanwhile the links that failed last time are checked again (from the soft-404
            # probe's callback): a hanging one costs its timeouts while this runs, not after.
            candidates = list(self._candidates())
            lent = self._lend_to_prepass(candidates)
            self.prepass_running = True
            try:
                self.unchanged = await revalidate(
                    candidates,
                    self.limits,
                    self._prepass_answered,
                    {origin: len(connections) for origin, (_, connections) in lent.items()}
                    if lent
                    else None,
                    self._lend_one if lent else None,
                    self._prepass_refused,
                    self.home_url,
                )
            finally:
                self.prepass_running = False
                downloader = self._downloader()
                for slot_key, connections in lent.values():
                    if downloader is not None:
                        downloader.give_back(slot_key, connections)
                if self.link is not None and self.link.inbox:
                    self._wake_inbox()
            self.logger.info(
                "%s of %s URLs unchanged since run %s",
                len(self.unchanged),
                len(self.previous.clean),
                self.previous.run_id,
            )
        if not self.partition.lead:
            return  # the rest comes from the other partitions, link by link
        if plan.mode == "url" and plan.url:
            column = next(
                (
                    c
                    for c in self.site.columns
                    if request_key(c.url, "utf-8") == request_key(plan.url, "utf-8")
                ),
                None,
            )
            found = next(
                (d for d in plan.discovered if column_key(d[1]) == column_key(plan.url)), None
            )
            if column is not None:
                yield self._list_request(ColumnState(column.name, column.url, False), column.url)
            elif found is not None:  # a column the last crawl discovered: dated again
                yield self._list_request(_discovered_state(*found), found[1])
            elif request_key(plan.url, "utf-8") == request_key(self.site.home, "utf-8"):
                yield self._list_request(ColumnState(HOMEPAGE_NAME, plan.url, True), plan.url)
            else:
                yield self._request(plan.url, plan.url, "page", "utf-8", method="GET")
            return
        if plan.mode in ("full", "freshness"):
            home = ColumnState(HOMEPAGE_NAME, self.site.home, is_home=True)
            yield self._list_request(home, self.site.home)
        for column in self.site.columns:
            if plan.mode == "columns" and column.name not in plan.columns:
                continue
            yield self._list_request(
                ColumnState(column.name, column.url, is_home=False), column.url
            )
        if plan.mode == "columns":
            configured = {column.name for column in self.site.columns}
            for name, url, parent in plan.discovered:
                if name in plan.columns and name not in configured:
                    yield self._list_request(_discovered_state(name, url, parent), url)

    # ---------------------------------------------------------------- requests

    def _list_request(self, state: ColumnState, url: str, encoding: str = "utf-8") -> Request:
        state.pending += 1
        request = self._request(url, url, "list", encoding, method="GET")
        # Before the rechecks of last night's failed links (10): the columns' pages lead to
        # the rest of the site, which an unchanged site's crawl reads from the last run.
        request.priority = LIST_PRIORITY
        request.meta["gw_column"] = state
        state.visited.add(request.meta["gw_key"])
        return request

    def _request(
        self,
        url: str,
        shown: str,
        role: str,
        encoding: str,
        method: str,
        referer: str | None = None,
    ) -> Request:
        request = Request(
            url,
            method=method,
            encoding=encoding,
            dont_filter=True,
            callback=self.on_response,
            errback=self.on_failure,
            # One download slot per server (host and port): CONCURRENT_REQUESTS_PER_DOMAIN.
            meta={"gw_role": role, "gw_url": shown, "download_slot": host_of(url)},
        )
        key = request.url
        request.meta["gw_key"] = key
        self.requested.add(key)
        if key in self.timed_out:
            # It timed out in every try last time: one try now confirms it (or finds it fixed),
            # and it does not wait for its server's connections (crawler.stuck).
            request.meta["max_retry_times"] = 0
            request.meta[HUNG_BEFORE] = key
        clean = self.previous.clean.get(key) if self.previous is not None else None
        if role == "page" and clean is not None and clean.method == "GET":
            if clean.etag:
                request.headers[b"If-None-Match"] = clean.etag
            if clean.last_modified:
                request.headers[b"If-Modified-Since"] = clean.last_modified
        if role in ("page", "check"):
            # from the linking page when it is known (_schedule_link), else from the homepage
            _with_referer(request, referer or referer_for(self.home_url, key))
        if method == "GET" and role != "check":
            self.getting.add(key)
        if role in ("page", "list", "detail", "sitemap", "navframe"):
            self.pages_scheduled += 1
        return request

    def _schedule_link(
        self,
        url: str,
        key: str,
        tag: str,
        encoding: str,
        encoded: bool = False,
        source: str | None = None,
    ) -> Iterator[Request]:
        """Request a linked URL once per crawl: a page of the site by GET, the rest by HEAD.
        ``encoded``: ``key`` is already the URL as requested (from a stored occurrence).
        ``source``: the page that links it (the homepage if not known), whose Referer a
        browser sends."""
        if key in self.failed_before:
            yield from self._reach(key)
        if key in self.requested or not self.plan.checks_links or key in self.coming:
            return
        if not self.partition.owns(key):
            self._hand_over(url, key, tag, encoding, encoded, source)
            return
        if key in self.failed_before and not self.rechecks_started:
            return  # its recheck comes (see failed_before)
        target, encoding = (key, "utf-8") if encoded else (url, encoding)
        referer = referer_for(source or self.home_url, key)
        internal = self.internal(url)
        answer = self.unchanged.get(key)
        page = (
            internal
            and self.plan.follows_pages
            and tag in _NAVIGATION_TAGS
            and may_be_page(url)
            and self.pages_scheduled < self.max_pages
            and key not in self._home_spellings()
            and page_identity(key) not in self.processed
        )
        if page and scheme_twin(key) in self.getting:
            # The page asked for under the other scheme: this spelling is only checked,
            # whichever answers first (the same spelling is read every night), and read only
            # if the other is not (_twin_instead).
            self.twin_pages.setdefault(scheme_twin(key), (target, url, encoding))
            page = False
        if page:
            if answer is not None and answer.status == 304:
                self.requested.add(key)
                self.getting.add(key)
                self.pages_scheduled += 1
                self.replays.append((key, url))  # read from the last crawl, in this callback
                return
            request = self._request(target, url, "page", encoding, "GET", referer)
            if not self._read_quickly(request):
                yield request
        elif answer is not None and answer.status != 304:
            self.requested.add(key)  # answered 2xx to HEAD just now
            yield from self._believe_head(
                key, url, partial(self._record, key, url, "HEAD", answer=answer), answer.tiny
            )
        elif answer is not None:
            # checked by GET last night (another site's page whose HEAD was not believed) and
            # 304 Not Modified to the pre-pass just now: there, unchanged; not asked twice more
            self.requested.add(key)
            yield from self._record(key, url, "GET", answer=answer, revalidated=True)
        elif self._quick_check(key, url, referer):
            self.requested.add(key)
        else:
            yield self._request(target, url, "check", encoding, "HEAD", referer)

    def _quick_check(self, key: str, url: str, referer: str | None) -> bool:
        """Hand a HEAD check to the small client (crawler.quickcheck), if it takes it: not a URL
        that timed out last time, nor one the pre-pass asked already (its answer was not clean)."""
        if self.quick is None or key in self.timed_out:
            return False
        if self.previous is not None and key in self.previous.clean and self.revalidates:
            return False
        if not self.quick.submit(key, url, origin_of(key), host_of(key), referer):
            return False
        self.quick_referers[key] = referer  # the crawl's own check, if one follows, sends it too
        return True

    def _read_quickly(self, request: Request) -> bool:
        """Hand a page's GET to the small client (crawler.quickcheck), if it takes it: not a
        conditional request, nor one that hung last time."""
        quick = self.quick
        if quick is None or not self.quick_pages or HUNG_BEFORE in request.meta:
            return False
        if any(name in request.headers for name in _CONDITIONAL):
            return False
        origin = origin_of(request.url)
        if origin is None or not quick.can_read(origin):
            return False
        headers = self.page_headers
        referer = request.headers.get(b"Referer")
        if referer:
            headers = [*headers, ("Referer", referer.decode("latin-1"))]
        jar = self._cookie_jar()
        if jar is not None:
            jar.process_request(request)  # the Cookie header the crawl's request would carry
            cookie = request.headers.get(b"Cookie")
            if cookie:
                headers = [*headers, ("Cookie", cookie.decode("latin-1"))]
        return quick.submit_page(request, origin, request.meta["download_slot"], headers)

    def _stuck_after(self, slot_key: str) -> float | None:
        """When a request of this server is stuck (crawler.stuck); None if nothing watches."""
        found = [e for e in self.crawler.extensions.middlewares if isinstance(e, StuckRequests)]
        return found[0].stuck_after(slot_key) if found else None

    def _cookie_jar(self) -> CookiesMiddleware | None:
        if self.cookie_jar is None:
            engine = self.crawler.engine
            middlewares = engine.downloader.middleware.middlewares if engine is not None else ()
            found = [m for m in middlewares if isinstance(m, CookiesMiddleware)]
            self.cookie_jar = found[0] if found else None
        return self.cookie_jar

    def _downloader(self) -> PoliteDownloader | None:
        engine = self.crawler.engine
        downloader = engine.downloader if engine is not None else None
        return downloader if isinstance(downloader, PoliteDownloader) else None

    def _lend_to_prepass(self, candidates: list[Candidate]) -> dict[Origin, tuple[str, list[Lent]]]:
        """The connections the pre-pass will use, taken out of each server's download slot
        while it runs: the crawl's first requests and the pre-pass share the server's limit.

        The URLs that hung last night are asked again at once, each holding a connection for
        its timeout; those beyond the stuck allowance (crawler.stuck) count against the limit.
        The pre-pass leaves the crawl at least one connection besides them, for the other
        links that failed: their retries and backoffs are the night's longest chain. It asks
        on more connections, up to its share, while the crawl does not need them (_lend_one).
        """
        downloader = self._downloader()
        if downloader is None:
            return {}
        first: dict[Origin, str] = {}
        count: Counter[Origin] = Counter()
        for candidate in candidates:
            origin = origin_of(candidate.key)
            if origin is not None:
                first.setdefault(origin, candidate.key)
                count[origin] += 1
        settings = self.crawler.settings
        per_server = settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN")
        allowance = settings.getint("GOVWATCH_STUCK_ALLOWANCE")
        hanging = Counter(host_of(key) for key in self.timed_out if self.partition.owns(key))
        lent = {}
        for origin, url in first.items():
            slot_key = host_of(url)
            connections = prepass_connections(
                self.limits.per_host, count[origin], per_server, hanging[slot_key], allowance
            )
            lent[origin] = (slot_key, downloader.lend(slot_key, url, connections))
            self.prepass_slots[origin] = (url, slot_key)
        return lent

    def _lend_one(self, origin: Origin) -> Callable[[], None] | None:
        """One more connection to ``origin``'s server for the pre-pass's next request, if the
        crawl has none waiting for it and a connection free: how to give it back."""
        downloader = self._downloader()
        url, slot_key = self.prepass_slots[origin]
        slot = downloader.slots.get(slot_key) if downloader is not None else None
        if downloader is None or slot is None or slot.queue:
            return None
        if len(slot.transferring) >= slot.concurrency:
            return None
        lent = downloader.lend(slot_key, url, 1)
        return lambda: downloader.give_back(slot_key, lent)

    def _prepass_refused(self, origin: Origin, status: int, control: str | None) -> None:
        """The pre-pass met a server refusing (403, 429) what answered last night: a limiter,
        most likely; slowed down and its refusals asked again, as after a burst
        (crawler.refusals), with the URL it answered the pre-pass as its control (without
        one, a server the crawl has had no answer from yet looks like a ban)."""
        downloader = self._downloader()
        if downloader is None:
            return
        server = _host_of_origin(f"{origin.scheme}://{origin.host_header}")
        slot = downloader.slots.get(server)
        delay = slot.delay if slot is not None else 0.0
        floor = downloader.refusals.suspect(server, delay, status, control)
        if slot is not None:
            slot.delay = max(slot.delay, floor)
        downloader.one_at_a_time(server)
        self.logger.info(
            "%s: refuses the pre-pass with %s, %.2f s between requests", server, status, floor
        )

    def _prepass_answered(self, origin: Origin, latency: float) -> None:
        """A pre-pass answer's latency, as a sample for the server's throttle and stuck
        threshold (crawler.throttle, crawler.stuck), as if the crawl had had that answer: a
        nightly crawl's first answers come while the machine is busiest, and without the
        pre-pass's the server's delay stayed at what those few said. The first answers of each
        server, then one in PREPASS_SAMPLE_EVERY (each sample costs a signal)."""
        answers = self.prepass_answers[origin] = self.prepass_answers[origin] + 1
        if answers > PREPASS_SAMPLE_EVERY and answers % PREPASS_SAMPLE_EVERY:
            return
        if origin not in self.prepass_slots:
            return
        url, slot_key = self.prepass_slots[origin]
        request = Request(url, meta={"download_slot": slot_key, "download_latency": latency})
        response = Response(url, status=304, request=request)
        self.crawler.signals.send_catch_log(
            signals.response_downloaded, response=response, request=request, spider=self
        )

    def _candidates(self) -> Iterator[Candidate]:
        """Last night's clean URLs this process owns, on servers asked without a proxy."""
        assert self.previous is not None
        proxies = getproxies() if self.crawler.settings.getbool("HTTPPROXY_ENABLED") else {}
        for key, clean in self.previous.clean.items():
            if not self.partition.owns(key):
                continue
            origin = origin_of(key)
            if proxies and (origin is None or not reached_directly(origin, proxies)):
                continue
            if clean.method == "HEAD":
                yield Candidate(key, "HEAD")
            elif clean.method == "GET" and (clean.etag or clean.last_modified):
                yield Candidate(key, "GET", clean.etag, clean.last_modified)

    # --------------------------------------------------------------- callbacks

    def on_response(self, response: Response) -> Iterator[Any]:
        request = response.request
        assert request is not None
        if self.quick is not None:
            self.quick.answered(origin_of(response.url))
            self.quick.pump()
        if self.hedged and response.meta.get("gw_key") in self.hedged:
            self.hedged[response.meta["gw_key"]] = ANSWERED
        if (
            request.method == "HEAD"
            and (
                response.status in self.head_fallback
                or not head_believed(
                    response.meta["gw_url"],
                    response.status,
                    response.headers.get(b"Content-Type"),
                    response.headers.get(b"Content-Length"),
                    validated=bool(
                        response.headers.get(b"ETag") or response.headers.get(b"Last-Modified")
                    )
                    or self.internal(response.url),
                )
            )
            and not response.meta.get("gw_fallback")
        ):
            yield self._get_instead_of_head(request)
            return
        if self._hold(response.meta, response):
            return
        yield from self._answered(response)

    def _answered(self, response: Response) -> Iterator[Any]:
        """An answer (after any GET instead of HEAD): recorded, and read if it is a page."""
        request = response.request
        assert request is not None
        role = response.meta["gw_role"]
        if role == "anchors":  # an unchanged page read again for the places it names
            doc = self._page_document(response)
            names = anchor_names(doc) if doc is not None else None
            yield from self._found_anchors(response.meta["gw_key"], names)
            return
        if response.status == 304 and role == "page" and self.previous is not None:
            yield from self._unchanged_page(response)
            return
        column: ColumnState | None = response.meta.get("gw_column")
        if role == "list" and column is not None and column.is_home:
            self.hosts_add(host_of(response.url))  # the homepage may live on another host
            if self.link is not None:
                self.link.broadcast(["host", host_of(response.url)])
            self.home_final = self.home_final or response.url
        if role == "missing":
            yield from self._missing_answered(response)
            return
        if role == "missing_home":
            self._compare_with_home(response)
            yield from self._rechecks()
            return
        if role == "headproof":
            # A lie is an answer a link's HEAD would be believed for: not a redirect (it says
            # "not here", as a 404 does), nor a web page where a file was asked for.
            url, content_type = response.meta["gw_key"], response.headers.get(b"Content-Type")
            lied = not response.meta.get("redirect_urls") and head_believed(
                url, response.status, content_type
            )
            if lied and not self.internal(url):
                # What the server shows for it, to know its missing pages by (_verdict); the
                # site's own is known already (its surely-missing page).
                yield self._probe(
                    url,
                    "headproof_page",
                    gw_fallback=True,
                    gw_headers_only=True,
                    dont_retry=True,
                    gw_head_status=response.status,
                )
                return
            yield from self._head_proved(url, response.status if lied else None)
            return
        if role == "headproof_page":
            key = response.meta["gw_key"]
            if response.status < 300 and self._answer_is_html(response):
                assert isinstance(response, TextResponse)
                page = parse_html(response.text)
                self.scope_missing[scope_of(key)] = fingerprint(response.status, page)
            yield from self._head_proved(key, response.meta["gw_head_status"])
            return
        doc = self._page_document(response)
        verdict = self._verdict(response, doc)
        if verdict and column is not None and role == "list" and column.pages_read == 0:
            column.error = verdict[0]  # a column page that is really "页面不存在"
        if verdict is not None and verdict[0] == "blocked" and self._cannot_do_without(response):
            self.blocked_pages.add(response.meta["gw_key"])
        # A column page another partition owns is read here for its column only; its owner
        # records it and reads its links (handed to it below).
        mine = self.partition.owns(response.meta["gw_key"])
        if mine:
            key, shown = response.meta["gw_key"], response.meta["gw_url"]
            record = partial(
                self._record, key, shown, request.method, response=response, error=verdict
            )
            if request.method == "HEAD" and verdict is None and response.status < 300:
                yield from self._believe_head(key, shown, record)
            elif verdict is None and self._judged_before_proof(response):
                # Asked by GET before its server's HEAD was proved (last night's soft-404,
                # rechecked first): a server that says 200 to a made-up URL gets it asked
                # again once its answer to that URL is known.
                yield from self._believe_head(key, shown, record)
            else:
                yield from record()
        yield from self._resolve_waiters(response.meta["gw_key"], doc)
        # The column's own reading before the link checks: it claims its next list pages and
        # the article pages it needs for dating, so they are not fetched a second time.
        if role == "list":
            yield from self._guarded(response.meta["gw_column"], self._read_list(response, doc))
        elif role == "detail":
            yield from self._guarded(response.meta["gw_column"], self._read_detail(response, doc))
        elif role in ("sitemap", "navframe", "listframe"):
            yield from self._guarded(response.meta["gw_column"], self._read_sitemap(response, doc))
        elif role == "listdata":
            yield from self._guarded(response.meta["gw_column"], self._read_data(response))
        if not mine:
            # after the column's reading: its owner hears first of the pages the column
            # fetches for dating ("coming"), and does not fetch them again from this page
            self._owns_fetched(request, response)
        # A page that is really "页面不存在" (or a firewall's page) is no page of the site: the
        # links of its template, resolved against a URL that does not exist, are not its.
        readable = isinstance(response, TextResponse) and doc is not None and verdict is None
        a_page = mine and role in ("page", "list", "detail", "sitemap", "navframe")
        too_large = self._too_large_to_read(response)
        if too_large and a_page:
            yield from self._unread(response.meta["gw_key"], response.meta["gw_url"], too_large)
        if readable and a_page:
            assert isinstance(response, TextResponse) and doc is not None
            yield from self._process_page(response, doc)
        if self.twin_pages and role == "page":
            yield from self._twin_instead(response.meta["gw_key"])

    def _probe(self, url: str, role: str, **meta: Any) -> Request:
        """A request of the crawl's own (not a link it found): first in line, on the server's
        own slot and limit."""
        return Request(
            url,
            callback=self.on_response,
            errback=self.on_failure,
            dont_filter=True,
            priority=100,
            meta={"gw_role": role, "gw_key": url, "gw_url": url, "download_slot": host_of(url)}
            | meta,
        )

    def _missing_answered(self, response: Response) -> Iterator[Any]:
        """The site's answer to a surely-missing URL. A 404 is what it should be; a 200 (or a
        redirect to a 200) is compared with the homepage first: a site that answers every
        unknown URL with its homepage (a script-built site's fallback) or sends it home proves
        nothing, and its homepage must never look "missing"."""
        found = fingerprint(response.status, self._page_document(response, any_status=True))
        landing = request_key(response.url, "utf-8") if response.meta.get("redirect_urls") else None
        if response.status >= 300:
            if landing is None:
                self.missing = found
            yield from self._rechecks()
            return
        yield self._probe(self.site.home, "missing_home", gw_missing=(found, landing))

    def _compare_with_home(self, response: Response) -> None:
        found, landing = response.meta["gw_missing"]
        if landing is not None:  # redirected: to the site's "/404.html", or home
            homes = {request_key(self.site.home, "utf-8"), request_key(response.url, "utf-8")}
            if landing not in homes:
                self.missing_landing = landing
            else:
                self.missing_goes_home = landing
            return
        home = fingerprint(response.status, self._page_document(response, any_status=True))
        if not looks_alike(found, home):
            self.missing = found
        elif response.status < 300:
            self.missing_is_home = home

    def _verdict(self, response: Response, doc: HtmlElement | None) -> tuple[str, str] | None:
        """What an answer really is, when its status does not say: ``soft_404`` (a 200 that
        says "页面不存在", or a redirect to where the site sends missing URLs) or ``blocked``
        (429, a firewall's block or challenge page, whatever its status)."""
        status = response.status
        if status == 429:
            return "blocked", "HTTP 429 Too Many Requests"
        if status == 403 and response.meta.get(REFUSED_IN_BURST):
            return "blocked", "HTTP 403 from a server that refused requests for coming too fast"
        if _blank_page(response):
            return "soft_404", "HTTP 200 web page with nothing in it: a visitor sees a blank page"
        home_instead = self._home_instead(response, doc) or self._sent_home(response)
        if home_instead is not None:
            return "soft_404", home_instead
        landing = self.missing_landing
        if (
            landing is not None
            and status < 300
            and response.meta.get("redirect_urls")
            and request_key(response.url, "utf-8") == landing
            and response.meta["gw_key"] != landing
        ):
            return "soft_404", f"redirected to {response.url}, the site's page for missing URLs"
        reading: tuple[str, str] | None = None
        if doc is not None:
            reading = soft_reading(doc, self.missing)
        elif self._answer_is_html(response):
            assert isinstance(response, TextResponse)
            page = parse_html(response.text)
            if status >= 400:
                reading = block_reading(page)
            elif not may_be_page(response.meta["gw_url"]):
                # A file answered with a web page: the site's "页面不存在" or a firewall's page.
                reading = soft_reading(page, self._missing_for(response))
                if reading is None and status < 300 and _is_picture(response.meta["gw_url"]):
                    # whatever the page says (禁止盗链, a placeholder), no picture is shown
                    return "soft_404", f"HTTP {status} web page where a picture was linked"
            elif not self.internal(response.url):
                # Another site's page, checked by GET (not read for its links): "页面不存在",
                # or what that site answers a URL that is not there with (its homepage).
                reading = soft_reading(page, self._missing_for(response))
        if reading is None:
            return None
        found, why = reading
        return found, f"HTTP {status} page: {why}"

    def _judged_before_proof(self, response: Response) -> bool:
        """Another site's web page, answered 200 to a GET, on a server whose HEAD proof (and
        so its answer to a made-up URL) is not known yet."""
        return (
            response.request is not None
            and response.request.method == "GET"
            and response.meta.get("gw_role") == "check"
            and 200 <= response.status < 300
            and not self.internal(response.url)
            and self._answer_is_html(response)
            and self.head_trust.trust(scope_of(response.meta["gw_key"])) is Trust.UNKNOWN
        )

    def _missing_for(self, response: Response) -> Fingerprint | None:
        """The answer to a surely-missing URL that ``response`` is compared with: the site's
        own, or the other site's where its HEAD proof was a lie."""
        if self.internal(response.url):
            return self.missing
        key = response.meta["gw_key"]
        if _is_front_page(key):
            return None  # the page such a site answers unknown URLs with, most often
        return self.scope_missing.get(scope_of(key))

    def _cannot_do_without(self, response: Response) -> bool:
        """A page refused as a firewall refuses, that the crawl cannot be complete without: the
        homepage (nothing else could be read), or any page of a site whose server banned us for
        longer than we wait (much of the site went unread). One page a firewall blocks alone
        (its URL looked like an attack; a column's, which is then unreachable, its error
        ``blocked``) leaves the crawl complete: it would stay incomplete every night."""
        column: ColumnState | None = response.meta.get("gw_column")
        if column is not None and column.is_home and response.meta["gw_role"] == "list":
            return True
        if response.meta["gw_role"] not in READ_ROLES or not self.internal(response.url):
            return False
        downloader = self._downloader()
        slot = response.meta.get("download_slot")
        return bool(response.meta.get(NOT_ASKED)) or (
            downloader is not None and slot is not None and downloader.refusals.given_up(slot)
        )

    def _names_home(self, key: str) -> bool:
        """A spelling of the homepage: the root or a root index page, or the homepage's own URL
        (configured or where it went), its folder or an index page in it, any query."""
        if _home_like(key):
            return True
        bare = urlsplit(key)._replace(query="", fragment="").geturl()
        homes = {request_key(self.site.home, "utf-8"), request_key(self.home_url, "utf-8")}
        homes |= {spelling for home in homes if home for spelling in home_spellings(home)}
        return bare in homes or bare.rstrip("/") + "/" in homes

    def _home_instead(self, response: Response, doc: HtmlElement | None) -> str | None:
        """A site that answers every missing URL with its homepage (a redirect home, or the
        homepage's page itself) says so for a link that is not a spelling of its homepage: a
        page or file that is not there. None otherwise."""
        if self.missing_goes_home is None and self.missing_is_home is None:
            return None  # the site answers a missing URL otherwise (most: a 404)
        if response.status >= 300 or self._names_home(response.meta["gw_key"]):
            return None
        if not self.internal(response.meta["gw_key"]):
            return None
        landed = request_key(response.url, "utf-8")
        if self.missing_goes_home is not None and landed == self.missing_goes_home:
            return f"redirected to the homepage {response.url}, where the site sends missing URLs"
        home = self.missing_is_home
        if home is None or landed != response.meta["gw_key"] or not self._answer_is_html(response):
            return None
        if home.size < HOME_TEXT:
            return None  # a script-built portal: every page is the same shell until it runs
        page = doc
        if page is None:
            assert isinstance(response, TextResponse)
            page = parse_html(response.text)
        if looks_alike(home, fingerprint(response.status, page)):
            return "HTTP 200 with the homepage, the site's answer to any missing URL"
        return None

    def _sent_home(self, response: Response) -> str | None:
        """A link that its server redirected to its homepage (a deleted article, a removed
        file, sent home): not what the page links, on any site, whatever a made-up URL gets
        there. A link to a spelling of a homepage (its root, an index page) is not."""
        key = response.meta.get("gw_key")
        if response.status >= 300 or not response.meta.get("redirect_urls") or key is None:
            return None
        if _home_like(key) or self._names_home(key):
            return None
        asked, landed = urlsplit(key), urlsplit(response.url)
        if _bare_host(asked.hostname) != _bare_host(landed.hostname):
            return None
        if not (_home_like(response.url) or self._names_home(response.url)):
            return None
        return f"redirected to the homepage {response.url}"

    @staticmethod
    def _answer_is_html(response: Response) -> bool:
        """An answer whose HTML body was read (a firewall's page comes with any status)."""
        if not isinstance(response, TextResponse) or not response.body:
            return False
        if response.meta.get("gw_body_skipped") is response.request:
            return False
        return b"html" in (response.headers.get(b"Content-Type") or b"text/html").lower()

    def _guarded(self, state: ColumnState, work: Iterator[Any]) -> Iterator[Any]:
        """A page that breaks the reader must not leave its column unreported."""
        try:
            yield from work
        except (ValueError, LookupError, TypeError) as exc:
            self.logger.warning("column %s: cannot read %s: %r", state.name, state.url, exc)
            state.error = state.error or f"parse_error: {type(exc).__name__}"
            yield from self._settle(state)

    def _resolve_waiters(self, key: str, doc: HtmlElement | None) -> Iterator[Any]:
        """Column items that wait for this article page's date (it was already requested).
        A page read here but recorded by the partition that owns it (a column's page) keeps
        its date here: an item that names it later must not wait for a record never made."""
        kept = key in self.getting and key not in self.recorded
        found = None
        if doc is not None and (kept or key in self.date_waiters):
            try:
                found = publication_date(doc)
            except (ValueError, LookupError, TypeError):
                found = None
        if kept:
            self.page_dates.setdefault(key, found)
        yield from self._give_date(key, found)

    def _give_date(self, key: str, found: DateMatch | None) -> Iterator[Any]:
        for state, item_url in self.date_waiters.pop(key, []):
            state.details[item_url] = found
            yield from self._settle(state)

    def on_failure(self, failure: Failure) -> Iterator[Any]:
        if self.quick is not None:
            self.quick.pump()  # a connection of the server may be free again
        if failure.check(DroppedAtStop):  # type: ignore[no-untyped-call]
            return  # never sent: the crawl stopped while it waited for its server
        request: Request = failure.request  # type: ignore[attr-defined]
        tries = self.hedged.get(request.meta.get("gw_key", ""))
        if tries is not None:
            if tries == ANSWERED or tries > 1:
                if tries > 1:
                    self.hedged[request.meta["gw_key"]] = tries - 1
                return  # the other try has answered, or is still out: it decides
            del self.hedged[request.meta["gw_key"]]
        code, _ = describe_failure(failure)
        if (
            request.method == "HEAD"
            and code == "connection_lost"
            and not request.meta.get("gw_fallback")
        ):
            yield self._get_instead_of_head(request)
            return
        if self._hold(request.meta, failure):
            return
        yield from self._failed(failure)

    def _failed(self, failure: Failure) -> Iterator[Any]:
        """A request's final failure (after its retries): recorded."""
        request: Request = failure.request  # type: ignore[attr-defined]
        code, detail = describe_failure(failure)
        role = request.meta["gw_role"]
        if role in ("missing", "missing_home"):
            yield from self._rechecks()
            return
        if role == "anchors":
            yield from self._found_anchors(request.meta["gw_key"], None)
            return
        if role == "headproof":
            yield from self._head_proved(request.meta["gw_key"], None)
            return
        if role == "headproof_page":  # its HEAD lied all the same
            yield from self._head_proved(request.meta["gw_key"], request.meta["gw_head_status"])
            return
        if self._owns_fetched(request):
            yield from self._record(
                request.meta["gw_key"],
                request.meta["gw_url"],
                request.method,
                error=(code, detail),
                chain=getattr(failure.value, "chain", None),
            )

        yield from self._resolve_waiters(request.meta["gw_key"], None)
        if self.twin_pages and role == "page":
            yield from self._twin_instead(request.meta["gw_key"])
        state: ColumnState | None = request.meta.get("gw_column")
        if state is not None and role == "list":
            if state.pages_read == 0:
                state.error = code
            yield from self._settle(state)
        elif state is not None and role == "listdata":
            state.unreadable = True
            yield from self._settle(state)
        elif state is not None and role in ("sitemap", "navframe", "listframe"):
            yield from self._settle(state)
        elif state is not None and role == "detail":
            state.details[request.meta["gw_item"]] = None
            yield from self._settle(state)

    def _hold(self, meta: dict[str, Any], answer: Response | Failure) -> bool:
        """Keep a recheck's answer until a page links its URL tonight (``reached``)."""
        key = meta.get("gw_key")
        if not meta.get(RECHECKED) or key is None or key in self.reached:
            return False
        self.held.setdefault(key, []).append(answer)
        return True

    def _reach(self, key: str) -> Iterator[Any]:
        """A link that failed last time is on a page tonight: its recheck's answer counts."""
        if key in self.reached:
            return
        self.reached.add(key)
        for answer in self.held.pop(key, ()):
            if isinstance(answer, Failure):
                yield from self._failed(answer)
            else:
                yield from self._answered(answer)

    def _rechecks(self) -> Iterator[Request]:
        """The stored keys, requested as they were (already encoded), by the same method: a
        recheck's links, or in a nightly crawl the links that failed in the last one (a page
        among them that recovers is read as a page)."""
        if self.plan.mode == "recheck":
            for key, shown, method in self.plan.recheck:
                if key not in self.requested:
                    yield self._request(key, shown, "check", "utf-8", method=method)
            return
        if self.previous is None:
            return
        self.rechecks_started = True
        for key, shown, method, error, status in self.previous.failed:
            if key in self.requested or not self.partition.owns(key):
                continue
            page = method == "GET" and self.internal(shown) and may_be_page(shown)
            if page and self.pages_scheduled >= self.max_pages:
                page = False
            request = self._request(
                key, shown, "page" if page else "check", "utf-8", method="GET" if page else "HEAD"
            )
            if not page and (method == "GET" or error == "timeout"):
                # Its server refused or mishandled HEAD for it last night, or did not answer in
                # time (some hang on HEAD alone): straight to a GET, its one try tonight.
                request = get_after_head(request)
            request.meta[RECHECKED] = True  # counts once a page links it (_hold, _reach)
            # Ahead of the crawl's own requests: the links that failed last night are the slow
            # ones (timeouts, backoffs, Retry-After), and the longest jobs first end soonest.
            yield request.replace(priority=recheck_priority(error, status, self.retried))

    def hedge(self, request: Request) -> Request | None:
        """A second try of a request stuck on its server (crawler.stuck), started after the
        retry's backoff instead of after the first try's timeout; None if it gets none: not a
        link check or page, a URL that hung last time (one try), or no retry left after a
        timeout. The first try is then not retried itself: the second is its retry."""
        meta = request.meta
        key = meta.get("gw_key")
        if (
            meta.get("gw_role") not in ("check", "page")
            or key is None
            or key in self.hedged
            or key in self.recorded
            or meta.get(HUNG_BEFORE) == request.url
        ):
            return None
        tries = int(meta.get("retry_times", 0))
        if tries >= min(self.timeout_retries, meta.get("max_retry_times", tries + 1)):
            return None
        second = get_after_head(request.replace(dont_filter=True, priority=request.priority + 1))
        second.meta["retry_times"] = tries + 1
        second.meta["govwatch_retry_wait"] = self.retry_backoff * 2**tries
        second.meta[SECOND_TRY] = second.url  # its URL hangs now: stuck from the start
        meta["max_retry_times"] = tries  # the first try: no retry of its own
        self.hedged[key] = 2
        return second

    def _believe_head(
        self, key: str, shown: str, record: Callable[[], Iterator[Any]], tiny: bool = False
    ) -> Iterator[Any]:
        """A HEAD said 2xx: recorded if its server's HEAD answers are believed; asked by GET if
        they are not, or if it is another site's ``tiny`` page (crawler.extract.links.tiny_page:
        a firewall's challenge, most often); else it waits for the server's proof
        (crawler.headtrust)."""
        if key in self.recorded:
            return
        if tiny and not self.internal(key):
            yield self._get_check(key, shown)
            return
        server = scope_of(key)
        trust = self.head_trust.trust(server)
        if trust is Trust.HONEST:
            yield from record()
        elif trust is Trust.LIAR:
            yield self._get_check(key, shown)
        else:
            self.head_waiting.setdefault(server, []).append((key, shown, record))
            if self.head_trust.start_proof(server):
                proof = proof_url(key)
                probe = self._probe(proof, "headproof", gw_fallback=True, dont_retry=True)
                # its own answer: no GET after it; asked as a link there is (a guarded folder
                # refuses a request from nowhere, which proves nothing)
                yield _with_referer(probe.replace(method="HEAD"), referer_for(self.home_url, proof))

    def _get_check(self, key: str, shown: str) -> Request:
        return self._get_instead_of_head(self._request(key, shown, "check", "utf-8", "HEAD"))

    def _head_proved(self, url: str, status: int | None) -> Iterator[Any]:
        """A server's proof is in: the HEAD answers that waited are believed, or asked by GET."""
        server = scope_of(url)
        trust = self.head_trust.proved(server, status)
        if trust is Trust.LIAR:
            self.logger.info(
                "%s: HEAD says %s is there (%s): links checked by GET", server, url, status
            )
        for key, shown, record in self.head_waiting.pop(server, []):
            if trust is Trust.HONEST:
                yield from record()
            elif key not in self.recorded:
                yield self._get_check(key, shown)

    def _get_instead_of_head(self, request: Request) -> Request:
        """Servers that refuse or mishandle HEAD get a GET that stops after the headers. A HEAD
        that was redirected is asked again from its first URL: the GET follows the redirects
        itself, and where they lead (the homepage, a 404 landing page) is judged with them."""
        meta = {k: v for k, v in request.meta.items() if k.startswith("gw_")}
        meta.update(gw_fallback=True, gw_headers_only=True)
        meta["download_slot"] = request.meta.get("download_slot", host_of(request.url))
        first = (request.meta.get("redirect_urls") or [request.url])[0]
        return request.replace(url=first, method="GET", meta=meta)

    def _headers_only(
        self, headers: Any, body_length: int, request: Request, spider: Spider
    ) -> None:
        content_type = (headers.get(b"Content-Type") or b"").lower()
        if isinstance(body_length, int) and body_length > self.max_body > 0:
            # Larger than any page is read (DOWNLOAD_MAXSIZE): there all the same, as a
            # browser shows it; its status is its outcome, its text is not read.
            request.meta["gw_body_skipped"] = request
            request.meta["gw_too_large"] = body_length
            raise StopDownload(fail=False)
        if request.meta.get("gw_headers_only"):
            # A small HTML answer is read: a firewall's block page says what the status hides
            # (a 403 from a WAF is not a missing page).
            small = not isinstance(body_length, int) or body_length <= PEEK_BYTES
            if b"html" in content_type and small:
                return
            raise StopDownload(fail=False)
        if (
            request.meta.get("gw_role") in ("page", "check")
            and content_type
            and b"html" not in content_type
            and b"xml" not in content_type
        ):
            # An attachment: its status is enough. Marked with this request itself, not a flag:
            # a retry or a redirect copies the meta, and a page that answered a text/plain 503
            # or 301 first was then never read (its links never checked).
            request.meta["gw_body_skipped"] = request
            raise StopDownload(fail=False)

    def _body_received(self, data: bytes, request: Request, spider: Spider) -> None:
        """An answer that does not say its length (streamed, chunked) and grows past
        DOWNLOAD_MAXSIZE: stopped there, as one that says so is (``_headers_only``). Left to
        Scrapy, its download was cancelled: an error, a dead link by the second night."""
        # Counted for this request object: a retry or a redirect copies the meta.
        counted, received = request.meta.get("gw_received", (None, 0))
        received = (received if counted is request else 0) + len(data)
        request.meta["gw_received"] = (request, received)
        if received > self.max_body:
            request.meta["gw_body_skipped"] = request
            request.meta["gw_too_large"] = received
            raise StopDownload(fail=False)

    # ------------------------------------------------------------ observations

    def _record(
        self,
        key: str,
        shown: str,
        method: str,
        response: Response | None = None,
        error: tuple[str, str] | None = None,
        revalidated: bool = False,
        answer: Answer | None = None,
        chain: list[str] | None = None,
    ) -> Iterator[Any]:
        """``chain``: a failed request's redirects (a loop's, to its repeat)."""
        if key in self.recorded:
            return
        self.recorded.add(key)
        self.progress.links += 1
        redirects: list[str] = list(chain or [])[:-1]
        status = content_type = final_url = etag = modified = None
        if chain:
            final_url = chain[-1]
        if response is not None:
            status = response.status
            redirects = [str(u) for u in response.meta.get("redirect_urls", [])]
            final_url = response.url
            raw_type = response.headers.get(b"Content-Type")
            content_type = raw_type.decode("latin-1")[:255] if raw_type else None
            if method == "GET" and status in (200, 304):
                etag, modified = _validators(response)
        elif answer is not None:
            status, final_url, content_type = answer.status, key, answer.content_type
            etag, modified = answer.etag, answer.last_modified
        clean = self.previous.clean.get(key) if self.previous is not None else None
        if revalidated and clean is not None:
            etag, modified = etag or clean.etag, modified or clean.last_modified
            content_type = content_type or clean.content_type
        if error is not None or (status is not None and status >= 400):
            self.progress.failed += 1
        yield LinkCheck(
            url_key=key,
            url=shown,
            internal=self.internal(shown),
            method=method,
            status=status,
            error=error[0] if error else None,
            error_detail=error[1] if error else None,
            final_url=final_url,
            redirects=redirects,
            content_type=content_type,
            checked_at=_utcnow(),
            etag=etag,
            last_modified=modified,
            revalidated=revalidated,
        )

    def _malformed(self, url: str, page: str, tag: str, text: str) -> Iterator[Any]:
        """A link no browser could follow: a finding with its reason, never a crash."""
        key = f"malformed:{url}"[:2000]
        yield PageLinks(page, [LinkOccurrence(page, key, url, tag, "href", text)])
        yield from self._record(key, url, "NONE", error=_malformed_error(url))

    def _too_large_to_read(self, response: Response) -> int | None:
        """The size (at least) of a web page of the site answered 200 and left unread for
        being larger than DOWNLOAD_MAXSIZE; None for any other answer (an attachment's size
        does not matter: its status is its outcome)."""
        size = response.meta.get("gw_too_large")
        if not size or response.meta.get("gw_body_skipped") is not response.request:
            return None
        content_type = (response.headers.get(b"Content-Type") or b"text/html").lower()
        if response.status != 200 or not (b"html" in content_type or b"xml" in content_type):
            return None
        return int(size) if self.internal(response.url) else None

    def _unread(self, key: str, shown: str, size: int | None) -> Iterator[Any]:
        """A page of the site too large to read: the links on it were not checked. A warning
        of its own, under its own key (``UNREAD`` + the page's), carried with the page while
        it is unchanged, as its only link; gone once the page is read."""
        target = UNREAD + key
        yield PageLinks(key, [LinkOccurrence(key, target, shown, "page", "", "")])
        yield from self._record(target, shown, "NONE", error=_unread_error(size, self.max_body))

    def _page_document(self, response: Response, any_status: bool = False) -> HtmlElement | None:
        if not isinstance(response, TextResponse) or (response.status >= 400 and not any_status):
            return None
        if response.meta.get("gw_headers_only"):
            return None
        if response.meta.get("gw_body_skipped") is response.request:
            return None
        content_type = (response.headers.get(b"Content-Type") or b"text/html").lower()
        if b"html" not in content_type:
            return None
        if not self.internal(response.url) and response.meta.get("gw_role") != "listframe":
            return None  # another site's page is not read (but the frame that shows a list)
        return parse_html(response.text)

    def _process_page(self, response: TextResponse, doc: HtmlElement) -> Iterator[Any]:
        identity = page_identity(response.url)
        if identity in self.processed:
            return
        if self.partition.split and response.meta.get("redirect_urls"):
            # Reached by a redirect: the page where it landed is read by that URL's owner.
            final = request_key(response.url, response.encoding)
            if final is not None and not self.partition.owns(final):
                self._hand_over(response.url, final, "a", response.encoding, encoded=True)
                return
        self.processed.add(identity)
        self.progress.pages += 1
        metadata = _page_metadata(response.url, doc)
        if metadata is not None:
            yield metadata
            self.page_dates[response.meta["gw_key"]] = _published(metadata)
        if not self.plan.checks_links:
            return
        encoding = response.encoding
        occurrences = []
        for link in extract_links(doc, response.url).links:
            key = request_key(link.url, encoding)
            if key is None:
                yield from self._malformed(link.url, response.url, link.tag, link.text)
                continue
            occurrences.append(
                LinkOccurrence(
                    source_url=response.url,
                    target_key=key,
                    target_url=link.url,
                    tag=link.tag,
                    attr=link.attr,
                    text=link.text,
                )
            )
            yield from self._schedule_link(link.url, key, link.tag, encoding, source=response.url)
        names = anchor_names(doc)
        for names_key in {response.meta["gw_key"], request_key(response.url, encoding)}:
            if names_key is not None:
                yield from self._found_anchors(names_key, names)
        for ref in fragment_links(doc, response.url):
            page_key = request_key(ref.page, encoding)
            if page_key is None:
                continue
            wanted = f"{page_key}#{ref.fragment}"
            occurrences.append(
                LinkOccurrence(response.url, wanted, ref.url, ref.tag, "href", ref.text)
            )
            yield from self._want_anchor(wanted, ref.url)
        yield PageLinks(response.url, occurrences)
        yield from self._replay_queued()

    def _twin_instead(self, key: str) -> Iterator[Request]:
        """A page asked for and not read (it failed, or was no web page): its other-scheme
        spelling, linked too and only checked so far, is read instead."""
        twin = self.twin_pages.pop(key, None)
        if twin is None or page_identity(key) in self.processed:
            return
        target, url, encoding = twin
        yield self._request(target, url, "page", encoding, method="GET")

    def _want_anchor(self, wanted: str, shown: str) -> Iterator[Any]:
        """A link to ``page#fragment`` (``wanted``): judged when the page's places are known."""
        page_key, fragment = wanted.split("#", 1)
        if wanted in self.recorded or not self.internal(shown):
            return  # judged already; other sites' pages are not read
        if not self.partition.owns(page_key):
            if wanted not in self.forwarded and self.link is not None:
                self.forwarded.add(wanted)
                owner = owner_of(page_key, self.partition.count)
                self.link.forward(owner, ["anchor", wanted, shown])
            return
        if page_key in self.failed_before:
            yield from self._reach(page_key)
        names = self.anchors.get(page_key)
        if names is not None:
            yield from self._judge_anchor(wanted, shown, fragment, names)
            return
        self.anchor_waits.setdefault(page_key, []).append((wanted, shown, fragment))
        yield from self._fetch_anchors(page_key)

    def _fetch_anchors(self, page_key: str) -> Iterator[Request]:
        """A page taken from the last crawl has no document: read it for the places it names
        (only when a fragment link points at it)."""
        if page_key in self.replayed and page_key not in self.anchor_fetches:
            self.anchor_fetches.add(page_key)
            request = self._request(page_key, page_key, "anchors", "utf-8", method="GET")
            yield request

    def _found_anchors(self, page_key: str, names: frozenset[str] | None) -> Iterator[Any]:
        if names is not None:
            self.anchors[page_key] = names
        for wanted, shown, fragment in self.anchor_waits.pop(page_key, []):
            if names is not None:
                yield from self._judge_anchor(wanted, shown, fragment, names)

    def _judge_anchor(
        self, wanted: str, shown: str, fragment: str, names: frozenset[str]
    ) -> Iterator[Any]:
        if not has_anchor(names, fragment):
            yield from self._record(
                wanted,
                shown,
                "NONE",
                error=("missing_anchor", f"the page has no place named #{fragment}"),
            )

    def _unchanged_page(self, response: Response) -> Iterator[Any]:
        """A page that answered 304 Not Modified to the crawl's conditional request."""
        key = response.meta["gw_key"]
        stored = self._stored_pages([response.url])[response.url]
        yield from self._replay(
            key, response.meta["gw_url"], response.url, stored, response=response
        )
        yield from self._replay_queued()

    def _replay_queued(self) -> Iterator[Any]:
        """Pages found unchanged before the crawl, reached by links: read from the last crawl.
        Their own links are scheduled the same way, so replays cascade; one batch at a time,
        then a no-network request carries on, so that the reactor reads responses between
        batches (a blocked reactor would look like a slow server to AutoThrottle)."""
        if not self.replays or self.replay_pending:
            return
        batch = [self.replays.popleft() for _ in range(min(self.replay_batch, len(self.replays)))]
        stored = self._stored_pages([key for key, _ in batch])
        observations: list[Any] = []  # one item for the batch: Scrapy's cost is per item
        # A page read within the batch (a recheck's answer, once its link is reached) queues its
        # unchanged pages for the next batch: never a batch inside this one.
        self.replay_pending = True
        try:
            for key, url in batch:
                replayed = self._replay(key, url, key, stored[key], self.unchanged[key])
                yield from _requests_of(replayed, observations)
        finally:
            self.replay_pending = False
        yield Observations(observations)
        if self.replays:
            self.replay_pending = True
            yield _carry_on(self._continue_replays, "govwatch-replay", priority=50)

    def _continue_replays(self, _: object) -> Iterator[Any]:
        self.replay_pending = False
        yield from self._replay_queued()

    def _stored_pages(
        self, urls: list[str]
    ) -> dict[str, tuple[list[store.StoredLink], PageMetadata | None]]:
        assert self.previous is not None
        with self._engine().connect() as connection:
            return store.previous_pages(connection, self.previous.run_id, urls)

    def _replay(
        self,
        key: str,
        shown: str,
        page_url: str,
        stored: tuple[list[store.StoredLink], PageMetadata | None],
        answer: Answer | None = None,
        response: Response | None = None,
    ) -> Iterator[Any]:
        """An unchanged page: the last crawl's reading of it stands. Its links are checked
        again all the same; a page that failed then was asked for in full."""
        assert self.previous is not None
        yield from self._record(
            key, shown, "GET", response=response, answer=answer, revalidated=True
        )
        occurrences, metadata = stored
        found = None
        if metadata is not None:
            found = self.page_dates[key] = _published(metadata)
        yield from self._give_date(key, found)  # a column may wait for it, read or not
        identity = page_identity(page_url)
        if identity in self.processed:
            return
        self.processed.add(identity)
        self.progress.pages += 1
        self.progress.unchanged += 1
        self.replayed.add(key)
        if key in self.anchor_waits:
            yield from self._fetch_anchors(key)
        # Its links and metadata stand as the last crawl stored them: referred to, not copied.
        yield CopiedLinks(page_url, self.previous.run_id)
        requested, failed_before = self.requested, self.failed_before
        for target_key, target_url, tag in occurrences:
            if target_key in requested:
                # The common case: a link every page repeats (navigation, footer).
                if target_key in failed_before:
                    yield from self._reach(target_key)
                continue
            if "#" in target_key:
                yield from self._want_anchor(target_key, target_url)
            elif target_key.startswith("malformed:"):
                yield from self._record(
                    target_key, target_url, "NONE", error=_malformed_error(target_url)
                )
            elif target_key.startswith(UNREAD):
                yield from self._unread(target_key.removeprefix(UNREAD), target_url, None)
            else:
                yield from self._schedule_link(
                    target_url, target_key, tag, "", encoded=True, source=page_url
                )

    def _engine(self) -> Engine:
        if self._db is None:
            self._db = make_engine(self.db_url)
        return self._db

    def closed(self, reason: str) -> None:
        if self.quick is not None:
            self.quick.close()
            self.logger.info(
                "small client: %d link checks settled, %d pages read (%d straight to the spider)",
                self.quick.checks_settled,
                self.quick.pages_read,
                self.quick.pages_plain,
            )
        if self.held:
            self.logger.info(
                "%d links that failed last time are on no page now: their rechecks not recorded",
                len(self.held),
            )
        if self._db is not None:
            self._db.dispose()
        if self.progress_loop is not None and self.progress_loop.running:
            self.progress_loop.stop()

    # --------------------------------------------------------------- partitions

    def hosts_add(self, host: str) -> None:
        self.hosts.add(host)

    def counts(self) -> Counts:
        """This process's counts, or the whole crawl's on the lead of a partitioned one."""
        local = self._local_counts()
        return self.link.totals(local) if self.link is not None else local

    def report_closed(self, reason: str) -> None:
        """After this process's observations are stored (the pipeline calls it last)."""
        if self.link is not None:
            if reason == "finished" and self.blocked_pages:
                reason = BLOCKED
            self.link.report_closed(self._local_counts(), reason)

    @property
    def site_blocked(self) -> bool:
        """Whether pages of the site were refused as a firewall refuses (here or in another
        partition): the crawl is incomplete."""
        return bool(self.blocked_pages) or (self.link is not None and self.link.blocked)

    def _local_counts(self) -> Counts:
        p = self.progress
        return Counts(p.pages, p.unchanged, p.links, p.failed, len(self.requested))

    @property
    def partition_failure(self) -> str | None:
        return self.link.failure if self.link is not None else None

    def _owns_fetched(self, request: Request, response: Response | None = None) -> bool:
        """Whether this process records the fetched URL (the lead also fetches column pages
        other partitions own; it hands those to their owner: the answer it had, so that the
        owner reads the same page instead of asking again, and losing the page's links if the
        server fails it the second time; a failure, to be tried again by the owner)."""
        key = request.meta["gw_key"]
        if self.partition.owns(key):
            return True
        shown = request.meta["gw_url"]
        if (
            response is None
            or self.link is None
            or key in self.forwarded
            or not self._answer_is_html(response)
            or len(response.body) > HANDED_PAGE_BYTES
        ):
            self._hand_over(shown, key, "a", request.encoding, encoded=True)
            return False
        self.forwarded.add(key)
        headers = [
            [name.decode("latin-1"), value.decode("latin-1")]
            for name, values in response.headers.items()
            if name.lower() not in _NOT_FORWARDED
            for value in values
        ]
        redirects = [str(url) for url in response.meta.get("redirect_urls", ())]
        body = base64.b64encode(response.body).decode("ascii")
        answer = [response.url, response.status, headers, body, redirects]
        message = ["page", shown, key, request.encoding, answer]
        self.link.forward(owner_of(key, self.partition.count), message)
        return False

    def _handed_page(self, shown: str, key: str, encoding: str, answer: list[Any]) -> Iterator[Any]:
        """The lead's answer for a page of ours, to go through our middlewares as if just
        downloaded (crawler.pageanswers.PREFETCHED): recorded and read here."""
        if key in self.failed_before:
            yield from self._reach(key)  # a column page links it: its recheck counts
        self.coming.discard(key)
        if key in self.requested:
            return  # asked already (linked from a page of ours)
        url, status, headers, body, redirects = answer
        request = self._request(key, shown, "page", encoding, method="GET")
        request.headers.clear()  # answered already: no conditional headers
        values: dict[bytes, list[bytes]] = {}
        for name, value in headers:
            values.setdefault(name.encode("latin-1"), []).append(value.encode("latin-1"))
        raw = base64.b64decode(body)
        kind = responsetypes.from_args(headers=Headers(values), url=url, body=raw)
        response = kind(url=url, status=status, headers=values, body=raw, request=request)
        if redirects:
            request.meta["redirect_urls"] = redirects
        request.meta[PREFETCHED] = response
        yield request

    def _hand_over(
        self, url: str, key: str, tag: str, encoding: str, encoded: bool, source: str | None = None
    ) -> None:
        """Forward a link this partition does not own to its owner (``source``: the page that
        links it, for its Referer; the homepage when not known)."""
        if key in self.forwarded or self.link is None:
            return
        self.forwarded.add(key)
        owner = owner_of(key, self.partition.count)
        self.link.forward(owner, ["link", url, key, tag, encoding, encoded, source])

    def _open_partition(self, spider: Spider) -> None:
        assert self.link is not None
        self.link.start()
        if not self.partition.lead:
            self.progress_loop = task.LoopingCall(self._send_progress)
            self.progress_loop.start(1.0, now=False)

    def _send_progress(self) -> None:
        if self.link is not None:
            self.link.send_progress(self._local_counts())

    def _on_idle(self, spider: Spider) -> None:
        if self.quick is not None and self.quick.busy:
            if not crawl_is_stopping(self.crawler):
                self.quick.pump()
                raise DontCloseSpider  # its outcomes come back through _take_quick
            self.quick.close()
        engine = self.crawler.engine
        if self.date_waiters and engine is not None and not crawl_is_stopping(self.crawler):
            # Nothing left to answer, and items still wait for a page's date: a page read
            # where its date was not kept. Their columns settle without it, never lost.
            self.logger.warning(
                "%d pages never gave the items waiting for them a date: %s",
                len(self.date_waiters),
                ", ".join(sorted(self.date_waiters)[:5]),
            )
            engine.crawl(_carry_on(self._release_waiters, "govwatch-waiters", priority=60))
            raise DontCloseSpider
        if self.link is not None and self.link.keep_open():
            raise DontCloseSpider

    def _release_waiters(self, _: object) -> Iterator[Any]:
        for key in list(self.date_waiters):
            yield from self._give_date(key, None)

    def _engine_idle(self) -> bool:
        """Nothing to do: no request anywhere in the engine, no work waiting in the inbox or
        in the quick checks."""
        if self.inbox_pending or (self.link is not None and self.link.inbox):
            return False
        if self.quick_pending or (self.quick is not None and self.quick.busy):
            return False
        engine = self.crawler.engine
        return bool(engine is not None and engine.spider_is_idle())

    def _close_spider(self, reason: str) -> None:
        engine = self.crawler.engine
        if engine is not None:
            deferred_from_coro(engine.close_spider_async(reason=reason))

    def _wake_inbox(self) -> None:
        """Work from another partition: taken in a callback, like any response's links, a batch
        at a time (a callback costs about what a request costs)."""
        if self.inbox_pending or self.prepass_running or self.crawler.engine is None:
            return
        self.inbox_pending = True
        asyncio.get_event_loop().call_later(BATCH_SECONDS, self._crawl_inbox)

    def _crawl_inbox(self) -> None:
        if self.crawler.engine is None or self.link is None or self.link.closing:
            return
        self.crawler.engine.crawl(_carry_on(self._take_inbox, "govwatch-inbox", priority=60))

    def _wake_quick(self) -> None:
        """Outcomes of quick checks: taken in a callback, a batch at a time, like the inbox; at
        once when a batch of pages waits (their reading stops while too many wait)."""
        if self.crawler.engine is None:
            return
        if self.quick_pending:
            timer, quick = self.quick_timer, self.quick
            if timer is not None and quick is not None and len(quick.pages_done) >= PAGE_BATCH:
                timer.cancel()
                self._crawl_quick()
            return
        self.quick_pending = True
        self.quick_timer = asyncio.get_event_loop().call_later(BATCH_SECONDS, self._crawl_quick)

    def _crawl_quick(self) -> None:
        self.quick_timer = None
        engine = self.crawler.engine
        if engine is None or crawl_is_stopping(self.crawler):
            self.quick_pending = False
            return
        engine.crawl(_carry_on(self._take_quick, "govwatch-quick", priority=60))

    def _take_quick(self, _: object) -> Iterator[Any]:
        """Clean HEAD answers are recorded, the other checks asked again by the crawl in full;
        plain pages go to their callback, other answers and failures through the download
        middlewares (crawler.pageanswers)."""
        self.quick_pending = False
        assert self.quick is not None
        observations: list[Any] = []
        downloader = self._downloader()
        refusals = downloader.refusals if downloader is not None else None
        for key, shown, answer, status in self.quick.take():
            referer = self.quick_referers.pop(key, None)
            if refusals is not None and answer is not None:
                refusals.answered_quickly(host_of(key), key)
            if answer is None:
                request = self._request(key, shown, "check", "utf-8", "HEAD", referer)
                if status is not None and (status in self.head_fallback or status < 300):
                    # Its HEAD answer would send the crawl's HEAD to a GET: that GET at once.
                    request = self._get_instead_of_head(request)
                yield request
            else:
                record = partial(self._record, key, shown, "HEAD", answer=answer)
                believed = self._believe_head(key, shown, record, answer.tiny)
                yield from _requests_of(believed, observations)
        for page in self.quick.take_pages():
            request, response = page.request, page.response
            if page.stuck:  # as a stuck request of the crawl's: its second try at once
                second = self.hedge(request) if self.hedges_stuck else None
                if second is not None:
                    yield second
                continue
            if response is None and page.error is None:
                yield request  # asked by the crawl, with its timeouts and retries
                continue
            if response is not None:
                if refusals is not None and page.plain:
                    refusals.answered_quickly(request.meta["download_slot"], request.url)
                request.meta["download_latency"] = page.latency
                self.crawler.signals.send_catch_log(
                    signals.response_downloaded, response=response, request=request, spider=self
                )
                if page.plain:
                    # Its observations go with the batch's, as one item: Scrapy's cost is per
                    # item (its spider middlewares, the pipeline's call), not per observation.
                    yield from _requests_of(self._read_plain(response), observations)
                    continue
            # Through the download middlewares, as if downloaded now: an answer, or a failure.
            request.meta[PREFETCHED] = response if response is not None else page.error
            yield request
        if observations:
            yield Observations(observations)

    def _read_plain(self, response: Response) -> Iterator[Any]:
        """A page the download middlewares would have passed unchanged, to its callback; an
        error in it is logged as Scrapy logs a callback's, and the other pages go on."""
        try:
            yield from self.on_response(response)
        except Exception:
            self.logger.exception("Spider error processing %s", response.request)

    def _take_inbox(self, _: object) -> Iterator[Any]:
        self.inbox_pending = False
        assert self.link is not None
        for message in self.link.take(self.replay_batch):
            if message[0] == "link":
                _, url, key, tag, encoding, encoded, source = message
                self.coming.discard(key)  # the lead could not hand its answer: asked here
                yield from self._schedule_link(url, key, tag, encoding, encoded, source)
            elif message[0] == "page":
                yield from self._handed_page(*message[1:])
            elif message[0] == "anchor":
                yield from self._want_anchor(message[1], message[2])
            elif message[0] == "coming":
                # the lead reads it for a column, then hands it over: not fetched here too
                self.getting.add(message[1])
                self.coming.add(message[1])
        if self.link.inbox:
            self._wake_inbox()
        yield from self._replay_queued()

    # ----------------------------------------------------------------- columns

    def _read_list(self, response: Response, doc: HtmlElement | None) -> Iterator[Any]:
        state: ColumnState = response.meta["gw_column"]
        first = state.pages_read == 0
        if first:
            state.http_status = response.status
            state.final_url = response.url
            self.column_keys.add(column_key(response.url))  # where a redirect took it
        if doc is None:
            if first and response.status < 400 and not self.internal(response.url):
                # Sent to another site: a discovered column there is not this site's to judge;
                # a configured one is unreachable where it was configured.
                if state.discovered:
                    state.external = True
                else:
                    state.error = f"left the site for {response.url}"[:255]
            elif first:
                state.error = f"HTTP {response.status}" if response.status >= 400 else "not HTML"
            yield from self._settle(state)
            return
        assert isinstance(response, TextResponse)
        refresh = refresh_url(doc, response.url) if first else None
        refresh_key = request_key(refresh, response.encoding) if refresh else None
        if (
            refresh
            and refresh_key is not None
            and refresh_key not in state.visited
            and state.error is None  # a "页面不存在" page that goes home is not followed
        ):
            # <meta http-equiv="refresh" content="0;url=…"> or a blank page's script that sets
            # location: the browser goes on to the real homepage or column page (a redirect
            # in HTML); its list is read there.
            if state.is_home:
                self.home_final = None  # where the homepage really is: set by that answer
            # this column's page now (its first sub-column, often): never another column
            self.column_keys.add(column_key(refresh))
            yield self._list_request(state, refresh, response.encoding)
            yield from self._settle(state)
            return
        state.pages_read += 1
        if first:
            state.meta_name, state.meta_type = _column_meta(doc)
            state.text_chars = _prose_chars(doc)
            state.public_form = has_public_form(doc)
            # a 领导信息 column's cards of its leaders (never a sidebar's on an empty column)
            state.people = "领导" in state.name and shows_people(doc)
            yield from self._discover(state, doc, response.url)
        if state.is_home:
            items = content_items(doc, response.url)
        else:
            found, _ = column_list(doc, response.url)
            items = list(found.items) if found else []
            if first and not any(i.list_date or i.url_date for i in items):
                # A page that says "暂无信息", or whose list a script loads, is no hub.
                signals = list_signals(doc, response.url)
                scripted = signals.empty_marker or signals.data_urls or signals.writes
                hub = (
                    []
                    if scripted
                    else hub_columns(doc, response.url, self.home_url, self.home_menu)
                )
                if hub:  # its links are columns, not its items
                    state.hub, items = True, []
                    if self.discovers and state.depth < MAX_DEPTH:
                        yield from self._add_columns(state, hub)
                else:
                    yield from self._unreadable_or_data(state, doc, response.url, response.encoding)
            elif first and (boxes := box_hub_columns(doc, response.url, self.home_url)):
                # a landing page of its sub-columns' boxes (新闻中心): their items, not its own
                state.hub, items = True, []
                if self.discovers and state.depth < MAX_DEPTH:
                    yield from self._add_columns(state, boxes)
        state.items.extend(items)
        next_url = None if state.is_home else next_page_url(doc, response.url)
        if first and next_url and oldest_first(items):
            last = last_page_url(doc, response.url)  # its newest are last
            next_url, state.to_the_end = last or next_url, last is None
        if (
            next_url
            and state.pages_read < (OLDEST_FIRST_PAGES if state.to_the_end else self.list_pages)
            and request_key(next_url, response.encoding) not in (None, *state.visited)
        ):
            yield self._list_request(state, next_url, response.encoding)
        yield from self._date_from_details(state, items, response.encoding)
        yield from self._settle(state)

    def _discover(self, state: ColumnState, doc: HtmlElement, url: str) -> Iterator[Request]:
        """Columns in this page's navigation and script-built trees; then its frames (a
        信息公开目录 is often one) and, from the homepage, its 网站地图."""
        if not self.discovers or state.depth >= MAX_DEPTH:
            return
        home = self.home_url
        menu = navigation_links(doc, url, home)
        if state.is_home:
            self.home_menu = frozenset(column_key(link.url) for link in menu)
        if state.is_home:
            # the columns its boxes are headed by ("部门动态 更多>>") too
            menu += box_links(doc, url, home)
        else:
            # a menu of the columns beside it (its siblings, the site's menu): not under it
            beside = sibling_keys(doc, url, home)
            yield from self._add_columns(
                state, [link for link in menu if column_key(link.url) in beside], beside=True
            )
            menu = [link for link in menu if column_key(link.url) not in beside]
        yield from self._add_columns(state, menu + tree_links(doc, url, home))
        extra = [(frame, "navframe") for frame in frame_urls(doc, url, home)]
        state.frames_asked = True
        sitemap = sitemap_url(doc, url) if state.is_home else None
        if sitemap:
            extra.append((sitemap, "sitemap"))
        for target, role in extra:
            yield from self._read_for_column(state, target, role)

    def _read_for_column(self, state: ColumnState, target: str, role: str) -> Iterator[Request]:
        """A page that is part of a column's page (a frame) or of the homepage (its 网站地图),
        read once for the crawl: a known column's page is read as that column."""
        key = column_key(target)
        if key in self.column_keys or request_key(target, "utf-8") is None:
            return
        self.column_keys.add(key)
        request = self._request(target, target, role, "utf-8", method="GET")
        request.meta["gw_column"] = state
        state.pending += 1
        yield request

    def _home_spellings(self) -> frozenset[str]:
        """The homepage's other spellings ("/index.html" for "/", "/" for "/index.htm"…): a
        link to one is checked, never read a second time as another page (every homepage link
        would be listed twice, once as not on the homepage)."""
        home = self.home_url
        if self.spellings_of != home:
            self.spellings_of = home
            self.spellings = home_spellings(home)
        return self.spellings

    @property
    def home_url(self) -> str:
        """The homepage where it really is (after a redirect to another host)."""
        return self.home_final or self.site.home

    def _add_columns(
        self, parent: ColumnState, links: list[NavLink], beside: bool = False
    ) -> Iterator[Request]:
        """Columns under ``parent`` not yet known; ``beside``: columns beside it, under its
        own parent (a menu of its siblings)."""
        for link in links:
            if request_key(link.url, "utf-8") is None:
                continue
            key = column_key(link.url)
            if (
                key in self.column_keys
                or key in self.excluded
                or link.name in self.excluded
                or self.columns_started >= self.site.max_columns
            ):
                continue
            self.column_keys.add(key)
            self.columns_started += 1
            if not parent.is_home and not beside:
                parent.sub_columns += 1
            child = ColumnState(
                link.name,
                link.url,
                is_home=False,
                discovered=True,
                parent=parent.parent if beside else None if parent.is_home else parent.name,
                depth=parent.depth + (0 if beside else 1),
            )
            yield self._list_request(child, link.url)

    def _read_sitemap(self, response: Response, doc: HtmlElement | None) -> Iterator[Any]:
        """A 网站地图 (every column-like link is a column) or a frame (only its navigation and
        its script-built tree: a framed list's articles are not columns)."""
        state: ColumnState = response.meta["gw_column"]
        if doc is not None:
            home = self.home_url
            role = response.meta["gw_role"]
            frame = role in ("navframe", "listframe")
            if frame and not state.is_home:
                yield from self._framed_list(state, doc, response)
            # another site's frame (listframe) is read for the column's list alone
            if self.discovers and state.depth < MAX_DEPTH and role != "listframe":
                links = tree_links(doc, response.url, home)
                if not frame:
                    links = sitemap_links(doc, response.url, home) + links
                else:
                    links = navigation_links(doc, response.url, home) + links
                yield from self._add_columns(state, links)
        yield from self._settle(state)

    def _framed_list(
        self, state: ColumnState, doc: HtmlElement, response: Response
    ) -> Iterator[Request]:
        """A column page's frame, read as the visitor sees it: the column's list when the page
        has none of its own (a 信息公开 list shown in an iframe), or its "暂无信息"."""
        if any(item.list_date or item.url_date for item in state.items):
            return
        found, _ = column_list(doc, response.url)
        items = list(found.items) if found else []
        if any(item.list_date or item.url_date for item in items):
            state.items.extend(items)
            encoding = response.encoding if isinstance(response, TextResponse) else "utf-8"
            yield from self._date_from_details(state, items, encoding)
        elif (
            not items
            and response.meta["gw_role"] == "navframe"  # not another site's widget (暂无数据)
            and list_signals(doc, response.url).empty_marker
        ):
            state.empty_marker, state.unreadable = True, False

    def _unreadable_or_data(
        self, state: ColumnState, doc: HtmlElement, url: str, encoding: str
    ) -> Iterator[Request]:
        """No list in the page: "暂无信息" means empty; a list a script loads is fetched from
        its data URL if the page names one, else the column is unreadable (never empty)."""
        signals = list_signals(doc, url)
        if signals.empty_marker:
            state.empty_marker = True
            return
        if not state.frames_asked:
            # not discovering from this page: its frames are read for its list all the same
            state.frames_asked = True
            for frame in frame_urls(doc, url, self.home_url):
                yield from self._read_for_column(state, frame, "navframe")
        if not state.outside_frames_asked:
            state.outside_frames_asked = True  # its list may be shown from another site
            for frame in content_frames(doc, url, self.home_url):
                yield from self._read_for_column(state, frame, "listframe")
        if signals.data_urls and not state.data_tried:
            state.data_tried = True
            state.pending += 1
            request = self._request(
                signals.data_urls[0], signals.data_urls[0], "listdata", encoding, method="GET"
            )
            request.meta["gw_column"] = state
            yield request
            return
        if signals.scripted:
            state.unreadable = True

    def _read_data(self, response: Response) -> Iterator[Any]:
        state: ColumnState = response.meta["gw_column"]
        text = response.text if isinstance(response, TextResponse) else ""
        found = data_items(text, response.url) if response.status < 400 else None
        if found is not None and found.items:
            state.items.extend(found.items)
            yield from self._date_from_details(state, found.items, "utf-8")
        else:
            state.unreadable = True
        yield from self._settle(state)

    def _date_from_details(
        self, state: ColumnState, items: Iterable[ListItem], encoding: str
    ) -> Iterator[Request]:
        """Items without a full date in the list dated from their pages, within the budget."""
        for item in items:
            if item.needs_detail and item.url not in state.details and self._detail_budget(state):
                yield from self._date_from_detail(state, item.url, encoding)

    def _date_from_detail(self, state: ColumnState, url: str, encoding: str) -> Iterator[Request]:
        """Date an item from its article page: one already read, one on its way, or a fetch."""
        state.details[url] = None
        key = request_key(url, encoding)
        if key is None:
            return
        twin = scheme_twin(key)
        if (
            key not in self.page_dates
            and key not in self.getting
            and (twin in self.page_dates or (twin in self.getting and twin not in self.recorded))
        ):
            key = twin  # the page under its other scheme, read or on its way: one page
        if key in self.page_dates:
            state.details[url] = self.page_dates[key]
        elif key in self.getting and key not in self.recorded:
            state.pending += 1
            self.date_waiters.setdefault(key, []).append((state, url))
        else:
            state.pending += 1
            detail = self._request(url, url, "detail", encoding, "GET")
            detail.meta.update(gw_column=state, gw_item=url)
            if self.link is not None and not self.partition.owns(key) and key not in self.forwarded:
                # its owner hears now that the page is on its way to it (_owns_fetched): it
                # does not fetch it too, and its other-scheme spelling, if linked, is only
                # checked there (a page handed over as a link already is fetched there)
                self.link.forward(owner_of(key, self.partition.count), ["coming", key])
            yield detail

    def _read_detail(self, response: Response, doc: HtmlElement | None) -> Iterator[Any]:
        state: ColumnState = response.meta["gw_column"]
        state.details[response.meta["gw_item"]] = publication_date(doc) if doc is not None else None
        yield from self._settle(state)

    def _detail_budget(self, state: ColumnState) -> bool:
        return len(state.details) < self.detail_lookups

    def _settle(self, state: ColumnState) -> Iterator[ColumnObservation]:
        state.pending -= 1
        if state.pending > 0 or state.done:
            return
        state.done = True
        dated = [
            resolve_date(item, state.details.get(item.url), self.crawl_date) for item in state.items
        ]
        best = newest(dated)
        dated_count = sum(1 for entry in dated if entry.date is not None)
        if state.external:
            status = "external"
        elif state.error is not None:
            status = "error"
        elif best is not None:
            status = "ok"
        elif (state.sub_columns or state.hub) and not state.is_home and not state.empty_marker:
            # holds sub-columns (its own frame or script is their tree, or its list is theirs);
            # a page that says "暂无信息" is an empty column whatever its menu links
            status = "parent"
        elif state.unreadable:
            status = "unreadable"
        elif (
            state.discovered
            and not state.empty_marker
            and (state.text_chars >= PROSE_CHARS or state.public_form or state.people)
        ):
            status = "content"  # a page of text (机构职能, 联系我们…), a form or leaders: no list
        elif len(state.items) >= 2 and not state.empty_marker:
            # a list whose dates neither it nor its pages give: not an empty column (空白 with
            # 8 items), but one that cannot be dated
            status = "unreadable"
        else:
            status = "empty"
        yield ColumnObservation(
            column_name=state.name,
            url=state.final_url if state.is_home and state.final_url else state.url,
            is_homepage=state.is_home,
            status=status,
            http_status=state.http_status,
            error=state.error,
            item_count=len(state.items),
            dated_count=dated_count,
            pages_read=state.pages_read,
            newest_date=best.date if best else None,
            newest_title=best.item.title if best else None,
            newest_url=best.item.url if best else None,
            newest_date_text=best.item.date_text if best else None,
            newest_date_source=best.source if best else None,
            observed_at=_utcnow(),
            discovered=state.discovered,
            parent_name=state.parent,
            meta_column_name=state.meta_name,
            meta_column_type=state.meta_type,
            sub_columns=state.sub_columns,
        )


# Pages read by the small client taken at once (not after BATCH_SECONDS) when this many wait.
PAGE_BATCH = 16


# A column page the lead hands to its owner with its answer, at most this big (base64 in one
# message line); a larger one, or one that is not a web page, is asked for again by the owner.
HANDED_PAGE_BYTES = 2 << 20
# Headers of an answer the lead hands to the page's owner (_owns_fetched) that no longer hold:
# its body was decompressed and is sent whole.
_NOT_FORWARDED = frozenset({b"content-encoding", b"content-length", b"transfer-encoding"})


def recheck_priority(error: str | None, status: int | None, retried: frozenset[int]) -> int:
    """A link that failed last time is checked again ahead of the crawl's own requests, the
    slowest first (the longest jobs first end soonest): a timeout costs its timeouts and a
    backoff, an answer worth retrying costs backoffs (or a Retry-After); a definite answer
    (404, 410, no such host) costs one request. Column list pages still go first."""
    if error == "timeout":
        return LIST_PRIORITY - 1
    if (error is not None and error != "dns") or status in retried:
        return RECHECK_PRIORITY + 5
    return RECHECK_PRIORITY


def prepass_connections(
    share: int, candidates: int, per_server: int, hanging: int, allowance: int
) -> int:
    """The connections lent to the pre-pass for a server (at least one, at most its ``share``
    and one per candidate): the server's limit, less last night's hanging URLs beyond the
    stuck allowance (asked again at once, each holding a connection), less one for the crawl's
    other rechecks."""
    free = per_server - max(0, hanging - allowance)
    return max(1, min(share, candidates, free - 1))


def _requests_of(outputs: Iterable[Any], observations: list[Any]) -> Iterator[Request]:
    """A callback's requests, its observations (a batch of them too) kept in ``observations``:
    one item for many (Scrapy's cost is per item)."""
    for output in outputs:
        if isinstance(output, Request):
            yield output
        elif isinstance(output, Observations):
            observations.extend(output.items)
        else:
            observations.append(output)


def _carry_on(callback: Any, slot: str, priority: int) -> Request:
    """A request that fetches nothing (``data:``) and calls ``callback``: work done in a
    callback of its own, so that the reactor reads responses in between."""
    return Request(
        "data:,",
        callback=callback,
        errback=callback,
        dont_filter=True,
        priority=priority,
        meta={"download_slot": slot, "autothrottle_dont_adjust_delay": True},
    )


_CONDITIONAL = (b"If-None-Match", b"If-Modified-Since")


def _with_referer(request: Request, referer: str | None) -> Request:
    """The request with the Referer a browser would send (links.referer_for), set before
    Scrapy's RefererMiddleware adds the page whose callback happened to make it."""
    if referer:
        request.headers[b"Referer"] = referer
    return request


def _discovered_state(name: str, url: str, parent: str | None) -> ColumnState:
    """A column the last full crawl discovered, read again by a scan as it was found (its
    observation then replaces that crawl's)."""
    return ColumnState(name, url, is_home=False, discovered=True, parent=parent)


_PICTURES = frozenset("jpg jpeg png gif bmp webp ico tif tiff".split())


def _is_picture(url: str) -> bool:
    """A link to a picture by its file name (``/img/a.JPG?v=2``)."""
    name = urlsplit(url).path.rsplit("/", 1)[-1]
    return name.rpartition(".")[2].lower() in _PICTURES if "." in name else False


_FRONT_PAGES = frozenset(
    f"{name}.{ext}"
    for name in ("index", "default", "home")
    for ext in ("html", "htm", "shtml", "jsp", "php", "asp", "aspx")
)


def _is_front_page(url: str) -> bool:
    """A site's front page: its root, or an index file at its root."""
    path = urlsplit(url).path.strip("/").lower()
    return path == "" or path in _FRONT_PAGES


def _blank_page(response: Response) -> bool:
    """A web page answered 200 with an empty body (a deleted article's template, a script that
    failed on the server): read in full, nothing but white space."""
    if response.status != 200 or response.request is None or response.request.method != "GET":
        return False
    if response.meta.get("gw_body_skipped") is response.request or "download_stopped" in (
        response.flags or []
    ):
        return False
    content_type = (response.headers.get(b"Content-Type") or b"text/html").lower()
    return (
        b"html" in content_type
        and may_be_page(response.meta.get("gw_url") or response.url)
        and not response.body.strip()
    )


def _unread_error(size: int | None, max_body: int) -> tuple[str, str]:
    """``size``: the page's, at least (None: not known tonight, an unchanged page's)."""
    limit = f"the {max_body / 2**20:g} MB a page is read up to"
    larger = f"{size / 2**20:.1f} MB, more than {limit}" if size else f"more than {limit}"
    return UNREAD_PAGE, f"{larger}: its links were not checked"


def _malformed_error(url: str) -> tuple[str, str]:
    return "malformed_url", f"{malformed_reason(url)}: {url!r}"


def _published(metadata: PageMetadata) -> DateMatch | None:
    published = metadata.published
    if published is None:
        return None
    text = metadata.published_text or ""
    return DateMatch(text, published.year, published.month, published.day)


def _validators(response: Response) -> tuple[str | None, str | None]:
    """The answer's ETag and Last-Modified, as the next conditional request sends them back."""

    def header(name: bytes, limit: int) -> str | None:
        raw = response.headers.get(name)
        return (raw.decode("latin-1").strip()[:limit] or None) if raw else None

    return header(b"ETag", 255), header(b"Last-Modified", 64)


# What a site's every page says in its footer or breadcrumb, wherever the template puts it.
_BOILERPLATE = re.compile(
    r"网站标识码|ICP备|公网安备|版权所有|主办单位|承办单位|技术支持|当前位置|您的位置|所在位置"
)


def _prose_chars(doc: HtmlElement) -> int:
    """The characters of the page's own paragraphs: not its header's, menus' or footer's."""
    total = 0
    for paragraph in doc.iter("p"):
        text = squash(paragraph.text_content())
        if text and not _BOILERPLATE.search(text) and not is_furniture(paragraph):
            total += len(text)
    return total


def _column_meta(doc: HtmlElement) -> tuple[str | None, str | None]:
    """The 47号 ColumnName and ColumnType meta tags."""
    found: dict[str, str] = {}
    for meta in doc.iter("meta"):
        name = (meta.get("name") or "").strip().lower()
        if name in ("columnname", "columntype") and (meta.get("content") or "").strip():
            found.setdefault(name, (meta.get("content") or "").strip()[:255])
    return found.get("columnname"), found.get("columntype")


def _page_metadata(url: str, doc: HtmlElement) -> PageMetadata | None:
    """An article page's metadata, for pages that look like articles (cheap test first)."""
    dated_url = url_date(url)
    has_meta = any(
        (m.get("name") or "").lower() in ("articletitle", "pubdate") for m in doc.iter("meta")
    )
    if not has_meta and (dated_url is None or dated_url.day is None):
        return None
    found = detail_metadata(doc)
    return PageMetadata(
        url=url,
        title=found.title,
        published=found.published.value if found.published else None,
        published_text=found.published.text if found.published else None,
        written=found.written.value if found.written else None,
        index_no=found.index_no,
        publisher=found.publisher,
        doc_no=found.doc_no,
        meta_title=found.meta_title,
        meta_published=found.meta_published,
        meta_source=found.meta_source,
    )


_HOME_PATH = re.compile(r"/(?:(?:index|default|home|main|portal)(?:\.\w+)?)?", re.I)


def _bare_host(host: str | None) -> str:
    """A host without its "www." (x.gov.cn and www.x.gov.cn are one site's)."""
    return (host or "").lower().removeprefix("www.")


def _home_like(url: str) -> bool:
    """A spelling of a site's homepage: its root, or an index page at its root."""
    return _HOME_PATH.fullmatch(urlsplit(url).path or "/") is not None


INDEX_NAMES = (
    "",
    "index.html",
    "index.htm",
    "index.shtml",
    "index.jsp",
    "index.php",
    "index.asp",
    "index.aspx",
    "default.html",
    "default.htm",
    "default.asp",
    "default.aspx",
)


def home_spellings(home: str) -> frozenset[str]:
    """The keys of the URLs that name the same page as ``home`` (a folder and its index
    pages), ``home``'s own key not among them."""
    own = request_key(home, "utf-8")
    if own is None or "?" in own:
        return frozenset()  # a homepage with a query is its own page
    parts = urlsplit(own)
    folder = (parts.path or "/").rsplit("/", 1)[0] + "/"
    keys = {
        request_key(urlunsplit((parts.scheme, parts.netloc, folder + name, "", "")), "utf-8")
        for name in INDEX_NAMES
    }
    return frozenset(key for key in keys if key is not None and key != own)


@lru_cache(maxsize=1 << 16)
def request_key(url: str, encoding: str) -> str | None:
    """The URL as it is requested: percent-encoded the way browsers do (path in UTF-8, query in
    the page's encoding). Two spellings of one URL share one key, so one check per crawl.
    None for a URL no browser could request (a bad port, a broken IPv6 host, no host…).
    Remembered: a site's pages repeat most of their links."""
    try:
        key = safe_url_string(url, encoding)
        parts = urlsplit(key)
        parts.port  # noqa: B018 (raises on a bad port)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not _valid_host(parts.netloc):
        # "http://", "http://a b.gov.cn/", "http://h:port/", "file:///D:/附件.doc": a browser
        # goes nowhere (and a crawl never reads this machine's files)
        return None
    if "@" in parts.netloc:
        # "http://user@x.gov.cn/a": the page a browser opens is "http://x.gov.cn/a" (it asks
        # for a password, if at all, only when the server wants one): one URL, one crawl
        parts = parts._replace(netloc=parts.netloc.rpartition("@")[2])
        key = parts.geturl()
    if (parts.scheme, parts.port) in (("http", 80), ("https", 443)):
        # "http://x.gov.cn:80/a" is "http://x.gov.cn/a", as a browser says: one URL, one check
        # (and one crawl of the site, not a second under the other spelling).
        key = parts._replace(netloc=parts.netloc.rsplit(":", 1)[0]).geturl()
    if "%" in key and _LOWER_ESCAPE.search(key):
        # %e6%9d%90 is %E6%9D%90 (RFC 3986 6.2.2.1): one file, not two dead links
        key = _LOWER_ESCAPE.sub(lambda escape: escape.group(0).upper(), key)
    return key


_LOWER_ESCAPE = re.compile(r"%(?:[0-9a-f][a-f]|[a-f][0-9a-f])")


@lru_cache(maxsize=4096)
def _valid_host(netloc: str) -> bool:
    """A host name a browser can look up, or an IP address. Cached: a site's links share a
    few hosts."""
    try:
        host = urlsplit(f"//{netloc}").hostname or ""
    except ValueError:  # "[域名]", "[::1": not an address in brackets
        return False
    if netloc.rpartition("@")[2].startswith("["):
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return False
        return True
    return bool(host) and not FORBIDDEN_IN_HOST.search(host)


def page_identity(url: str) -> str:
    """A page as a site serves it, whatever the scheme: "//x.gov.cn/a.html" for both
    http://x.gov.cn/a.html and https://x.gov.cn/a.html. Many sites answer both with the same
    pages (a mirror, or a move to https halfway done); read under both, every page of the site
    would be read twice and each dead link reported twice, once per scheme."""
    _, sep, rest = url.partition("://")
    return "//" + rest if sep else url


def scheme_twin(key: str) -> str:
    """The same URL under the other scheme: https://x/a for http://x/a, and back."""
    if key.startswith("http://"):
        return "https://" + key[7:]
    if key.startswith("https://"):
        return "http://" + key[8:]
    return key


def host_of(url: str) -> str:
    """host[:port], the port only when it is not the scheme's default."""
    origin = _ORIGIN.match(url)
    return _host_of_origin(origin.group(0) if origin else url)


# scheme://netloc: what host_of reads, so that each host is worked out once per crawl.
_ORIGIN = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^/?#]*")


@lru_cache(maxsize=1024)
def _host_of_origin(origin: str) -> str:
    """ "" for an origin with no host a request could go to ("http://[域名]", a template's
    unfilled placeholder; "http://[::1", a bad port)."""
    try:
        parts = urlsplit(origin)
        port = parts.port
    except ValueError:
        return ""
    default = port is None or (parts.scheme, port) in (("http", 80), ("https", 443))
    return (parts.hostname or "") + ("" if default else f":{port}")


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
