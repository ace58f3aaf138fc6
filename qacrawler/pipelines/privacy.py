"""Keeps asker names out of the dataset unless the user asks for them (QA_KEEP_ASKER_NAMES)."""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler

from qacrawler.records import QARecord


class PrivacyPipeline:
    def __init__(self, crawler: Crawler):
        self.stats = crawler.stats
        self.keep_names = crawler.settings.getbool("QA_KEEP_ASKER_NAMES")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PrivacyPipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, QARecord) or self.keep_names or item.asker.name is None:
            return item
        self.stats.inc_value("privacy/asker_name_removed")
        return item.model_copy(update={"asker": item.asker.model_copy(update={"name": None})})
