"""Scrapy's item messages without the item: a record's repr holds the asker's name and contact details
before the privacy stage has masked them, and the crawl log is kept beside the dataset."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from scrapy import Spider
from scrapy.http import Response
from scrapy.logformatter import LogFormatter, LogFormatterResult
from twisted.python.failure import Failure

from qacrawler.page.records import QARecord, Reject


def item_label(item: Any) -> str:
    """What a log line may say of an item: its kind, id and URL, never its texts."""
    if isinstance(item, QARecord):
        return f"<record {item.record_id} {item.url}>"
    if isinstance(item, Reject):
        return f"<reject {item.stage} {item.url}>"
    return f"<{type(item).__name__}>"


class PrivateLogFormatter(LogFormatter):
    def scraped(self, item: Any, response: Response | Failure | None, spider: Spider) -> LogFormatterResult:
        return _labelled(super().scraped(item, response, spider), item)

    def dropped(self, item: Any, exception: BaseException, response: Response | Failure | None,
                spider: Spider) -> LogFormatterResult:
        return _labelled(super().dropped(item, exception, response, spider), item)

    def item_error(self, item: Any, exception: BaseException, response: Response | Failure | None,
                   spider: Spider) -> LogFormatterResult:
        return _labelled(super().item_error(item, exception, response, spider), item)


def _labelled(result: LogFormatterResult, item: Any) -> LogFormatterResult:
    args = result["args"]
    if not isinstance(args, Mapping):  # never log the item unlabelled: Scrapy's results name their arguments
        raise TypeError(f"log arguments by position ({type(args).__name__}), expected them by name")
    return {**result, "args": {**args, "item": item_label(item)}}
