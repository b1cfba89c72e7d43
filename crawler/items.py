"""The observation types the spiders yield (defined with the store that keeps them)."""

from monitor.store import (
    AccountObservation,
    ColumnObservation,
    CopiedLinks,
    LinkCheck,
    LinkOccurrence,
    Observations,
    PageLinks,
    PageMetadata,
)

__all__ = [
    "AccountObservation",
    "ColumnObservation",
    "CopiedLinks",
    "LinkCheck",
    "LinkOccurrence",
    "Observations",
    "PageLinks",
    "PageMetadata",
]
