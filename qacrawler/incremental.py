"""Incremental crawls: fetch discovery pages, skip article pages the dataset already holds unless they can
have changed (the sitemap's lastmod says so, see qacrawler.lastmod, or the page was unanswered last time).

Also the one guard against fetching an article twice in a run. Article requests bypass Scrapy's
dupefilter on purpose: after a SIGKILL a resumed JOBDIR would remember articles whose records were
still in the writer's buffer and never fetch them again; this filter only trusts finished files.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from types import ModuleType

import pyarrow.compute as pc
from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest

from qacrawler.dataset_files import rejects_of, site_records, unchanged_fetches_of
from qacrawler.lastmod import refetch_reason
from qacrawler.run import output_dir


@dataclass(frozen=True)
class StoredVersion:
    crawled_at: datetime  # the latest fetch of the page, including fetches that found it unchanged
    answered: bool  # an unanswered question may be answered by now
    rejected: bool = False  # the page was refused by the parser or validation last time
    source_lastmod: str | None = None  # the sitemap lastmod seen at that fetch


def stored_versions(root: Path, site: ModuleType) -> dict[str, StoredVersion]:
    """What the dataset knows of each page of one site: its latest version, or its parse/validate reject,
    brought up to date by later fetches that found the same content.

    Fetch rejects are left out on purpose: a network failure says nothing about the page.
    """
    known: dict[str, StoredVersion] = {}
    for row in rejects_of(root, site.SITE):
        record_id = f"{site.SITE}:{site.source_id_from_url(row['url'])}"
        if row["stage"] != "fetch" and (record_id not in known or row["crawled_at"] > known[record_id].crawled_at):
            known[record_id] = StoredVersion(row["crawled_at"], True, True, row["source_lastmod"])
    table = site_records(root, site.SITE, ["record_id", "crawled_at", "answer", "source_lastmod"])
    if table is not None:
        answered = pc.invert(pc.is_null(table.column("answer"))).to_pylist()
        latest: dict[str, StoredVersion] = {}
        columns = [table.column(name).to_pylist() for name in ("record_id", "crawled_at", "source_lastmod")]
        for record_id, crawled_at, lastmod, has_answer in zip(*columns, answered, strict=True):
            if record_id not in latest or crawled_at > latest[record_id].crawled_at:
                latest[record_id] = StoredVersion(crawled_at, has_answer, source_lastmod=lastmod)
        known |= latest
    for row in unchanged_fetches_of(root, site.SITE):
        stored = known.get(row["record_id"])
        if stored is not None and not stored.rejected and row["crawled_at"] > stored.crawled_at:
            known[row["record_id"]] = replace(stored, crawled_at=row["crawled_at"], source_lastmod=row["source_lastmod"])
    return known


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
        self.tolerance = timedelta(seconds=crawler.settings.getfloat("QA_LASTMOD_TOLERANCE"))
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
            reason = "unanswered" if not stored.answered else refetch_reason(
                request.meta.get("lastmod"), stored.source_lastmod, stored.crawled_at, self.tolerance)
            if reason is not None:
                self.stats.inc_value(f"incremental/refetch_{reason}")
            else:  # not marked requested: a sitemap entry with a newer lastmod may still come
                if record_id not in self.skipped:
                    self.skipped.add(record_id)
                    self.stats.inc_value("incremental/skipped_rejected" if stored.rejected else "incremental/skipped_unchanged")
                raise UnchangedPage(f"unchanged since {stored.crawled_at:%Y-%m-%d}: {request.url}")
        self.requested.add(record_id)
