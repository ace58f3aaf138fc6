"""Incremental crawls: fetch discovery pages, skip article pages the dataset already holds unless they can
have changed (a sitemap lastmod newer than the stored crawl, or unanswered last time).

Also the one guard against fetching an article twice in a run. Article requests bypass Scrapy's
dupefilter on purpose: after a SIGKILL a resumed JOBDIR would remember articles whose records were
still in the writer's buffer and never fetch them again; this filter only trusts finished files.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

import pyarrow.compute as pc
from dateutil import parser as dateparser
from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest

from qacrawler.dataset_files import rejects_of, site_records
from qacrawler.run import output_dir


@dataclass(frozen=True)
class StoredVersion:
    crawled_at: datetime
    answered: bool  # an unanswered question may be answered by now
    rejected: bool = False  # the page was refused by the parser or validation last time


def stored_versions(root: Path, site: ModuleType) -> dict[str, StoredVersion]:
    """What the dataset knows of each page of one site: its latest version, or its parse/validate reject.

    Fetch rejects are left out on purpose: a network failure says nothing about the page.
    """
    known: dict[str, StoredVersion] = {}
    for row in rejects_of(root, site.SITE):
        record_id = f"{site.SITE}:{site.source_id_from_url(row['url'])}"
        if row["stage"] != "fetch" and (record_id not in known or row["crawled_at"] > known[record_id].crawled_at):
            known[record_id] = StoredVersion(row["crawled_at"], answered=True, rejected=True)
    table = site_records(root, site.SITE, ["record_id", "crawled_at", "answer"])
    if table is None:
        return known
    answered = pc.invert(pc.is_null(table.column("answer"))).to_pylist()
    latest: dict[str, StoredVersion] = {}
    for record_id, crawled_at, has_answer in zip(
        table.column("record_id").to_pylist(), table.column("crawled_at").to_pylist(), answered, strict=True
    ):
        if record_id not in latest or crawled_at > latest[record_id].crawled_at:
            latest[record_id] = StoredVersion(crawled_at, has_answer)
    return {**known, **latest}


def unfetched_links(root: Path, site: ModuleType) -> list[str]:
    """Similar-question links of stored records that point at pages the dataset holds nothing of.

    A run killed before its last batch was written loses those pages; the next run skips the
    unchanged articles that linked to them and would never see the links again. Orphan pages
    (linked from nowhere else) depend on this.
    """
    table = site_records(root, site.SITE, ["similar_questions"])
    if table is None:
        return []
    known = stored_versions(root, site)
    column = table.column(0)
    urls = pc.struct_field(pc.list_flatten(column), "url").to_pylist()
    return sorted({url for url in urls if f"{site.SITE}:{site.source_id_from_url(url)}" not in known})


def parse_lastmod(text: str | None) -> datetime | None:
    """A W3C datetime; a bare date counts as the start of that day (UTC)."""
    if not text:
        return None
    try:
        value = dateparser.isoparse(text.strip())
    except (ValueError, OverflowError):
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class RepeatRequest(IgnoreRequest):
    """The article was requested before in this run; its first request accounts for it."""


class UnchangedPage(IgnoreRequest):
    """The dataset holds the article and it cannot have changed since."""


class IncrementalMiddleware:
    """Downloader middleware; article requests carry meta `article=True` and, from sitemaps, `lastmod`."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        self.enabled = crawler.settings.getbool("QA_INCREMENTAL")
        self.stored: dict[str, StoredVersion] = {}
        self.requested: set[str] = set()
        self.skipped: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IncrementalMiddleware:
        middleware = cls(crawler)
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        return middleware

    def spider_opened(self, spider: Spider) -> None:
        if self.enabled:
            self.stored = stored_versions(output_dir(self.crawler), spider.site)
        self.stats.set_value("incremental/known_records", len(self.stored))

    def process_request(self, request: Request) -> None:
        if not request.meta.get("article"):
            return
        site = self.crawler.spider.site
        record_id = f"{site.SITE}:{site.source_id_from_url(request.url)}"
        if record_id in self.requested and not request.meta.get("retry_times") and not request.meta.get("redirect_urls"):
            self.stats.inc_value("incremental/repeat_request")
            raise RepeatRequest(f"already requested in this run: {request.url}")
        stored = self.stored.get(record_id)
        if stored is not None:
            lastmod = parse_lastmod(request.meta.get("lastmod"))
            if not stored.answered:
                self.stats.inc_value("incremental/refetch_unanswered")
            elif lastmod is not None and lastmod > stored.crawled_at:
                self.stats.inc_value("incremental/refetch_changed")
            else:  # not marked requested: a sitemap entry with a newer lastmod may still come
                if record_id not in self.skipped:
                    self.skipped.add(record_id)
                    self.stats.inc_value("incremental/skipped_rejected" if stored.rejected else "incremental/skipped_unchanged")
                raise UnchangedPage(f"unchanged since {stored.crawled_at:%Y-%m-%d}: {request.url}")
        self.requested.add(record_id)
