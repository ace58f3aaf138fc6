"""Crawls that parse on worker processes (QA_PARSE_PROCESSES > 0, qacrawler.page.pool) make exactly the dataset
of crawls that parse in process, and leave no worker behind, however they end."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from scrapy.utils.test import get_crawler

from qacrawler.crawl.spiders.base import spider_for
from qacrawler.page.pool import ParsePool, page_records
from qacrawler.page.sites.errors import NotAnArticle
from qacrawler.page.sites.registry import get_site
from qacrawler.page.sites.site_file import load_site_file
from qacrawler.sandbox import DoctorQnaSite, SandboxServer
from qacrawler.sandbox.qapage import QAPageSite
from tests.conftest import ROOT, run_cli
from tests.imaginary_site import SaludQaMirror
from tests.multi_record_site import PAIRSQA, PairsMirror
from tests.multi_record_site import parse as pairs_parse
from tests.test_end_to_end import read_records, read_rejects

# Stats that measure time or the pool itself; and those that count the order in which sitemaps and article links
# arrive (a page parsed on a worker finishes later, so links meet sitemaps in another order).
RUN_DEPENDENT_STATS = ("elapsed_time_seconds", "start_time", "finish_time", "items_per_minute",
                       "responses_per_minute", "memusage/", "parse_pool/", "frontier/scheduler_peak",
                       "spider/link_in_sitemap", "archive/bytes")  # WARC record ids and dates differ by run
CRAWLED_AT = datetime(2026, 12, 1, 7, tzinfo=UTC)


def crawl(server: SandboxServer, out: Path, processes: int) -> dict:
    result = run_cli("crawl", "doctorqna", "--base-url", server.base_url, "--out", str(out),
                     "-s", f"QA_PARSE_PROCESSES={processes}")
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(next((out / "runs").glob("*.json")).read_text())


FETCH_FIELDS = ("crawled_at", "warc_file", "warc_offset", "warc_length")  # each run's own fetch and archive


def comparable(rows: list[dict]) -> list[dict]:
    return sorted(({name: value for name, value in row.items() if name not in FETCH_FIELDS} for row in rows),
                  key=lambda row: (row["url"], json.dumps(row, sort_keys=True, default=str)))


@pytest.fixture(scope="module")
def both_ways(small_sandbox, tmp_path_factory):
    folder = tmp_path_factory.mktemp("pool")
    return {processes: (folder / str(processes), crawl(small_sandbox, folder / str(processes), processes))
            for processes in (2, 0)}


def test_records_and_rejects_are_those_of_a_crawl_parsing_in_process(both_ways):
    (pooled, _), (in_process, _) = both_ways[2], both_ways[0]
    assert comparable(read_records(pooled)) == comparable(read_records(in_process))
    assert comparable(read_rejects(pooled)) == comparable(read_rejects(in_process))
    assert read_rejects(pooled) and all(reject["excerpt"] for reject in read_rejects(pooled))


def test_the_stats_are_those_of_a_crawl_parsing_in_process(both_ways, small_site):
    (_, pooled), (_, in_process) = both_ways[2], both_ways[0]
    assert pooled["counts"] == in_process["counts"] and pooled["ledger"] == in_process["ledger"]

    def kept(stats: dict) -> dict:
        return {name: value for name, value in stats.items() if not name.startswith(RUN_DEPENDENT_STATS)}

    assert kept(pooled["stats"]) == kept(in_process["stats"])
    assert pooled["stats"]["parse_pool/processes"] == 2 and in_process["stats"]["parse_pool/processes"] == 0
    assert pooled["stats"]["parse_pool/pages"] == len(small_site.article_ids())
    assert "parse_pool/pages" not in in_process["stats"]


def pool_workers(pid: int) -> set[int]:
    """The multiprocessing children of a process (spawned workers and their resource tracker)."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    try:
        pids = {int(child) for child in children.read_text().split()}
    except (OSError, ValueError):
        return set()
    return {child for child in pids if b"multiprocessing" in cmdline(child)}


def cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def crawl_watching_workers(server: SandboxServer, out: Path, stop: signal.Signals | None) -> tuple[int, set[int]]:
    """Runs a pooled crawl, collecting its workers' pids; with ``stop``, sends it as soon as they parse."""
    process = subprocess.Popen(
        [sys.executable, "-m", "qacrawler.cli", "crawl", "doctorqna", "--base-url", server.base_url,
         "--out", str(out), "-s", "QA_PARSE_PROCESSES=2"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers: set[int] = set()
    signalled = False
    try:
        for _ in range(6000):  # at most ten minutes, polled every 0.1 s
            if process.poll() is not None:
                break
            workers |= pool_workers(process.pid)
            if stop is not None and not signalled and len(workers) >= 2:
                process.send_signal(stop)
                signalled = True
            time.sleep(0.1)
        returncode = process.wait(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert stop is None or signalled, "the crawl ended before its workers were seen"
    return returncode, workers


@pytest.mark.parametrize("processes", [0, 2])
def test_a_sigterm_while_the_spider_opens_still_closes_the_crawl(tmp_path, processes):
    """Scrapy stops an engine only once it runs: a signal while the spider opened (its parse pool starting)
    ended the process with the crawl never closed, no manifest and a traceback in the summary
    (qacrawler.crawl.process.GracefulCrawlerProcess)."""
    site = DoctorQnaSite(pages=1500, seed=3)
    for attempt in range(2):
        out = tmp_path / f"dataset-{attempt}"
        with SandboxServer(site) as server:
            process = subprocess.Popen(
                [sys.executable, "-m", "qacrawler.cli", "crawl", "doctorqna", "--base-url", server.base_url,
                 "--out", str(out), "-s", f"QA_PARSE_PROCESSES={processes}"],
                cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            try:
                for _ in range(12000):  # at most a minute, polled every 5 ms
                    logs = list((out / "runs").glob("*.log")) if (out / "runs").is_dir() else []
                    if process.poll() is not None or (logs and "Spider opened" in logs[0].read_text("utf-8")):
                        break
                    time.sleep(0.005)
                process.send_signal(signal.SIGTERM)
                stderr = process.communicate(timeout=120)[1]
            finally:
                if process.poll() is None:
                    process.kill()
                    process.wait()
        assert "Traceback" not in stderr, stderr[-2000:]
        [manifest] = [json.loads(path.read_text()) for path in (out / "runs").glob("*.json")]
        assert manifest["stats"]["finish_reason"] == "shutdown"
        assert process.returncode == 2  # the finish-reason gate: a stopped run is not a complete one


@pytest.mark.parametrize("stop", [None, signal.SIGTERM, signal.SIGKILL], ids=["finished", "sigterm", "sigkill"])
def test_no_worker_outlives_the_crawl(tmp_path, stop):
    site = DoctorQnaSite(pages=150 if stop is None else 1500, seed=3)
    with SandboxServer(site) as server:
        returncode, workers = crawl_watching_workers(server, tmp_path / "dataset", stop)
    assert workers, "no parse pool worker was seen"
    if stop is None:
        assert returncode == 0
    for _ in range(100):  # a worker may take a moment to exit after its parent (qacrawler.page.pool)
        if not any(alive(pid) for pid in workers):
            break
        time.sleep(0.1)
    assert [pid for pid in workers if alive(pid)] == []
    if stop == signal.SIGTERM:  # the stopped run still wrote its manifest: it ended through Scrapy's shutdown
        manifest = json.loads(next((tmp_path / "dataset" / "runs").glob("*.json")).read_text())
        assert manifest["finish_reason"] == "shutdown"


def test_a_site_file_declaration_parses_on_the_pool():
    site = load_site_file(ROOT / "qacrawler" / "sandbox" / "qapage.toml").at("http://127.0.0.1:8080")
    sandbox = QAPageSite(pages=20)
    path = sandbox.article_path(sandbox.question_ids()[0])
    url = "http://127.0.0.1:8080" + path
    body = sandbox.render(path, base_url="http://127.0.0.1:8080")[2]
    with ParsePool([site], processes=1) as pool:
        pooled = pool.submit(site.id, body, url).result(timeout=120)
    assert pooled and pooled == page_records(site, body, url, crawled_at=pooled[0].crawled_at)


def test_a_site_module_declaration_parses_on_the_pool():
    mirror = SaludQaMirror()  # importing tests.imaginary_site registers saludqa, as QA_SITE_MODULES does
    site = get_site("saludqa")
    number = mirror.ids[0]
    url = f"https://saludqa.example/pregunta/{number}"
    with ParsePool([site], processes=1) as pool:
        pooled = pool.submit(site.id, mirror.page(number), url).result(timeout=120)
    assert pooled and pooled == page_records(site, mirror.page(number), url, crawled_at=pooled[0].crawled_at)


def parse_or_die(html: str | bytes, url: str, **options: object) -> object:
    """pairsqa's parser, except that a page saying CRASH kills its process, as a segfault in libxml2 would."""
    if b"CRASH" in (html if isinstance(html, bytes) else html.encode()):
        os._exit(70)
    return pairs_parse(html, url, **options)  # type: ignore[arg-type]


def test_a_worker_that_dies_restarts_the_pool_and_refuses_only_its_page():
    site = dataclasses.replace(PAIRSQA, parser=parse_or_die)
    crawler = get_crawler(spider_for(site), {"QA_PARSE_PROCESSES": 1, "QA_FRONTIER_WINDOW": 64})
    spider = crawler.spidercls.from_crawler(crawler)
    good = PairsMirror().render("/faq/2", {}, base_url=site.base_url)[2]
    url = f"{site.base_url}/faq/2"

    async def parse_both() -> tuple[Exception | None, list]:
        try:
            await spider.page_records(b"<dl><dt>CRASH</dt><dd>x</dd></dl>", f"{site.base_url}/faq/1")
        except NotAnArticle as error:
            refusal: Exception | None = error
        else:
            refusal = None
        return refusal, await spider.page_records(good, url, crawled_at=CRAWLED_AT)

    spider.open_parse_pool()
    try:
        refusal, records = asyncio.run(parse_both())
    finally:
        spider.close_parse_pool()
    assert isinstance(refusal, NotAnArticle) and "died" in refusal.reason
    assert crawler.stats.get_value("parse_pool/restarted") == 2  # the first try and the retry
    assert len(records) == 2 and records == page_records(site, good, url, crawled_at=CRAWLED_AT)
