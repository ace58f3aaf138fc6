"""Identity of one crawl run, shared by the pipelines and extensions of a crawler."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # importing Scrapy costs a second: the dataset API uses this module without it
    from scrapy.crawler import Crawler


def new_run_id() -> str:
    """Sortable by start time, unique across concurrent starts."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def run_id(crawler: Crawler) -> str:
    """The QA_RUN_ID setting, or one id generated once per crawler."""
    if not hasattr(crawler, "qa_run_id"):
        crawler.qa_run_id = crawler.settings.get("QA_RUN_ID") or new_run_id()
    return crawler.qa_run_id


def output_dir(crawler: Crawler) -> Path:
    """QA_OUTPUT_DIR, or output/<spider name> when unset."""
    configured = crawler.settings.get("QA_OUTPUT_DIR")
    return Path(configured) if configured else Path("output") / crawler.spider.name
