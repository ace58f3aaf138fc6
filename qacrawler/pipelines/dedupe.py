"""Keeps a record whose (record_id, content_hash) the dataset or this run already holds out of the records.

It becomes an UnchangedFetch row instead: the next run's incremental rule must know that the page was
checked again, and under which lastmod, or it would fetch it again and again.
"""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler

from qacrawler.dataset_files import existing_versions
from qacrawler.records import QARecord, UnchangedFetch
from qacrawler.run import output_dir


def version_key(record_id: str, content_hash: str) -> str:
    """One string per (record_id, content_hash), unambiguous since the id's length leads it: a set of
    these takes about 60 % of the memory of a set of tuples (a crawl holds one per record it wrote)."""
    return f"{len(record_id)}:{record_id}{content_hash}"


class DedupePipeline:
    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        self.seen: set[str] = set()  # version_key of every version in the dataset or this run

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DedupePipeline:
        return cls(crawler)

    def open_spider(self) -> None:
        self.seen = {version_key(record_id, digest) for record_id, digest in existing_versions(output_dir(self.crawler))}
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
