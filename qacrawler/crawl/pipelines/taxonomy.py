"""Counts departments the specialty taxonomy does not know, by name, so a maintainer sees what to add."""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler

from qacrawler.page.records import QARecord


class SpecialtyCoveragePipeline:
    def __init__(self, crawler: Crawler):
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SpecialtyCoveragePipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, QARecord) and item.department:
            if item.specialty is None:
                self.stats.inc_value(f"taxonomy/unknown_department/{item.department}")
            else:
                self.stats.inc_value(f"taxonomy/specialty/{item.specialty}")
        return item
