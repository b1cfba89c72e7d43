"""URLs as an operator reads them in a report."""

from __future__ import annotations

import re

# Percent-escapes of bytes above ASCII, in a row: the name of a file or page in Chinese, as
# the page wrote it ("%E9%99%84%E4%BB%B6" in UTF-8, "%B8%BD%BC%FE" in GBK).
_ESCAPED_TEXT = re.compile(r"(?:%[89A-Fa-f][0-9A-Fa-f])+")
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")


def readable_url(url: str | None) -> str:
    """A URL as an operator reads it: escaped Chinese shown as Chinese (read as UTF-8, else as
    GBK), anything else as written. For the text of a link only; its target stays exact."""

    def decoded(match: re.Match[str]) -> str:
        raw = bytes.fromhex(match.group(0).replace("%", ""))
        # UTF-8 first; but some GBK bytes are valid UTF-8 too ("%CD%A8%D6%AA", 通知, reads as
        # two Hebrew letters): a reading counts only if it is Chinese text.
        for encoding in ("utf-8", "gb18030"):
            try:
                text = raw.decode(encoding)
            except UnicodeDecodeError:
                continue
            if text.isprintable() and all(_CJK.match(c) for c in text):
                return text
        return match.group(0)

    return _ESCAPED_TEXT.sub(decoded, url or "")
