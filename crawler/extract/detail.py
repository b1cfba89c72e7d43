"""What an article (detail) page says about itself: title, dates, 索引号, 发布机构, 文号, and the
47号 meta tags (ArticleTitle, PubDate, ContentSource)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from crawler.extract.dates import DateMatch, find_dates, normalize, without_clocks
from crawler.extract.html import HtmlElement, squash

_DATE_META = ("pubdate", "publishdate", "article:published_time", "dc.date", "firstpublishedtime")
_PUBLISHED = re.compile(r"(发布日期|发布时间|发文日期|公开日期|发布于)\s*[:：]?")
_WRITTEN = re.compile(r"(成文日期|成文时间)\s*[:：]?")
# The line over an article where a CMS writes no 发布日期: "来源：市政府办公室　日期：2024-11-24".
_DATELINE = re.compile(r"(?:日\s*期|时\s*间)\s*[:：]")
_SOURCE_LABEL = re.compile(r"(?:来\s*源|信息来源|发布机构|作\s*者)\s*[:：]")
_LABEL_WINDOW = 40
_FIELDS = {
    "index_no": re.compile(r"索\s*引\s*号\s*[:：]\s*([A-Za-z0-9/_\-.—－]+)"),
    "doc_no": re.compile(
        r"(?:文\s*号|发文字号)\s*[:：]\s*([^\s　:：]{2,40}〔?\[?\d{4}\]?〕?\s*\d*\s*号?)"
    ),
    "publisher": re.compile(
        r"(?:发布机构|发文机关|发布单位|信息来源|来\s*源)\s*[:：]\s*([^\s　|:：]{2,30})"
    ),
}


@dataclass(frozen=True)
class DetailMetadata:
    title: str | None
    published: DateMatch | None  # 发布日期 (meta PubDate first)
    written: DateMatch | None  # 成文日期
    index_no: str | None  # 索引号
    publisher: str | None  # 发布机构 / 来源
    doc_no: str | None  # 文号
    meta_title: str | None  # ArticleTitle
    meta_published: str | None  # PubDate as written
    meta_source: str | None  # ContentSource


def publication_date(doc: HtmlElement, text: str | None = None) -> DateMatch | None:
    """``PubDate``-style meta first, then a 发布日期/发布时间 label in the text (``text``: the
    page's, if already worked out), then the date of its dateline; full dates only."""
    meta = _meta_date(doc)
    if meta is not None:
        return meta
    text = text if text is not None else _body_text(doc)
    return _labelled_date(text, _PUBLISHED) or _dateline_date(text)


def _dateline_date(text: str) -> DateMatch | None:
    """The date of an article's dateline ("来源：市政府办公室　时间：2024-11-24"): a 日期 or
    时间 label beside a 来源-style label, not any 时间 in the article (会议时间…)."""
    for source in _SOURCE_LABEL.finditer(text):
        start = max(0, source.start() - _LABEL_WINDOW)
        line = text[start : source.end() + _LABEL_WINDOW]
        found = _labelled_date(line, _DATELINE)
        if found is not None:
            return found
    for source in _SOURCE_LABEL.finditer(text):
        # a dateline without a 日期 label ("2025-11-18　来源：县农业农村局"): the one full date
        # right beside the label
        line = text[max(0, source.start() - _BESIDE) : source.end() + _BESIDE]
        if _ANOTHER_DATE.search(line):
            continue  # 有效期至, 截止日期: a date, not when it was published
        dates = [d for d in find_dates(without_clocks(line)) if d.year is not None]
        if len(dates) == 1:
            return dates[0]
    return None


_BESIDE = 24  # characters around a 来源 label where its dateline's date stands unlabelled
_ANOTHER_DATE = re.compile(r"有效期|截止|成文|施行|实施|印发|生效|到期|更新|修改")


def has_dateline(doc: HtmlElement) -> bool:
    """An article's line of where it is from and when: a 来源 (作者, 发布机构) label and a
    日期 or 时间 label with a full date, as CMSs that write no 发布日期 show it."""
    text = _body_text(doc)
    return _SOURCE_LABEL.search(text) is not None and _labelled_date(text, _DATELINE) is not None


def detail_metadata(doc: HtmlElement) -> DetailMetadata:
    text = _body_text(doc)
    metas = {
        (m.get("name") or m.get("property") or "").strip().lower(): m.get("content")
        for m in doc.iter("meta")
    }
    fields = {
        name: (m.group(1).strip() if (m := pattern.search(text)) else None)
        for name, pattern in _FIELDS.items()
    }
    return DetailMetadata(
        title=_title(doc, metas.get("articletitle")),
        published=publication_date(doc, text),
        written=_labelled_date(text, _WRITTEN),
        index_no=fields["index_no"],
        publisher=fields["publisher"] or squash(metas.get("contentsource")) or None,
        doc_no=fields["doc_no"],
        meta_title=squash(metas.get("articletitle")) or None,
        meta_published=squash(metas.get("pubdate")) or None,
        meta_source=squash(metas.get("contentsource")) or None,
    )


def _meta_date(doc: HtmlElement) -> DateMatch | None:
    for meta in doc.iter("meta"):
        name = (meta.get("name") or meta.get("property") or "").strip().lower()
        if name in _DATE_META:
            found = [d for d in find_dates(meta.get("content") or "") if d.year is not None]
            if found:
                return found[0]
    return None


def _labelled_date(text: str, label: re.Pattern[str]) -> DateMatch | None:
    for match in label.finditer(text):
        window = text[match.end() : match.end() + _LABEL_WINDOW]
        full = [d for d in find_dates(window) if d.year is not None]
        if full:
            return full[0]
    return None


def _body_text(doc: HtmlElement) -> str:
    """The page's text with a space between elements (table cells must not run together)."""
    body = doc.find("body")
    root = body if body is not None else doc
    return normalize(" ".join(part for t in root.itertext() if (part := t.strip())))


def _title(doc: HtmlElement, meta_title: str | None) -> str | None:
    if meta_title and squash(meta_title):
        return squash(meta_title)
    for tag in ("h1", "h2"):
        for heading in doc.iter(tag):
            text = squash(heading.text_content())
            if len(text) >= 4:
                return text
    title = doc.find(".//title")
    return (
        squash(title.text_content()).split("_")[0].split("-")[0].strip() or None
        if title is not None
        else None
    )
