"""Incremental crawls: fetch discovery pages, skip article pages the dataset already holds unless they can
have changed (the sitemap's lastmod says so, see qacrawler.crawl.lastmod, or the page was unanswered last time).

Also the one guard against fetching an article twice in a run. Article requests bypass Scrapy's
dupefilter on purpose: after a SIGKILL a resumed JOBDIR would remember articles whose records were
still in the writer's buffer and never fetch them again; this filter only trusts finished files.
"""

from __future__ import annotations

from datetime import timedelta

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest

from qacrawler.crawl.dataset_index import StoredVersion, dataset_index
from qacrawler.crawl.lastmod import refetch_reason
from qacrawler.crawl.run import open_spider


class RepeatRequest(IgnoreRequest):
    """The article was requested before in this run; its first request accounts for it."""


class UnchangedPage(IgnoreRequest):
    """The dataset holds the article and it cannot have changed since."""


class IncrementalMiddleware:
    """Downloader middleware; article requests carry meta `article=True` and, from sitemaps, `lastmod`."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        self.enabled = crawler.settings.getbool("QA_INCREMENTAL")
        self.tolerance = timedelta(seconds=crawler.settings.getfloat("QA_LASTMOD_TOLERANCE"))
        self.stored: dict[str, StoredVersion] = {}
        self.requested: set[str] = set()
        self.skipped: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IncrementalMiddleware:
        middleware = cls(crawler)
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        return middleware

    def spider_opened(self, spider: Spider) -> None:
        if self.enabled:
            self.stored = dataset_index(self.crawler).stored
        self.stats.set_value("incremental/known_records", len(self.stored))

    def process_request(self, request: Request) -> None:
        if not request.meta.get("article"):
            return
        record_id = open_spider(self.crawler).site.record_id_from_url(request.url)
        if record_id is None:  # not an article URL of the site: nothing stored to compare with
            return
        if (record_id in self.requested and not request.meta.get("retry_times")
                and not request.meta.get("redirect_urls")):
            self.stats.inc_value("incremental/repeat_request")
            raise RepeatRequest(f"already requested in this run: {request.url}")
        stored = self.stored.get(record_id)
        if stored is not None:
            reason = "unanswered" if not stored.answered else refetch_reason(
                request.meta.get("lastmod"), stored.source_lastmod, stored.crawled_at, self.tolerance)
            if reason is not None:
                self.stats.inc_value(f"incremental/refetch_{reason}")
            else:  # not marked requested: a sitemap entry with a newer lastmod may still come
                if record_id not in self.skipped:
                    self.skipped.add(record_id)
                    self.stats.inc_value("incremental/skipped_rejected" if stored.rejected
                                         else "incremental/skipped_unchanged")
                raise UnchangedPage(f"unchanged since {stored.crawled_at:%Y-%m-%d}: {request.url}")
        self.requested.add(record_id)
