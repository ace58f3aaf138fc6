"""Keeps a record whose (record_id, content_hash) the dataset or this run already holds out of the records.

It becomes an UnchangedFetch row instead: the next run's incremental rule must know that the page was
checked again, and under which lastmod, or it would fetch it again and again.
"""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler

from qacrawler.crawl.dataset_index import dataset_index, version_key
from qacrawler.page.records import QARecord, UnchangedFetch


class DedupePipeline:
    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        self.seen: set[str] = set()  # version_key of every version in the dataset or this run

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DedupePipeline:
        return cls(crawler)

    def open_spider(self) -> None:
        self.seen = dataset_index(self.crawler).versions  # grows with this run's versions
        self.stats.set_value("dedupe/versions_in_dataset_at_start", len(self.seen))

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, QARecord):
            return item
        key = version_key(item.record_id, item.content_hash)
        if key in self.seen:
            self.stats.inc_value("dedupe/duplicate")
            return UnchangedFetch(record_id=item.record_id, site=item.site, source_lastmod=item.source_lastmod,
                                  crawled_at=item.crawled_at)
        self.seen.add(key)
        self.stats.inc_value("dedupe/unique")
        return item
