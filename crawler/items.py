"""The observation types the spiders yield (defined with the store that keeps them)."""

from monitor.store import ColumnObservation, LinkCheck, LinkOccurrence, PageLinks

__all__ = ["ColumnObservation", "LinkCheck", "LinkOccurrence", "PageLinks"]
