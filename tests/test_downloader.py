"""Connections lent to the nightly pre-pass count against their server's slot, which is kept."""

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
