"""The benchmark harness (benchmarks/) runs end to end on a tiny sandbox and reports every figure.

Benchmarks are not tests: nothing here looks at a time or a rate, only that each figure is there.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from benchmarks import distributed
from benchmarks.bs4_scraper import extract
from benchmarks.redis_server import REDIS_SERVER
from benchmarks.run import TARGETS, lookup, run_measured, workers_rows
from qacrawler.page.sites import doctorqna
from qacrawler.sandbox import DoctorQnaSite

ROOT = Path(__file__).resolve().parents[1]

FIGURES = [
    ("parser", "pages"),
    *[("parser", name, figure) for name in ("lxml", "qacrawler", "bs4") for figure in ("us_per_page", "pages_per_s")],
    ("parser", "qacrawler", "records_per_s"),
    ("parser", "bs4", "records_per_s"),
    ("parser", "qacrawler_vs_lxml_time"),
    ("parser", "bs4_vs_qacrawler_time"),
    ("parser", "bs4_agreement"),
    *[("reparse", name, figure) for name in ("in_process", "one_process", "all_cores")
      for figure in ("pages", "elapsed_seconds", "pages_per_s")],
    ("reparse", "warc_bytes_per_page"),
    ("reparse", "all_cores_vs_one_process_pages_per_s"),
    ("reparse", "one_process_vs_parser_pages_per_s"),
    *[("crawl", name, figure) for name in ("qacrawler", "qacrawler_in_process", "noop", "script")
      for figure in ("pages", "elapsed_seconds", "pages_per_s")],
    ("crawl", "qacrawler", "records_per_s"),
    ("crawl", "qacrawler_in_process", "records_per_s"),
    ("crawl", "script", "records_per_s"),
    ("crawl", "qacrawler_vs_noop_pages_per_s"),
    ("crawl", "qacrawler_in_process_vs_noop_pages_per_s"),
    ("crawl", "qacrawler_vs_script_pages_per_s"),
    ("crawl", "noop_vs_script_pages_per_s"),
    *[("latency_crawl", name, figure) for name in ("qacrawler", "script")
      for figure in ("pages", "elapsed_seconds", "pages_per_s")],
    ("latency_crawl", "qacrawler_vs_script_pages_per_s"),
    ("memory", "rss_small_mb"),
    ("memory", "rss_small_crawl_phase_mb"),
    ("memory", "rss_large_mb"),
    ("memory", "rss_large_crawl_phase_mb"),
    ("memory", "rss_large_vs_small"),
    ("output", "parquet_bytes"),
    ("output", "jsonl_bytes"),
    ("output", "parquet_vs_jsonl_bytes"),
    ("output", "duckdb_group_by_parquet_s"),
    ("output", "duckdb_group_by_jsonl_s"),
]
WORKER_FIGURES = [
    *[("workers", name, figure) for name in distributed.WORKERS
      for figure in ("pages", "records", "wall_seconds", "elapsed_seconds", "crawl_seconds", "idle_tail_seconds",
                     "pages_per_s", "pages_per_s_crawl", "cpu_seconds", "redis_cpu_seconds")],
    ("workers", "three_vs_one_pages_per_s"),
    ("workers", "three_vs_one_pages_per_s_crawl"),
]


def test_the_harness_runs_and_reports_every_figure(tmp_path):
    out = tmp_path / "results.json"
    command = [sys.executable, "-m", "benchmarks.run", "--pages", "120", "--large", "180", "--parser-pages", "20",
               "--parser-rounds", "1", "--reparse-pages", "40",
               "--script-pages", "20", "--latency-ms", "20", "--jitter-ms", "5",
               "--latency-pages", "60", "--latency-script-pages", "10", "--workers-pages", "60",
               "--workers-idle", "1", "--out", str(out),
               "--work", str(tmp_path / "work")]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    results = json.loads(out.read_text())

    for path in FIGURES:
        value = lookup(results, path)
        assert isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0, (path, value)
    crawl = results["crawl"]
    assert crawl["qacrawler"]["pages"] == crawl["noop"]["pages"]  # the no-op spider fetched the same pages
    assert crawl["qacrawler_in_process"]["pages"] == crawl["noop"]["pages"]
    assert crawl["qacrawler_in_process"]["records"] == crawl["qacrawler"]["records"]
    assert crawl["qacrawler_in_process"]["parse_processes"] == 0 and crawl["qacrawler"]["parse_processes"] >= 0
    assert crawl["qacrawler"]["records"] > 0 and crawl["script"]["records"] > 0
    assert results["sandbox"]["reachable_pages"] > 120  # articles, sitemaps, listings
    assert results["memory"]["large_pages"] > crawl["qacrawler"]["pages"]
    distant = results["latency_crawl"]
    assert distant["latency_ms"] == 20 and distant["script"]["pages"] == 10
    assert distant["qacrawler"]["records"] > 0 and distant["qacrawler"]["gates_passed"]
    assert results["output"]["records"] == crawl["qacrawler"]["records"]
    assert set(results["targets"]) == set(TARGETS)
    assert {target["status"] for target in results["targets"].values()} <= {"met", "MISSING"}
    assert results["machine"]["cores"] and results["date"]
    reparsed = results["reparse"]
    for name in ("in_process", "one_process", "all_cores"):  # every archived page parsed, none fetched
        assert reparsed[name]["pages"] == reparsed["archived_pages"] == 40 and reparsed[name]["requests"] == 0
        assert reparsed[name]["records"] > 0

    table = completed.stdout
    for section in ("parser", "reparse", "crawl", "latency", "memory", "output"):
        assert f"\n{section} " in table
    assert "no-op Scrapy spider" in table and "parsing in process" in table
    assert "sequential requests+bs4" in table and "Parquet bytes" in table
    assert "qacrawler crawl at 20 ± 5 ms" in table

    workers = results["workers"]
    if REDIS_SERVER is None:  # the harness says so and carries on
        assert workers == {"not_measured": distributed.NOT_INSTALLED} and distributed.NOT_INSTALLED in table
        return
    for path in WORKER_FIGURES:
        value = lookup(results, path)
        assert isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0, (path, value)
    for name, count in distributed.WORKERS.items():  # both runs complete: every article once, one manifest
        run = workers[name]
        assert run["exit_codes"] == [0] * count and run["manifest_workers"] == count
        assert run["records"] == run["expected_records"] == distributed.expected_records(60, 7)
        assert run["records_as_expected"] and run["gates_passed"] and run["ledger_unaccounted"] == 0
    assert "\nworkers " in table and "3 workers / 1 worker pages/s" in table


def test_without_redis_server_the_workers_section_is_not_measured(monkeypatch, tmp_path):
    monkeypatch.setattr(distributed, "REDIS_SERVER", None)
    workers = distributed.measure("http://127.0.0.1:9", 1, tmp_path, run_measured)
    assert workers == {"not_measured": "not measured: redis-server not installed"}
    assert workers_rows(workers) == [("workers", "1 and 3 shared-crawl workers", distributed.NOT_INSTALLED)]
    assert not any(tmp_path.iterdir())  # nothing started


def test_the_beautifulsoup_script_extracts_the_same_fields_as_the_parser():
    """The comparison is fair only if the script does the same job: on good sandbox pages it agrees."""
    site = DoctorQnaSite(pages=60, seed=5)
    broken = site.broken()
    agreed = 0
    good = [article_id for article_id in site.article_ids() if article_id not in broken]
    for article_id in good:
        url = f"http://127.0.0.1:8080/en/article/{article_id}"
        body = site.render(f"/en/article/{article_id}")[2]
        record = doctorqna.parse(body, url).model_dump()
        fields = extract(body.decode("utf-8"), url)
        assert fields is not None
        agreed += all(record[name] == fields[name] for name in fields if name in record)
    assert agreed >= 0.9 * len(good)
    for article_id in broken:
        assert extract(site.render(f"/en/article/{article_id}")[2].decode("utf-8"), "http://x/en/article/1") is None
