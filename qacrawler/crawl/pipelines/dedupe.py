"""Keeps a record the dataset or this run already holds out of the records: the same (record_id, content_hash)
made by the same parser version as the latest stored row of that record.

It becomes an UnchangedFetch row instead: the next run's incremental rule must know that the page was
checked again, and under which lastmod, or it would fetch it again and again. A record whose content is known
but whose parser_version differs from the latest stored row's is kept (``dedupe/new_parser_version``): a parser
fix must reach the dataset, from a re-parse of the archive (qacrawler.crawl.reparse) or from a crawl that
fetches the page again.
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
        self.parser_versions: dict[str, str | None] = {}  # record_id -> parser_version of its latest row

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DedupePipeline:
        return cls(crawler)

    def open_spider(self) -> None:
        index = dataset_index(self.crawler)
        self.seen = index.versions  # grows with this run's versions
        self.parser_versions = {record_id: stored.parser_version for record_id, stored in index.stored.items()}
        self.stats.set_value("dedupe/versions_in_dataset_at_start", len(self.seen))

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, QARecord):
            return item
        key = version_key(item.record_id, item.content_hash)
        if key in self.seen and self.parser_versions.get(item.record_id) == item.parser_version:
            self.stats.inc_value("dedupe/duplicate")
            return UnchangedFetch(record_id=item.record_id, site=item.site, source_lastmod=item.source_lastmod,
                                  crawled_at=item.crawled_at)
        self.stats.inc_value("dedupe/new_parser_version" if key in self.seen else "dedupe/unique")
        self.seen.add(key)
        self.parser_versions[item.record_id] = item.parser_version
        return item
