"""Scrapy settings for govwatch: polite to small government servers, tuned for link checking.

Every govwatch-specific setting is named ``GOVWATCH_*``; the defaults live here.
"""

from scrapy.settings import default_settings

BOT_NAME = "govwatch"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# Browser-like, with our name: some government WAFs refuse unknown agents.
USER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0 Safari/537.36 govwatch/0.1"
)
ROBOTSTXT_OBEY = False  # operators monitor their own sites, as the inspectors do

# Politeness: a few requests at a time per host; whole-crawl concurrency for external links.
# Requests under way at once; those waiting for their server's turn are bounded apart, at 8
# times as many (crawler.downloader). A stop drops what is still queued.
CONCURRENT_REQUESTS = 128
CONCURRENT_REQUESTS_PER_DOMAIN = 8
# Scrapy's own lets a burst of requests past the per-server limit (crawler.downloader).
DOWNLOADER = "crawler.downloader.PoliteDownloader"
DOWNLOAD_DELAY = 0
# The scheduler hands out first the requests of the servers with the fewest downloads under
# way: a backlog for one server does not hold up the others (nor the no-network replays).
SCHEDULER_PRIORITY_QUEUE = "scrapy.pqueues.DownloaderAwarePriorityQueue"
# AutoThrottle: the delay follows each server's latency (a slow server gets fewer requests).
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.0
AUTOTHROTTLE_MAX_DELAY = 10.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 4.0
DOWNLOAD_TIMEOUT = 15  # the national rule: still failing at 15 s is a failure
DOWNLOAD_MAXSIZE = 32 * 1024 * 1024
# A page that ends before its Content-Length says is shown by browsers as far as it came: not a
# dead link (Scrapy would fail it as data loss).
DOWNLOAD_FAIL_ON_DATALOSS = False
DOWNLOAD_WARNSIZE = 0

# Transient errors are retried; every final answer reaches the spider (4xx/5xx included).
RETRY_ENABLED = True
RETRY_TIMES = 2
HTTPERROR_ALLOW_ALL = True
REDIRECT_MAX_TIMES = 10
METAREFRESH_ENABLED = False

# The spider keeps its own once-per-crawl set of URLs: redirects must never be dropped silently.
DUPEFILTER_CLASS = "scrapy.dupefilters.BaseDupeFilter"
URLLENGTH_LIMIT = 0
DEPTH_LIMIT = 0

# A spider that yields a handful of requests per page does not need 100 item workers
# (../shared/notes/scrapy-performance.md: ~40 % of CPU time at the default).
CONCURRENT_ITEMS = 8
# Scrapy parses a callback's source on every call to warn about `return value` in generators
# (its cache misses bound methods): ~5 % of a crawl's CPU time for a warning we lint for.
WARN_ON_GENERATOR_RETURN_VALUE = False

COOKIES_ENABLED = True
TELNETCONSOLE_ENABLED = False
TWISTED_DNS_RESOLVER = "crawler.dns.ClassifyingResolver"
DNS_TIMEOUT = 20  # a lookup, before the download's own timeout starts
REMOTE_CONTROL_ENABLED = False  # Scrapy's code-executing HTTP endpoint: never here
LOG_LEVEL = "WARNING"  # `govwatch crawl -v` shows INFO

ITEM_PIPELINES = {"crawler.pipelines.StorePipeline": 300}
# Scrapy imports every extension it lists to compare classes, a disabled one too: its remote
# control alone (aiohttp) took 0.18 s of every crawl process's start. It is never used here.
EXTENSIONS_BASE = {
    path: order
    for path, order in default_settings.EXTENSIONS_BASE.items()
    if path != "scrapy.extensions.remote_control.RemoteControl"
}
EXTENSIONS = {
    "crawler.extensions.RunHeartbeat": 500,
    # Scrapy's counts of responses and items (and its log line of them every 30 s): a receiver
    # on two signals sent for every response and item, read by nothing here (the crawl reports
    # its own progress and totals).
    "scrapy.extensions.corestats.CoreStats": None,
    "scrapy.extensions.logstats.LogStats": None,
    # The same AutoThrottle settings, following the server's latency rather than our loop's.
    "scrapy.extensions.throttle.AutoThrottle": None,
    "crawler.throttle.ServerAutoThrottle": 0,
    "crawler.stuck.StuckRequests": 10,
}
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.BackoffRetryMiddleware": 550,
    # Sees a redirect before Scrapy's RedirectMiddleware (600), after the cookies (700).
    "crawler.middlewares.RedirectLoopMiddleware": 650,
    # Before both: redirects as a browser follows them (a Refresh, a stub page's refresh).
    "crawler.middlewares.BrowserRedirects": 660,
    # Host names resolved before the download's timeout starts; "no such host" is definite.
    "crawler.dns.ResolveFirst": 760,
    # A compressed page too large to read is there unread, not an error.
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": None,
    "crawler.middlewares.BoundedDecompression": 590,
    # Last: an answer the small client already read is this request's download.
    "crawler.middlewares.PrefetchedAnswers": 990,
    # Each middleware is a layer every request and answer passes through; these do nothing
    # here (no allowed_domains, no HTTP auth, our own counts instead of Scrapy's stats).
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    "scrapy.downloadermiddlewares.httpauth.HttpAuthMiddleware": None,
    "scrapy.downloadermiddlewares.stats.DownloaderStats": None,
}
SPIDER_MIDDLEWARES = {
    # The spider keeps its own depth (columns) and never limits URL length.
    "scrapy.spidermiddlewares.depth.DepthMiddleware": None,
    "scrapy.spidermiddlewares.urllength.UrlLengthMiddleware": None,
    "scrapy.spidermiddlewares.metacopy.MetaCopyDetectionMiddleware": None,
}

# govwatch settings
GOVWATCH_DB = ""  # SQLAlchemy URL, set by the runner
GOVWATCH_RUN_ID = 0  # the run row this crawl writes into, set by the runner
GOVWATCH_BATCH_SIZE = 2000  # observations written per transaction
GOVWATCH_LIST_PAGES = 3  # list pages read per column (the first and its next pages)
GOVWATCH_DETAIL_LOOKUPS = 20  # detail pages fetched per column to date year-less items
GOVWATCH_TIMEOUT_RETRIES = 1  # a timeout is tried twice in all (other faults RETRY_TIMES + 1)
GOVWATCH_RETRY_BACKOFF = 1.0  # seconds before the first retry, doubling after each
GOVWATCH_RETRY_AFTER_MAX = 30.0  # at most this long for a server's Retry-After
# A 403 is asked again once; while its server answers 403 in bursts (a rate limit: nginx
# limit_req, a firewall's CC protection), up to this many times (crawler.refusals).
GOVWATCH_REFUSAL_RETRIES = 3
GOVWATCH_REFUSAL_MIN_DELAY = 0.5  # seconds between requests to such a server, at least
# A server that refuses everything (a firewall's ban) is waited out this long, at most; past
# that its pages are not read and the crawl is incomplete (crawler.refusals).
GOVWATCH_BAN_WAIT = 120.0
GOVWATCH_HEARTBEAT_SECONDS = 15  # how often the run row's heartbeat is written
GOVWATCH_PROGRESS = False  # print progress lines for the parent process (set by the runner)
# A request in flight this long (and far longer than its server usually takes) is stuck: it
# stops counting against the server's concurrency, up to this many per server (crawler.stuck).
GOVWATCH_STUCK_AFTER = 1.0
GOVWATCH_STUCK_ALLOWANCE = 16
# A stuck request (above) that a timeout would retry gets its retry at once, after the backoff,
# not after its timeout: the first answer of the two is its outcome (crawler.stuck).
GOVWATCH_HEDGE_STUCK = True
# A HEAD answered with one of these is asked again by GET: servers that refuse or mishandle HEAD,
# and firewalls whose status (412 瑞数, 521 加速乐, 567…) only their page explains.
GOVWATCH_HEAD_FALLBACK_STATUSES = [
    400,
    403,
    404,
    405,
    406,
    410,
    412,
    418,
    493,
    500,
    501,
    502,
    503,
    520,
    521,
    567,
]
# Each server whose HEAD says a link is there is asked by HEAD for a URL that surely is not: a
# server that says 200 to it too has its links checked by GET (crawler.headtrust).
GOVWATCH_HEAD_PROOF = True
# A nightly crawl first asks the pages and links the last full crawl read cleanly whether they
# changed (conditional GET / HEAD on a lean client); unchanged pages are read from that crawl.
GOVWATCH_REVALIDATE = True
# ...but a page is read in full again at least every this many days (each page between half
# of it and all of it, spread by URL), whatever its server's validators say; 0: never.
GOVWATCH_FULL_READ_DAYS = 14
# Link targets asked by HEAD on the crawl's servers go through a small client of our own first;
# only clean answers are kept there, the rest are asked by the crawl as usual (crawler.quickcheck).
GOVWATCH_QUICK_CHECKS = True
# Pages linked on the crawl's servers are read by that small client too (crawler.pageanswers):
# a plain answer goes to the spider at once, any other through the download middlewares.
GOVWATCH_QUICK_PAGES = True
# A full crawl runs as this many processes, each owning a share of the URLs (crawler.partition);
# 0: one per core, at most 4. Per-server concurrency is shared out, not multiplied.
GOVWATCH_WORKERS = 0
GOVWATCH_REPLAY_BATCH = 200  # unchanged pages replayed per callback
