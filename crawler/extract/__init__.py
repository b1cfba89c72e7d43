"""Pure functions over HTML and text: no Scrapy, no database. Tested on saved pages."""
