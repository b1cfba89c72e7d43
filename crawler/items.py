"""The observation types the spiders yield (defined with the store that keeps them)."""

from monitor.store import (
    AccountObservation,
    ColumnObservation,
    LinkCheck,
    LinkOccurrence,
    PageLinks,
    PageMetadata,
)

__all__ = [
    "AccountObservation",
    "ColumnObservation",
    "LinkCheck",
    "LinkOccurrence",
    "PageLinks",
    "PageMetadata",
]
