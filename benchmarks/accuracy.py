"""Accuracy on the labelled corpus (tests/pages/corpus/), and htmldate's newest-date figure on the
same pages when it is installed (``pip install htmldate``).

    .venv/bin/python -m benchmarks.accuracy

Prints newest-date, item-count, classification and detail-metadata accuracy, future dates and
lists taken for empty, as govwatch reads the pages with the crawl's own code.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.corpus import CRAWL_DATE, OUT
from monitor.config import load_preset
from monitor.fetch import decode
from monitor.inspect import inspect_page

ROOT = Path(__file__).resolve().parent.parent
DETAIL_FIELDS = ("title", "published", "written", "index_no", "publisher", "doc_no")


@dataclass
class Score:
    right: int = 0
    total: int = 0
    misses: list[str] = field(default_factory=list)

    def add(self, ok: bool, what: str) -> None:
        self.total += 1
        self.right += ok
        if not ok:
            self.misses.append(what)

    @property
    def rate(self) -> float:
        return self.right / self.total if self.total else 1.0


def evaluate(corpus: Path = OUT, with_peer: bool = True) -> dict[str, Any]:
    preset = load_preset("national-2019", ROOT / "config")
    labels = json.loads((corpus / "labels.json").read_text(encoding="utf-8"))
    newest, counts, classes, details = Score(), Score(), Score(), Score()
    future = unreadable_as_empty = 0
    for label in labels:
        html = decode((corpus / label["file"]).read_bytes(), None)
        home = label["url"] if label["type"] == "home" else None
        read = inspect_page(html, label["url"], CRAWL_DATE, preset, home)
        items = read["list"]["items"]
        future += sum(1 for i in items if i["date"] and i["date"] > CRAWL_DATE.isoformat())
        if label["type"] in ("list", "home"):
            got = read["list"]["newest"]["date"] if read["list"]["newest"] else None
            newest.add(
                got == label["newest_date"],
                f"{label['file']}: newest {got} != {label['newest_date']}",
            )
        if label["type"] == "list":
            counts.add(
                read["list"]["item_count"] == label["item_count"],
                f"{label['file']}: {read['list']['item_count']} items != {label['item_count']}",
            )
            classes.add(
                read["column"]["category"] == label["category"],
                f"{label['file']}: {read['column']['category']} != {label['category']}",
            )
            if (
                label["item_count"]
                and not read["list"]["dated_count"]
                and not read["list"]["scripted"]
            ):
                unreadable_as_empty += 1
        if label["type"] == "detail":
            for name in DETAIL_FIELDS:
                details.add(
                    read["detail"][name] == label["detail"][name],
                    f"{label['file']}: {name} {read['detail'][name]!r} != "
                    f"{label['detail'][name]!r}",
                )
    return {
        "pages": len(labels),
        "newest": newest,
        "items": counts,
        "classes": classes,
        "details": details,
        "future": future,
        "unreadable_as_empty": unreadable_as_empty,
        "htmldate": htmldate_newest(corpus, labels) if with_peer else None,
    }


def htmldate_newest(corpus: Path, labels: list[dict[str, Any]]) -> Score | None:
    try:
        from htmldate import find_date  # type: ignore[import-not-found]
    except ImportError:
        return None
    score = Score()
    for label in labels:
        if label["type"] not in ("list", "home"):
            continue
        html = decode((corpus / label["file"]).read_bytes(), None)
        found = find_date(
            html, original_date=False, max_date=CRAWL_DATE.isoformat(), extensive_search=True
        )
        score.add(found == label["newest_date"], label["file"])
    return score


def main() -> int:
    result = evaluate()
    print(f"corpus: {result['pages']} pages ({OUT.relative_to(ROOT)})")
    for name, title in (
        ("newest", "newest date"),
        ("items", "item count"),
        ("classes", "classification"),
        ("details", "detail metadata"),
    ):
        score: Score = result[name]
        print(f"{title:<16} {score.rate:7.1%}  ({score.right}/{score.total})")
        for miss in score.misses[:5]:
            print(f"    miss: {miss}")
    print(f"{'future dates':<16} {result['future']}")
    print(f"{'unreadable→empty':<16} {result['unreadable_as_empty']}")
    peer = result["htmldate"]
    if peer is None:
        print("htmldate         not installed (pip install htmldate)")
    else:
        print(f"{'htmldate newest':<16} {peer.rate:7.1%}  ({peer.right}/{peer.total})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
