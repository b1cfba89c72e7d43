"""Servers that answer 403 because we ask too fast, not because the page is forbidden.

nginx's ``limit_req`` is often set to answer 403 (``limit_req_status 403``), and the firewalls in
front of many government sites (CC protection) refuse a client that asks quickly with a 403 page
that looks like any other. A same-site 403 is a definite dead link by rule, so such a server
would have every page the crawl asked too fast reported dead at once.

nginx's default (``limit_req_status 429``) and most APIs' limiters answer 429 Too Many Requests
instead. A 429 is never a dead link (it is *blocked*, suspected), but a limiter answering it to
most of a crawl's requests had every link it refused reported blocked, and was asked hundreds of
times a second to the end. 429s are refusals here as 403s are: a burst of them slows the server
down, and its refused requests are asked again; only the final verdict differs (the spider).

A burst of 403s to different URLs of one server (``BURST`` of its last ``WINDOW`` first tries,
the small client's clean answers counted too: a limiter refuses nearly everything once it
starts, real 403s come among answers) makes it *suspected*: its download delay gets a floor
(doubled on each burst, at least ``min_delay``, GOVWATCH_REFUSAL_MIN_DELAY) and its refused
requests are asked again after a backoff, more than once. A retried request that is then
answered proves the server was limiting us (*confirmed*): the floor stays for the rest of the
crawl, eased a step at a time while the server answers at it (a limiter is then asked near its
own rate, not at the pace of its first refusals all night), put back or doubled when it refuses.
Retries refused again while the server answers other requests show real 403s (a folder of
forbidden files linked together): the floor is lifted and the server needs a larger burst to be
suspected again. When nothing but the refused retries has been asked since the suspicion, a URL
the server answered before is asked again (its *control*): a server that answers it refuses only
those URLs.

Every 403 is retried once, whatever the server's state: the first 403s of a burst arrive before
the burst is seen. A request still refused after its retries is *blocked* (suspected, checked
again next night), not a definite dead link, when its server is a confirmed limiter or has
answered nothing but 403 since it was suspected; otherwise it is a real 403.

A 403 is a real one only while its server answers others: a request refused to the end needs an
answer to a request asked after its last try. Without one, a URL the server answered before (its
control) is asked; lacking one, its homepage (``/``). When that is refused too, the server refuses
everything: a *ban* (a firewall that shuts a client out for minutes, an IP blacklist). So is a
suspected server that has answered nothing since, with no control to ask. The ban of a server
whose pages the crawl must read (``own``) is waited out, up to ``ban_wait`` seconds
(GOVWATCH_BAN_WAIT): one request at a time, further and further apart, every refused request
asked again. Links to another server that bans us are blocked at once. The first answer ends
the ban (a limit, confirmed: the delay between requests that led to it is doubled, at least
``min_delay``). A ban that outlasts the wait ends in *given up*: every request to the server is
blocked at once, unasked, and the crawl that needed its pages is incomplete.
"""

from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass, field

FORBIDDEN, TOO_MANY = 403, 429
REFUSALS = frozenset({FORBIDDEN, TOO_MANY})  # what a server that limits our rate answers
WINDOW = 12  # first tries remembered per server
BURST = 8  # 403s among them that make the server suspected
REFUTED = 2  # retries refused again (while the server answers others) that clear a suspicion
# A confirmed limiter that still refused this many requests asked at its new pace (each proved
# its limit's, not the URL's, by its retry's answer), more than this share of its answers to
# them: the pace is still too fast (two crawl processes at a limiter's edge), halved again.
STILL_REFUSED, STILL_SHARE = 3, 0.1
BAN_PACE = 2.0  # seconds between the requests that try a banning server, at first (doubling)
# A paced server's floor is eased (times EASE) after EASE_AFTER first tries in a row answered at
# it, the last asked EASE_SECONDS or more after it was set (a limiter's burst allowance is used
# up by then), down to EASE_BOTTOM. A refusal at the eased pace with the status the server
# limits us with puts the floor back at once (another says nothing of the pace: a 403 from a
# server that limits with 429s is a forbidden file's), and for TOO_FAST_SECONDS no floor is
# eased to that pace again (nor closer to it than one step): not forever, as the other crawl
# process's pace may have been the one too fast. Not a server that banned us: each try over
# its limit costs a ban.
EASE_AFTER, EASE_SECONDS, EASE, EASE_BOTTOM, TOO_FAST_SECONDS = 20, 5.0, 0.75, 0.05, 60.0


@dataclass
class _Server:
    # its last first tries: the URL of each refused ("" if not known), None for each answered
    recent: deque[str | None] = field(default_factory=lambda: deque(maxlen=WINDOW))
    # The URLs refused in the burst that made it suspected: a limiter answers them when asked
    # again; a folder of forbidden (or blocked) files refuses them again. Only their retries
    # confirm a limit (empty: suspected by the pre-pass, any retry does).
    burst_urls: frozenset[str] = frozenset()
    burst: int = BURST
    suspected: bool = False
    confirmed: bool = False
    answered_since: int = 0  # non-403 answers since the server was suspected
    refuted: int = 0
    good_url: str | None = None  # the first URL it answered (2xx, first try): the control
    good_is_page: bool = False  # good_url was answered 2xx (not a 404 taken for want of one)
    front_page: str | None = None  # its homepage (``/``): the control when there is no good_url
    controlled: bool = False  # the control was asked during this suspicion
    floor: float = 0.0
    slowed_at: float = 0.0  # when the floor was last raised (time.monotonic)
    suspected_at: float = 0.0  # when it was last suspected
    delay_before: float = 0.0
    last_answer_asked: float = -math.inf  # when the newest request it answered (not 403) went
    control_asked: float = -math.inf  # when its control was last asked (a final refusal's)
    control_failed: float = -math.inf  # when a control last got no answer at all
    banned_at: float | None = None  # since when it has refused everything (time.monotonic)
    floor_before_ban: float = 0.0
    gave_up: bool = False  # banned for longer than we wait: its requests are not asked
    status: int = 403  # what it refuses with, lately (403 or 429)
    # What it refused with when it was suspected: a limiter refuses with one status (nginx's
    # limit_req_status), so only a retry of a request refused with it confirms a limit. A page
    # that says 429 "busy" once among a folder of forbidden files proves nothing of the 403s.
    suspected_for: int = 403
    paced_answers: int = 0  # answers to requests asked since the floor was last raised
    paced_refusals: int = 0  # ...and refusals of them that their retries got past
    clean_at_pace: int = 0  # first tries answered in a row since the floor was last set
    eased_from: float = 0.0  # the floor before it was last eased (0: not eased since set)
    # The slowest eased floor it refused requests at (0: none lately), and when. Not a floor a
    # slow-down left: the tail of a burst is refused at it too (a limiter that counts what it
    # refuses).
    too_fast: float = 0.0
    too_fast_at: float = 0.0
    banned_ever: bool = False  # it banned us in this crawl: its floor is never eased


class RefusalWatch:
    """The 403s of each server (download slot key) in one crawl process."""

    def __init__(
        self, min_delay: float = 0.5, max_delay: float = 10.0, ban_wait: float = 120.0
    ) -> None:
        self.servers: dict[str, _Server] = {}
        self.min_delay = min_delay  # seconds between requests, at least, to a suspected server
        self.max_delay = max(max_delay, min_delay)  # ...and at most (AUTOTHROTTLE_MAX_DELAY)
        self.ban_wait = ban_wait  # seconds a ban is waited out, at most
        # The servers whose pages the crawl must read (the spider's hosts): only their bans are
        # waited out; links to a server that bans us are blocked at once.
        self.own: set[str] = set()
        self.any_given_up = False  # some server's ban outlasted the wait

    def answered(
        self,
        server: str,
        status: int,
        retried: bool,
        delay: float,
        asked_at: float,
        refused_at: float | None = None,
        alone: bool = True,
        refused_with: int | None = None,
        url: str | None = None,
    ) -> float | None:
        """Note an answer (``retried``: a second or later try of a refused request, whose
        last try was asked at ``refused_at`` and refused with ``refused_with``, None if not
        known), to a request for ``url`` sent at ``asked_at``
        (time.monotonic), ``alone`` if nothing else of ours was in flight to the server then;
        ``delay`` is the server's download delay now. The delay the server must get from now
        on, when it changes: the floor of a server just suspected (or still refusing at its
        floor), its old delay once cleared."""
        state = self.servers.setdefault(server, _Server())
        if state.gave_up:
            return None
        refused = status in REFUSALS
        if refused:
            state.status = status
        if not refused:
            state.last_answer_asked = max(state.last_answer_asked, asked_at)
            if state.banned_at is not None:
                return self._unban(state)
        elif state.banned_at is not None:
            # still banned: the next try goes later (this one was asked at the pace set last)
            if asked_at >= state.slowed_at:
                return self._ban_pace(state, 2 * state.floor)
            return None
        if refused and asked_at < state.slowed_at:
            # asked before the last slow-down: part of the burst that caused it (retried all
            # the same), no sign that the new pace is still too fast
            return None
        if refused and status == state.suspected_for:
            state.clean_at_pace = 0
            if state.eased_from:
                return self._ease_back(state)
        if state.suspected and not refused:
            state.answered_since += 1
        # a retry answered after a refusal of the kind the server was suspected for
        its_limit = retried and refused_with in (None, state.suspected_for)
        of_the_burst = url is None or not state.burst_urls or url in state.burst_urls
        if (
            state.confirmed
            and not refused
            and asked_at >= state.slowed_at
            and self._still_too_fast(state, its_limit and (refused_at or 0.0) >= state.slowed_at)
        ):
            return self._slow_down(state, delay, 2 * state.floor)
        if not refused and not retried and state.floor > 0 and asked_at >= state.slowed_at:
            eased = self._ease(state, asked_at)
            if eased is not None:
                return eased
        if retried:
            if not refused and state.suspected and its_limit and of_the_burst:
                state.confirmed = True
            elif (
                refused
                and state.suspected
                and not state.confirmed
                and state.answered_since
                and alone
            ):
                # refused though asked alone: not for our requests in flight (nginx limit_conn
                # refuses those), and refused again while the server answers others
                state.refuted += 1
                if state.refuted >= REFUTED:
                    return self._clear(state)
            return None
        state.recent.append((url or "") if refused else None)  # "": a URL not known
        if not refused or sum(1 for seen in state.recent if seen is not None) < state.burst:
            return None
        state.burst_urls |= frozenset(seen for seen in state.recent if seen)
        state.recent.clear()
        return self._slow_down(state, delay, 2 * state.floor)

    @staticmethod
    def _ease(state: _Server, asked_at: float) -> float | None:
        """A first try asked at the server's floor answered: the floor eased once enough came
        back in a row over long enough (see EASE_AFTER), else None. A limiter is then asked at
        its own rate, near enough, instead of at the pace of its first refusals all night."""
        state.clean_at_pace += 1
        if asked_at - state.too_fast_at > TOO_FAST_SECONDS:
            state.too_fast = 0.0
        eased = max(EASE * state.floor, EASE_BOTTOM, state.too_fast / EASE)
        if (
            state.banned_ever
            or eased >= state.floor
            or state.clean_at_pace < EASE_AFTER
            or asked_at - state.slowed_at < EASE_SECONDS
        ):
            return None
        state.eased_from, state.floor = state.floor, eased
        state.slowed_at = time.monotonic()
        state.paced_answers = state.paced_refusals = state.clean_at_pace = 0
        return state.floor

    @staticmethod
    def _ease_back(state: _Server) -> float:
        """Refused at an eased pace: the pace before, which it answered (TOO_FAST_SECONDS)."""
        state.too_fast, state.too_fast_at = max(state.too_fast, state.floor), time.monotonic()
        state.floor, state.eased_from = state.eased_from, 0.0
        state.slowed_at = time.monotonic()
        state.paced_answers = state.paced_refusals = 0
        return state.floor

    @staticmethod
    def _still_too_fast(state: _Server, was_refused: bool) -> bool:
        """A confirmed limiter's answer to a request asked at its latest pace (``was_refused``:
        the retry of a request refused at that pace too): whether that pace is still too fast
        (``STILL_REFUSED`` such refusals, over ``STILL_SHARE`` of the answers). A URL the server
        refuses every time (a forbidden file) is never answered: it says nothing of the pace."""
        state.paced_refusals += was_refused
        state.paced_answers += 1
        return (
            state.paced_refusals >= STILL_REFUSED
            and state.paced_refusals > STILL_SHARE * state.paced_answers
        )

    def suspect(
        self, server: str, delay: float, status: int = FORBIDDEN, answered: str | None = None
    ) -> float:
        """Refusals seen elsewhere (the nightly pre-pass: 403s or 429s in a row for URLs that
        answered last night, ``answered`` one it answered there): suspected as by a burst. The
        floor to slow it down to."""
        state = self.servers.setdefault(server, _Server())
        state.status = status
        if not state.suspected:
            state.burst_urls = frozenset()  # its refusals were the pre-pass's
        if answered is not None and not state.good_is_page:
            state.good_url, state.good_is_page = answered, True
        return self._slow_down(state, delay, state.floor)

    def _slow_down(self, state: _Server, delay: float, at_least: float) -> float:
        """Suspected from now (if not already): its floor, ``at_least`` and at least twice its
        delay now, within the bounds."""
        if not state.suspected:
            state.suspected, state.answered_since, state.refuted = True, 0, 0
            state.controlled = False
            state.delay_before = delay
            state.suspected_at = time.monotonic()
            state.suspected_for = state.status
        # At least min_delay, or twice a floor eased below half of it (_ease).
        least = min(self.min_delay, 2 * state.floor) if state.floor > 0 else self.min_delay
        state.floor = min(max(least, at_least, 2 * delay), self.max_delay)
        state.slowed_at, state.eased_from = time.monotonic(), 0.0
        state.paced_answers = state.paced_refusals = state.clean_at_pace = 0
        return state.floor

    @staticmethod
    def _clear(state: _Server) -> float:
        """Real 403s after all: the server's own pace again, and a larger burst next time."""
        state.suspected = False
        state.floor = 0.0
        state.burst = min(2 * state.burst, WINDOW)  # at most: every answer refused
        state.recent.clear()
        state.burst_urls = frozenset()
        return state.delay_before

    def answered_quickly(self, server: str, url: str) -> None:
        """A first try the small client had a clean answer for (never a 403): the control URL
        of a server whose other answers all came that way (an external one, often)."""
        state = self.servers.setdefault(server, _Server())
        state.recent.append(None)
        state.good_url = state.good_url or url
        state.last_answer_asked = time.monotonic()
        if state.suspected:
            state.answered_since += 1

    def answered_ok(self, server: str, url: str, status: int) -> None:
        """A first try answered: the first 2xx URL (a site's homepage, most often) is the
        server's control, should it be suspected or refuse a request to the end; a 404 one only
        until there is a 2xx (a server that answers a missing URL with a 404 is not refusing
        everything)."""
        state = self.servers.setdefault(server, _Server())
        if status < 300 and not state.good_is_page:
            state.good_url, state.good_is_page = url, True
        elif status == 404 and not state.good_is_page:
            state.good_url = state.good_url or url

    def final_refusal(self, server: str, asked_at: float, front_page: str | None = None) -> str:
        """A request refused after its retries, its last try asked at ``asked_at``: what is it?

        ``"real"``: the server answered a request asked since (the rules above then say
        whether it was its limit); ``"control"``: ask the control (``control_url_now``), then
        this again; ``"wait"``: the server is banning us, ask again later (its pace is set);
        ``"blocked"``: banned for longer than we wait. The site's own server that answered
        nothing yet has its ``front_page`` (``/``) asked as the control."""
        state = self.servers.setdefault(server, _Server())
        if state.gave_up:
            return "blocked"
        if state.banned_at is None and state.last_answer_asked >= asked_at:
            return "real"
        if state.banned_at is None and state.control_failed >= asked_at:
            return "real"  # the control had no answer at all: it proves nothing either way
        if state.banned_at is None and not state.good_url and server not in self.own:
            return "real"  # another site's server, linked with nothing it answered: no telling
        if state.good_url is None and front_page is not None:
            state.front_page = front_page
        control = state.good_url or state.front_page
        if state.banned_at is None and control and state.control_asked < asked_at:
            return "control"
        if state.banned_at is None:
            self._ban(state)
        assert state.banned_at is not None
        if server in self.own and time.monotonic() - state.banned_at < self.ban_wait:
            return "wait"
        state.gave_up, state.banned_at = True, None
        self.any_given_up = True
        state.floor = 0.0  # nothing more is asked of it
        return "blocked"

    def control_url_now(self, server: str) -> str | None:
        """The control for a final refusal (``final_refusal`` said so); noted as asked now."""
        state = self.servers.setdefault(server, _Server())
        state.control_asked = time.monotonic()
        return state.good_url or state.front_page

    def control_failed(self, server: str) -> None:
        """Its control got no answer (a timeout, a reset): no ban is told from that."""
        self.servers.setdefault(server, _Server()).control_failed = time.monotonic()

    def control_refused(self, server: str) -> float | None:
        """Its control was refused too: a ban, unless the server answered something since
        (then only those URLs are refused). The pace it gets from now, if banned."""
        state = self.servers.setdefault(server, _Server())
        if state.gave_up or state.last_answer_asked >= state.control_asked:
            return None
        if state.banned_at is None:
            self._ban(state)
        return state.floor

    def _ban(self, state: _Server) -> None:
        """It refuses everything: suspected, and asked one request at a time, slowly."""
        if not state.suspected:
            state.suspected, state.answered_since, state.refuted = True, 0, 0
            state.controlled = False
            state.suspected_for = state.status
        state.banned_at, state.banned_ever = time.monotonic(), True
        state.floor_before_ban = state.floor
        self._ban_pace(state, BAN_PACE)

    def _ban_pace(self, state: _Server, pace: float) -> float:
        state.floor = min(max(pace, BAN_PACE), max(self.max_delay, BAN_PACE))
        state.slowed_at = time.monotonic()
        return state.floor

    def _unban(self, state: _Server) -> float:
        """Answered again: the ban was its limit (confirmed), the pace before it was too fast."""
        state.banned_at = None
        state.confirmed = True
        state.answered_since += 1
        state.floor = min(max(self.min_delay, 2 * state.floor_before_ban), self.max_delay)
        state.slowed_at = time.monotonic()
        return state.floor

    def state(self, server: str) -> str:
        """The server's state, in the log's words."""
        state = self.servers.get(server)
        if state is None:
            return "answers"
        if state.gave_up:
            return "refused everything for longer than we wait: given up"
        if state.banned_at is not None:
            return "refuses everything (a ban, waited out)"
        if state.suspected or state.confirmed:
            if state.status == TOO_MANY:
                return "429 Too Many Requests in a burst"
            return "403 refusals in a burst"
        return "real 403s" if state.status == FORBIDDEN else "429s of a few URLs"

    def ban_left(self, server: str) -> float:
        """Seconds left of the wait for its ban to end."""
        state = self.servers.get(server)
        if state is None or state.banned_at is None:
            return 0.0
        return max(0.0, self.ban_wait - (time.monotonic() - state.banned_at))

    def banned(self, server: str) -> bool:
        """Whether the server refuses everything now (a ban waited out)."""
        state = self.servers.get(server)
        return state is not None and state.banned_at is not None

    def given_up(self, server: str) -> bool:
        """Whether the server banned us for longer than we wait: blocked, not asked."""
        state = self.servers.get(server)
        return state is not None and state.gave_up

    def control_url(self, server: str, front_page: str | None = None) -> str | None:
        """A retry refused again, and the server has answered nothing else since it was
        suspected: refusing everything (a limit, a ban) or only these URLs (real 403s)? Asking
        a URL it answered before tells (once a suspicion): the URL, or None. A server that has
        answered nothing yet (suspected by the nightly pre-pass, whose first requests it
        refused) has its ``front_page`` asked: one URL refused on every try is no ban, a
        server that refuses its own homepage too is (a firewall's block page answers all)."""
        state = self.servers.get(server)
        if (
            state is None
            or not state.suspected
            or state.confirmed
            or state.answered_since
            or state.controlled
            or state.banned_at is not None
        ):
            return None
        if state.good_url is None and front_page is not None:
            state.front_page = front_page
        if state.good_url is None and state.front_page is None:
            if time.monotonic() - state.suspected_at < BAN_PACE:
                # Nothing to ask yet: its first answers may still be on their way (a server
                # that limits requests in flight answers the few it lets through slowly).
                return None
            state.controlled = True
            self._ban(state)  # it has answered nothing since the suspicion, and nothing to ask
            return None
        state.controlled = True
        state.control_asked = time.monotonic()
        return state.good_url or state.front_page

    def floor(self, server: str) -> float:
        """The least download delay the server gets now (0: its own pace)."""
        state = self.servers.get(server)
        return state.floor if state is not None else 0.0

    def limits_with(self, server: str) -> int | None:
        """What the server refuses us with while it limits us (403 or 429), None if it does
        not."""
        state = self.servers.get(server)
        if state is None or not (state.suspected or state.confirmed) or state.gave_up:
            return None
        return state.suspected_for

    def limiting(self, server: str) -> bool:
        """Whether refused requests of this server are worth more tries."""
        state = self.servers.get(server)
        return state is not None and (state.suspected or state.confirmed)

    def blocked(self, server: str, status: int | None = None) -> bool:
        """Whether a request refused (with ``status``, if known) after all its tries was
        refused for asking too fast: the server has refused everything since it was suspected,
        or it limits us for sure, with that status (a limiter refuses with one: a 403 from a
        server that limits us with 429s is a forbidden file's, refused on every try while the
        server answers others)."""
        state = self.servers.get(server)
        if state is None:
            return False
        if state.gave_up or (state.suspected and state.answered_since == 0):
            return True
        return state.confirmed and status in (None, state.suspected_for)
