"""Which category a column is, and why: its ColumnType meta tag, its name, then its parents'
names, against the rule preset's keyword lists (the longest matching keyword wins, unless a
category's ``keywords_at_end`` ends the name)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from monitor.config import Preset

FALLBACK = "other"


@dataclass(frozen=True)
class Classification:
    category: str
    reason: str


def classify(
    name: str, preset: Preset, parents: Sequence[str] = (), meta_type: str | None = None
) -> Classification:
    """``parents`` nearest first."""
    sources = [("ColumnType", meta_type), ("栏目名称", name)]
    sources += [(f"上级栏目“{parent}”", parent) for parent in parents]
    for source, text in sources:
        if not text:
            continue
        match = _best_keyword(text, preset)
        if match is not None:
            category, keyword = match
            return Classification(category, f"{source}含“{keyword}”")
    fallback = FALLBACK if FALLBACK in preset.categories else next(iter(preset.categories))
    return Classification(fallback, "未匹配任何关键词")


def _best_keyword(text: str, preset: Preset) -> tuple[str, str] | None:
    # the name's last word says what the column is, when it is one of keywords_at_end: then
    # the longest keyword the name ends with (部门动态 over 动态)
    at_end = any(
        text.endswith(k) for rule in preset.categories.values() for k in rule.keywords_at_end
    )
    best: tuple[int, str, str] | None = None
    for category, rule in preset.categories.items():
        for keyword in (*rule.keywords, *rule.keywords_at_end):
            found = text.endswith(keyword) if at_end else keyword in text
            if found and (best is None or len(keyword) > best[0]):
                best = (len(keyword), category, keyword)
    return (best[1], best[2]) if best else None
