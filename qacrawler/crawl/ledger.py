"""The article ledger: every article a run schedules ends as exactly one of record, reject, skipped
(unchanged since the last crawl, or an id that does not exist) or deferred (with a reason).

Keyed by record id (site + source id of the URL the spider asked for), so a retry or a redirect of the
same article counts once. Outcomes arrive from the item signal (a record, an unchanged fetch of a record the
dataset holds, a reject of any stage) and from the spider through the ``article_settled`` signal
(skips, deferrals). A record or reject is final; a later skip or deferral does not overwrite it. When the
run was stopped early (Ctrl-C, SIGTERM, a page limit), what is still pending is deferred ("run stopped"):
a resumed JOBDIR fetches it again. When it finished on its own, pending articles are unaccounted for, and
the ``ledger_unaccounted`` gate fails the run. Stats: ``ledger/<outcome>``, ``ledger/deferred/<reason>``,
``ledger/unaccounted``, ``ledger/unaccounted_urls`` (the first few).
A page that makes several records (an FAQ page kept as pairs, record ids ``<page record id>#<n>``) counts
once, as recorded.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler

from qacrawler.crawl.request_policy import original_url
from qacrawler.crawl.run import open_spider
from qacrawler.page.records import QARecord, Reject, UnchangedFetch
from qacrawler.page.sites.site import page_record_id

article_settled = object()  # signal: url=<the article's URL>, outcome="skipped"|"deferred", reason=<str>

OUTCOMES = ("recorded", "rejected", "skipped", "deferred")
FINAL = frozenset({"recorded", "rejected"})
UNACCOUNTED_URLS_KEPT = 10


class ArticleLedger:
    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        self.outcomes: dict[str, str | None] = {}  # record id -> outcome, None while pending
        self.urls: dict[str, str] = {}  # record id -> URL, while pending (for the unaccounted list)
        self.deferred_reasons: dict[str, str] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArticleLedger:
        ledger = cls(crawler)
        crawler.signals.connect(ledger.request_scheduled, signal=signals.request_scheduled)
        crawler.signals.connect(ledger.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(ledger.article_settled, signal=article_settled)
        # Before the run manifest's handler (a higher EXTENSIONS number connects later), which reads these stats.
        crawler.signals.connect(ledger.spider_closed, signal=signals.spider_closed)
        return ledger

    def record_id(self, url: str) -> str | None:
        return open_spider(self.crawler).site.record_id_from_url(url)

    def schedule(self, url: str) -> None:
        record_id = self.record_id(url)
        if record_id is not None and record_id not in self.outcomes:
            self.outcomes[record_id] = None
            self.urls[record_id] = url

    def settle(self, record_id: str | None, outcome: str, reason: str | None = None) -> None:
        if record_id is None or self.outcomes.get(record_id) in FINAL:
            return
        self.outcomes[record_id] = outcome
        self.urls.pop(record_id, None)
        if outcome == "deferred":
            self.deferred_reasons[record_id] = reason or "unknown"
        else:
            self.deferred_reasons.pop(record_id, None)

    def request_scheduled(self, request: Request, spider: Spider) -> None:
        if request.meta.get("article"):
            self.schedule(original_url(request))

    def item_scraped(self, item: Any) -> None:
        if isinstance(item, QARecord | UnchangedFetch):  # an unchanged fetch: the dataset holds the record
            self.settle(page_record_id(item.record_id), "recorded")
        elif isinstance(item, Reject):
            self.settle(self.record_id(item.url), "rejected")

    def article_settled(self, url: str, outcome: str, reason: str | None = None) -> None:
        self.settle(self.record_id(url), outcome, reason)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        pending = [record_id for record_id, outcome in self.outcomes.items() if outcome is None]
        unaccounted: list[str] = []
        for record_id in pending:
            if reason == "finished":
                unaccounted.append(self.urls[record_id])
            else:
                self.settle(record_id, "deferred", f"run stopped ({reason})")
        counts = Counter(outcome for outcome in self.outcomes.values() if outcome is not None)
        self.stats.set_value("ledger/scheduled", len(self.outcomes))
        for outcome in OUTCOMES:
            self.stats.set_value(f"ledger/{outcome}", counts[outcome])
        for deferral, count in Counter(self.deferred_reasons.values()).items():
            self.stats.set_value(f"ledger/deferred/{deferral}", count)
        self.stats.set_value("ledger/unaccounted", len(unaccounted))
        if unaccounted:
            self.stats.set_value("ledger/unaccounted_urls", sorted(unaccounted)[:UNACCOUNTED_URLS_KEPT])
        # a worker of a shared crawl schedules articles others fetch: the run's merged ledger judges them
        if unaccounted and not self.crawler.settings.get("QA_REDIS_URL"):
            spider.logger.warning("%d scheduled articles ended as neither record, reject, skip nor deferral, "
                                  "e.g. %s", len(unaccounted), ", ".join(sorted(unaccounted)[:3]))


def ledger_counts(stats: dict[str, Any]) -> dict[str, Any]:
    """The ledger's part of a run manifest."""
    counts: dict[str, Any] = {name: stats.get(f"ledger/{name}", 0) for name in ("scheduled", *OUTCOMES, "unaccounted")}
    counts["deferred_reasons"] = {key.removeprefix("ledger/deferred/"): value for key, value in sorted(stats.items())
                                  if key.startswith("ledger/deferred/")}
    counts["unaccounted_urls"] = list(stats.get("ledger/unaccounted_urls", []))
    return counts
