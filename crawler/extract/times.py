"""Publication times as feeds and Chinese platform pages write them, resolved to aware times.

Absolute forms (RFC 822 in RSS, ISO 8601 in Atom and JSON Feed, ``2024-11-20 09:15``) and the
relative forms of platform pages ("刚刚", "5分钟前", "3小时前", "昨天 10:20", "前天", "3天前",
year-less "11-20 09:15") are resolved against the fetch time; a time without a zone is local
time in Asia/Shanghai.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

from crawler.extract.dates import normalize

LOCAL = ZoneInfo("Asia/Shanghai")

_ISO = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?"
    r"\s*(Z|[+-]\d{2}(?::?\d{2})?)?(?:\[[\w/+-]+\])?$"  # Java's ...+08:00[Asia/Shanghai]
)
_CN_FULL = re.compile(
    r"(\d{4})\s*[年/.-]\s*(\d{1,2})\s*[月/.-]\s*(\d{1,2})\s*日?"
    r"(?:\s*(\d{1,2})\s*[:：时]\s*(\d{2}))?"
)
# Seconds or milliseconds since 1970 (a JSON field, a data-time attribute), 2001 to 2286.
_EPOCH = re.compile(r"^(\d{10}|\d{13})(?:\.\d+)?$")
# "CST" in a Chinese feed is China Standard Time (Java's Date.toString() writes it), not the
# US Central time the e-mail date parser takes it for.
_CHINA_ZONE = re.compile(r"\b(?:CST|Beijing)\b")
_MONTH_DAY_TIME = re.compile(r"(?<!\d)(\d{1,2})\s*[-/月]\s*(\d{1,2})日?(?:\s*(\d{1,2}):(\d{2}))?")
_AGO = re.compile(r"(\d+|半)\s*(秒|分钟|分|小时|个?钟头|天|周|星期|个月|月|年)前")
_DAY_WORDS = {"今天": 0, "昨天": 1, "前天": 2}
_CLOCK = re.compile(r"(\d{1,2})[:：](\d{2})")
_AGO_UNITS = {
    "秒": 1,
    "分钟": 60,
    "分": 60,
    "小时": 3600,
    "钟头": 3600,
    "个钟头": 3600,
    "天": 86400,
    "周": 7 * 86400,
    "星期": 7 * 86400,
    "个月": 30 * 86400,
    "月": 30 * 86400,
    "年": 365 * 86400,
}


def parse_time(text: str | None, fetched_at: datetime) -> datetime | None:
    """An aware datetime for ``text`` as a feed or a platform page writes it; None if unreadable.
    ``fetched_at`` must be aware; relative and year-less forms are resolved against it."""
    if not text:
        return None
    raw = normalize(text).strip()
    if not raw:
        return None
    local_now = fetched_at.astimezone(LOCAL)
    for parse in (_epoch, _rfc822, _iso, _chinese_full):
        found = parse(raw)
        if found is not None:
            return found
    return _relative(raw, local_now)


def _epoch(raw: str) -> datetime | None:
    match = _EPOCH.match(raw)
    if not match:
        return None
    seconds = int(match.group(1)) / (1000 if len(match.group(1)) == 13 else 1)
    return datetime.fromtimestamp(seconds, LOCAL)


def _rfc822(raw: str) -> datetime | None:
    if not re.search(r"[A-Za-z]{3}", raw):
        return None
    try:
        value = parsedate_to_datetime(_CHINA_ZONE.sub("+0800", raw))
    except (TypeError, ValueError, IndexError):
        return None
    return value if value.tzinfo else value.replace(tzinfo=LOCAL)


def _iso(raw: str) -> datetime | None:
    match = _ISO.match(raw)
    if not match:
        return None
    year, month, day, hour, minute, second, zone = match.groups()
    try:
        value = datetime(
            int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0)
        )
    except ValueError:
        return None
    if zone is None:
        return value.replace(tzinfo=LOCAL)
    if zone == "Z":
        return value.replace(tzinfo=ZoneInfo("UTC"))
    sign = 1 if zone[0] == "+" else -1
    digits = zone[1:].replace(":", "")
    offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0))
    return value.replace(tzinfo=timezone(sign * offset))


def _chinese_full(raw: str) -> datetime | None:
    match = _CN_FULL.search(raw)
    if not match:
        return None
    year, month, day, hour, minute = match.groups()
    try:
        return datetime(
            int(year), int(month), int(day), int(hour or 0), int(minute or 0), tzinfo=LOCAL
        )
    except ValueError:
        return None


def _relative(raw: str, now: datetime) -> datetime | None:
    if raw.startswith("刚刚") or raw in ("刚才", "just now"):
        return now
    ago = _AGO.search(raw)
    if ago:
        count = 0.5 if ago.group(1) == "半" else int(ago.group(1))
        return now - timedelta(seconds=count * _AGO_UNITS[ago.group(2)])
    for word, days_back in _DAY_WORDS.items():
        if raw.startswith(word):
            clock = _CLOCK.search(raw)
            that_day = now - timedelta(days=days_back)
            hour, minute = (int(clock.group(1)), int(clock.group(2))) if clock else (0, 0)
            return that_day.replace(hour=hour, minute=minute, second=0, microsecond=0)
    match = _MONTH_DAY_TIME.search(raw)
    if match:
        month, day = int(match.group(1)), int(match.group(2))
        hour, minute = int(match.group(3) or 0), int(match.group(4) or 0)
        for year in (now.year, now.year - 1):
            try:
                candidate = now.replace(
                    year=year,
                    month=month,
                    day=day,
                    hour=hour,
                    minute=minute,
                    second=0,
                    microsecond=0,
                )
            except ValueError:
                continue
            if candidate <= now:
                return candidate
    return None
