"""Servers that answer 403 because we ask too fast, not because the page is forbidden.

nginx's ``limit_req`` is often set to answer 403 (``limit_req_status 403``), and the firewalls in
front of many government sites (CC protection) refuse a client that asks quickly with a 403 page
that looks like any other. A same-site 403 is a definite dead link by rule, so such a server
would have every page the crawl asked too fast reported dead at once.

A burst of 403s to different URLs of one server (``BURST`` of its last ``WINDOW`` first tries,
the small client's clean answers counted too: a limiter refuses nearly everything once it
starts, real 403s come among answers) makes it *suspected*: its download delay gets a floor
(doubled on each burst, at least ``min_delay``, GOVWATCH_REFUSAL_MIN_DELAY) and its refused
requests are asked again after a backoff, more than once. A retried request that is then
answered proves the server was limiting us (*confirmed*): the floor stays for the rest of the
crawl. Retries refused again while the server answers other requests show real 403s (a folder of
forbidden files linked together): the floor is lifted and the server needs a larger burst to be
suspected again. When nothing but the refused retries has been asked since the suspicion, a URL
the server answered before is asked again (its *control*): a server that answers it refuses only
those URLs.

Every 403 is retried once, whatever the server's state: the first 403s of a burst arrive before
the burst is seen. A request still refused after its retries is *blocked* (suspected, checked
again next night), not a definite dead link, when its server is a confirmed limiter or has
answered nothing but 403 since it was suspected (a ban); otherwise it is a real 403.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field

WINDOW = 12  # first tries remembered per server
BURST = 8  # 403s among them that make the server suspected
REFUTED = 2  # retries refused again (while the server answers others) that clear a suspicion


@dataclass
class _Server:
    recent: deque[bool] = field(default_factory=lambda: deque(maxlen=WINDOW))
    burst: int = BURST
    suspected: bool = False
    confirmed: bool = False
    answered_since: int = 0  # non-403 answers since the server was suspected
    refuted: int = 0
    good_url: str | None = None  # a URL it answered lately (2xx, first try): the control
    controlled: bool = False  # the control was asked during this suspicion
    floor: float = 0.0
    slowed_at: float = 0.0  # when the floor was last raised (time.monotonic)
    delay_before: float = 0.0


class RefusalWatch:
    """The 403s of each server (download slot key) in one crawl process."""

    def __init__(self, min_delay: float = 0.5, max_delay: float = 10.0) -> None:
        self.servers: dict[str, _Server] = {}
        self.min_delay = min_delay  # seconds between requests, at least, to a suspected server
        self.max_delay = max(max_delay, min_delay)  # ...and at most (AUTOTHROTTLE_MAX_DELAY)

    def answered(
        self, server: str, status: int, retried: bool, delay: float, asked_at: float
    ) -> float | None:
        """Note an answer (``retried``: a second or later try of a refused request), to a
        request sent at ``asked_at`` (time.monotonic); ``delay`` is the server's download delay
        now. The delay the server must get from now on, when it changes: the floor of a server
        just suspected (or still refusing at its floor), its old delay once cleared."""
        state = self.servers.setdefault(server, _Server())
        if status == 403 and asked_at < state.slowed_at:
            # asked before the last slow-down: part of the burst that caused it (retried all
            # the same), no sign that the new pace is still too fast
            return None
        refused = status == 403
        if state.suspected and not refused:
            state.answered_since += 1
        if retried:
            if not refused and state.suspected:
                state.confirmed = True
            elif state.suspected and not state.confirmed and state.answered_since:
                state.refuted += 1
                if state.refuted >= REFUTED:
                    return self._clear(state)
            return None
        state.recent.append(refused)
        if not refused or sum(state.recent) < state.burst:
            return None
        state.recent.clear()
        return self._slow_down(state, delay, 2 * state.floor)

    def suspect(self, server: str, delay: float) -> float:
        """Refusals seen elsewhere (the nightly pre-pass: 403s in a row for URLs that answered
        last night): suspected as by a burst. The floor to slow it down to."""
        state = self.servers.setdefault(server, _Server())
        return self._slow_down(state, delay, state.floor)

    def _slow_down(self, state: _Server, delay: float, at_least: float) -> float:
        """Suspected from now (if not already): its floor, ``at_least`` and at least twice its
        delay now, within the bounds."""
        if not state.suspected:
            state.suspected, state.answered_since, state.refuted = True, 0, 0
            state.controlled = False
            state.delay_before = delay
        state.floor = min(max(self.min_delay, at_least, 2 * delay), self.max_delay)
        state.slowed_at = time.monotonic()
        return state.floor

    @staticmethod
    def _clear(state: _Server) -> float:
        """Real 403s after all: the server's own pace again, and a larger burst next time."""
        state.suspected = False
        state.floor = 0.0
        state.burst = min(2 * state.burst, WINDOW)  # at most: every answer refused
        state.recent.clear()
        return state.delay_before

    def answered_quickly(self, server: str, url: str) -> None:
        """A first try the small client had a clean answer for (never a 403): the control URL
        of a server whose other answers all came that way (an external one, often)."""
        state = self.servers.setdefault(server, _Server())
        state.recent.append(False)
        state.good_url = state.good_url or url
        if state.suspected:
            state.answered_since += 1

    def answered_ok(self, server: str, url: str) -> None:
        """A first try answered 2xx: the server's control URL, should it be suspected."""
        self.servers.setdefault(server, _Server()).good_url = url

    def control_url(self, server: str) -> str | None:
        """A retry refused again, and the server has answered nothing else since it was
        suspected: refusing everything (a limit, a ban) or only these URLs (real 403s)? Asking
        a URL it answered before tells (once a suspicion): the URL, or None."""
        state = self.servers.get(server)
        if (
            state is None
            or not state.suspected
            or state.confirmed
            or state.answered_since
            or state.controlled
            or state.good_url is None
        ):
            return None
        state.controlled = True
        return state.good_url

    def floor(self, server: str) -> float:
        """The least download delay the server gets now (0: its own pace)."""
        state = self.servers.get(server)
        return state.floor if state is not None else 0.0

    def limiting(self, server: str) -> bool:
        """Whether refused requests of this server are worth more tries."""
        state = self.servers.get(server)
        return state is not None and (state.suspected or state.confirmed)

    def blocked(self, server: str) -> bool:
        """Whether a request refused after all its tries was refused for asking too fast:
        the server limits us for sure, or has refused everything since it was suspected."""
        state = self.servers.get(server)
        if state is None:
            return False
        return state.confirmed or (state.suspected and state.answered_since == 0)
