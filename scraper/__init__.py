"""tinsach's scraper: feeds, sitemaps and URL lists into an append-only WARC store. No Prefect here."""

from __future__ import annotations

from scraper.config import CrawlConfig, SiteSource, load_sources
from scraper.crawl import CrawlReport, crawl

__all__ = ["CrawlConfig", "CrawlReport", "SiteSource", "crawl", "load_sources"]
