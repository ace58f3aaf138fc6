"""Running one crawl from Python (the command line, tests, benchmarks) with qacrawler's settings."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from qacrawler.dataset_files import RUNS, dataset_lock
from qacrawler.run import new_run_id

SPIDERS = ("doctorqna",)


@dataclass(frozen=True)
class CrawlResult:
    run_id: str
    out: Path
    stats: dict[str, Any]

    @property
    def manifest_path(self) -> Path:
        return self.out / RUNS / f"{self.run_id}.json"

    @property
    def log_path(self) -> Path:
        return self.out / RUNS / f"{self.run_id}.log"


def crawl_settings(out: Path, run_id: str, overrides: dict[str, Any] | None = None, log_to_file: bool = True) -> Settings:
    settings = Settings()
    settings.setmodule("qacrawler.settings", priority="project")
    settings.set("QA_OUTPUT_DIR", str(out), priority="cmdline")
    settings.set("QA_RUN_ID", run_id, priority="cmdline")
    if log_to_file:
        (out / RUNS).mkdir(parents=True, exist_ok=True)
        settings.set("LOG_FILE", str(out / RUNS / f"{run_id}.log"), priority="cmdline")
    for name, value in (overrides or {}).items():
        settings.set(name, value, priority="cmdline")
    return settings


def run_crawl(spider_name: str, arguments: dict[str, Any], out: Path, overrides: dict[str, Any] | None = None) -> CrawlResult:
    """Scrapy's reactor runs once per process, so a process makes one call of this function."""
    run_id = new_run_id()
    with dataset_lock(out):
        process = CrawlerProcess(crawl_settings(out, run_id, overrides))
        crawler = process.create_crawler(spider_name)
        process.crawl(crawler, **arguments)
        process.start()
    return CrawlResult(run_id=run_id, out=out, stats=crawler.stats.get_stats())
