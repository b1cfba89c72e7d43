"""The crawl's downloader: connections lent to the nightly pre-pass count against their
server's slot, which is kept; requests waiting for their server are not counted as under way."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT

# Scrapy's downloader wants the crawl's reactor: built in a process of its own.
SCRIPT = """
from scrapy.utils.reactor import install_reactor
install_reactor("twisted.internet.asyncioreactor.AsyncioSelectorReactor")
from scrapy.utils.test import get_crawler
from crawler.downloader import PoliteDownloader

downloader = PoliteDownloader(get_crawler(settings_dict={"CONCURRENT_REQUESTS_PER_DOMAIN": 4}))
key = "127.0.0.1:8080"
lent = downloader.lend(key, "http://127.0.0.1:8080/a.html", 3)
slot = downloader.slots[key]
print(slot.free_transfer_slots())
downloader._slot_gc(age=0)  # Scrapy's clean-up of idle slots, as after a minute
print(downloader.slots.get(key) is slot)
downloader.give_back(key, lent)
print(slot.free_transfer_slots())
downloader._slot_gc(age=0)
print(key in downloader.slots)
"""


def test_lent_connections_count_against_the_slot_until_given_back() -> None:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert result.stdout.split() == ["1", "True", "4", "False"]


BACKLOG = """
from scrapy.utils.reactor import install_reactor
install_reactor("twisted.internet.asyncioreactor.AsyncioSelectorReactor")
from scrapy.http import Request
from scrapy.utils.test import get_crawler
from twisted.internet.defer import Deferred
from crawler.downloader import PoliteDownloader

settings = {"CONCURRENT_REQUESTS": 2, "CONCURRENT_REQUESTS_PER_DOMAIN": 1}
downloader = PoliteDownloader(get_crawler(settings_dict=settings))

def hand_over(n):
    request = Request(f"http://127.0.0.1:8080/{n}.html")
    _, slot = downloader._get_slot(request)
    downloader.active.add(request)
    slot.queue.append((request, Deferred()))
    return slot

# A backlog for one server: its requests wait in the server's queue, under way one at a time.
for n in range(15):
    slot = hand_over(n)
print(downloader.needs_backout())  # 15 waiting, none under way
slot.queue.popleft()
print(downloader.needs_backout())  # 14 waiting, 1 under way
hand_over(15)
hand_over(16)
print(downloader.needs_backout())  # 16 waiting: 8 x CONCURRENT_REQUESTS
for _ in range(3):
    slot.queue.popleft()
print(downloader.needs_backout())  # 13 waiting, 4 under way
"""


def test_requests_waiting_for_their_server_do_not_count_as_under_way() -> None:
    result = subprocess.run(
        [sys.executable, "-c", BACKLOG], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert result.stdout.split() == ["False", "False", "True", "True"]
