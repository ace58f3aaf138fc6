"""The crawl's stats collector: Scrapy's in-memory one, minus a per-access cost.

Scrapy 2.19's StatsCollector sends every attribute access through a ``__getattribute__`` that wraps its
methods to warn about a deprecated ``spider`` argument; a counter update then costs a few microseconds,
and a crawl makes about thirty per page (qacrawler counts every decision). qacrawler never passes
``spider``, so plain attribute access is used.
"""

from scrapy.statscollectors import MemoryStatsCollector


class CrawlStats(MemoryStatsCollector):
    __getattribute__ = object.__getattribute__
