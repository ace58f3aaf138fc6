"""Writes runs/<run_id>.json when a crawl ends: what ran, when, what it counted and which files it wrote."""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler

from qacrawler.crawl import distributed, gates
from qacrawler.crawl.archive import archive_files, close_archive
from qacrawler.crawl.extensions import resume
from qacrawler.crawl.fetch_failures import fetch_failures
from qacrawler.crawl.ledger import ledger_counts
from qacrawler.crawl.memory import release_free_memory
from qacrawler.crawl.run import output_dir, run_id
from qacrawler.dataset.card import CARD_NAME, write_dataset_card
from qacrawler.dataset.files import RUNS, run_files


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def run_counts(stats: dict[str, Any]) -> dict[str, int]:
    """The handful of figures a person or a scheduler looks at first."""
    return {
        "pages": stats.get("response_received_count", 0),
        "records": stats.get("parquet/records", 0),
        "rejects": stats.get("parquet/rejects", 0),
        "duplicates": stats.get("dedupe/duplicate", 0),
        "files": stats.get("parquet/files", 0),
        "errors": stats.get("log_count/ERROR", 0),
    }


def write_json_atomically(path: Path, payload: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.tmp")
    temp.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(temp, path)


class RunManifest:
    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        run_id(crawler)  # a QA_RUN_ID that is no plain file name stops the crawl here, before anything is written
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunManifest:
        return cls(crawler)

    def gate_results(self, spider: Spider, stats: dict[str, Any]) -> list[gates.GateResult]:
        settings = self.crawler.settings
        thresholds = gates.merged_thresholds(
            settings.getdict("QA_GATES"),
            dict(site.gates if (site := getattr(spider, "site", None)) else {}),  # a test's plain Spider has none
            settings.getdict("QA_GATES_BY_SITE").get(spider.name),
            settings.getdict("QA_GATES_OVERRIDES"),
        )
        return gates.evaluate(resume.judged_stats(self.crawler, stats), thresholds)  # a resumed run with its chain

    def manifest(self, spider: Spider, reason: str, stats: dict[str, Any] | None = None) -> dict[str, Any]:
        """`stats`: the crawler's own unless given (a shared run's, summed over its workers)."""
        stats = stats if stats is not None else {**self.crawler.stats.get_stats(), "finish_reason": reason}
        results = self.gate_results(spider, stats)
        for result in results:
            if not result.passed:
                spider.logger.warning(result.line())
        root = output_dir(self.crawler)
        started = stats.get("start_time")
        finished = stats.get("finish_time") or datetime.now(UTC)
        return {
            "run_id": run_id(self.crawler),
            "spider": spider.name,
            "mode": getattr(spider, "mode", "crawl"),  # "reparse": records rebuilt from the archive, no request
            "base_url": getattr(spider, "base_url", None),
            "started_at": _jsonable(started),
            "finished_at": _jsonable(finished),
            "elapsed_seconds": round((finished - started).total_seconds(), 3) if started else None,
            "finish_reason": reason,
            "resumes": resume.resumed_run_id(self.crawler),
            "counts": run_counts(stats),
            "fetch_failures": fetch_failures(stats),
            "ledger": ledger_counts(stats),
            "gates_passed": all(result.passed for result in results),
            "gates": [result.as_dict() for result in results],
            "files": [str(path.relative_to(root)) for path in run_files(root, run_id(self.crawler))],
            "archive": [str(path.relative_to(root)) for path in archive_files(root, run_id(self.crawler))],
            "stats": {key: _jsonable(value) for key, value in sorted(stats.items())},
        }

    def spider_closed(self, spider: Spider, reason: str) -> None:
        root = output_dir(self.crawler)
        close_archive(self.crawler)  # its last file renamed and expired files pruned before they are listed
        stats = {**self.crawler.stats.get_stats(), "finish_reason": reason}
        shared = self.crawler.settings.get("QA_REDIS_URL")
        if shared:  # a worker of a shared run: the last one to finish writes the manifest of all
            summed = distributed.close_worker(self.crawler, stats)
            if summed is None:
                return
            stats = summed
        manifest = self.manifest(spider, stats["finish_reason"], stats)
        write_json_atomically(root / RUNS / f"{run_id(self.crawler)}.json", manifest)
        if shared:
            distributed.publish_verdict(self.crawler, manifest["gates_passed"])
        release_free_memory()  # the card's working memory then reuses what the crawl freed
        try:  # the card describes the data; failing to write it must not fail the crawl that made the data
            write_dataset_card(root)
        except Exception:
            spider.logger.warning("could not write %s", root / CARD_NAME, exc_info=True)
