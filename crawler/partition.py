"""Partitioned crawls: one site crawled by several processes, each owning a share of the URLs.

A single Scrapy process uses one core, and a crawl that checks every link is CPU-bound in
Scrapy's own machinery (../shared/notes/scrapy-performance.md). A full crawl therefore runs as
``count`` processes forked from the one that started the run. Every URL key has one owner
(``crc32(key) % count``): only the owner requests it, records its outcome and, for a page,
extracts its links. A process that meets a link another process owns sends it there once.

Partition 0, the *lead*, also does everything that is not per URL: the homepage, the columns and
their dating, the run row. It decides when the crawl is over: when every process is idle and
every message sent has been received, twice in a row (a two-wave counting check, so that a
message in flight between the waves is never lost), it tells the others to stop, waits for
their final counts, and closes last.

Messages are JSON arrays, one per line, on a socket pair between each two processes:
``link``/``anchor`` (work, counted), ``host`` (the homepage lives on another host too),
``progress`` and ``closed`` (counts), ``idle``/``probe``/``ack``/``stop`` (termination).
"""

from __future__ import annotations

import asyncio
import json
import socket
import zlib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from monitor.records import BLOCKED  # a peer's close reason: done, but pages were refused it

WORK = frozenset({"link", "page", "anchor", "coming"})  # messages that make work for their receiver
BATCH_SECONDS = 0.02  # messages are sent, and taken, in batches at most this old


def owner_of(key: str, count: int) -> int:
    """The partition that owns a URL key (stable across processes and runs). The scheme does
    not count: ``http://x/a`` and ``https://x/a`` are one page of a site that answers both, and
    one process reads it once (crawler.spiders.site, ``processed``)."""
    if count <= 1:
        return 0
    _, _, rest = key.partition("://")
    return zlib.crc32((rest or key).encode("utf-8", "surrogatepass")) % count


@dataclass(frozen=True)
class Partition:
    index: int = 0
    count: int = 1

    @property
    def lead(self) -> bool:
        return self.index == 0

    @property
    def split(self) -> bool:
        return self.count > 1

    def owns(self, key: str) -> bool:
        return owner_of(key, self.count) == self.index

    def share(self, total: int) -> int:
        """This process's share of a whole-crawl limit (at least 1)."""
        return max(1, -(-total // self.count))


@dataclass
class Counts:
    """A process's progress counts, as sent to the lead."""

    pages: int = 0
    unchanged: int = 0
    links: int = 0
    failed: int = 0
    requested: int = 0

    def as_list(self) -> list[int]:
        return [self.pages, self.unchanged, self.links, self.failed, self.requested]

    @classmethod
    def from_list(cls, values: list[int]) -> Counts:
        return cls(*values[:5])

    def __add__(self, other: Counts) -> Counts:
        return Counts(*(a + b for a, b in zip(self.as_list(), other.as_list(), strict=True)))


@dataclass
class _Wire:
    sock: socket.socket
    inbuf: bytes = b""
    outbuf: bytearray = field(default_factory=bytearray)
    writing: bool = False
    flush_due: bool = False
    open: bool = True


class Mesh:
    """Newline-delimited JSON over non-blocking sockets on the asyncio loop Twisted runs on."""

    def __init__(
        self,
        sockets: dict[int, socket.socket],
        deliver: Callable[[int, list[Any]], None],
        lost: Callable[[int], None],
    ) -> None:
        self.wires = {peer: _Wire(sock) for peer, sock in sockets.items()}
        self.deliver = deliver
        self.lost = lost
        self.loop: asyncio.AbstractEventLoop | None = None

    def start(self) -> None:
        self.loop = asyncio.get_event_loop()
        for peer, wire in self.wires.items():
            wire.sock.setblocking(False)
            self.loop.add_reader(wire.sock.fileno(), self._readable, peer)

    def send(self, peer: int, message: list[Any]) -> None:
        wire = self.wires[peer]
        if not wire.open:
            return
        wire.outbuf += json.dumps(message, separators=(",", ":")).encode("ascii") + b"\n"
        if not wire.writing and not wire.flush_due and self.loop is not None:
            # One write for a batch: a crawl forwards thousands of links a second.
            wire.flush_due = True
            self.loop.call_later(BATCH_SECONDS, self._flush, peer)

    def _flush(self, peer: int) -> None:
        self.wires[peer].flush_due = False
        self._writable(peer)

    def _writable(self, peer: int) -> None:
        wire = self.wires[peer]
        if not wire.open:
            return
        try:
            sent = wire.sock.send(wire.outbuf) if wire.outbuf else 0
        except BlockingIOError:
            sent = 0
        except OSError:
            self._close(peer)
            return
        del wire.outbuf[:sent]
        if wire.outbuf and not wire.writing and self.loop is not None:
            wire.writing = True
            self.loop.add_writer(wire.sock.fileno(), self._writable, peer)
        elif not wire.outbuf and wire.writing and self.loop is not None:
            wire.writing = False
            self.loop.remove_writer(wire.sock.fileno())

    def _readable(self, peer: int) -> None:
        wire = self.wires[peer]
        try:
            data = wire.sock.recv(1 << 18)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._close(peer)
            self.lost(peer)
            return
        lines = (wire.inbuf + data).split(b"\n")
        wire.inbuf = lines.pop()
        for line in lines:
            self.deliver(peer, json.loads(line))

    def _close(self, peer: int) -> None:
        wire = self.wires[peer]
        if not wire.open:
            return
        wire.open = False
        if self.loop is not None:
            self.loop.remove_reader(wire.sock.fileno())
            if wire.writing:
                self.loop.remove_writer(wire.sock.fileno())
        wire.sock.close()

    def finish(self) -> None:
        """Send what is still buffered (blocking: the crawl is over) and close every socket."""
        for peer, wire in self.wires.items():
            if wire.open and wire.outbuf:
                try:
                    wire.sock.setblocking(True)
                    wire.sock.settimeout(10)
                    wire.sock.sendall(bytes(wire.outbuf))
                except OSError:
                    pass
                wire.outbuf.clear()
            self._close(peer)


class Quiescence:
    """The lead's view of whether the whole crawl is over (a two-wave counting check).

    Each process counts the work messages it sent and received. The lead asks every other
    process (a *wave*) whether it is idle and for its counts; the crawl is over when two waves in
    a row find every process idle, the sums of sent and received equal, and the same sums.
    """

    def __init__(self, peers: list[int]) -> None:
        self.peers = peers
        self.idle_reported: set[int] = set()
        self.wave = 0
        self.acks: dict[int, tuple[bool, int, int]] = {}
        self.waiting = False  # a wave is out
        self.balanced: tuple[int, int] | None = None  # the last wave's sums, if all idle

    def reported_idle(self, peer: int) -> None:
        self.idle_reported.add(peer)

    def busy(self, peer: int) -> None:
        self.idle_reported.discard(peer)

    def may_probe(self) -> bool:
        return not self.waiting and self.idle_reported.issuperset(self.peers)

    def probe(self) -> int:
        self.wave += 1
        self.acks = {}
        self.waiting = True
        return self.wave

    def ack(self, peer: int, wave: int, idle: bool, sent: int, received: int) -> None:
        if wave == self.wave and self.waiting:
            self.acks[peer] = (idle, sent, received)
            if not idle:
                self.idle_reported.discard(peer)

    def wave_complete(self) -> bool:
        return self.waiting and set(self.acks) >= set(self.peers)

    def judge(self, lead_idle: bool, sent: int, received: int) -> bool | None:
        """After a complete wave: True if the crawl is over, False to probe again at once,
        None to wait for the processes to report idle again."""
        self.waiting = False
        idle = lead_idle and all(a[0] for a in self.acks.values())
        total_sent = sent + sum(a[1] for a in self.acks.values())
        total_received = received + sum(a[2] for a in self.acks.values())
        if not idle or total_sent != total_received:
            self.balanced = None
            return None
        sums = (total_sent, total_received)
        if self.balanced == sums:
            return True
        self.balanced = sums
        return False


class PartitionLink:
    """One process's side of a partitioned crawl: sends work to the owners, takes the work
    others send, reports counts, and (on the lead) decides when the crawl is over.

    The spider supplies what only it can do: ``wake`` (take the inbox in a callback soon),
    ``is_idle`` (its engine has nothing to do), ``close`` (close the spider with a reason) and
    ``on_host`` (a host the lead learned is part of the site)."""

    def __init__(
        self,
        partition: Partition,
        sockets: dict[int, socket.socket],
        *,
        wake: Callable[[], None],
        is_idle: Callable[[], bool],
        close: Callable[[str], None],
        on_host: Callable[[str], None],
    ) -> None:
        self.partition = partition
        self.peers = sorted(sockets)
        self.mesh = Mesh(sockets, self._deliver, self._lost)
        self.wake, self.is_idle, self.close, self.on_host = wake, is_idle, close, on_host
        self.sent = 0  # work messages
        self.received = 0
        self.inbox: deque[list[Any]] = deque()
        self.peer_counts: dict[int, Counts] = {}
        self.closed_peers: dict[int, str] = {}
        self.quiescence = Quiescence(self.peers)
        self.stopping = False  # the lead said stop (or this is the lead and it decided)
        self.failure: str | None = None  # why a partitioned crawl cannot be complete
        self.blocked = False  # a peer's pages were refused as a firewall refuses
        self.closing = False

    def start(self) -> None:
        self.mesh.start()

    # ----------------------------------------------------------------- work

    def forward(self, owner: int, message: list[Any]) -> None:
        self.sent += 1
        if self.partition.lead:
            self.quiescence.busy(owner)
        self.mesh.send(owner, message)

    def broadcast(self, message: list[Any]) -> None:
        for peer in self.peers:
            self.mesh.send(peer, message)

    def take(self, limit: int) -> list[list[Any]]:
        return [self.inbox.popleft() for _ in range(min(limit, len(self.inbox)))]

    # ------------------------------------------------------------ lifecycle

    def keep_open(self) -> bool:
        """From the spider_idle signal: True while the crawl must go on elsewhere."""
        if self.closing:
            return False
        if not self.partition.lead:
            self.mesh.send(0, ["idle"])
            return True
        if self.stopping:
            return set(self.closed_peers) < set(self.peers)
        self._maybe_probe()
        return True

    def send_progress(self, counts: Counts) -> None:
        if not self.partition.lead and not self.closing:
            self.mesh.send(0, ["progress", counts.as_list()])

    def report_closed(self, counts: Counts, reason: str) -> None:
        """A peer's last word (after its observations are stored): its counts and why."""
        self.closing = True
        if not self.partition.lead:
            self.mesh.send(0, ["closed", counts.as_list(), reason])
        self.mesh.finish()

    def totals(self, local: Counts) -> Counts:
        total = local
        for counts in self.peer_counts.values():
            total = total + counts
        return total

    def _close(self, reason: str) -> None:
        if not self.closing:
            self.closing = True
            self.close(reason)

    # ------------------------------------------------------------- messages

    def _deliver(self, peer: int, message: list[Any]) -> None:
        kind = message[0]
        if kind in WORK:
            self.received += 1
            self.inbox.append(message)
            self.wake()
        elif kind == "host":
            self.on_host(message[1])
        elif kind == "progress":
            self.peer_counts[peer] = Counts.from_list(message[1])
        elif kind == "idle":
            self.quiescence.reported_idle(peer)
            self._maybe_probe()
        elif kind == "probe":
            self.mesh.send(0, ["ack", message[1], self.is_idle(), self.sent, self.received])
        elif kind == "ack":
            self.quiescence.ack(peer, message[1], message[2], message[3], message[4])
            if self.quiescence.wave_complete():
                self._judge()
        elif kind == "stop":
            self.stopping = True
            self._close("finished")
        elif kind == "closed":
            self.peer_counts[peer] = Counts.from_list(message[1])
            reason = message[2]
            if reason == BLOCKED:  # done, but pages of the site were refused it
                self.blocked, reason = True, "finished"
            self.closed_peers[peer] = reason
            if not self.stopping or reason != "finished":
                self.failure = self.failure or f"partition {peer} closed: {reason}"
                self._close("partition_failed")
            elif set(self.closed_peers) >= set(self.peers):
                self._close("finished")
        else:
            raise ValueError(f"partition message of no known kind: {kind!r}")

    def _lost(self, peer: int) -> None:
        if peer in self.closed_peers or self.closing:
            return
        if self.partition.lead:
            self.failure = self.failure or f"partition {peer} ended without a word"
            self._close("partition_failed")
        else:
            self._close("lead_gone")

    def _maybe_probe(self) -> None:
        if self.stopping or not self.quiescence.may_probe() or not self.is_idle():
            return
        wave = self.quiescence.probe()
        self.broadcast(["probe", wave])

    def _judge(self) -> None:
        verdict = self.quiescence.judge(self.is_idle(), self.sent, self.received)
        if verdict is True:
            self.stopping = True
            self.broadcast(["stop"])
        elif verdict is False:
            self._maybe_probe()
