"""Identity of one crawl run, shared by the pipelines and extensions of a crawler."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, cast
from weakref import WeakKeyDictionary

if TYPE_CHECKING:  # importing Scrapy costs a second: the dataset API uses this module without it
    from scrapy.crawler import Crawler

    from qacrawler.crawl.spiders.base import QASpider


# A run id names files (runs/<id>.json, part-<id>-*.parquet): one path component, no separators, no "..".
_RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


class InvalidRunId(ValueError):
    """QA_RUN_ID would not be a plain file name inside the dataset."""


def check_run_id(text: str) -> str:
    if not _RUN_ID.fullmatch(text) or ".." in text:
        raise InvalidRunId(f"run id {text!r} is not allowed: use 1-64 letters, digits, '.', '_' or '-', "
                           "starting with a letter or digit, without '..'")
    return text


def new_run_id() -> str:
    """Sortable by start time, unique across concurrent starts."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


_RUN_IDS: WeakKeyDictionary[Crawler, str] = WeakKeyDictionary()


def run_id(crawler: Crawler) -> str:
    """The QA_RUN_ID setting (checked: it becomes part of file names), or one id generated once per crawler."""
    if crawler not in _RUN_IDS:
        configured = crawler.settings.get("QA_RUN_ID")
        _RUN_IDS[crawler] = check_run_id(str(configured)) if configured else new_run_id()
    return _RUN_IDS[crawler]


def open_spider(crawler: Crawler) -> QASpider:
    """The crawler's spider once it is open: qacrawler's middlewares and extensions serve its QASpider."""
    if crawler.spider is None:
        raise RuntimeError("the crawler's spider is not open yet")
    return cast("QASpider", crawler.spider)


def output_dir(crawler: Crawler) -> Path:
    """QA_OUTPUT_DIR, or output/<spider name> when unset."""
    configured = crawler.settings.get("QA_OUTPUT_DIR")
    return Path(configured) if configured else Path("output") / open_spider(crawler).name
