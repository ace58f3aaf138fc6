"""Drops a record whose (record_id, content_hash) the dataset or this run already holds."""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from qacrawler.dataset_files import existing_versions
from qacrawler.records import QARecord
from qacrawler.run import output_dir


class DedupePipeline:
    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        self.seen: set[tuple[str, str]] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DedupePipeline:
        return cls(crawler)

    def open_spider(self) -> None:
        self.seen = existing_versions(output_dir(self.crawler))
        self.stats.set_value("dedupe/versions_in_dataset_at_start", len(self.seen))

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, QARecord):
            return item
        key = (item.record_id, item.content_hash)
        if key in self.seen:
            self.stats.inc_value("dedupe/duplicate")
            raise DropItem(f"duplicate of {item.record_id} version {item.content_hash}", log_level="DEBUG")
        self.seen.add(key)
        self.stats.inc_value("dedupe/unique")
        return item
