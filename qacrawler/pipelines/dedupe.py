"""Drops a record whose (record_id, content_hash) the dataset or this run already holds."""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from qacrawler.dataset_files import existing_versions
from qacrawler.records import QARecord
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
            raise DropItem(f"duplicate of {item.record_id} version {item.content_hash}", log_level="DEBUG")
        self.seen.add(key)
        self.stats.inc_value("dedupe/unique")
        return item
