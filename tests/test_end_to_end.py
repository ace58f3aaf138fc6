"""Crawl the sandbox → Parquet → compare with the sandbox's ground truth, field by field."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from qacrawler.page.records import content_hash
from qacrawler.page.taxonomy import specialty_for
from qacrawler.sandbox import DoctorQnaSite, SandboxServer
from tests.conftest import ROOT, query, records_glob, run_cli

COMPARED_FIELDS = ("title", "question", "ask_date", "reply_date", "department", "answer", "more_info",
                   "categories", "view_count", "language", "source_id")


def read_records(out: Path) -> list[dict]:
    return ds.dataset(out / "records", format="parquet", partitioning="hive").to_table().to_pylist()


def read_rejects(out: Path) -> list[dict]:
    files = sorted((out / "rejects").glob("*.parquet"))
    return [row for path in files for row in pq.read_table(path).to_pylist()]


def expected_row(site_id: str, site, base_url: str, article_id: int) -> dict:
    truth = site.truth(article_id)
    expected = {name: truth[name] for name in COMPARED_FIELDS}
    expected["url"] = base_url + truth["path"]
    expected["record_id"] = f"{site_id}:{article_id}"
    expected["asker"] = truth["asker"]
    expected["doctor"] = truth["doctor"]
    expected["specialty"] = specialty_for(truth["department"])
    expected["content_hash"] = content_hash(truth)
    expected["similar_questions"] = [{**entry, "url": base_url + entry["url"]} for entry in truth["similar_questions"]]
    expected["related_faqs"] = [{**entry, "url": base_url + entry["url"]} for entry in truth["related_faqs"]]
    return expected


@pytest.fixture(scope="module")
def crawled(small_site, small_sandbox, tmp_path_factory):
    out = tmp_path_factory.mktemp("e2e") / "dataset"
    result = run_cli("crawl", "doctorqna", "--base-url", small_sandbox.base_url, "--out", str(out),
                     "--keep-asker-names")
    assert result.returncode == 0, result.stderr[-3000:]
    return out, result


def assert_equal_to_ground_truth(site_id: str, site, base_url: str, out: Path) -> None:
    """Every good article of the site once, every field equal to the sandbox's truth; a failure names article and
    field. Other sites' rows in the same dataset are left out."""
    rows = [row for row in read_records(out) if row["site"] == site_id]
    good = [number for number in site.article_ids() if number not in site.broken()]
    ids = [row["record_id"] for row in rows]
    assert len(ids) == len(set(ids)), "an article was written twice"
    assert sorted(ids) == sorted(f"{site_id}:{number}" for number in good), "articles missing or extra"
    by_id = {row["record_id"]: row for row in rows}
    mismatches = []
    for number in good:
        row = by_id[f"{site_id}:{number}"]
        for field, value in expected_row(site_id, site, base_url, number).items():
            if row[field] != value:
                mismatches.append(f"article {number} field {field}: got {row[field]!r}, expected {value!r}")
    assert not mismatches, f"{len(mismatches)} mismatches, first ones:\n" + "\n".join(mismatches[:15])


def test_every_good_article_once_and_equal_to_the_ground_truth(small_site, small_sandbox, crawled):
    assert_equal_to_ground_truth("doctorqna", small_site, small_sandbox.base_url, crawled[0])


def test_every_row_carries_its_provenance(crawled):
    out, _ = crawled
    for row in read_records(out):
        assert row["site"] == "doctorqna"
        assert row["parser_version"].startswith("doctorqna/")
        assert row["crawled_at"].tzinfo is not None
        assert row["ask_year"] == row["ask_date"].year


def test_broken_pages_are_rejects_with_reasons(small_site, small_sandbox, crawled):
    out, _ = crawled
    rejects = read_rejects(out)
    expected = {small_sandbox.base_url + f"/en/article/{number}" for number in small_site.broken()}
    assert {row["url"] for row in rejects} == expected
    assert len(rejects) == len(expected)
    for row in rejects:
        assert row["reasons"] and all(reason.strip() for reason in row["reasons"])
        assert row["stage"] in ("parse", "validate")


def test_the_manifest_accounts_for_the_run(small_site, crawled):
    out, _ = crawled
    (manifest_path,) = (out / "runs").glob("*.json")
    manifest = json.loads(manifest_path.read_text())
    good = len(small_site.article_ids()) - len(small_site.broken())
    assert manifest["finish_reason"] == "finished"
    assert manifest["counts"]["records"] == good
    assert manifest["counts"]["rejects"] == len(small_site.broken())
    assert manifest["counts"]["errors"] == 0
    on_disk = sorted(str(path.relative_to(out)) for path in out.rglob("*.parquet"))
    assert sorted(manifest["files"]) == on_disk
    assert manifest["started_at"] < manifest["finished_at"]
    assert manifest["stats"].get("privacy/asker_name_removed", 0) == 0  # this crawl kept names


def test_the_crawl_is_polite(small_sandbox, crawled):
    fetched = set(small_sandbox.hits)
    assert "/robots.txt" in fetched
    assert not [path for path in fetched if path.startswith(("/en/search", "/admin/"))], "robots.txt disobeyed"


def article_hits(server: SandboxServer) -> Counter:
    return Counter({path: count for path, count in server.hits.items() if path.startswith("/en/article/")})


def test_a_second_crawl_fetches_only_discovery_pages_and_adds_nothing(small_site, small_sandbox, crawled):
    out, _ = crawled
    before_rows = len(read_records(out))
    before_hits = article_hits(small_sandbox)
    result = run_cli("crawl", "doctorqna", "--base-url", small_sandbox.base_url, "--out", str(out),
                     "--keep-asker-names")
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert len(read_records(out)) == before_rows
    refetched = article_hits(small_sandbox) - before_hits
    broken = {f"/en/article/{number}" for number in small_site.broken()}
    assert set(refetched) <= broken, "unchanged good articles were fetched again"
    second = json.loads(sorted((out / "runs").glob("*.json"))[-1].read_text())
    assert second["counts"]["records"] == 0
    # orphans are linked only from articles, and skipped articles are not read: they stay as stored
    assert second["stats"]["incremental/skipped_unchanged"] == before_rows - len(small_site.orphans())
    assert second["stats"]["incremental/skipped_rejected"] == len(small_site.broken())
    assert second["gates_passed"]


def test_a_full_crawl_refetches_but_dedupe_adds_nothing(small_sandbox, crawled, tmp_path):
    out, _ = crawled
    before_rows = len(read_records(out))
    result = run_cli("crawl", "doctorqna", "--base-url", small_sandbox.base_url, "--out", str(out),
                     "--keep-asker-names",
                     "--full")
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert len(read_records(out)) == before_rows
    last = json.loads(sorted((out / "runs").glob("*.json"))[-1].read_text())
    assert last["counts"]["duplicates"] == before_rows


def test_scrapy_crawl_killed_halfway_leaves_no_half_written_file(tmp_path):
    site = DoctorQnaSite(pages=800, seed=5)
    out = tmp_path / "killed"
    with SandboxServer(site) as server:
        process = subprocess.Popen(
            [sys.executable, "-m", "scrapy", "crawl", "doctorqna", "-a", f"base_url={server.base_url}",
             "-s", f"QA_OUTPUT_DIR={out}", "-s", "QA_PARQUET_BATCH_ROWS=40", "-s", "LOG_LEVEL=WARNING"],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(list((out / "records").rglob("part-*.parquet"))) < 3:
            time.sleep(0.05)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    finished = list((out / "records").rglob("part-*.parquet"))
    assert finished, "the crawl wrote nothing before it was killed"
    assert not (out / "runs").exists() or not list((out / "runs").glob("*.json")), "killed run should not look finished"
    for path in finished:
        assert pq.read_table(path).num_rows > 0  # every visible file is complete
    rows = read_records(out)
    assert 0 < len(rows) < len(site.article_ids())
    assert query(f"SELECT count(*) FROM read_parquet('{records_glob(out)}', hive_partitioning = true)") == [
        (len(rows),)]


def test_runs_lists_every_run_with_counts_and_gates(crawled):
    out, _ = crawled
    result = run_cli("runs", str(out), timeout=60)
    assert result.returncode == 0, result.stderr
    header, *rows = result.stdout.splitlines()
    assert header.split()[:2] == ["run", "id"]
    assert len(rows) == len(list((out / "runs").glob("*.json")))
    assert all(row.endswith("passed") for row in rows)
