"""Fetch one page for a command (`inspect`, `accounts suggest`): a URL or a saved file."""

from __future__ import annotations

import http.client
import re
import urllib.request
from pathlib import Path

USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) Chrome/124.0 Safari/537.36 govwatch/0.1"
TIMEOUT_SECONDS = 20
MAX_BYTES = 32 * 1024 * 1024  # as a crawl's DOWNLOAD_MAXSIZE


def read_page(source: str, url: str | None = None) -> tuple[str, str]:
    """(HTML text, page URL) from a URL or a saved file; ``url`` names a saved file's address."""
    if re.match(r"^https?://", source):
        request = urllib.request.Request(source, headers={"User-Agent": USER_AGENT})
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            try:
                body = response.read(MAX_BYTES + 1)
            except http.client.IncompleteRead as short:
                body = short.partial  # shorter than it said: read as far as it came, as browsers do
            if len(body) > MAX_BYTES:
                raise ValueError(f"more than {MAX_BYTES // 1024 // 1024} MB: not a page")
            charset = response.headers.get_content_charset()
        return decode(body, charset), response.url or source
    path = Path(source)
    return decode(path.read_bytes(), None), url or path.resolve().as_uri()


def decode(body: bytes, charset: str | None) -> str:
    """Decode with the HTTP charset, else the page's own declaration, else UTF-8, else GB18030."""
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
