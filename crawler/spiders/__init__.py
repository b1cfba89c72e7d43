"""Spiders: thin; they decide what to fetch next and hand pages to crawler.extract."""
