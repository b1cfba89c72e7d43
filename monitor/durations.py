"""Windows such as ``14d``, ``2w``, ``6m`` (calendar months) and ``1y``."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

Unit = Literal["d", "w", "m", "y"]
_WINDOW = re.compile(r"^\s*(\d+)\s*([dwmy])\s*$")


@dataclass(frozen=True)
class Window:
    """A look-back window; ``str()`` gives it back in the form the operator wrote."""

    amount: int
    unit: Unit

    def __str__(self) -> str:
        return f"{self.amount}{self.unit}"

    def calendar_cutoff(self, as_of: date) -> date:
        """The earliest fresh day: an item dated exactly on it is fresh, one day before is stale."""
        if self.unit == "d":
            return as_of - timedelta(days=self.amount)
        if self.unit == "w":
            return as_of - timedelta(weeks=self.amount)
        months = self.amount if self.unit == "m" else self.amount * 12
        return subtract_months(as_of, months)


def parse_window(text: str) -> Window:
    """Parse ``Nd``, ``Nw``, ``Nm`` or ``Ny``; raise ``ValueError`` with what was expected."""
    match = _WINDOW.match(str(text))
    if not match or int(match.group(1)) == 0:
        raise ValueError(
            f"expected a window like 14d, 2w, 6m (calendar months) or 1y, got {text!r}"
        )
    unit: Unit = match.group(2)  # type: ignore[assignment]
    return Window(int(match.group(1)), unit)


def subtract_months(day: date, months: int) -> date:
    """The same day ``months`` calendar months earlier, clamped to the month's last day."""
    index = day.year * 12 + (day.month - 1) - months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


_INTERVAL = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)\s*$")
_INTERVAL_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_interval(text: str) -> timedelta:
    """Parse an operations interval: ``15s``, ``72m`` (minutes), ``2h``, ``1d``."""
    match = _INTERVAL.match(str(text))
    if not match:
        raise ValueError(f"expected a duration like 15s, 72m (minutes), 2h or 1d, got {text!r}")
    return timedelta(seconds=float(match.group(1)) * _INTERVAL_SECONDS[match.group(2)])


def format_interval(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    for unit in ("d", "h", "m"):
        size = _INTERVAL_SECONDS[unit]
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
