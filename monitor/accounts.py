"""`govwatch accounts suggest`: read a 政务新媒体 matrix page into an `accounts:` block."""

from __future__ import annotations

import json

from crawler.extract.html import parse_html
from crawler.extract.matrix import SuggestedAccount, suggest_accounts
from monitor.fetch import read_page


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
