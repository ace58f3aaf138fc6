"""Article requests waiting for room in Scrapy's scheduler.

A sitemap of 100,000 articles handed to Scrapy at once becomes 100,000 Request objects in the
scheduler's memory queue (about 2 KB each), so a crawl's memory would grow with the site. The frontier
keeps waiting articles as lazy sources instead (a list of (url, lastmod) string pairs, an id range, the
articles a page links to) and turns them into requests only while the scheduler holds fewer than
``QA_FRONTIER_WINDOW`` requests: a spider feeds some after every page it handles, and whatever is left
when the crawl goes idle (the fallback that makes a stall impossible). Stats: ``frontier/fed`` requests
handed over, ``frontier/scheduler_peak`` the most requests the scheduler held when the frontier looked
(it looks only while requests wait).
That peak may pass the window by what enters the scheduler without the frontier: discovery pages, and
retries of requests that were downloading (at most ``CONCURRENT_REQUESTS``).

Sources added ``held`` (the articles pages link to) wait behind the others until the spider says they may
go (``release_held``) or the crawl goes idle: a sitemap that is still on its way names the same articles
with their lastmod, which a linked request lacks.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import Any

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider


class Frontier:
    def __init__(self, crawler: Crawler, window: int):
        self.crawler = crawler
        self.window = window
        self.sources: deque[Iterator[Request]] = deque()
        self.held: deque[Iterator[Request]] = deque()
        crawler.signals.connect(self.spider_idle, signal=signals.spider_idle)

    def add(self, entries: Iterable[Any], make_request: Callable[..., Request], held: bool = False) -> None:
        """``entries`` (tuples of arguments of ``make_request``) are read and turned into requests only
        when released, in the order added."""
        (self.held if held else self.sources).append(make_request(*entry) for entry in entries)

    def release_held(self) -> None:
        self.sources.extend(self.held)
        self.held.clear()

    def room(self) -> int:
        engine = self.crawler.engine
        scheduler = engine.scheduler if engine is not None else None
        if scheduler is None or not hasattr(scheduler, "__len__"):  # a scheduler that cannot tell: one window
            return self.window
        held = len(scheduler)
        self.crawler.stats.max_value("frontier/scheduler_peak", held)
        return self.window - held

    def feed(self, limit: int | None = None) -> int:
        """Hands up to ``limit`` (default: the room left in the window) waiting requests to the engine;
        how many. Straight to the scheduler, not yielded from a callback: a released article is not a
        link of the page being handled, so the spider middlewares (depth, referer) have nothing to say
        about it, and skipping them saves their cost on every page. With nothing waiting it does not look at
        the scheduler (a shared crawl's is in Redis: a round trip a page)."""
        if not self.sources:
            return 0
        wanted = self.room() if limit is None else limit
        fed = 0
        while wanted > fed and self.sources:
            taken = list(islice(self.sources[0], wanted - fed))
            if len(taken) < wanted - fed:
                self.sources.popleft()  # exhausted
            for request in taken:
                self.crawler.engine.crawl(request)
            fed += len(taken)
        if fed:
            self.crawler.stats.inc_value("frontier/fed", fed)
        return fed

    def spider_idle(self) -> None:
        self.release_held()  # nothing is on its way any more that could name them
        if self.feed(max(self.window, 1)):
            raise DontCloseSpider
