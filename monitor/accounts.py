"""`govwatch accounts suggest`: read a 政务新媒体 matrix page into an `accounts:` block."""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path

from crawler.extract.html import parse_html
from crawler.extract.matrix import SuggestedAccount, suggest_accounts

USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) Chrome/124.0 Safari/537.36 govwatch/0.1"
TIMEOUT_SECONDS = 20


def read_page(source: str) -> tuple[str, str]:
    """(HTML text, page URL) from a URL or a saved file."""
    if re.match(r"^https?://", source):
        request = urllib.request.Request(source, headers={"User-Agent": USER_AGENT})
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            body = response.read()
            charset = response.headers.get_content_charset()
        return _decode(body, charset), source
    path = Path(source)
    return _decode(path.read_bytes(), None), path.resolve().as_uri()


def suggest(source: str) -> list[SuggestedAccount]:
    text, url = read_page(source)
    return suggest_accounts(parse_html(text), url)


def accounts_yaml(accounts: list[SuggestedAccount], site: str | None = None) -> str:
    """A suggested `accounts:` block; ids and sources are left for the operator to complete."""
    lines = [
        "# Suggested by `govwatch accounts suggest`: check each entry, choose ids, and give",
        "# each account a `feed:` (e.g. an RSSHub route) or a `page:` with selectors.",
        "accounts:",
    ]
    used: set[str] = set()
    for index, account in enumerate(accounts, start=1):
        base = f"{site}-{account.platform}" if site else f"{account.platform}"
        account_id = base if base not in used else f"{base}-{index}"
        used.add(account_id)
        lines += [
            f"  - id: {account_id}",
            f"    name: {json.dumps(account.name, ensure_ascii=False)}",
            f"    platform: {account.platform}",
        ]
        if site:
            lines.append(f"    site: {site}")
        if account.url:
            lines.append(f"    # found on the page: {account.url}")
        lines.append("    feed: http://rsshub.local/TODO   # or page: {url, item, date}")
    if not accounts:
        lines.append("  []  # no accounts recognised on this page")
    return "\n".join(lines) + "\n"


def _decode(body: bytes, charset: str | None) -> str:
    head = body[:2048].decode("ascii", errors="ignore").lower()
    declared = re.search(r"charset=[\"']?([a-z0-9_-]+)", head)
    for encoding in (charset, declared.group(1) if declared else None, "utf-8", "gb18030"):
        if not encoding:
            continue
        try:
            return body.decode("gb18030" if encoding in ("gb2312", "gbk") else encoding)
        except (LookupError, UnicodeDecodeError):
            continue
    return body.decode("utf-8", errors="replace")
