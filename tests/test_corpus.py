"""The labelled corpus (tests/pages/corpus/, written by benchmarks/corpus.py) read with the
crawl's own code: the accuracy goals of the column issue."""

from __future__ import annotations

from benchmarks.accuracy import evaluate


def test_corpus_accuracy_goals() -> None:
    result = evaluate(with_peer=False)
    assert result["pages"] >= 100
    assert result["newest"].rate >= 0.99, result["newest"].misses
    assert result["classes"].rate >= 0.97, result["classes"].misses
    assert result["items"].rate >= 0.97, result["items"].misses
    assert result["details"].rate >= 0.97, result["details"].misses
    assert result["future"] == 0
    assert result["unreadable_as_empty"] == 0
