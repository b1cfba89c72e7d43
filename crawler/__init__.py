"""govwatch crawler: a Scrapy project whose spiders record observations."""
