"""A job function for scheduler tests (importable, so APScheduler can store a reference)."""

from pathlib import Path


def record(path: str) -> None:
    with Path(path).open("a", encoding="utf-8") as handle:
        handle.write("ran\n")
