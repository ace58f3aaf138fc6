"""Running crawls from Python (the command line, tests, benchmarks) with qacrawler's settings."""

from __future__ import annotations

import gc
import os
import shutil
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scrapy import Spider
from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.settings import Settings

from qacrawler.crawl.distributed import worker_lock
from qacrawler.crawl.run import check_run_id, new_run_id
from qacrawler.dataset.check import ensure_readable
from qacrawler.dataset.files import RUNS, dataset_lock, remove_leftovers
from qacrawler.dataset.warc import salvage_archives
from qacrawler.page.pool import GC_THRESHOLDS


@dataclass(frozen=True)
class CrawlResult:
    """One spider's run: its own run id, manifest and runs/<run_id>.log (crawls started together share that
    log's content: Scrapy logs one process to one file)."""

    spider: str
    run_id: str
    out: Path
    stats: dict[str, Any]
    log_path: Path

    @property
    def manifest_path(self) -> Path:
        return self.out / RUNS / f"{self.run_id}.json"


# How long a first SIGTERM or Ctrl-C waits for crawls still opening before stopping anyway (a second one kills).
OPENING_WAIT_SECONDS = 30.0


class GracefulCrawlerProcess(CrawlerProcess):
    """Scrapy's process, whose graceful stop (a first SIGTERM or Ctrl-C) waits for crawls still opening.

    Scrapy stops a crawler's engine only once it runs: a signal while the spider was opening (its spider_opened
    handlers, the start of its parse pool) stopped the reactor with the crawl never closed, so no manifest and
    no closed files. The stop is retried until every crawl runs (at most OPENING_WAIT_SECONDS)."""

    _opening_deadline: float | None = None

    def _graceful_stop_reactor(self) -> Any:  # Scrapy's, called by its signal handler
        from twisted.internet import reactor, task

        if self._opening_deadline is None:
            self._opening_deadline = time.monotonic() + OPENING_WAIT_SECONDS
        if any(opening(crawler) for crawler in self.crawlers) and time.monotonic() < self._opening_deadline:
            return task.deferLater(reactor, 0.05, self._graceful_stop_reactor)
        return super()._graceful_stop_reactor()


def opening(crawler: Crawler) -> bool:
    """A crawl started whose engine does not run yet."""
    try:
        engine = crawler.engine
    except AttributeError:  # not created yet
        engine = None
    return crawler.crawling and (engine is None or not engine.running)


def project_settings(overrides: dict[str, Any] | None = None) -> Settings:
    """qacrawler's settings with the command line's overrides: what a crawl will run with."""
    settings = Settings()
    settings.setmodule("qacrawler.crawl.settings", priority="project")
    for name, value in (overrides or {}).items():
        settings.set(name, value, priority="cmdline")
    return settings


def crawl_settings(out: Path, log_path: Path, overrides: dict[str, Any] | None = None) -> Settings:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    return project_settings({"QA_OUTPUT_DIR": str(out), "LOG_FILE": str(log_path), **(overrides or {})})


@contextmanager
def tuned_garbage_collector() -> Iterator[None]:
    """A crawl allocates a few thousand objects per page, and with CPython's default thresholds the cyclic
    collector ran 2,000 times in an 8,000-page crawl, each full pass over every object alive: 10 % of the
    crawl's time (measured with gc.callbacks). What exists before the crawl starts (modules, settings) is
    frozen out of collections, and young collections run every 20,000 allocations instead of 700: 10
    collections, 0.1 s. The caller's settings come back afterwards (a notebook may run a crawl)."""
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def run_crawls(jobs: Sequence[tuple[str | type[Spider], Mapping[str, Any]]], out: Path,
               overrides: dict[str, Any] | None = None, prepare: Callable[[Path], None] | None = None,
               shared: bool = False) -> list[CrawlResult]:
    """Runs the (spider name or class, spider arguments) jobs side by side into one dataset, under its lock.

    Under the lock and before the crawl, `prepare(out)` runs (the demo clears its folder there, so two demos
    cannot mix), then the temporary files of killed earlier runs are removed (counted in the first crawl's
    stats as `parquet/leftovers_removed`). Scrapy's reactor runs once per process, so a process makes one
    call of this function. `shared`: one worker of a crawl shared through Redis, which holds the lock shared
    with the other workers (qacrawler.crawl.distributed.worker_lock).
    """
    given = (overrides or {}).get("QA_RUN_ID")  # `-s QA_RUN_ID=` names a single crawl; side by side each gets its own
    run_ids = [check_run_id(given)] if given and len(jobs) == 1 else [new_run_id() for _ in jobs]
    worker = (overrides or {}).get("QA_REDIS_WORKER")  # a shared run's workers each log to their own file
    log_path = out / RUNS / (f"{run_ids[0]}.{worker}.log" if worker else f"{run_ids[0]}.log")
    with ExitStack() as held:
        leftovers = held.enter_context(worker_lock(out)) if shared else []
        if not shared:
            held.enter_context(dataset_lock(out))
        if prepare is not None:
            prepare(out)
        salvaged = []
        if not shared:  # a shared run's other workers may be writing: their files are no leftovers
            leftovers = remove_leftovers(out)
            salvaged = salvage_archives(out)  # a killed run's WARC file: its finished records stay readable
        ensure_readable(out)  # a bad file would otherwise fail the crawl's first read of the dataset with a traceback
        process = GracefulCrawlerProcess(crawl_settings(out, log_path, overrides))
        crawlers: list[Crawler] = []
        for (spider_name, arguments), run_id in zip(jobs, run_ids, strict=True):
            crawler = process.create_crawler(spider_name)
            crawler.settings.set("QA_RUN_ID", run_id, priority="cmdline")
            crawler.settings.set("QA_LEFTOVERS_REMOVED", 0 if crawlers else len(leftovers), priority="cmdline")
            crawler.settings.set("QA_ARCHIVE_SALVAGED", 0 if crawlers else len(salvaged), priority="cmdline")
            process.crawl(crawler, **arguments)
            crawlers.append(crawler)
        with tuned_garbage_collector():
            process.start()
        for run_id in run_ids[1:] if log_path.exists() else ():
            link_log(log_path, out / RUNS / f"{run_id}.log")
    return [CrawlResult(crawler.spidercls.name, run_id, out, crawler.stats.get_stats(),
                        log_path if worker else out / RUNS / f"{run_id}.log")
            for run_id, crawler in zip(run_ids, crawlers, strict=True)]


def link_log(log_path: Path, run_log: Path) -> None:
    """The shared log under another run's name, so every manifest's runs/<run_id>.log exists: a hard link
    (no copy), or a copy where the file system has none."""
    try:
        os.link(log_path, run_log)
    except OSError:
        shutil.copyfile(log_path, run_log)
