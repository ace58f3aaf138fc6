"""A one-line progress display on stderr while a command-line crawl runs (QA_PROGRESS_INTERVAL > 0)."""

from __future__ import annotations

import sys
import time

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from twisted.internet import task

from qacrawler.crawl import gates
from qacrawler.crawl.extensions.manifest import run_counts
from qacrawler.crawl.run import open_spider


class ProgressLine:
    def __init__(self, crawler: Crawler, interval: float):
        self.crawler = crawler
        self.interval = interval
        self.loop = task.LoopingCall(self.show)
        self.started = time.monotonic()
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ProgressLine:
        interval = crawler.settings.getfloat("QA_PROGRESS_INTERVAL")
        if interval <= 0:
            raise NotConfigured
        return cls(crawler, interval)

    def show(self, end: str | None = None) -> None:
        end = end or ("\r" if sys.stderr.isatty() else "\n")  # a log file gets whole lines
        stats = self.crawler.stats.get_stats()
        counts = run_counts(stats)
        # records are written in batches: items that passed dedupe show progress before the next flush
        sys.stderr.write(
            f"{open_spider(self.crawler).name:<13} pages {counts['pages']:>7}  "
            f"records {stats.get('dedupe/unique', 0):>7}  "
            f"rejects {gates.rejects(stats):>5}  "
            f"elapsed {time.monotonic() - self.started:6.1f}s{end}"
        )
        sys.stderr.flush()

    def spider_opened(self) -> None:
        self.started = time.monotonic()
        self.loop.start(self.interval, now=False)

    def spider_closed(self) -> None:
        if self.loop.running:
            self.loop.stop()
        self.show(end="\n")
