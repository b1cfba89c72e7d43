"""Dates as Chinese government pages write them, and dates hidden in URLs."""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, insort
from dataclasses import dataclass
from datetime import date

# After NFKC normalisation (full-width digits and punctuation become ASCII).
_FULL = re.compile(
    r"(?<![\d.])((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})(?!\d)\s*日?"
)
_SHORT_YEAR = re.compile(r"(?<![\d.:/-])(\d{2})-(\d{2})-(\d{2})(?![\d:-])")
# A card's date in two pieces, its day large beside its year and month ("21" "2026-11").
_DAY_THEN_MONTH = re.compile(
    r"(?<![\w.:/-])(\d{1,2})\s+((?:19|20)\d{2})(?:[-/.]|\s*年\s*)(\d{1,2})(?:\s*月)?(?![\d.:/-])"
)
# What a number before a year-month is when it is no day: a count after its label (阅读 5), or
# part of a Latin word or code (No 5).
_COUNT_LABEL = re.compile(
    r"(?:阅读|浏览|点击|访问|次数|人次|评论|点赞|下载|共|第|[A-Za-z0-9_])[\s:：]*$"
)
_MONTH_THEN_DAY = re.compile(r"(?<![\w.:/-])((?:19|20)\d{2})[-/.](\d{1,2})\s+(\d{1,2})(?=\s|$)")
# A year in an element of its own before the month and day (<span>2025</span><span>11-20</span>).
_YEAR_APART = re.compile(r"(?<![\d.:/-])((?:19|20)\d{2})\s+(\d{2})[-/](\d{2})(?![\d.:/%万亿元页-])")
# The year last: 11/20/2026 as an English-language template writes it (month first), 20-11-2026
# or 20.11.2026 day first; either way round when the first number cannot be a month.
_YEAR_LAST = re.compile(r"(?<![\d.:/-])(\d{1,2})([-/.])(\d{1,2})\2((?:19|20)\d{2})(?![\d.:/-])")
# Month names: Nov 20, 2026 / November 20th 2026 / 20 Nov 2026.
_MONTHS = "jan feb mar apr may jun jul aug sep oct nov dec".split()
_MONTH_NAME = (
    r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)"
    r"(?:uary|ruary|ch|il|e|y|ust|t|tember|ober|ember)?(?![a-z])\.?"
)
_NAMED_MONTH = re.compile(
    rf"(?<![a-z]){_MONTH_NAME}\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+((?:19|20)\d{{2}})(?!\d)", re.I
)
_NAMED_MONTH_AFTER = re.compile(
    rf"(?<![\d.:/-])(\d{{1,2}})\s+{_MONTH_NAME},?\s+((?:19|20)\d{{2}})(?!\d)", re.I
)
# A date in Chinese numerals, as a document's signature writes it (二〇二六年六月八日).
_CN_DIGITS = {c: n for n, c in enumerate("〇一二三四五六七八九")} | {"○": 0, "零": 0, "O": 0}
_CN_NUMBER = "[一二三四五六七八九十]{1,3}"
_CN_DATE = re.compile(
    rf"([〇○零O一二三四五六七八九]{{4}})\s*年\s*({_CN_NUMBER})\s*月\s*({_CN_NUMBER})\s*日"
)
_MONTH_DAY_CN = re.compile(r"(?<!\d)(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_MONTH_DAY = re.compile(r"(?<![\d.:/-])(\d{2})[-/](\d{2})(?![\d/-])")

# /202406/t20240630_1.html, /art/2024/6/30/art_1_2.html, /2024-06-30/, /20240630/
_URL_YMD = (
    re.compile(r"(?<!\d)((?:19|20)\d{2})(\d{2})(\d{2})(?!\d)"),
    re.compile(r"/((?:19|20)\d{2})[/-](\d{1,2})[/-](\d{1,2})(?=[/_.-])"),
)
_URL_YM = re.compile(r"/((?:19|20)\d{2})(?:[-/]?)(\d{2})/")


# A clock in the page's banner ("今天是2026年11月24日 星期二"): today's date, no item's.
_CLOCK = re.compile(
    r"(?:今天是|今日是|今天|今日|当前日期|当前时间|现在是|现在时间|北京时间)\s*[:：]?\s*"
    r"(?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?"
    r"(?:\s*(?:星期|礼拜|周)[一二三四五六日天])?"
)


@dataclass(frozen=True)
class DateMatch:
    """A date as found in text: ``year`` is None for year-less forms such as ``[06-30]``."""

    text: str
    year: int | None
    month: int
    day: int
    days_ago: int | None = None  # a relative date (3天前, 昨天): days before the crawl

    @property
    def value(self) -> date | None:
        if self.year is None:
            return None
        return _safe_date(self.year, self.month, self.day)


@dataclass(frozen=True)
class UrlDate:
    """What a URL says about its date: a year and month, sometimes a day."""

    year: int
    month: int
    day: int | None

    @property
    def value(self) -> date | None:
        return _safe_date(self.year, self.month, self.day) if self.day else None


def normalize(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def without_clocks(text: str) -> str:
    """``text`` (normalised) without the clocks banners show: they date no item."""
    return _CLOCK.sub(" ", normalize(text))


def find_dates(text: str) -> list[DateMatch]:
    """Every date in ``text``, in order: full dates first preference, then year-less ones."""
    norm = normalize(text)
    found: list[tuple[int, DateMatch]] = []
    taken: list[tuple[int, int]] = []  # the spans of dates found, in text order: disjoint

    def add(match: re.Match[str], year: int | None, month: int, day: int) -> None:
        span = match.span()
        # Only the span starting before this one ends can overlap it: the one just before
        # its end's place among the taken, as they are disjoint and in order.
        place = bisect_left(taken, (span[1],))
        if place and taken[place - 1][1] > span[0]:
            return
        if not (1 <= month <= 12 and 1 <= day <= 31):
            return
        if year is not None and _safe_date(year, month, day) is None:
            return
        insort(taken, span)
        found.append((span[0], DateMatch(match.group(0).strip(), year, month, day)))

    for m in _FULL.finditer(norm):
        add(m, int(m.group(1)), int(m.group(2)), int(m.group(3)))
    for m in _SHORT_YEAR.finditer(norm):
        add(m, 2000 + int(m.group(1)), int(m.group(2)), int(m.group(3)))
    for m in _DAY_THEN_MONTH.finditer(norm):
        if not _COUNT_LABEL.search(norm, max(0, m.start() - 8), m.start()):
            add(m, int(m.group(2)), int(m.group(3)), int(m.group(1)))
    for m in _MONTH_THEN_DAY.finditer(norm):
        add(m, int(m.group(1)), int(m.group(2)), int(m.group(3)))
    for m in _YEAR_APART.finditer(norm):
        if not _COUNT_LABEL.search(norm, max(0, m.start() - 8), m.start()):  # 阅读 2025 11-20
            add(m, int(m.group(1)), int(m.group(2)), int(m.group(3)))
    for m in _YEAR_LAST.finditer(norm):
        first, second = int(m.group(1)), int(m.group(3))
        month_first = m.group(2) == "/" if first <= 12 and second <= 12 else second > 12
        month, day = (first, second) if month_first else (second, first)
        add(m, int(m.group(4)), month, day)
    for m in _NAMED_MONTH.finditer(norm):
        add(m, int(m.group(3)), _MONTHS.index(m.group(1).lower()) + 1, int(m.group(2)))
    for m in _NAMED_MONTH_AFTER.finditer(norm):
        add(m, int(m.group(3)), _MONTHS.index(m.group(2).lower()) + 1, int(m.group(1)))
    for m in _CN_DATE.finditer(norm):
        year = int("".join(str(_CN_DIGITS[c]) for c in m.group(1)))
        if 1900 <= year < 2100:
            add(m, year, _cn_number(m.group(2)), _cn_number(m.group(3)))
    for m in _MONTH_DAY_CN.finditer(norm):
        add(m, None, int(m.group(1)), int(m.group(2)))
    for m in _MONTH_DAY.finditer(norm):
        add(m, None, int(m.group(1)), int(m.group(2)))
    return [match for _, match in sorted(found, key=lambda pair: pair[0])]


_RELATIVE = re.compile(
    r"(?P<now>刚刚|今天|今日)|(?P<yesterday>昨天|昨日)|(?P<before>前天)"
    r"|(?P<n>\d{1,3})\s*(?P<unit>秒|分钟|小时|天|日)前"
)


def relative_date(text: str) -> DateMatch | None:
    """A date a list writes relative to today, when that is the whole text (刚刚, 5分钟前,
    3小时前, 昨天, 前天, 3天前): days before the crawl; None for anything else."""
    norm = normalize(text).strip(" []【】()")
    found = _RELATIVE.fullmatch(norm)
    if found is None:
        return None
    if found.group("now"):
        days = 0
    elif found.group("yesterday"):
        days = 1
    elif found.group("before"):
        days = 2
    else:
        days = int(found.group("n")) if found.group("unit") in ("天", "日") else 0
    return DateMatch(norm, None, 0, 0, days_ago=days)


def _cn_number(text: str) -> int:
    """一 … 三十一 as a number (0 for anything else: not a month or a day)."""
    tens, _, units = text.partition("十")
    if "十" not in text:
        return _CN_DIGITS.get(text, 0) if len(text) == 1 else 0
    if len(tens) > 1 or len(units) > 1:
        return 0
    return (_CN_DIGITS.get(tens, 0) if tens else 1) * 10 + _CN_DIGITS.get(units, 0)


def first_date(text: str) -> DateMatch | None:
    """The first full date in ``text``, else its first year-less date."""
    dates = find_dates(text)
    for match in dates:
        if match.year is not None:
            return match
    return dates[0] if dates else None


def url_date(url: str) -> UrlDate | None:
    """The date a government CMS writes into an article URL, if any (path only)."""
    path = url.split("?", 1)[0].split("#", 1)[0]
    path = path.split("://", 1)[-1]
    path = path[path.find("/") :] if "/" in path else ""
    for pattern in _URL_YMD:
        for m in pattern.finditer(path):
            year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
            if _safe_date(year, month, day):
                return UrlDate(year, month, day)
    for m in _URL_YM.finditer(path):
        year, month = int(m.group(1)), int(m.group(2))
        if 1 <= month <= 12:
            return UrlDate(year, month, None)
    return None


def latest_not_after(month: int, day: int, limit: date) -> date | None:
    """The latest ``month``-``day`` not after ``limit`` (year-less dates with nothing better)."""
    for year in range(limit.year, limit.year - 8, -1):
        candidate = _safe_date(year, month, day)
        if candidate is not None and candidate <= limit:
            return candidate
    return None


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None
