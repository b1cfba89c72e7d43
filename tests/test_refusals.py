"""The 403 burst rules (crawler.refusals), answer by answer."""

from __future__ import annotations

import time

from crawler.refusals import (
    BAN_PACE,
    BURST,
    EASE,
    EASE_AFTER,
    EASE_BOTTOM,
    EASE_SECONDS,
    REFUTED,
    TOO_FAST_SECONDS,
    RefusalWatch,
)


def _burst(watch: RefusalWatch, server: str = "s") -> float | None:
    changed = None
    for _ in range(BURST):
        changed = watch.answered(server, 403, False, 0.0, time.monotonic()) or changed
    return changed


def test_a_burst_slows_the_server_and_a_retry_that_gets_through_confirms_it() -> None:
    watch = RefusalWatch(min_delay=0.5)
    for _ in range(BURST - 1):
        assert watch.answered("s", 403, False, 0.0, time.monotonic()) is None
    assert not watch.limiting("s")
    assert watch.answered("s", 403, False, 0.0, time.monotonic()) == 0.5
    assert watch.limiting("s") and watch.floor("s") == 0.5
    assert watch.blocked("s")  # nothing but refusals since: a ban, not real 403s
    watch.answered("s", 200, True, 0.5, time.monotonic())  # a retry answered
    assert watch.blocked("s") and watch.limiting("s")  # confirmed: its 403s are its limit
    assert watch.floor("other") == 0.0 and not watch.limiting("other")


def test_refusals_of_requests_sent_before_the_slow_down_do_not_slow_it_again() -> None:
    watch = RefusalWatch(min_delay=0.5)
    sent = time.monotonic()
    assert _burst(watch) == 0.5
    for _ in range(3 * BURST):
        assert watch.answered("s", 403, False, 0.5, sent) is None
    assert _burst(watch) == 1.0  # refused at the new pace: slower again


def test_real_403s_clear_the_suspicion() -> None:
    watch = RefusalWatch(min_delay=0.5)
    assert _burst(watch) == 0.5
    watch.answered("s", 200, False, 0.5, time.monotonic())  # the server answers others
    for n in range(REFUTED):
        changed = watch.answered("s", 403, True, 0.5, time.monotonic())
        assert (changed == 0.0) is (n == REFUTED - 1)
    assert not watch.limiting("s") and not watch.blocked("s") and watch.floor("s") == 0.0
    assert _burst(watch) is None  # a larger burst is needed now
    assert _burst(watch) == 0.5


def test_a_few_scattered_403s_are_no_burst() -> None:
    watch = RefusalWatch()
    for n in range(60):
        assert watch.answered("s", 403 if n % 4 == 0 else 200, False, 0.0, time.monotonic()) is None
    assert not watch.limiting("s")


def test_a_retry_that_gets_through_confirms_only_a_suspected_server() -> None:
    watch = RefusalWatch()
    watch.answered("s", 403, False, 0.0, time.monotonic())
    watch.answered("s", 200, True, 0.0, time.monotonic())  # one 403, fine on its retry
    assert not watch.limiting("s") and not watch.blocked("s")  # no limiter for that


def test_only_a_retry_refused_as_the_burst_was_confirms_a_limit() -> None:
    """A burst of 403s (a folder of forbidden files), and a page that said 429 "busy" once,
    answered on its retry: no limiter. A 403 retried and answered is one."""
    watch = RefusalWatch(min_delay=0.5)
    assert _burst(watch) == 0.5
    watch.answered("s", 429, False, 0.5, time.monotonic())
    watch.answered("s", 200, True, 0.5, time.monotonic(), refused_with=429)
    assert not watch.blocked("s")  # it answered since: not all refusals, and not confirmed
    for n in range(REFUTED):  # the forbidden files, refused again alone: real 403s
        changed = watch.answered("s", 403, True, 0.5, time.monotonic(), refused_with=403)
        assert (changed == 0.0) is (n == REFUTED - 1)
    assert not watch.limiting("s")
    limiter = RefusalWatch(min_delay=0.5)
    assert _burst(limiter, "l") == 0.5
    limiter.answered("l", 200, True, 0.5, time.monotonic(), refused_with=403)
    for _ in range(REFUTED):  # confirmed: a few refused again do not clear it
        limiter.answered("l", 403, True, 0.5, time.monotonic(), refused_with=403)
    assert limiter.limiting("l") and limiter.blocked("l")


def test_only_a_retry_of_a_url_refused_in_the_burst_confirms_a_limit() -> None:
    """A page of blocked files (429 every time) linked together, and another page that said
    429 once: its retry getting through proves nothing of the burst's. A limiter answers the
    burst's own URLs when they are asked again."""
    watch = RefusalWatch(min_delay=0.5)
    for n in range(BURST):
        watch.answered("s", 429, False, 0.0, time.monotonic(), url=f"http://s/blocked/{n}")
    assert watch.limiting("s")
    watch.answered("s", 429, False, 0.5, time.monotonic(), url="http://s/busy")
    watch.answered("s", 200, True, 0.5, time.monotonic(), refused_with=429, url="http://s/busy")
    for n in range(REFUTED):  # the burst's URLs, refused again alone while others answer
        again = watch.answered(
            "s", 429, True, 0.5, time.monotonic(), refused_with=429, url=f"http://s/blocked/{n}"
        )
        assert (again == 0.0) is (n == REFUTED - 1)
    assert not watch.limiting("s")
    limiter = RefusalWatch(min_delay=0.5)
    for n in range(BURST):
        limiter.answered("l", 429, False, 0.0, time.monotonic(), url=f"http://l/{n}")
    limiter.answered("l", 200, True, 0.5, time.monotonic(), refused_with=429, url="http://l/3")
    for _ in range(REFUTED):
        limiter.answered("l", 429, True, 0.5, time.monotonic(), refused_with=429, url="http://l/0")
    assert limiter.limiting("l") and limiter.blocked("l")  # confirmed
    # ...with 429s: what it refuses with 429 is its limit; a 403 refused on every try is a
    # forbidden file's (a 429 limiter's site has those too), a definite dead link
    assert limiter.blocked("l", 429) and not limiter.blocked("l", 403)
    assert limiter.limits_with("l") == 429 and watch.limits_with("s") is None


def test_the_slow_down_has_a_ceiling() -> None:
    watch = RefusalWatch(min_delay=0.5, max_delay=4.0)
    for _ in range(20):
        _burst(watch)
    assert watch.floor("s") == 4.0


def test_a_control_is_asked_once_when_nothing_but_refusals_came_back() -> None:
    watch = RefusalWatch()
    watch.answered_ok("s", "http://s/ok.html", 200)
    assert watch.control_url("s") is None  # not suspected
    _burst(watch)
    assert watch.control_url("s") == "http://s/ok.html"
    assert watch.control_url("s") is None  # once a suspicion
    watch.answered("s", 200, False, 0.5, time.monotonic())  # the control got through
    assert not watch.blocked("s")  # so a URL refused to the end is refused for real


def test_a_server_answered_only_by_the_small_client_has_a_control_too() -> None:
    watch = RefusalWatch()
    watch.answered_quickly("ext", "http://ext/ok.html")
    _burst(watch, "ext")
    assert watch.control_url("ext") == "http://ext/ok.html"


def test_a_final_403_is_real_only_while_the_server_answers_others() -> None:
    watch = RefusalWatch()
    watch.answered_ok("s", "http://s/ok.html", 200)
    asked = time.monotonic()
    watch.answered("s", 200, False, 0.0, asked + 0.01)  # asked after the refused request
    assert watch.final_refusal("s", asked) == "real"
    later = time.monotonic() + 1
    assert watch.final_refusal("s", later) == "control"  # nothing answered since: ask
    assert watch.control_url_now("s") == "http://s/ok.html"


def test_a_refused_control_is_a_ban_waited_out_for_the_sites_own_server() -> None:
    watch = RefusalWatch(min_delay=0.5, max_delay=8.0, ban_wait=60.0)
    watch.own = {"s"}
    watch.answered_ok("s", "http://s/ok.html", 200)
    refused_at = time.monotonic()
    assert watch.final_refusal("s", refused_at) == "control"
    watch.control_url_now("s")
    assert watch.control_refused("s") == BAN_PACE
    assert watch.banned("s") and watch.final_refusal("s", refused_at) == "wait"
    assert 59 < watch.ban_left("s") <= 60
    # a try at the ban's pace refused again: the next one goes later still
    assert watch.answered("s", 403, True, BAN_PACE, time.monotonic()) == 2 * BAN_PACE
    # answered again: the ban was its limit, and the pace before it too fast
    assert watch.answered("s", 200, True, 2 * BAN_PACE, time.monotonic()) == 0.5
    assert not watch.banned("s") and watch.blocked("s") and watch.limiting("s")


def test_a_ban_that_outlasts_the_wait_is_given_up() -> None:
    watch = RefusalWatch(ban_wait=0.0)
    watch.own = {"s"}
    assert watch.final_refusal("s", time.monotonic()) == "blocked"  # nothing ever answered
    assert watch.given_up("s") and watch.blocked("s") and watch.floor("s") == 0.0
    assert watch.answered("s", 403, False, 0.0, time.monotonic()) is None  # not paced any more


def test_another_servers_ban_is_not_waited_for() -> None:
    watch = RefusalWatch(ban_wait=60.0)
    watch.own = {"site"}
    watch.answered_ok("ext", "http://ext/a.html", 200)
    watch.control_url_now("ext")
    watch.control_refused("ext")
    assert watch.final_refusal("ext", time.monotonic()) == "blocked"


def test_a_control_answered_after_the_refusal_clears_it() -> None:
    watch = RefusalWatch()
    watch.answered_ok("s", "http://s/missing.html", 404)  # a 404 is a control, lacking a 2xx
    refused_at = time.monotonic()
    assert watch.final_refusal("s", refused_at) == "control"
    assert watch.control_url_now("s") == "http://s/missing.html"
    watch.answered("s", 404, False, 0.0, time.monotonic())  # the control's answer
    assert watch.control_refused("s") is None
    assert watch.final_refusal("s", refused_at) == "real" and not watch.banned("s")
    watch.answered_ok("s", "http://s/page.html", 200)
    watch.answered_ok("s", "http://s/other-missing.html", 404)
    assert watch.control_url_now("s") == "http://s/page.html"  # a page, once there is one


def test_a_control_with_no_answer_or_no_control_at_all_makes_no_ban() -> None:
    watch = RefusalWatch(ban_wait=60.0)
    watch.own = {"s"}
    watch.answered_ok("s", "http://s/", 200)
    refused_at = time.monotonic()
    assert watch.final_refusal("s", refused_at) == "control"
    watch.control_url_now("s")
    watch.control_failed("s")  # timed out: proves nothing
    assert watch.final_refusal("s", refused_at) == "real" and not watch.banned("s")
    # another site's server that answered nothing else: a plain 403, no ban
    assert watch.final_refusal("ext", time.monotonic()) == "real"
    assert not watch.banned("ext") and not watch.given_up("ext")


def test_429s_in_a_burst_slow_the_server_down_as_403s_do() -> None:
    watch = RefusalWatch(min_delay=0.5)
    changed = None
    for _ in range(BURST):
        changed = watch.answered("s", 429, False, 0.0, time.monotonic()) or changed
    assert changed == 0.5 and watch.limiting("s")
    assert watch.state("s") == "429 Too Many Requests in a burst"
    assert watch.suspect("pre-pass", 0.0, 429, "http://pre-pass/ok.html") == 0.5
    assert watch.control_url("pre-pass") == "http://pre-pass/ok.html"  # what it answered there
    assert watch.state("pre-pass") == "429 Too Many Requests in a burst"


def test_a_confirmed_limiter_still_refusing_at_its_new_pace_is_slowed_again() -> None:
    """Two crawl processes at a limiter's edge: each keeps to its floor, and together they
    still go too fast. A few requests refused at the new pace, whose retries then get through,
    among many answers, halve it again; a forbidden file refused every time does not."""
    watch = RefusalWatch(min_delay=0.5)
    assert _burst(watch) == 0.5
    paced = time.monotonic()
    watch.answered("s", 200, True, 0.5, paced)  # a retry answered: confirmed
    for _ in range(10):  # real 403s among answers: refused every time, no sign of the pace
        assert watch.answered("s", 403, False, 0.5, time.monotonic()) is None
        assert watch.answered("s", 403, True, 0.5, time.monotonic()) is None
        assert watch.answered("s", 200, False, 0.5, time.monotonic()) is None
        assert watch.answered("s", 200, False, 0.5, time.monotonic()) is None
    assert watch.floor("s") == 0.5
    before = paced - 1.0  # a retry of a refusal of the burst: said nothing of the new pace
    assert watch.answered("s", 200, True, 0.5, time.monotonic(), before) is None
    for _ in range(2):
        assert watch.answered("s", 200, True, 0.5, time.monotonic(), paced) is None
    assert watch.answered("s", 200, True, 0.5, time.monotonic(), paced) == 1.0  # 3 of 25
    # at the slower pace, a refusal now and then among answers is no reason to slow down
    for n in range(90):
        again = n % 30 == 29
        refused_at = time.monotonic() if again else None
        assert watch.answered("s", 200, again, 1.0, time.monotonic(), refused_at) is None
    assert watch.floor("s") == 1.0


def test_an_unconfirmed_suspicion_is_not_slowed_again_by_a_few_refusals() -> None:
    """A server suspected by a burst, none of whose retries got through yet (a folder of
    forbidden files, perhaps): a few refusals among answers do not slow it further."""
    watch = RefusalWatch(min_delay=0.5)
    assert _burst(watch) == 0.5
    for n in range(12):
        assert watch.answered("s", 403 if n % 3 == 0 else 200, False, 0.5, time.monotonic()) is None
    assert watch.floor("s") == 0.5


def test_a_server_that_answered_nothing_yet_is_no_ban_in_its_first_seconds() -> None:
    """A connection limiter lets two requests through and answers them slowly: the refused
    retries come back before them. Too soon to call it a ban (nothing to ask as a control)."""
    watch = RefusalWatch()
    _burst(watch)
    assert watch.control_url("s") is None and not watch.banned("s")
    watch.servers["s"].suspected_at -= BAN_PACE  # still nothing answered, seconds later
    assert watch.control_url("s") is None and watch.banned("s")


def test_retries_refused_while_others_of_ours_were_in_flight_prove_no_real_403s() -> None:
    watch = RefusalWatch(min_delay=0.5)
    assert _burst(watch) == 0.5
    watch.answered("s", 200, False, 0.5, time.monotonic())  # the server answers others
    for _ in range(3 * REFUTED):  # nginx limit_conn: refused for our requests in flight
        assert watch.answered("s", 403, True, 0.5, time.monotonic(), alone=False) is None
    assert watch.limiting("s") and watch.floor("s") == 0.5
    for n in range(REFUTED):  # refused though asked alone: real 403s
        changed = watch.answered("s", 403, True, 0.5, time.monotonic(), alone=True)
        assert (changed == 0.0) is (n == REFUTED - 1)
    assert not watch.limiting("s")


def test_a_server_that_answered_nothing_yet_has_its_homepage_asked_not_a_ban() -> None:
    """The nightly pre-pass's first requests were refused (a connection limiter: too many at
    once), before any answer: suspected with no control. Its one forbidden file refused again
    is no ban: its homepage is asked, and answered."""
    watch = RefusalWatch()
    watch.suspect("ext", 0.0)
    watch.servers["ext"].suspected_at -= BAN_PACE  # the pre-pass was seconds ago
    refused_at = time.monotonic()
    assert watch.control_url("ext", "http://ext/") == "http://ext/"
    assert not watch.banned("ext")
    watch.answered_ok("ext", "http://ext/", 200)  # the homepage's answer
    watch.answered("ext", 200, False, 0.5, time.monotonic())
    assert watch.final_refusal("ext", refused_at, "http://ext/") == "real"
    assert not watch.banned("ext") and not watch.given_up("ext")


def test_the_sites_own_server_refusing_its_homepage_too_is_a_ban() -> None:
    watch = RefusalWatch(ban_wait=60.0)
    watch.own = {"s"}
    refused_at = time.monotonic()
    assert watch.final_refusal("s", refused_at, "http://s/") == "control"
    assert watch.control_url_now("s") == "http://s/"
    assert watch.control_refused("s") == BAN_PACE
    assert watch.banned("s") and watch.final_refusal("s", refused_at, "http://s/") == "wait"
    # no homepage to ask (the caller has none): a ban at once, as before
    assert RefusalWatch(ban_wait=60.0).final_refusal("s", refused_at) == "real"  # not own
    bare = RefusalWatch(ban_wait=60.0)
    bare.own = {"s"}
    assert bare.final_refusal("s", refused_at) == "wait" and bare.banned("s")


def _answer_at(watch: RefusalWatch, after: float, count: int, status: int = 200) -> list[float]:
    """``count`` first tries asked ``after`` seconds from now, answered ``status``: the
    delays the watch set on the way (none, most of the time)."""
    asked = time.monotonic() + after
    changes = [watch.answered("s", status, False, watch.floor("s"), asked) for _ in range(count)]
    return [change for change in changes if change is not None]


def test_a_limiter_answering_at_its_floor_is_eased_a_step_at_a_time() -> None:
    """A 10/s limiter that refused a first burst: it is not asked at 2/s all night. Its floor
    is eased once EASE_AFTER first tries in a row were answered at it, the last asked
    EASE_SECONDS after it was set (not at once: a limiter's burst allowance hides its rate)."""
    watch = RefusalWatch(min_delay=0.5)
    assert _burst(watch) == 0.5
    watch.answered("s", 200, True, 0.5, time.monotonic())  # a retry answered: confirmed
    assert _answer_at(watch, 0.0, 3 * EASE_AFTER) == []  # many answers, but all at once
    assert _answer_at(watch, EASE_SECONDS, 1) == [EASE * 0.5]  # the last of them later on
    assert _answer_at(watch, EASE_SECONDS, EASE_AFTER - 1) == []  # too few at the new pace
    assert _answer_at(watch, EASE_SECONDS, 1) == [EASE * EASE * 0.5]
    # a refusal of a request asked before this pace says nothing of it
    _answer_at(watch, EASE_SECONDS, EASE_AFTER - 1)
    assert watch.answered("s", 403, True, watch.floor("s"), time.monotonic() - 60) is None
    assert _answer_at(watch, EASE_SECONDS, 1) == [EASE**3 * 0.5]
    for _ in range(40):
        _answer_at(watch, 10 * EASE_SECONDS, EASE_AFTER)
    assert watch.floor("s") == EASE_BOTTOM  # the least pace kept for a server that limits us
    assert watch.limiting("s") and watch.blocked("s")  # still a limiter: its refusals blocked


def test_a_refusal_at_the_eased_pace_puts_the_floor_back_for_a_while() -> None:
    """A limiter's edge: the pace found too fast is not tried again for TOO_FAST_SECONDS (each
    try costs refusals, and a refusal to the end is a blocked link), then it may be: the other
    crawl process's pace may have been the one too fast."""
    watch = RefusalWatch(min_delay=0.5)
    assert _burst(watch) == 0.5
    assert _answer_at(watch, EASE_SECONDS, EASE_AFTER) == [EASE * 0.5]
    assert _answer_at(watch, EASE_SECONDS, EASE_AFTER) == [EASE * EASE * 0.5]
    # refused at 0.28 s (403, as in its burst): back to 0.375 s, which it answered, at once
    assert _answer_at(watch, 0.0, 1, 403) == [EASE * 0.5]
    for _ in range(10):
        assert _answer_at(watch, 10 * EASE_SECONDS, EASE_AFTER) == []
    # refused at its floor: slowed down (doubled), then eased back to that floor, no further
    # (one step above 0.28 s, found too fast)
    assert _burst(watch) == 2 * EASE * 0.5
    for _ in range(10):
        _answer_at(watch, 10 * EASE_SECONDS, EASE_AFTER)
    assert watch.floor("s") == EASE * 0.5
    assert _answer_at(watch, TOO_FAST_SECONDS + 1, EASE_AFTER) == [EASE * EASE * 0.5]


def test_a_floor_is_eased_down_to_its_bottom_and_doubled_from_there() -> None:
    watch = RefusalWatch(min_delay=0.5)
    assert _burst(watch) == 0.5
    for _ in range(20):
        _answer_at(watch, 10 * EASE_SECONDS, EASE_AFTER)
    assert watch.floor("s") == EASE_BOTTOM
    # refused there: the pace before it, the last step (0.05006 s)
    before = _answer_at(watch, 0.0, 1, 403)
    assert len(before) == 1 and EASE_BOTTOM < before[0] < EASE_BOTTOM / EASE
    # a burst at that pace doubles it (not back to min_delay at once)
    assert _burst(watch) == 2 * before[0]


def test_a_server_that_banned_us_is_never_eased() -> None:
    """Each try over a firewall's limit costs a ban of minutes: its pace stays."""
    watch = RefusalWatch(min_delay=0.5, max_delay=8.0, ban_wait=60.0)
    watch.own = {"s"}
    watch.answered_ok("s", "http://s/ok.html", 200)
    assert watch.final_refusal("s", time.monotonic()) == "control"
    watch.control_url_now("s")
    assert watch.control_refused("s") == BAN_PACE
    assert watch.answered("s", 200, True, BAN_PACE, time.monotonic()) == 0.5  # unbanned
    assert _answer_at(watch, 10 * EASE_SECONDS, 5 * EASE_AFTER) == []
    assert watch.floor("s") == 0.5


def test_a_refusal_at_the_pace_starts_the_count_again() -> None:
    watch = RefusalWatch(min_delay=0.5)
    assert _burst(watch) == 0.5
    assert _answer_at(watch, EASE_SECONDS, EASE_AFTER - 1) == []
    assert watch.answered("s", 403, False, 0.5, time.monotonic() + EASE_SECONDS) is None
    assert _answer_at(watch, EASE_SECONDS, EASE_AFTER - 1) == []
    assert _answer_at(watch, EASE_SECONDS, 1) == [EASE * 0.5]


def test_a_forbidden_file_at_a_429_limiters_eased_pace_leaves_the_pace() -> None:
    """A server that limits us with 429s has forbidden files too: their 403s at the eased pace
    say nothing of it (they put the floor back on every one, and a limiter's night with a few
    such files ran at the pace of its first refusals: 560 s instead of 200). Its 429s do."""
    watch = RefusalWatch(min_delay=0.5)
    for _ in range(BURST):
        watch.answered("s", 429, False, 0.0, time.monotonic())
    assert watch.floor("s") == 0.5
    assert _answer_at(watch, EASE_SECONDS, EASE_AFTER) == [EASE * 0.5]
    assert _answer_at(watch, 0.0, 1, 403) == []  # a forbidden file: the pace stays
    assert _answer_at(watch, EASE_SECONDS, EASE_AFTER) == [EASE * EASE * 0.5]
    assert _answer_at(watch, 0.0, 1, 429) == [EASE * 0.5]  # the limiter's refusal: put back
