"""Chinese working days: statutory holidays and 调休 make-up days, with operator overrides.

Years the calendar library does not know yet fall back to Monday–Friday, with a warning, so a
report never crashes on 1 January; operators can add that year's days in the preset.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

import chinese_calendar

log = logging.getLogger(__name__)


@dataclass
class WorkdayCalendar:
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()
    warnings: set[int] = field(default_factory=set)

    def is_workday(self, day: date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:
            if day.year not in self.warnings:
                self.warnings.add(day.year)
                log.warning(
                    "the working-day calendar does not know %s yet: using Monday–Friday; "
                    "add that year's holidays and 调休 days under 'workdays:' in the rule preset",
                    day.year,
                )
            return day.weekday() < 5

    def subtract_workdays(self, day: date, count: int) -> date:
        """The working day ``count`` working days before ``day`` (``day`` itself not counted)."""
        current = day
        remaining = count
        while remaining > 0:
            current -= timedelta(days=1)
            if self.is_workday(current):
                remaining -= 1
        return current

    def unknown_years(self) -> Iterable[int]:
        return sorted(self.warnings)
