"""Counts, per field, the valid records that have a value: the coverage quality gates read these stats.
Patients' questions only: an FAQ page's pairs (kind ``faq``) have no asker or dates by nature."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from scrapy.crawler import Crawler

from qacrawler.page.records import QARecord


def present_fields(model: BaseModel, prefix: str = "") -> list[str]:
    """Dotted names of the fields holding a value (a non-empty list counts), struct members included."""
    names = []
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            names.extend(present_fields(value, f"{prefix}{name}."))
        elif value not in (None, "", []):
            names.append(f"{prefix}{name}")
    return names


class FieldCoveragePipeline:
    def __init__(self, crawler: Crawler):
        self.stats = crawler.stats
        self.inc_value = crawler.stats.inc_value  # bound once: Scrapy's StatsCollector wraps every attribute access

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FieldCoveragePipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, QARecord) and item.kind == "question":
            inc_value = self.inc_value
            for name in present_fields(item):
                inc_value(f"coverage/{name}")
        return item
